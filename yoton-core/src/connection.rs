//! The [`Connection`] interface: one link between two contexts.
//!
//! Everything a user can observe of a connection (its state, properties,
//! signals, close reasons and timeouts) is implemented here once, on
//! [`ConnectionCore`]. A transport implements only the low-level methods of
//! [`Connection`]: queue a package, tell the other end that we close, wait
//! until what was queued is written, and shut down.

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::context::ContextShared;
use crate::error::{Error, Result};
use crate::id::ContextId;
use crate::lifecycle::{Lifecycle, take_until_close};
use crate::liveness::{Liveness, MIN_TIMEOUT};
use crate::package::Package;
use crate::reason;
use crate::signal::Signal;

/// How long `close` waits for the close package and what was queued before
/// it to be written.
pub const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// The state of a connection, in the reference's order:
/// `Closed < Closing < Waiting < Hosting < Connected`.
///
/// A connection made by `bind` starts `Waiting` and becomes `Hosting` when
/// its peer arrives; one made by `connect` starts `Connected`. Either ends
/// `Closed` and is never used again.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Closed for good.
    Closed = 0,
    /// Closing: the close package may still be flushed.
    Closing = 1,
    /// Bound, waiting for a peer.
    Waiting = 2,
    /// Bound, and a peer connected.
    Hosting = 3,
    /// Connected to a bound peer.
    Connected = 4,
}

/// What the `closed` signal carries.
#[derive(Clone, Debug)]
pub struct ClosedEvent {
    /// The connection that closed.
    pub connection: Arc<dyn Connection>,
    /// Why it closed, for example [`reason::CLOSED_FROM_OTHER_END`].
    pub reason: String,
}

/// What the `timedout` signal carries.
#[derive(Clone, Debug)]
pub struct TimedOutEvent {
    /// The connection whose peer went silent or came back.
    pub connection: Arc<dyn Connection>,
    /// `true` when nothing was received for the timeout, `false` when bytes
    /// arrive again.
    pub timed_out: bool,
}

/// A process-unique number of a connection, so the context can tell where
/// a package came from without comparing pointers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConnectionKey(u64);

/// What a transport knows once a connection is made: both ends' addresses
/// and the peer's handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// This end's host (for TCP, the socket's local address).
    pub local_host: String,
    /// This end's port.
    pub local_port: u16,
    /// The other end's host.
    pub peer_host: String,
    /// The other end's port.
    pub peer_port: u16,
    /// The other context's id.
    pub peer_id: ContextId,
    /// The other context's process id.
    pub peer_pid: u32,
}

