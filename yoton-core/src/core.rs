//! [`ConnectionCore`]: the one implementation of [`Connection`], over the
//! [`Link`] a transport made.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use crate::connection::{
    CLOSE_FLUSH_TIMEOUT, ClosedEvent, ClosedFuture, ConnectedFuture, Connection, ConnectionKey,
    FlushFuture, PeerInfo, State, TimedOutEvent,
};
use crate::context::ContextShared;
use crate::error::{Error, Result};
use crate::id::ContextId;
use crate::lifecycle::{Lifecycle, take_until_close};
use crate::link::Link;
use crate::liveness::{Liveness, MIN_TIMEOUT};
use crate::package::Package;
use crate::reason::{self, CloseReason};
use crate::signal::{Signal, WakerSlot, Wakers};
use crate::sync::{lock, wait_until};

/// Everything of a connection that does not depend on the transport: its
/// properties, lifecycle, liveness, signals and close bookkeeping, and the
/// [`Link`] under it.
///
/// The [`Context`](crate::Context) makes one for every `bind` and
/// `connect` and hands it to the transport, which keeps a [`Weak`] to it in
/// its link and reports what happens there:
/// [`set_waiting`](ConnectionCore::set_waiting),
/// [`set_connected`](ConnectionCore::set_connected),
/// [`on_bytes_received`](ConnectionCore::on_bytes_received),
/// [`check_timeout`](ConnectionCore::check_timeout),
/// [`receive`](ConnectionCore::receive) and
/// [`link_failed`](ConnectionCore::link_failed). Users see it as
/// `Arc<dyn Connection>`.
pub struct ConnectionCore {
    key: ConnectionKey,
    context_id: ContextId,
    context: Weak<ContextShared>,
    me: Weak<ConnectionCore>,
    link: OnceLock<Arc<dyn Link>>,
    props: Mutex<Props>,
    /// A copy of the lifecycle's state, written with it under the lock, so
    /// that the state can be read on every send without taking the lock.
    state_now: AtomicU8,
    /// Notified on every state change, for [`Connection::wait_connected`].
    state_changed: Condvar,
    /// The futures that wait for a state (connected, closed), woken after
    /// every change of state, once the `props` lock is released.
    state_wakers: Mutex<Wakers>,
    /// Set once `closed` was emitted, for [`Connection::closed_async`].
    closed_reported: AtomicBool,
    liveness: Mutex<Liveness>,
    closed: Signal<ClosedEvent>,
    timedout: Signal<TimedOutEvent>,
    /// A copy of the lifecycle's reason, set with it, for lock-free readers.
    close_reason: OnceLock<CloseReason>,
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
    pub(crate) fn new(context: &Arc<ContextShared>, name: &str) -> Arc<Self> {
        static NEXT_KEY: AtomicU64 = AtomicU64::new(1);
        Arc::new_cyclic(|me| ConnectionCore {
            key: ConnectionKey(NEXT_KEY.fetch_add(1, Ordering::Relaxed)),
            context_id: context.id,
            context: Arc::downgrade(context),
            me: me.clone(),
            link: OnceLock::new(),
            state_changed: Condvar::new(),
            state_wakers: Mutex::new(Wakers::new()),
            closed_reported: AtomicBool::new(false),
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
        })
    }

    /// Puts the transport's link under this connection. A link that failed
    /// while the transport was still making it (the connection is closed
    /// already) is shut down at once.
    pub(crate) fn attach_link(&self, link: Arc<dyn Link>) {
        let link = self.link.get_or_init(|| link);
        if self.state() == State::Closed {
            link.shutdown();
        }
    }

    fn link(&self) -> Result<&Arc<dyn Link>> {
        self.link.get().ok_or(Error::NotConnected)
    }

    pub(crate) fn send_package(&self, package: &Package) -> Result<()> {
        self.link()?.send_package(package)
    }

