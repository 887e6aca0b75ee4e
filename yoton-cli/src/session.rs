//! Meeting the other side: bind or connect, report on stderr, and wait for
//! a peer.
//!
//! The stderr lines written here are read by scripts and tests; their
//! formats are fixed:
//!
//! - `yoton: waiting for a peer on ADDRESS`, where ADDRESS is the real
//!   address to connect to (`tcp://127.0.0.1:54321`, also when port 0
//!   chose the port);
//! - `yoton: connected to ADDRESS (context ID, pid PID)`, ADDRESS being the
//!   peer's end;
//! - `yoton: connection closed: REASON`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use yoton::{
    Address, Backoff, BindOptions, ConnectOptions, Connection, ConnectionKey, Context, LinkEvent,
    Persistent, Secret,
};

use crate::failure::Failure;

/// How long `connect` keeps trying before it reports a refused connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether `-q` asked for errors only.
static QUIET: AtomicBool = AtomicBool::new(false);

/// With `true` (`-q`), [`note`] writes nothing; errors still go out.
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Writes one line of status to stderr, prefixed with `yoton: ` (not with
/// `-q`).
///
/// ```text
/// yoton: connected to tcp://127.0.0.1:5000 (context 3bc7..., pid 41)
/// ```
pub(crate) fn note(text: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("yoton: {text}");
    }
}

/// Whether status lines are shown (not with `-q`).
pub(crate) fn shows_notes() -> bool {
    !QUIET.load(Ordering::Relaxed)
}

/// Writes one line of error to stderr, prefixed with `yoton: `, also with
/// `-q`.
pub(crate) fn error(text: &str) {
    eprintln!("yoton: {text}");
}

/// The context of a command: plain, or secured with the secret in
/// `secret_file`.
pub(crate) fn context(secret_file: Option<&Path>) -> Result<Context, Failure> {
    match secret_file {
        None => Ok(yoton::context()),
        Some(path) => Ok(yoton::secured_context(read_secret(path)?)),
    }
}

/// Reads a secret file; the error names the file, never the bytes.
pub(crate) fn read_secret(path: &Path) -> Result<Secret, Failure> {
    Secret::read_file(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Failure::error(e)
        } else {
            Failure::error(format!(
                "cannot read the secret file {}: {e}",
                path.display()
            ))
        }
    })
}

/// Binds at `address` (announcing the real address) or connects to it.
pub(crate) fn open(
    context: &Context,
    address: &str,
    bind: bool,
) -> Result<Arc<dyn Connection>, Failure> {
    let place = Place::of(context, address)?;
    if bind {
        let connection = context.bind(address)?;
        announce_waiting(&connection, &place);
        Ok(connection)
    } else {
        let options = ConnectOptions::new().timeout(CONNECT_TIMEOUT);
        let connection = context.connect_with(address, &options)?;
        announce_connected(&connection, &place);
        Ok(connection)
    }
}

/// A persistent link of a command, with a thread that says on stderr what
/// the link does as it happens (a command may be blocked reading stdin).
pub(crate) struct Kept {
    /// The link.
    pub(crate) link: Persistent,
    reporter: Arc<Reporter>,
}

/// What the reporting thread and the command share.
struct Reporter {
    place: Place,
    address: String,
    bind: bool,
    /// The connection last announced as connected.
    announced: Mutex<Option<ConnectionKey>>,
    /// Notified with each announcement.
    announcement: Condvar,
    /// Why the link ended for good, once it has.
    ended: Mutex<Option<String>>,
}