/// A link between two contexts: the full interface.
///
/// Get one from [`Context::bind`](crate::Context::bind) or
/// [`Context::connect`](crate::Context::connect). All provided methods are
/// shared by every transport; a transport implements only
/// [`core`](Connection::core) and the low-level methods
/// ([`send_package`](Connection::send_package),
/// [`wait_for_room`](Connection::wait_for_room),
/// [`notify_close`](Connection::notify_close),
/// [`wait_written`](Connection::wait_written) and
/// [`shutdown`](Connection::shutdown)), which users do not call.
///
/// Implementations are `Send + Sync`: a connection is shared between the
/// user, its context and its transport's threads as `Arc<dyn Connection>`.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use yoton_core::{Connection, Context, reason};
/// use yoton_inproc::InprocTransport;
///
/// let host = Context::new();
/// host.register_transport(Arc::new(InprocTransport::new()));
/// let client = Context::new();
/// client.register_transport(Arc::new(InprocTransport::new()));
/// let bound = host.bind("inproc://doc-connection").unwrap();
/// assert!(bound.is_waiting());
/// let closed = bound.closed().subscribe();
///
/// let conn = client.connect("inproc://doc-connection").unwrap();
/// assert!(conn.is_connected());
/// assert_eq!(conn.peer_id(), Some(host.id()));
/// assert_eq!(conn.peer_pid(), Some(std::process::id()));
///
/// conn.close(None);
/// let event = closed.recv_timeout(Duration::from_secs(5)).unwrap();
/// assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
/// assert!(!bound.is_alive());
/// ```
pub trait Connection: Send + Sync + fmt::Debug + 'static {
    /// The shared state of this connection. Low-level: for transports.
    fn core(&self) -> &ConnectionCore;

    /// Queues a package for sending, without blocking. Low-level: for the
    /// context. Fails with [`Error::Closed`] once the connection is shut
    /// down.
    ///
    /// The context queues under the lock that orders its sequence numbers
    /// and then applies backpressure with
    /// [`wait_for_room`](Connection::wait_for_room) after releasing it, so
    /// that no lock is held while a slow peer holds up a sender; a queue may
    /// therefore pass its bound by one package per sending thread.
    fn send_package(&self, package: &Package) -> Result<()>;

    /// Queues several packages, in order, as [`send_package`](Connection::send_package)
    /// does one by one; a transport can take them in one go (one lock, one
    /// wake-up of its sending thread). Low-level: for the context. The
    /// default sends them one by one.
    fn send_packages(&self, packages: &[Package]) -> Result<()> {
        packages.iter().try_for_each(|p| self.send_package(p))
    }

    /// Blocks while the transport's send queue is over its bound, and
    /// returns once there is room again, or with [`Error::Closed`] when the
    /// connection shuts down. Low-level: for the context. The default never
    /// blocks, for transports without a bound.
    fn wait_for_room(&self) -> Result<()> {
        Ok(())
    }

    /// Queues the close package after everything queued so far.
    /// Low-level: called by [`close`](Connection::close).
    fn notify_close(&self);

    /// Blocks until everything queued before the call is handed to the
    /// medium, or fails with [`Error::Timeout`] at `deadline`, or with
    /// [`Error::Closed`] when the connection shuts down first.
    /// Low-level: called by [`flush`](Connection::flush).
    fn wait_written(&self, deadline: Instant) -> Result<()>;

    /// Stops the transport: closes the socket or channel, ends its threads
    /// and wakes everything that waits on it. Idempotent.
    /// Low-level: called by [`close`](Connection::close).
    fn shutdown(&self);

    /// This end's host name, as the transport sees it.
    #[doc(alias = "hostname1")]
    fn local_host(&self) -> String {
        self.core().props().local_host.clone()
    }

    /// The other end's host name; empty while not connected.
    #[doc(alias = "hostname2")]
    fn peer_host(&self) -> String {
        self.core().props().peer_host.clone()
    }

    /// This end's port: when bound, the port to connect to (the real one,
    /// also when port 0 or `max_tries` chose it). 0 for transports without
    /// ports.
    #[doc(alias = "port1")]
    fn local_port(&self) -> u16 {
        self.core().props().local_port
    }

    /// The other end's port; 0 while not connected.
    #[doc(alias = "port2")]
    fn peer_port(&self) -> u16 {
        self.core().props().peer_port
    }

    /// The id of the context on this side.
    #[doc(alias = "id1")]
    fn local_id(&self) -> ContextId {
        self.core().context_id
    }

    /// The id of the context on the other side, once the handshake is done.
    #[doc(alias = "id2")]
    fn peer_id(&self) -> Option<ContextId> {
        self.core().props().peer_id
    }

    /// The process id of this side.
    #[doc(alias = "pid1")]
    fn local_pid(&self) -> u32 {
        std::process::id()
    }

    /// The process id of the other side, once the handshake is done.
    #[doc(alias = "pid2")]
    fn peer_pid(&self) -> Option<u32> {
        self.core().props().peer_pid
    }

    /// The current [`State`].
    fn state(&self) -> State {
        self.core().state()
    }

    /// Waiting or connected, and not closing.
    fn is_alive(&self) -> bool {
        self.state() >= State::Waiting
    }

    /// Hosting or connected: a peer is there.
    fn is_connected(&self) -> bool {
        self.state() >= State::Hosting
    }

    /// Bound and still waiting for a peer.
    fn is_waiting(&self) -> bool {
        self.state() == State::Waiting
    }

    /// Blocks until a peer has connected (a bound connection becomes
    /// hosting; a connected one returns at once), or fails with
    /// [`Error::Timeout`] when `timeout` passes, or with [`Error::Closed`]
    /// if the connection closes first.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use yoton_core::{Connection, Context, Error};
    /// # let host = Context::new();
    /// # host.register_transport(Arc::new(yoton_inproc::InprocTransport::new()));
    /// let bound = host.bind("inproc://").unwrap();
    /// let waited = bound.wait_connected(Duration::from_millis(10));
    /// assert!(matches!(waited, Err(Error::Timeout { .. })));
    /// ```
    fn wait_connected(&self, timeout: Duration) -> Result<()> {
        self.core()
            .wait_connected(Instant::now() + timeout, timeout)
    }

    /// The name this connection is known by in its context (may be empty).
    fn name(&self) -> String {
        self.core().props().name.clone()
    }

    /// Renames the connection; [`Context::connection`](crate::Context::connection)
    /// finds it by this name.
    fn set_name(&self, name: &str) {
        self.core().props().name = name.to_owned();
    }

    /// Silence after which `timedout(true)` is emitted (default 0.5 s).
    fn timeout(&self) -> Duration {
        self.core().timeout()
    }

    /// Sets the timeout; fails with [`Error::InvalidTimeout`] below 0.5 s.
    fn set_timeout(&self, timeout: Duration) -> Result<()> {
        self.core().set_timeout(timeout)
    }

    /// Emitted once, with the reason, when the connection closes.
    ///
    /// Handlers run on the thread that closes: the user's thread for
    /// [`close`](Connection::close), a transport thread when the peer closes
    /// or fails.
    fn closed(&self) -> &Signal<ClosedEvent> {
        &self.core().closed
    }

    /// Emitted with `true` when nothing was received for
    /// [`timeout`](Connection::timeout), and with `false` when bytes come
    /// again. Handlers run on the transport's receiving thread.
    fn timedout(&self) -> &Signal<TimedOutEvent> {
        &self.core().timedout
    }

    /// The reason the connection closed, once it has.
    fn close_reason(&self) -> Option<String> {
        self.core().close_reason()
    }

    /// Waits until every package queued before this call has been written,
    /// or fails with [`Error::Timeout`] when `timeout` passes first (as it
    /// does while packages wait for a peer to connect), or with
    /// [`Error::Closed`]. Returns at once when nothing is queued.
    fn flush(&self, timeout: Duration) -> Result<()> {
        if let Some(reason) = self.close_reason() {
            return Err(Error::Closed { reason });
        }
        self.wait_written(Instant::now() + timeout)
    }

    /// Closes the connection, telling the other end.
    ///
    /// If connected, sends the close package after everything queued and
    /// waits up to one second for it to be written; then shuts down and
    /// emits `closed` with `reason` (default [`reason::CLOSED_ON_COMMAND`]).
    /// A waiting connection stops waiting. Does nothing if already closing
    /// or closed.
    fn close(&self, reason: Option<&str>) {
        let core = self.core();
        let Some(previous) = core.begin_close() else {
            return;
        };
        if previous >= State::Hosting {
            self.notify_close();
            if let Err(e) = self.wait_written(Instant::now() + CLOSE_FLUSH_TIMEOUT) {
                tracing::debug!(error = %e, "close package not flushed");
            }
        }
        self.shutdown();
        core.finish_close(reason.unwrap_or(reason::CLOSED_ON_COMMAND));
    }

    /// Closes the connection without telling the other end, for when the
    /// link itself failed. Emits `closed` with `reason` (default
    /// [`reason::UNSPECIFIED_PROBLEM`]). During a [`close`](Connection::close)
    /// it cuts the flush short, and that close reports its own reason.
    fn close_on_problem(&self, reason: Option<&str>) {
        let core = self.core();
        match core.begin_close() {
            Some(_) => {
                self.shutdown();
                core.finish_close(reason.unwrap_or(reason::UNSPECIFIED_PROBLEM));
            }
            None => {
                core.cut_short();
                self.shutdown();
            }
        }
    }
}

