//! Links that come back: a connection to an address that is dialled (or
//! bound) again, with backoff, after it closes for any reason but a
//! command.
//!
//! Each new connection is a new [`Connection`] of the same context, under
//! the same name, so everything the context does for a new connection
//! holds: the startup queue (what was sent while no connection was alive)
//! goes out first, and state channels resend their value (the peer's for
//! its `NEW_CONNECTION`, and this context's after it connected again, for
//! a peer that restarted and knows none of them). The context keeps
//! its id and goes on numbering, so the peer's de-duplication keeps
//! accepting its packages; a restarted peer has a new id of its own.
//!
//! One thread per persistent link watches the current connection and
//! dials; it holds the context weakly, so dropping the context ends it.

use std::sync::Weak;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::*;
use crate::backoff::Backoff;
use crate::reason::CloseReason;
use crate::signal::Signal;

/// What a [`Persistent`] link reports, on its [`events`](Persistent::events)
/// signal.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LinkEvent {
    /// A bound link is bound again and waits for a peer.
    Waiting(Arc<dyn Connection>),
    /// A connection is up: a connecting link connected again (its first
    /// connection, made by [`Context::connect_persistent`] itself, is not
    /// announced unless that first attempt failed), or a bound link's peer
    /// arrived.
    Connected(Arc<dyn Connection>),
    /// The connection closed, with this reason; the link dials or binds
    /// again unless the reason is a command.
    Disconnected(CloseReason),
    /// An attempt to connect or bind again failed (counted from 1 after
    /// each loss).
    AttemptFailed {
        /// Which attempt in a row this was.
        attempt: u32,
        /// Why it failed.
        error: String,
    },
    /// The link stopped trying after this many failed attempts in a row
    /// ([`Backoff::max_attempts`]).
    GaveUp {
        /// How many attempts failed.
        attempts: u32,
    },
    /// The link was stopped: [`Persistent::close`], a close on command,
    /// [`Context::close`], or the context went away. Nothing follows.
    Stopped,
}

/// The persistent links of a context, as its `close` sees them.
#[derive(Default)]
pub(super) struct Links {
    /// Bumped by every `Context::close`, so that links made before it stop
    /// rather than come back.
    closes: AtomicU64,
    /// A way to wake each link's thread, taken by the next close.
    stops: Mutex<Vec<Sender<()>>>,
}

impl Links {
    /// Stops every link made so far: the count tells those that are busy,
    /// and a word wakes those that wait out a backoff delay.
    pub(super) fn stop_all(&self) {
        self.closes.fetch_add(1, Ordering::AcqRel);
        for stop in lock(&self.stops).drain(..) {
            let _ = stop.try_send(());
        }
    }

    /// Registers a link's stop channel; the close count it starts from.
    fn register(&self, stop: Sender<()>) -> u64 {
        let mut stops = lock(&self.stops);
        // Links that ended are forgotten here, so the list stays short.
        stops.retain(|s| !s.is_full());
        stops.push(stop);
        self.closes.load(Ordering::Acquire)
    }

    fn closes(&self) -> u64 {
        self.closes.load(Ordering::Acquire)
    }
}

/// Whether a link dials or binds.
#[derive(Clone, Debug)]
enum Side {
    Connect(ConnectOptions),
    Bind(BindOptions),
}

/// What the link's thread and its handle share.
struct Shared {
    current: Mutex<Option<Arc<dyn Connection>>>,
    /// Set by `close`: the thread ends and makes no more connections.
    stopped: AtomicBool,
    gave_up: AtomicBool,
    /// How many connections the link has made, the first included.
    made: AtomicU64,
    /// Why the latest attempt failed, if it did.
    last_error: Mutex<Option<String>>,
    /// Failed attempts in a row (0 once connected).
    failed: AtomicU64,
    events: Signal<LinkEvent>,
    /// Dropped by `close`, which wakes the thread from its waits.
    stop: Mutex<Option<Sender<()>>>,
}