/// Binds at `address` or connects to it, as [`open`] does (with the same
/// errors and stderr lines), and keeps the link: after its peer goes it
/// binds again at the same address, or connects again.
pub(crate) fn keep(context: &Context, address: &str, bind: bool) -> Result<Kept, Failure> {
    let place = Place::of(context, address)?;
    let link = if bind {
        let link = context.bind_persistent(address, &BindOptions::new(), Backoff::new())?;
        if let Some(connection) = link.connection() {
            announce_waiting(&connection, &place);
        }
        link
    } else {
        let options = ConnectOptions::new().timeout(CONNECT_TIMEOUT);
        let link = context.connect_persistent(address, &options, Backoff::new())?;
        if link.connection().is_none() {
            let why = link.last_error().unwrap_or_else(|| "no connection".into());
            return Err(Failure::Error(why));
        }
        link
    };
    let reporter = Arc::new(Reporter {
        place,
        address: address.to_owned(),
        bind,
        announced: Mutex::new(None),
        announcement: Condvar::new(),
        ended: Mutex::new(None),
    });
    let events = link.events().subscribe();
    // A peer that came, or a stop, before the subscription has no event
    // to come.
    reporter.announce_current(&link);
    if link.is_stopped() {
        *lock(&reporter.ended) = Some("the link stopped".into());
    }
    let on_thread = Arc::clone(&reporter);
    std::thread::Builder::new()
        .name("yoton-report".into())
        .spawn(move || {
            // Ends with the link: `Stopped` is its last event.
            for event in events {
                if !on_thread.report(event) {
                    return;
                }
            }
        })
        .map_err(|e| Failure::error(format!("cannot start a thread: {e}")))?;
    Ok(Kept { link, reporter })
}

impl Kept {
    /// Announces the current connection once it has its peer, if that was
    /// not said yet.
    pub(crate) fn announce_current(&self) {
        self.reporter.announce_current(&self.link);
    }

    /// Waits (up to `timeout`) until a peer has been announced: a bound
    /// command that got what it wanted from a peer that came and went
    /// names it before it exits.
    pub(crate) fn wait_announced(&self, timeout: Duration) {
        self.announce_current();
        let announced = lock(&self.reporter.announced);
        let _ = self
            .reporter
            .announcement
            .wait_timeout_while(announced, timeout, |key| key.is_none());
    }

    /// Fails once the link ended for good (gave up, or stopped).
    pub(crate) fn check(&self) -> Result<(), Failure> {
        match &*lock(&self.reporter.ended) {
            Some(why) => Err(Failure::error(why)),
            None => Ok(()),
        }
    }
}

impl Reporter {
    fn announce_current(&self, link: &Persistent) {
        if let Some(connection) = link.connection() {
            self.announce(&connection);
        }
    }

    fn announce(&self, connection: &Arc<dyn Connection>) {
        let mut announced = lock(&self.announced);
        if connection.peer_id().is_some() && *announced != Some(connection.key()) {
            announce_connected(connection, &self.place);
            *announced = Some(connection.key());
            self.announcement.notify_all();
        }
    }

    /// Says what one event means; `false` after the last one.
    fn report(&self, event: LinkEvent) -> bool {
        match event {
            LinkEvent::Connected(connection) => self.announce(&connection),
            LinkEvent::Disconnected(reason) => {
                note(&format!("connection closed: {reason}"));
                if !self.bind {
                    note(&format!("connecting again to {}", self.address));
                }
            }
            LinkEvent::Waiting(connection) => announce_waiting(&connection, &self.place),
            LinkEvent::AttemptFailed { attempt, error } => {
                tracing::debug!(attempt, %error, "attempt to come back failed");
            }
            LinkEvent::GaveUp { attempts } => {
                *lock(&self.ended) =
                    Some(format!("gave up after {attempts} attempts to come back"));
            }
            LinkEvent::Stopped => {
                let mut ended = lock(&self.ended);
                if ended.is_none() {
                    *ended = Some("the link stopped".into());
                }
                return false;
            }
            _ => {}
        }
        true
    }
}

/// A lock that a panic elsewhere does not make unusable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The kind of place a command's connections are at: the address protocol,
/// and whether its addresses have ports (`tcp`) or are names and paths
/// (`ipc`, `inproc`).
#[derive(Debug, Clone)]
pub(crate) struct Place {
    protocol: String,
    ports: bool,
}

impl Place {
    /// The place of `address`, as the context's transport reads it.
    pub(crate) fn of(context: &Context, address: &str) -> Result<Place, Failure> {
        let parsed = context.parse_address(address)?;
        let ports = context.transport(parsed.protocol())?.has_ports();
        Ok(Place {
            protocol: parsed.protocol().to_owned(),
            ports,
        })
    }