/// The part of every connection that does not depend on the transport.
///
/// Made by the [`Context`](crate::Context) and handed to a transport's
/// `bind` or `connect`; the transport keeps it in its connection, returns
/// it from [`Connection::core`], and reports what happens on the link
/// through it: [`set_connected`](ConnectionCore::set_connected),
/// [`on_bytes_received`](ConnectionCore::on_bytes_received),
/// [`check_timeout`](ConnectionCore::check_timeout) and
/// [`receive`](ConnectionCore::receive).
pub struct ConnectionCore {
    key: ConnectionKey,
    context_id: ContextId,
    context: Weak<ContextShared>,
    this: OnceLock<Weak<dyn Connection>>,
    props: Mutex<Props>,
    /// A copy of `props.state`, written with it under the lock, so that the
    /// state can be read on every send without taking the lock.
    state_now: AtomicU8,
    /// Notified on every state change, for [`Connection::wait_connected`].
    state_changed: Condvar,
    liveness: Mutex<Liveness>,
    closed: Signal<ClosedEvent>,
    timedout: Signal<TimedOutEvent>,
    /// A copy of the lifecycle's reason, set with it, for lock-free readers.
    close_reason: OnceLock<String>,
}

#[derive(Debug)]
struct Props {
    life: Lifecycle,
    name: String,
    local_host: String,
    local_port: u16,
    peer_host: String,
    peer_port: u16,
    peer_id: Option<ContextId>,
    peer_pid: Option<u32>,
}