/// A link to an address that comes back after its connection closes: made
/// by [`Context::connect_persistent`] or [`Context::bind_persistent`].
///
/// After a close that was not on command (the peer went away, restarted,
/// dropped the link or failed), it connects again, or binds again at the
/// same address, waiting a [`Backoff`] delay before each attempt: 100 ms
/// doubling to 5 s with jitter by default, with no limit on attempts unless
/// one is set. It reports each step on [`events`](Persistent::events).
///
/// It stops, and closes its connection, on [`close`](Persistent::close),
/// when dropped, when the connection is closed with
/// [`reason::CLOSED_ON_COMMAND`] or by the context, and when the context
/// goes away. A close with another reason of your own counts as a problem
/// and is followed by a new connection: stop the link with `close`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Backoff, BindOptions, ConnectOptions, Connection, Context, LinkEvent}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{Backoff, BindOptions, ConnectOptions, LinkEvent};
///
/// let host = yoton::context();
/// let client = yoton::context();
/// let bound = host.bind_persistent("inproc://kept", &BindOptions::new(), Backoff::new()).unwrap();
/// let link = client
///     .connect_persistent("inproc://kept", &ConnectOptions::new(), Backoff::new())
///     .unwrap();
/// let events = link.events().subscribe();
/// let first = link.wait_connected(Duration::from_secs(10)).unwrap();
///
/// // The host's connection goes away; the link comes back by itself (the
/// // first connection, made before `connect_persistent` returned, is not
/// // announced).
/// bound.connection().unwrap().close(Some("restart"));
/// loop {
///     match events.recv_timeout(Duration::from_secs(10)).unwrap() {
///         LinkEvent::Connected(again) => {
///             assert_ne!(again.key(), first.key());
///             break;
///         }
///         _ => continue, // Disconnected, and maybe failed attempts
///     }
/// }
/// assert_eq!(link.connections_made(), 2);
/// link.close();
/// assert!(link.connection().is_none());
/// ```
pub struct Persistent {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    address: String,
}

impl fmt::Debug for Persistent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Persistent")
            .field("address", &self.address)
            .field(
                "connected",
                &self.connection().is_some_and(|c| c.is_connected()),
            )
            .field("made", &self.connections_made())
            .field("stopped", &self.shared.stopped.load(Ordering::Relaxed))
            .finish()
    }
}

impl Context {
    /// Connects to `address` and keeps the link: whenever its connection
    /// closes other than on command, connects again after a `backoff`
    /// delay. See [`Persistent`].
    ///
    /// The first attempt is made before this returns (blocking up to the
    /// options' timeout); if it fails to reach the host, the link keeps
    /// dialling in the background, so that a client may start before its
    /// host: wait for it with [`Persistent::wait_connected`].
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProtocol`] and [`Error::InvalidAddress`] at once,
    /// and [`Error::Io`] when the link's thread cannot start. Failed
    /// attempts are events, not errors.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Backoff, ConnectOptions, Context}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{Backoff, ConnectOptions};
    ///
    /// let client = yoton::context();
    /// // The host is not there yet: the link keeps dialling.
    /// let options = ConnectOptions::new().timeout(Duration::ZERO).name("upstream");
    /// let link = client.connect_persistent("inproc://late", &options, Backoff::new()).unwrap();
    /// assert!(link.connection().is_none());
    /// let host = yoton::context();
    /// let _bound = host.bind("inproc://late").unwrap();
    /// let connection = link.wait_connected(Duration::from_secs(10)).unwrap();
    /// assert_eq!(connection.name(), "upstream");
    /// ```
    pub fn connect_persistent(
        &self,
        address: &str,
        options: &ConnectOptions,
        backoff: Backoff,
    ) -> Result<Persistent> {
        self.transport(&Address::protocol_of(address))?
            .parse_address(address)?;
        let shared = Shared::new();
        let first = match self.connect_with(address, options) {
            Ok(connection) => Some(connection),
            Err(e) => {
                shared.attempt_failed(1, &e);
                None
            }
        };
        let side = Side::Connect(options.clone());
        self.start_persistent(address.to_owned(), side, backoff, shared, first)
    }