    /// The address of one end, from a connection's host and port.
    pub(crate) fn at(&self, host: &str, port: u16) -> Address {
        if self.ports {
            Address::new(&self.protocol, host, port)
        } else {
            Address::named(&self.protocol, host)
        }
    }
}

/// Says on stderr where a bound connection waits.
pub(crate) fn announce_waiting(connection: &Arc<dyn Connection>, place: &Place) {
    let local = place.at(&connection.local_host(), connection.local_port());
    note(&format!("waiting for a peer on {local}"));
}

/// Says on stderr who the peer is.
pub(crate) fn announce_connected(connection: &Arc<dyn Connection>, place: &Place) {
    let peer = place.at(&connection.peer_host(), connection.peer_port());
    let id = connection
        .peer_id()
        .map_or_else(|| "unknown".to_owned(), |id| id.to_string());
    let pid = connection
        .peer_pid()
        .map_or_else(|| "unknown".to_owned(), |pid| pid.to_string());
    note(&format!("connected to {peer} (context {id}, pid {pid})"));
}

/// What waiting for a peer came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// A peer connected.
    Connected,
    /// The deadline passed first.
    TimedOut,
    /// The connection closed while waiting, with this reason.
    Closed(String),
}

/// Waits until a bound connection has its peer, or `deadline` passes.
pub(crate) fn wait_for_peer(
    connection: &Arc<dyn Connection>,
    deadline: Option<Instant>,
) -> Arrival {
    loop {
        let step = match deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        match connection.wait_connected(step) {
            Ok(()) => return Arrival::Connected,
            Err(yoton::Error::Timeout { .. }) if deadline.is_some() => return Arrival::TimedOut,
            Err(yoton::Error::Timeout { .. }) => {}
            Err(yoton::Error::Closed { reason }) => return Arrival::Closed(reason),
            Err(other) => return Arrival::Closed(other.to_string()),
        }
    }
}

/// With `--bind`: waits for the peer of `connection` (up to `wait_peer`,
/// else without limit) and says who it is.
pub(crate) fn meet_peer(
    context: &Context,
    address: &str,
    connection: &Arc<dyn Connection>,
    wait_peer: Option<Duration>,
) -> Result<(), Failure> {
    let deadline = wait_peer.and_then(deadline_after);
    match wait_for_peer(connection, deadline) {
        Arrival::Connected => {
            let place = Place::of(context, address)?;
            announce_connected(connection, &place);
            Ok(())
        }
        Arrival::TimedOut => Err(Failure::TimedOut(format!(
            "no peer within {}",
            seconds(wait_peer.unwrap_or_default())
        ))),
        Arrival::Closed(reason) => Err(Failure::error(format!(
            "the connection closed while waiting for a peer: {reason}"
        ))),
    }
}

/// How long a loop that looks every `tick` may wait now before its
/// `deadline` (none: no limit); `None` once the deadline has passed.
pub(crate) fn next_wait(deadline: Option<Instant>, tick: Duration) -> Option<Duration> {
    match deadline {
        Some(deadline) => {
            let now = Instant::now();
            (now < deadline).then(|| tick.min(deadline - now))
        }
        None => Some(tick),
    }
}

/// The instant `wait` from now; `None` (no limit) for a wait too long to
/// count (`--max-wait 1e19`).
pub(crate) fn deadline_after(wait: Duration) -> Option<Instant> {
    Instant::now().checked_add(wait)
}

/// Seconds for messages: `2s`, `0.5s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// Writes one line to `out`; `false` when it is closed (a reader such as
/// `head` had enough), which ends a command without an error.
pub(crate) fn print(out: &mut impl std::io::Write, line: &str) -> Result<bool, Failure> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::error(format!("cannot write to stdout: {e}"))),
    }
}

/// Flushes `out`; `false` when it is closed.
pub(crate) fn flush(out: &mut impl std::io::Write) -> Result<bool, Failure> {
    match out.flush() {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::error(format!("cannot write to stdout: {e}"))),
    }
}