impl ConnectionCore {
    pub(crate) fn new(context: &Arc<ContextShared>, name: &str) -> Self {
        static NEXT_KEY: AtomicU64 = AtomicU64::new(1);
        ConnectionCore {
            key: ConnectionKey(NEXT_KEY.fetch_add(1, Ordering::Relaxed)),
            context_id: context.id,
            context: Arc::downgrade(context),
            this: OnceLock::new(),
            state_changed: Condvar::new(),
            props: Mutex::new(Props {
                life: Lifecycle::new(),
                name: name.to_owned(),
                local_host: String::new(),
                local_port: 0,
                peer_host: String::new(),
                peer_port: 0,
                peer_id: None,
                peer_pid: None,
            }),
            state_now: AtomicU8::new(State::Closed as u8),
            liveness: Mutex::new(Liveness::new(MIN_TIMEOUT, Instant::now())),
            closed: Signal::new(),
            timedout: Signal::new(),
            close_reason: OnceLock::new(),
        }
    }

    fn props(&self) -> MutexGuard<'_, Props> {
        self.props.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes the lifecycle's state (the caller holds the `props` lock
    /// and changed it) for lock-free readers and waiters.
    fn publish_state(&self, props: &Props) {
        self.state_now
            .store(props.life.state() as u8, Ordering::Release);
        self.state_changed.notify_all();
    }