    pub(crate) fn send_packages(&self, packages: &[Package]) -> Result<()> {
        self.link()?.send_packages(packages)
    }

    pub(crate) fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        self.link()?.wait_for_room(deadline)
    }

    pub(crate) fn wait_written(&self, deadline: Instant) -> Result<()> {
        self.link()?.wait_written(deadline)
    }

    fn shutdown_link(&self) {
        if let Some(link) = self.link.get() {
            link.shutdown();
        }
    }

    fn props(&self) -> MutexGuard<'_, Props> {
        lock(&self.props)
    }

    /// Publishes the lifecycle's state (the caller holds the `props` lock
    /// and changed it) for lock-free readers and waiters.
    fn publish_state(&self, props: &Props) {
        self.state_now
            .store(props.life.state() as u8, Ordering::Release);
        self.state_changed.notify_all();
    }

    /// Wakes the futures waiting for a state; called after the state was
    /// published and the `props` lock released. A future registers before
    /// it looks at the state, so it sees this change or is woken by it.
    fn wake_state_waiters(&self) {
        let wakers = {
            let mut waiting = lock(&self.state_wakers);
            if waiting.is_empty() {
                return;
            }
            waiting.take()
        };
        wakers.into_iter().for_each(|waker| waker.wake());
    }

    /// Registers the waker of a future waiting for a state, then looks:
    /// `ready` says what the state means for it.
    fn poll_state<T>(
        &self,
        cx: &mut TaskContext<'_>,
        slot: &mut WakerSlot,
        mut ready: impl FnMut() -> Option<T>,
    ) -> Poll<T> {
        if let Some(out) = ready() {
            self.forget_waker(slot);
            return Poll::Ready(out);
        }
        lock(&self.state_wakers).register(slot, cx.waker());
        match ready() {
            Some(out) => {
                self.forget_waker(slot);
                Poll::Ready(out)
            }
            None => Poll::Pending,
        }
    }

    /// For [`ConnectedFuture`]: connected, closed, or not yet.
    pub(crate) fn poll_connected(
        &self,
        cx: &mut TaskContext<'_>,
        slot: &mut WakerSlot,
    ) -> Poll<Result<()>> {
        self.poll_state(cx, slot, || match self.state() {
            State::Hosting | State::Connected => Some(Ok(())),
            State::Closed => Some(Err(self.closed_error())),
            State::Waiting | State::Closing => None,
        })
    }

    /// For [`ClosedFuture`]: the close reason once `closed` was emitted.
    pub(crate) fn poll_closed(
        &self,
        cx: &mut TaskContext<'_>,
        slot: &mut WakerSlot,
    ) -> Poll<CloseReason> {
        self.poll_state(cx, slot, || {
            if self.closed_reported.load(Ordering::Acquire) {
                self.close_reason()
            } else {
                None
            }
        })
    }

    /// Forgets the waker of a future that is done or dropped.
    pub(crate) fn forget_waker(&self, slot: &mut WakerSlot) {
        if slot.is_registered() {
            lock(&self.state_wakers).remove(slot);
        }
    }

    /// The error of an operation on this connection once it is closed:
    /// [`Error::Closed`] with its reason.
    pub fn closed_error(&self) -> Error {
        Error::Closed {
            reason: self
                .close_reason()
                .map_or_else(|| reason::CLOSED_ON_COMMAND.to_owned(), String::from),
        }
    }

    /// As [`closed_error`](ConnectionCore::closed_error), for a link whose
    /// connection may be gone already.
    pub fn closed_error_of(core: &Weak<ConnectionCore>) -> Error {
        match core.upgrade() {
            Some(core) => core.closed_error(),
            None => Error::Closed {
                reason: reason::CLOSED_ON_COMMAND.to_owned(),
            },
        }
    }

    fn liveness(&self) -> MutexGuard<'_, Liveness> {
        lock(&self.liveness)
    }

    fn this(&self) -> Option<Arc<dyn Connection>> {
        self.me.upgrade().map(|me| -> Arc<dyn Connection> { me })
    }

    /// Whether this connection's context has a deliberate flaw (feature
    /// `test-util`).
    #[cfg(feature = "test-util")]
    pub fn has_flaw(&self, flaw: crate::flaws::ContextFlaw) -> bool {
        self.context
            .upgrade()
            .is_some_and(|context| context.flaws.has(flaw))
    }

    /// Switches a deliberate flaw on for this connection's context
    /// (feature `test-util`): what a broken transport does in `bind` and
    /// `connect`.
    #[cfg(feature = "test-util")]
    pub fn set_context_flaw(&self, flaw: crate::flaws::ContextFlaw) {
        if let Some(context) = self.context.upgrade() {
            context.flaws.set(flaw);
        }
    }

    /// The id of the context that owns this connection (the one to put in
    /// this end's handshake line).
    pub fn context_id(&self) -> ContextId {
        self.context_id
    }

    /// Marks a bound connection as waiting at its real local address.
    pub fn set_waiting(&self, local_host: &str, local_port: u16) {
        let mut props = self.props();
        props.local_host = local_host.to_owned();
        props.local_port = local_port;
        props.life.waiting();
        self.publish_state(&props);
        drop(props);
        self.wake_state_waiters();
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
        #[cfg(feature = "test-util")]
        if crate::flaws::misreports_peer(self) {
            props.peer_host.push_str("-elsewhere");
            props.peer_id = Some(self.context_id);
            props.peer_pid = Some(peer.peer_pid.wrapping_add(1));
        }
        self.publish_state(&props);
        drop(props);
        self.wake_state_waiters();
        self.liveness().on_receive(Instant::now());
        true
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
            self.link_failed(reason::CLOSED_FROM_OTHER_END);
            return false;
        }
        true
    }

    /// The transport's link failed (end of stream, socket error, bad bytes,
    /// or the peer's close package): the connection closes without telling
    /// the other end, as [`Connection::close_on_problem`] does, and the link
    /// is shut down.
    pub fn link_failed(&self, reason: &str) {
        self.close_on_problem(Some(reason));
    }

    /// Whether the connection has started closing (or is closed): transport
    /// threads stop taking new work once this is true.
    pub fn is_closing(&self) -> bool {
        self.state() <= State::Closing
    }

    /// The state transition that starts closing: returns the previous state,
    /// or `None` when already closing or closed (nothing to do).
    fn begin_close(&self) -> Option<State> {
        let mut props = self.props();
        let previous = props.life.begin_close();
        if previous.is_some() {
            self.publish_state(&props);
            drop(props);
            self.wake_state_waiters();
        }
        previous
    }

    /// Ends closing: the state becomes closed, the context forgets the
    /// connection and `closed` is emitted, once.
    fn finish_close(&self, reason: &str) {
        let first = {
            let mut props = self.props();
            let first = props.life.finish_close(reason);
            if first {
                let _ = self.close_reason.set(CloseReason::from_text(reason));
            }
            self.publish_state(&props);
            first
        };
        self.wake_state_waiters();
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
                reason: CloseReason::from_text(reason),
            });
        }
        self.closed_reported.store(true, Ordering::Release);
        self.wake_state_waiters();
    }
}