    /// Binds at `address` and keeps the link: whenever its connection
    /// closes other than on command, binds again at the same address (the
    /// port first bound, also when port 0 chose it) so that a restarted
    /// peer finds it. See [`Persistent`].
    ///
    /// # Errors
    ///
    /// As [`bind_with`](Context::bind_with) for the first bind, and
    /// [`Error::Io`] when the link's thread cannot start. Later binds
    /// that fail are events, retried after a `backoff` delay.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Backoff, BindOptions, Context}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{Backoff, BindOptions};
    ///
    /// let host = yoton::context();
    /// let link = host.bind_persistent("inproc://kept-host", &BindOptions::new(), Backoff::new()).unwrap();
    /// assert!(link.connection().is_some_and(|c| c.is_waiting()));
    /// for _ in 0..2 {
    ///     // One peer after the other finds the host at the same address.
    ///     let peer = yoton::context();
    ///     let connection = peer.connect(link.address()).unwrap();
    ///     link.wait_connected(Duration::from_secs(10)).unwrap();
    ///     connection.close(None);
    /// }
    /// assert!(link.connections_made() >= 2);
    /// ```
    pub fn bind_persistent(
        &self,
        address: &str,
        options: &BindOptions,
        backoff: Backoff,
    ) -> Result<Persistent> {
        let first = self.bind_with(address, options)?;
        let transport = self.transport(&Address::protocol_of(address))?;
        let protocol = transport.parse_address(address)?.protocol().to_owned();
        let again = if transport.has_ports() {
            Address::new(&protocol, &first.local_host(), first.local_port())
        } else {
            Address::named(&protocol, &first.local_host())
        };
        let shared = Shared::new();
        let side = Side::Bind(options.clone().max_tries(1));
        self.start_persistent(again.to_string(), side, backoff, shared, Some(first))
    }

    fn start_persistent(
        &self,
        address: String,
        side: Side,
        backoff: Backoff,
        shared: Arc<Shared>,
        first: Option<Arc<dyn Connection>>,
    ) -> Result<Persistent> {
        let (stop_tx, stop_rx) = crossbeam_channel::bounded(1);
        let closes = self.shared.links.register(stop_tx.clone());
        *lock(&shared.stop) = Some(stop_tx);
        if first.is_some() {
            shared.made.store(1, Ordering::Relaxed);
        }
        *lock(&shared.current) = first.clone();
        let keeper = Keeper {
            closes,
            announce_first: !matches!(side, Side::Connect(_)) || first.is_none(),
            context: Arc::downgrade(&self.shared),
            address: address.clone(),
            side,
            backoff,
            shared: Arc::clone(&shared),
            stop: stop_rx,
        };
        let thread = std::thread::Builder::new()
            .name("yoton-keep".into())
            .spawn(move || keeper.run(first))?;
        Ok(Persistent {
            shared,
            thread: Mutex::new(Some(thread)),
            address,
        })
    }
}

impl Shared {
    fn new() -> Arc<Shared> {
        Arc::new(Shared {
            current: Mutex::new(None),
            stopped: AtomicBool::new(false),
            gave_up: AtomicBool::new(false),
            made: AtomicU64::new(0),
            last_error: Mutex::new(None),
            failed: AtomicU64::new(0),
            events: Signal::new(),
            stop: Mutex::new(None),
        })
    }

    fn attempt_failed(&self, attempt: u32, error: &Error) {
        self.failed.store(u64::from(attempt), Ordering::Release);
        tracing::debug!(attempt, %error, "a persistent link's attempt failed");
        let error = error.to_string();
        *lock(&self.last_error) = Some(error.clone());
        self.events
            .emit(LinkEvent::AttemptFailed { attempt, error });
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}

impl Persistent {
    /// The current connection, if there is one (it may be waiting for a
    /// peer, or closing).
    pub fn connection(&self) -> Option<Arc<dyn Connection>> {
        lock(&self.shared.current).clone()
    }

    /// The address the link dials or binds (for a bound link: the address
    /// it was bound at, with the port that was chosen).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// What the link reports: see [`LinkEvent`]. Subscribe before you
    /// expect an event: a signal does not replay.
    pub fn events(&self) -> &Signal<LinkEvent> {
        &self.shared.events
    }

    /// How many connections the link has made, the first included.
    pub fn connections_made(&self) -> u64 {
        self.shared.made.load(Ordering::Relaxed)
    }

    /// Why the latest attempt to connect or bind failed, if one did (it
    /// stays after a later success).
    pub fn last_error(&self) -> Option<String> {
        lock(&self.shared.last_error).clone()
    }