    /// Blocks until the connection is connected (or hosting), or fails with
    /// [`Error::Timeout`] at `deadline`, or with [`Error::Closed`].
    fn wait_connected(&self, deadline: Instant, timeout: Duration) -> Result<()> {
        let mut props = self.props();
        loop {
            match props.life.state() {
                State::Hosting | State::Connected => return Ok(()),
                State::Closed => {
                    drop(props);
                    return Err(Error::Closed {
                        reason: self
                            .close_reason()
                            .unwrap_or_else(|| reason::CLOSED_ON_COMMAND.to_owned()),
                    });
                }
                // Closing ends in Closed, with its reason, within a second.
                State::Waiting | State::Closing => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    operation: "waiting for a peer",
                    after: timeout,
                });
            }
            props = self
                .state_changed
                .wait_timeout(props, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn liveness(&self) -> MutexGuard<'_, Liveness> {
        self.liveness.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The process-unique key of this connection.
    pub fn key(&self) -> ConnectionKey {
        self.key
    }

    /// The id of the context that owns this connection (the one to put in
    /// this end's handshake line).
    pub fn context_id(&self) -> ContextId {
        self.context_id
    }

    /// Tells the core which connection it belongs to; a transport calls this
    /// once, right after putting its connection in an `Arc`, so that signals
    /// can carry the connection.
    pub fn attach(&self, connection: &Arc<dyn Connection>) {
        let _ = self.this.set(Arc::downgrade(connection));
    }

    fn this(&self) -> Option<Arc<dyn Connection>> {
        self.this.get().and_then(Weak::upgrade)
    }

    /// Marks a bound connection as waiting at its real local address.
    pub fn set_waiting(&self, local_host: &str, local_port: u16) {
        let mut props = self.props();
        props.local_host = local_host.to_owned();
        props.local_port = local_port;
        props.life.waiting();
        self.publish_state(&props);
    }

    /// Records a completed handshake: `hosting` for a bound connection,
    /// otherwise connected. Returns `false`, changing nothing, if the
    /// connection was closed meanwhile; the transport then drops the link.
    pub fn set_connected(&self, peer: PeerInfo, hosting: bool) -> bool {
        let mut props = self.props();
        if !props.life.connected(hosting) {
            return false;
        }
        props.local_host = peer.local_host;
        props.local_port = peer.local_port;
        props.peer_host = peer.peer_host;
        props.peer_port = peer.peer_port;
        props.peer_id = Some(peer.peer_id);
        props.peer_pid = Some(peer.peer_pid);
        self.publish_state(&props);
        drop(props);
        self.liveness().on_receive(Instant::now());
        true
    }

    /// The timeout in force.
    pub fn timeout(&self) -> Duration {
        self.liveness().timeout()
    }

    fn set_timeout(&self, timeout: Duration) -> Result<()> {
        if timeout < MIN_TIMEOUT {
            return Err(Error::InvalidTimeout { given: timeout });
        }
        self.liveness().set_timeout(timeout);
        Ok(())
    }

    /// A transport calls this whenever bytes (or packages) arrive, also in
    /// the middle of a package; it emits `timedout(false)` on recovery.
    pub fn on_bytes_received(&self, now: Instant) {
        let change = self.liveness().on_receive(now);
        if let Some(timed_out) = change {
            self.emit_timedout(timed_out);
        }
    }

    /// A transport's receiving loop calls this when it wakes without data;
    /// it emits `timedout(true)` once the silence reaches the timeout.
    /// Returns when the loop should check again at the latest.
    pub fn check_timeout(&self, now: Instant) -> Instant {
        let (change, deadline) = {
            let mut live = self.liveness();
            let change = live.poll(now);
            (change, live.deadline())
        };
        if let Some(timed_out) = change {
            self.emit_timedout(timed_out);
        }
        deadline
    }

    fn emit_timedout(&self, timed_out: bool) {
        if let Some(connection) = self.this() {
            tracing::debug!(timed_out, "connection timedout changed");
            self.timedout.emit(TimedOutEvent {
                connection,
                timed_out,
            });
        }
    }

    /// Hands received packages to the context, in order.
    ///
    /// Heartbeats and other empty packages are dropped here. A close package
    /// closes the connection with [`reason::CLOSED_FROM_OTHER_END`] after
    /// the packages before it are delivered; what follows it is ignored.
    /// Returns `false` when the connection is to stop receiving (closed).
    /// The vector is left empty for reuse.
    pub fn receive(&self, packages: &mut Vec<Package>) -> bool {
        let closing = take_until_close(packages);
        if !packages.is_empty() {
            match self.context.upgrade() {
                Some(context) => context.receive_from(self.key, packages),
                None => packages.clear(),
            }
        }
        packages.clear();
        if closing {
            self.close_on_problem(reason::CLOSED_FROM_OTHER_END);
            return false;
        }
        true
    }

    /// Closes the connection without telling the other end, as
    /// [`Connection::close_on_problem`] does: for a transport whose link
    /// failed (end of stream, socket error, bad bytes).
    pub fn close_on_problem(&self, reason: &str) {
        match self.this() {
            Some(connection) => connection.close_on_problem(Some(reason)),
            None => {
                let mut props = self.props();
                if props.life.finish_close(reason) {
                    let _ = self.close_reason.set(reason.to_owned());
                }
                self.publish_state(&props);
            }
        }
    }

    /// A failure while a close flushes: closed at once, and the close
    /// under way reports its own reason.
    fn cut_short(&self) {
        let mut props = self.props();
        props.life.cut_short();
        self.publish_state(&props);
    }

    /// The state transition that starts closing: returns the previous state,
    /// or `None` when already closing or closed (nothing to do).
    fn begin_close(&self) -> Option<State> {
        let mut props = self.props();
        let previous = props.life.begin_close();
        if previous.is_some() {
            self.publish_state(&props);
        }
        previous
    }

    /// Ends closing: the state becomes closed and `closed` is emitted once.
    fn finish_close(&self, reason: &str) {
        let first = {
            let mut props = self.props();
            let first = props.life.finish_close(reason);
            if first {
                let _ = self.close_reason.set(reason.to_owned());
            }
            self.publish_state(&props);
            first
        };
        if !first {
            return;
        }
        tracing::debug!(reason, "connection closed");
        if let Some(context) = self.context.upgrade() {
            context.forget_connection(self.key);
        }
        if let Some(connection) = self.this() {
            self.closed.emit(ClosedEvent {
                connection,
                reason: reason.to_owned(),
            });
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        match self.state_now.load(Ordering::Acquire) {
            4 => State::Connected,
            3 => State::Hosting,
            2 => State::Waiting,
            1 => State::Closing,
            _ => State::Closed,
        }
    }

    /// The reason the connection closed, once `closed` was emitted.
    pub fn close_reason(&self) -> Option<String> {
        self.close_reason.get().cloned()
    }

    /// Whether the connection has started closing (or is closed): transport
    /// threads stop taking new work once this is true.
    pub fn is_closing(&self) -> bool {
        self.state() <= State::Closing
    }
}

impl fmt::Debug for ConnectionCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let props = self.props();
        f.debug_struct("ConnectionCore")
            .field("key", &self.key.0)
            .field("id1", &self.context_id)
            .field("state", &props.life.state())
            .field("name", &props.name)
            .field(
                "local",
                &format_args!("{}:{}", props.local_host, props.local_port),
            )
            .field(
                "peer",
                &format_args!("{}:{}", props.peer_host, props.peer_port),
            )
            .finish()
    }
}