impl Connection for ConnectionCore {
    fn key(&self) -> ConnectionKey {
        self.key
    }

    fn local_host(&self) -> String {
        self.props().local_host.clone()
    }

    fn peer_host(&self) -> String {
        self.props().peer_host.clone()
    }

    fn local_port(&self) -> u16 {
        self.props().local_port
    }

    fn peer_port(&self) -> u16 {
        self.props().peer_port
    }

    fn local_id(&self) -> ContextId {
        self.context_id
    }

    fn peer_id(&self) -> Option<ContextId> {
        self.props().peer_id
    }

    fn local_pid(&self) -> u32 {
        std::process::id()
    }

    fn peer_pid(&self) -> Option<u32> {
        self.props().peer_pid
    }

    fn state(&self) -> State {
        match self.state_now.load(Ordering::Acquire) {
            4 => State::Connected,
            3 => State::Hosting,
            2 => State::Waiting,
            1 => State::Closing,
            _ => State::Closed,
        }
    }

    fn wait_connected(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        // Closing ends in Closed, with its reason, within a second.
        let (props, _) = wait_until(&self.state_changed, self.props(), deadline, |props| {
            !matches!(props.life.state(), State::Waiting | State::Closing)
        });
        match props.life.state() {
            State::Hosting | State::Connected => Ok(()),
            State::Closed => {
                drop(props);
                Err(self.closed_error())
            }
            State::Waiting | State::Closing => Err(Error::Timeout {
                operation: "waiting for a peer",
                after: timeout,
            }),
        }
    }