    /// How many attempts in a row have failed since the link last had a
    /// connection (0 while it has one).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Backoff, ConnectOptions, Context}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{Backoff, ConnectOptions};
    ///
    /// let ctx = yoton::context();
    /// let options = ConnectOptions::new().timeout(Duration::ZERO);
    /// let backoff = Backoff::new().initial(Duration::from_millis(1)).max_attempts(2);
    /// let link = ctx.connect_persistent("inproc://nobody", &options, backoff).unwrap();
    /// assert!(link.wait_connected(Duration::from_secs(10)).is_err()); // gave up
    /// assert!(link.gave_up() && link.is_stopped());
    /// assert_eq!(link.failed_attempts(), 2);
    /// assert!(link.last_error().is_some_and(|e| e.contains("nobody")));
    /// ```
    pub fn failed_attempts(&self) -> u64 {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Whether the link has stopped: closed, given up, closed on command or
    /// by its context. Look at it after subscribing to
    /// [`events`](Persistent::events), for a link that may have stopped
    /// before.
    pub fn is_stopped(&self) -> bool {
        self.shared.is_stopped()
    }

    /// Whether the link stopped trying after its attempt limit.
    pub fn gave_up(&self) -> bool {
        self.shared.gave_up.load(Ordering::Acquire)
    }

    /// Waits until the link has a connected connection (for a bound link:
    /// its peer arrived), and returns it.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when `timeout` passes first, and [`Error::Closed`]
    /// when the link stopped or gave up.
    pub fn wait_connected(&self, timeout: Duration) -> Result<Arc<dyn Connection>> {
        let deadline = Instant::now().checked_add(timeout);
        if let Some(connection) = self.connection().filter(|c| c.is_connected()) {
            return Ok(connection);
        }
        // Subscribed before looking again, so that no event between the look
        // and the wait is missed: every change this waits for is an event.
        let events = self.events().subscribe();
        loop {
            if let Some(connection) = self.connection().filter(|c| c.is_connected()) {
                return Ok(connection);
            }
            if self.shared.is_stopped() || self.gave_up() {
                return Err(Error::Closed {
                    reason: STOPPED.into(),
                });
            }
            let event = match deadline {
                Some(deadline) => events.recv_deadline(deadline).ok(),
                None => events.recv().ok(),
            };
            if event.is_none() {
                return Err(Error::Timeout {
                    operation: "wait_connected",
                    after: timeout,
                });
            }
        }
    }

    /// Stops the link: no more attempts, and the current connection is
    /// closed (reason [`reason::CLOSED_ON_COMMAND`]). Waits for the link's
    /// thread to end, which takes as long as an attempt under way (at most
    /// the connect options' timeout). Does nothing the second time.
    pub fn close(&self) {
        if self.shared.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        // A word wakes the thread (the context holds a sender too).
        if let Some(stop) = lock(&self.shared.stop).take() {
            let _ = stop.try_send(());
        }
        // Taken first: the lock is not held while the close flushes and
        // its handlers run.
        let current = lock(&self.shared.current).take();
        if let Some(connection) = current {
            connection.close(None);
        }
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// The reason [`Persistent::wait_connected`] gives once the link stopped.
const STOPPED: &str = "the persistent link stopped";

impl Drop for Persistent {
    fn drop(&mut self) {
        self.close();
    }
}

/// The link's thread.
struct Keeper {
    context: Weak<ContextShared>,
    /// The context's close count when the link was made: a later
    /// `Context::close` stops the link.
    closes: u64,
    /// Whether the first connection's `Connected` is reported.
    announce_first: bool,
    address: String,
    side: Side,
    backoff: Backoff,
    shared: Arc<Shared>,
    stop: Receiver<()>,
}

impl Keeper {
    fn run(self, first: Option<Arc<dyn Connection>>) {
        self.keep(first);
        self.shared.stopped.store(true, Ordering::Release);
        self.set_current(None);
        self.shared.events.emit(LinkEvent::Stopped);
    }

    fn keep(&self, first: Option<Arc<dyn Connection>>) {
        let mut current = first;
        let mut attempt: u32 = u32::from(current.is_none());
        let mut announce = self.announce_first;
        loop {
            match current.take() {
                Some(connection) => {
                    let watched = self.watch(&connection, announce);
                    announce = true;
                    let Some(reason) = watched else {
                        // Stopped: also a connection made as the link was
                        // closed, which `close` could not see.
                        connection.close(None);
                        return;
                    };
                    self.set_current(None);
                    self.shared
                        .events
                        .emit(LinkEvent::Disconnected(reason.clone()));
                    if matches!(reason, CloseReason::OnCommand | CloseReason::ByContext) {
                        return;
                    }
                    attempt = 0;
                }
                None => {
                    if !self.backoff.allows(attempt) {
                        tracing::warn!(address = %self.address, attempts = attempt, "a persistent link gave up");
                        self.shared.gave_up.store(true, Ordering::Release);
                        self.shared
                            .events
                            .emit(LinkEvent::GaveUp { attempts: attempt });
                        return;
                    }
                    let delay = self.backoff.delay(attempt, fastrand::f64());
                    if self.sleep(delay) {
                        return;
                    }
                    attempt = attempt.saturating_add(1);
                    match self.attempt() {
                        Some(Ok(connection)) => {
                            self.shared.made.fetch_add(1, Ordering::Relaxed);
                            self.shared.failed.store(0, Ordering::Release);
                            self.set_current(Some(Arc::clone(&connection)));
                            self.resend_states();
                            if matches!(self.side, Side::Bind(_)) {
                                let waiting = LinkEvent::Waiting(Arc::clone(&connection));
                                self.shared.events.emit(waiting);
                            }
                            current = Some(connection);
                        }
                        Some(Err(error)) => self.shared.attempt_failed(attempt, &error),
                        None => return,
                    }
                }
            }
        }
    }

    fn set_current(&self, connection: Option<Arc<dyn Connection>>) {
        *lock(&self.shared.current) = connection;
    }

    /// Waits out `delay`; true when the link was stopped meanwhile.
    fn sleep(&self, delay: Duration) -> bool {
        match self.stop.recv_timeout(delay) {
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => self.shared.is_stopped(),
            _ => true,
        }
    }

    /// Whether the context closed (or went away) since the link was made.
    fn context_closed(&self) -> bool {
        self.context
            .upgrade()
            .is_none_or(|shared| shared.links.closes() != self.closes)
    }

    /// A connection made again may lead to a restarted peer that knows
    /// none of this context's states: its state channels send them again,
    /// as every state channel of the network does for the peer's
    /// `NEW_CONNECTION`.
    fn resend_states(&self) {
        if let (Side::Connect(_), Some(shared)) = (&self.side, self.context.upgrade()) {
            shared.on_context_message(&Package::new(Slot::CONTEXT, NEW_CONNECTION));
        }
    }

    /// One attempt; `None` when the context is gone or closed.
    fn attempt(&self) -> Option<Result<Arc<dyn Connection>>> {
        let context = Context {
            shared: self.context.upgrade()?,
        };
        if self.context_closed() {
            return None;
        }
        Some(match &self.side {
            Side::Connect(options) => context.connect_with(&self.address, options),
            Side::Bind(options) => context.bind_with(&self.address, options),
        })
    }

    /// Reports the connection (and for a bound one, its peer), then waits
    /// for it to close; the reason, or `None` when the link was stopped.
    fn watch(&self, connection: &Arc<dyn Connection>, announce: bool) -> Option<CloseReason> {
        let closed = connection.closed().subscribe();
        // Checked after the connection joined the context's list, so a
        // `Context::close` either saw it (and closes it) or is seen here.
        if self.context_closed() {
            return None;
        }
        if connection.is_waiting() {
            // Closing the link closes the connection, which ends this wait.
            while connection.is_waiting() && !self.shared.is_stopped() {
                let _ = connection.wait_connected(Duration::from_secs(3600));
            }
        }
        if self.shared.is_stopped() || self.context_closed() {
            return None;
        }
        // A peer that came and went at once arrived all the same.
        if announce && connection.peer_id().is_some() {
            self.shared
                .events
                .emit(LinkEvent::Connected(Arc::clone(connection)));
        }
        if let Some(reason) = connection.close_reason() {
            return (!self.shared.is_stopped()).then_some(reason);
        }
        crossbeam_channel::select! {
            recv(closed) -> event => {
                let reason = event.map_or(CloseReason::Unspecified, |event| event.reason);
                (!self.shared.is_stopped()).then_some(reason)
            }
            recv(self.stop) -> _ => None,
        }
    }
}
