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
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton::{Address, ConnectOptions, Connection, Context, Secret};

use crate::failure::Failure;

/// How long `connect` keeps trying before it reports a refused connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Writes one line of status to stderr, prefixed with `yoton: `.
pub(crate) fn note(text: &str) {
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

/// The instant `wait` from now; `None` (no limit) for a wait too long to
/// count (`--max-wait 1e19`).
pub(crate) fn deadline_after(wait: Duration) -> Option<Instant> {
    Instant::now().checked_add(wait)
}

/// Seconds for messages: `2s`, `0.5s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}