    fn wait_connected_async(&self) -> ConnectedFuture {
        ConnectedFuture::new(self.me.upgrade())
    }

    fn name(&self) -> String {
        self.props().name.clone()
    }

    fn set_name(&self, name: &str) {
        self.props().name = name.to_owned();
    }

    fn timeout(&self) -> Duration {
        self.liveness().timeout()
    }

    fn set_timeout(&self, timeout: Duration) -> Result<()> {
        if timeout < MIN_TIMEOUT {
            return Err(Error::InvalidTimeout { given: timeout });
        }
        self.liveness().set_timeout(timeout);
        Ok(())
    }

    fn closed(&self) -> &Signal<ClosedEvent> {
        &self.closed
    }

    fn closed_async(&self) -> ClosedFuture {
        ClosedFuture::new(self.me.upgrade())
    }

    fn timedout(&self) -> &Signal<TimedOutEvent> {
        &self.timedout
    }

    fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason.get().cloned()
    }

    fn flush(&self, timeout: Duration) -> Result<()> {
        if self.close_reason.get().is_some() {
            return Err(self.closed_error());
        }
        self.wait_written(Instant::now() + timeout)
    }

    fn flush_async(&self, timeout: Duration) -> FlushFuture {
        match self.me.upgrade() {
            Some(core) => {
                let core = Arc::downgrade(&core);
                FlushFuture::start(timeout, move |timeout| match core.upgrade() {
                    Some(core) => core.flush(timeout),
                    None => Err(Error::Closed {
                        reason: crate::reason::CLOSED_BY_CONTEXT.into(),
                    }),
                })
            }
            None => FlushFuture::ready(Err(self.closed_error())),
        }
    }

    fn close(&self, reason: Option<&str>) {
        let Some(previous) = self.begin_close() else {
            return;
        };
        if previous >= State::Hosting {
            if let Some(link) = self.link.get() {
                link.notify_close();
                if let Err(e) = link.wait_written(Instant::now() + CLOSE_FLUSH_TIMEOUT) {
                    tracing::debug!(error = %e, "close package not flushed");
                }
            }
        }
        self.shutdown_link();
        self.finish_close(reason.unwrap_or(reason::CLOSED_ON_COMMAND));
    }

    fn close_on_problem(&self, reason: Option<&str>) {
        if self.begin_close().is_some() {
            self.shutdown_link();
            self.finish_close(reason.unwrap_or(reason::UNSPECIFIED_PROBLEM));
        } else {
            // A close is flushing: cut it short; it reports its own reason.
            let mut props = self.props();
            props.life.cut_short();
            self.publish_state(&props);
            drop(props);
            self.wake_state_waiters();
            self.shutdown_link();
        }
    }
}

impl fmt::Debug for ConnectionCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let props = self.props();
        f.debug_struct("ConnectionCore")
            .field("key", &self.key.0)
            .field("local_id", &self.context_id)
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
