//! The [`Connection`] interface: one link between two contexts, as users
//! see it.
//!
//! Everything a user can observe of a connection (its state, properties,
//! signals, close reasons and timeouts) is implemented once, by
//! [`ConnectionCore`]. A transport implements the
//! transport-facing [`Link`](crate::Link) instead, which users never reach
//! through a connection: so the close bookkeeping cannot be skipped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::core::ConnectionCore;

use crate::error::{Error, Result};
use crate::id::ContextId;
#[cfg(doc)]
use crate::reason;
use crate::reason::CloseReason;
use crate::signal::{Signal, WakerSlot};
use crate::sync::lock;

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
    /// Why it closed, for example [`CloseReason::FromOtherEnd`]; it
    /// prints (and compares equal to) the reference's text, such as
    /// [`reason::CLOSED_FROM_OTHER_END`].
    pub reason: CloseReason,
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

/// A process-unique number of a connection: equal keys are the same
/// connection (see [`Connection::key`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConnectionKey(pub(crate) u64);

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

/// A link between two contexts, as users see it: its properties, state,
/// signals, timeout, flush and close.
///
/// Get one from [`Context::bind`](crate::Context::bind) or
/// [`Context::connect`](crate::Context::connect), as `Arc<dyn Connection>`.
/// Every connection of every transport is a
/// [`ConnectionCore`], the one implementation of
/// this trait; transports implement [`Link`](crate::Link) under it.
///
/// A connection is `Send + Sync`: it is shared between the user, its
/// context and its transport's threads.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{State, reason};
///
/// let host = yoton::context();
/// let client = yoton::context();
/// let bound = host.bind("localhost:0").unwrap(); // any free port
/// assert!(bound.is_waiting());
/// let closed = bound.closed().subscribe();
///
/// let conn = client.connect(&format!("localhost:{}", bound.local_port())).unwrap();
/// assert_eq!(conn.state(), State::Connected);
/// assert_eq!(conn.peer_id(), Some(host.id()));
/// assert_eq!(conn.peer_pid(), Some(std::process::id()));
/// assert_eq!(conn.peer_port(), bound.local_port());
///
/// conn.close(None);
/// let event = closed.recv_timeout(Duration::from_secs(10)).unwrap();
/// assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
/// assert!(!bound.is_alive());
/// ```
pub trait Connection: Send + Sync + fmt::Debug + 'static {
    /// A process-unique number of this connection: two handles (say, the
    /// one `bind` returned and the one a `closed` event carries) are the
    /// same connection exactly when their keys are equal.
    fn key(&self) -> ConnectionKey;

    /// This end's host name, as the transport sees it.
    #[doc(alias = "hostname1")]
    fn local_host(&self) -> String;

    /// The other end's host name; empty while not connected.
    #[doc(alias = "hostname2")]
    fn peer_host(&self) -> String;

    /// This end's port: when bound, the port to connect to (the real one,
    /// also when port 0 or `max_tries` chose it). 0 for transports without
    /// ports.
    #[doc(alias = "port1")]
    fn local_port(&self) -> u16;

    /// The other end's port; 0 while not connected.
    #[doc(alias = "port2")]
    fn peer_port(&self) -> u16;

    /// The id of the context on this side.
    #[doc(alias = "id1")]
    fn local_id(&self) -> ContextId;

    /// The id of the context on the other side, once the handshake is done.
    #[doc(alias = "id2")]
    fn peer_id(&self) -> Option<ContextId>;

    /// The process id of this side.
    #[doc(alias = "pid1")]
    fn local_pid(&self) -> u32;

    /// The process id of the other side, once the handshake is done.
    #[doc(alias = "pid2")]
    fn peer_pid(&self) -> Option<u32>;

    /// The current [`State`].
    fn state(&self) -> State;

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
    /// # Errors
    ///
    /// [`Error::Timeout`] and [`Error::Closed`], as said.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::Error;
    ///
    /// let host = yoton::context();
    /// let bound = host.bind("inproc://").unwrap();
    /// let waited = bound.wait_connected(Duration::from_millis(10));
    /// assert!(matches!(waited, Err(Error::Timeout { .. })));
    /// ```
    fn wait_connected(&self, timeout: Duration) -> Result<()>;

    /// The future of [`wait_connected`](Connection::wait_connected), for any
    /// executor: it resolves with `Ok(())` once a peer has connected (at once
    /// if one has), and with [`Error::Closed`] if the connection closes first.
    /// It has no timeout of its own: put the executor's around it.
    ///
    /// Cancel safe: it takes nothing, so dropping it loses nothing. It holds
    /// the connection until it is dropped.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
    /// use std::time::Duration;
    ///
    /// let (host, client) = (yoton::context(), yoton::context());
    /// let bound = host.bind("inproc://").unwrap();
    /// let connected = bound.wait_connected_async();
    /// client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// // block_on: any executor's, such as futures::executor::block_on
    /// block_on(connected).unwrap();
    /// assert!(bound.is_connected());
    /// ```
    fn wait_connected_async(&self) -> ConnectedFuture;

    /// The name this connection is known by in its context (may be empty).
    fn name(&self) -> String;

    /// Renames the connection; [`Context::connection`](crate::Context::connection)
    /// finds it by this name.
    fn set_name(&self, name: &str);

    /// Silence after which `timedout(true)` is emitted (default 0.5 s).
    fn timeout(&self) -> Duration;

    /// Sets the timeout.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTimeout`] below 0.5 s (the heartbeat interval
    /// would not fit).
    fn set_timeout(&self, timeout: Duration) -> Result<()>;

    /// Emitted once, with the reason, when the connection closes.
    ///
    /// Handlers run on the thread that closes: the user's thread for
    /// [`close`](Connection::close), a transport thread when the peer closes
    /// or fails.
    fn closed(&self) -> &Signal<ClosedEvent>;

    /// A future that resolves with the [`ClosedEvent`] once the connection has
    /// closed, after the [`closed`](Connection::closed) signal was emitted; at
    /// once if it has closed already (unlike a subscription, which only sees
    /// what comes after it). For any executor.
    ///
    /// Cancel safe: it takes nothing, so dropping it loses nothing. It holds
    /// the connection until it is dropped.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
    /// use yoton::reason;
    ///
    /// let (host, client) = (yoton::context(), yoton::context());
    /// let bound = host.bind("inproc://").unwrap();
    /// let conn = client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let closed = bound.closed_async();
    /// conn.close(None);
    /// // block_on: any executor's, such as futures::executor::block_on
    /// let event = block_on(closed);
    /// assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
    /// assert_eq!(event.connection.key(), bound.key());
    /// // Closed already: resolves at once, with the same reason.
    /// assert_eq!(block_on(bound.closed_async()).reason, event.reason);
    /// ```
    fn closed_async(&self) -> ClosedFuture;

    /// Emitted with `true` when nothing was received for
    /// [`timeout`](Connection::timeout), and with `false` when bytes come
    /// again. Handlers run on the transport's receiving thread.
    fn timedout(&self) -> &Signal<TimedOutEvent>;

    /// The reason the connection closed, once it has.
    fn close_reason(&self) -> Option<CloseReason>;

    /// Waits until every package queued before this call has been written,
    /// or fails with [`Error::Timeout`] when `timeout` passes first (as it
    /// does while packages wait for a peer to connect), or with
    /// [`Error::Closed`]. Returns at once when nothing is queued.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] and [`Error::Closed`], as said.
    fn flush(&self, timeout: Duration) -> Result<()>;

    /// The future of [`flush`](Connection::flush), for any executor: it
    /// resolves with what `flush(timeout)` returns. The wait starts with this
    /// call, so "queued before" means before this call.
    ///
    /// When everything is written already (or the connection is closed) it is
    /// ready at once. Otherwise the wait runs on a short-lived thread
    /// (`yoton-flush`), since transports report their writes to blocking
    /// waiters only; the thread ends when the packages are written, the
    /// connection closes or `timeout` passes, whichever comes first, also if
    /// the future is dropped before.
    ///
    /// Cancel safe: a flush takes nothing, so dropping it loses nothing.
    ///
    /// # Errors
    ///
    /// As [`flush`](Connection::flush): [`Error::Timeout`] and
    /// [`Error::Closed`].
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
    /// use std::time::Duration;
    ///
    /// let (host, client) = (yoton::context(), yoton::context());
    /// let bound = host.bind("inproc://").unwrap();
    /// let conn = client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// // block_on: any executor's, such as futures::executor::block_on
    /// block_on(conn.flush_async(Duration::from_secs(10))).unwrap();
    /// conn.close(None);
    /// let closed = block_on(conn.flush_async(Duration::from_secs(10)));
    /// assert!(matches!(closed, Err(yoton::Error::Closed { .. })));
    /// ```
    fn flush_async(&self, timeout: Duration) -> FlushFuture;

    /// Closes the connection, telling the other end.
    ///
    /// If connected, sends the close package after everything queued and
    /// waits up to one second for it to be written; then shuts down and
    /// emits `closed` with `reason` (default [`reason::CLOSED_ON_COMMAND`]).
    /// A waiting connection stops waiting. Does nothing if already closing
    /// or closed.
    fn close(&self, reason: Option<&str>);

    /// Closes the connection without telling the other end, for when the
    /// link itself failed. Emits `closed` with `reason` (default
    /// [`reason::UNSPECIFIED_PROBLEM`]). During a [`close`](Connection::close)
    /// it cuts the flush short, and that close reports its own reason.
    fn close_on_problem(&self, reason: Option<&str>);
}

/// The future of [`Connection::wait_connected_async`]: `Ok(())` once a peer
/// has connected, [`Error::Closed`] if the connection closes first.
///
/// Its waker is kept by the connection and woken on every change of
/// state; dropping the future forgets it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
/// let host = yoton::context();
/// let bound = host.bind("inproc://").unwrap();
/// let waiting = bound.wait_connected_async();
/// bound.close(None);
/// // block_on: any executor's, such as futures::executor::block_on
/// assert!(matches!(block_on(waiting), Err(yoton::Error::Closed { .. })));
/// ```
#[must_use = "a future does nothing unless it is awaited"]
#[derive(Debug)]
pub struct ConnectedFuture {
    core: Option<Arc<ConnectionCore>>,
    slot: WakerSlot,
}

impl ConnectedFuture {
    pub(crate) fn new(core: Option<Arc<ConnectionCore>>) -> Self {
        ConnectedFuture {
            core,
            slot: WakerSlot::new(),
        }
    }
}

impl Future for ConnectedFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &this.core {
            Some(core) => core.poll_connected(cx, &mut this.slot),
            // Only reached while the connection is dropped: it is gone.
            None => Poll::Ready(Err(
                ConnectionCore::closed_error_of(&std::sync::Weak::new()),
            )),
        }
    }
}

impl Drop for ConnectedFuture {
    fn drop(&mut self) {
        if let Some(core) = &self.core {
            core.forget_waker(&mut self.slot);
        }
    }
}

/// The future of [`Connection::closed_async`]: the [`ClosedEvent`] once the
/// connection has closed (and its `closed` signal was emitted).
///
/// Its waker is kept by the connection and woken on every change of
/// state; dropping the future forgets it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
/// use yoton::reason;
///
/// let host = yoton::context();
/// let bound = host.bind("inproc://").unwrap();
/// let closed = bound.closed_async();
/// bound.close(None);
/// // block_on: any executor's, such as futures::executor::block_on
/// assert_eq!(block_on(closed).reason, reason::CLOSED_ON_COMMAND);
/// ```
#[must_use = "a future does nothing unless it is awaited"]
#[derive(Debug)]
pub struct ClosedFuture {
    core: Option<Arc<ConnectionCore>>,
    slot: WakerSlot,
}

impl ClosedFuture {
    pub(crate) fn new(core: Option<Arc<ConnectionCore>>) -> Self {
        ClosedFuture {
            core,
            slot: WakerSlot::new(),
        }
    }
}

impl Future for ClosedFuture {
    type Output = ClosedEvent;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // `None` only while the connection is dropped, when nobody can
        // hold this future: there is no connection to put in an event.
        let Some(core) = &this.core else {
            return Poll::Pending;
        };
        core.poll_closed(cx, &mut this.slot)
            .map(|reason| ClosedEvent {
                connection: Arc::clone(core) as Arc<dyn Connection>,
                reason,
            })
    }
}

impl Drop for ClosedFuture {
    fn drop(&mut self) {
        if let Some(core) = &self.core {
            core.forget_waker(&mut self.slot);
        }
    }
}

/// The future of [`Connection::flush_async`] and
/// [`Context::flush_async`]: what the blocking
/// flush returns, for any executor.
///
/// Ready at once when nothing waits to be written; otherwise a
/// short-lived thread (`yoton-flush`) does the blocking wait, bounded by
/// the timeout, and wakes the future's task. Dropping the future leaves
/// that thread to end by itself. Once it has given its result, polling
/// it again stays pending.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
/// use std::time::Duration;
///
/// let ctx = yoton::context();
/// let bound = ctx.bind("inproc://").unwrap();
/// // block_on: any executor's, such as futures::executor::block_on
/// assert!(block_on(bound.flush_async(Duration::from_secs(10))).is_ok());
/// ```
#[must_use = "a future does nothing unless it is awaited"]
#[derive(Debug)]
pub struct FlushFuture {
    shared: Arc<Mutex<FlushShared>>,
}

#[derive(Debug, Default)]
struct FlushShared {
    outcome: Option<Result<()>>,
    waker: Option<Waker>,
    /// Set when the future is dropped: its thread stops at the next slice.
    dropped: bool,
}

/// The longest single wait of a flush's thread, after which it looks
/// whether its future is still wanted.
const FLUSH_SLICE: Duration = Duration::from_millis(50);

impl FlushFuture {
    /// A flush that has ended.
    pub(crate) fn ready(outcome: Result<()>) -> Self {
        FlushFuture {
            shared: Arc::new(Mutex::new(FlushShared {
                outcome: Some(outcome),
                waker: None,
                dropped: false,
            })),
        }
    }

    /// Runs `flush(timeout)` as a future: first without waiting, on this
    /// thread; then, if that timed out, on a thread of its own with what is
    /// left of `timeout`, in slices of [`FLUSH_SLICE`]: the thread ends
    /// soon after the future is dropped. `flush` holds only weak
    /// references, so that a pending flush keeps nothing alive.
    pub(crate) fn start(
        timeout: Duration,
        mut flush: impl FnMut(Duration) -> Result<()> + Send + 'static,
    ) -> Self {
        let deadline = crate::sync::later(Instant::now(), timeout);
        match flush(Duration::ZERO) {
            Err(Error::Timeout { .. }) if !timeout.is_zero() => {}
            Err(Error::Timeout { operation, .. }) => {
                return FlushFuture::ready(Err(Error::Timeout {
                    operation,
                    after: timeout,
                }));
            }
            outcome => return FlushFuture::ready(outcome),
        }
        let shared = Arc::new(Mutex::new(FlushShared::default()));
        let done = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("yoton-flush".to_owned())
            .spawn(move || {
                let outcome = loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let step = left.min(FLUSH_SLICE);
                    match flush(step) {
                        Err(Error::Timeout { .. }) if step < left => {
                            if lock(&done).dropped {
                                return;
                            }
                        }
                        Err(Error::Timeout { operation, .. }) => {
                            break Err(Error::Timeout {
                                operation,
                                after: timeout,
                            });
                        }
                        outcome => break outcome,
                    }
                };
                let waker = {
                    let mut shared = lock(&done);
                    shared.outcome = Some(outcome);
                    shared.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            });
        match spawned {
            Ok(_) => FlushFuture { shared },
            Err(e) => FlushFuture::ready(Err(Error::Io(e))),
        }
    }
}

impl Context {
    /// The future of [`flush`](Context::flush), for any executor: it
    /// resolves with what `flush(timeout)` returns, as
    /// [`Connection::flush_async`] does for one connection. Ready at once
    /// when nothing waits to be written; otherwise the wait runs on a
    /// short-lived thread (`yoton-flush`), bounded by `timeout`.
    ///
    /// Cancel safe: a flush takes nothing, so dropping it loses nothing.
    ///
    /// # Errors
    ///
    /// As [`flush`](Context::flush).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output { struct Unpark(std::thread::Thread); impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark(); } } let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current()))); let mut cx = std::task::Context::from_waker(&waker); let mut f = std::pin::pin!(f); loop { if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; } std::thread::park(); } }
    /// use std::time::Duration;
    ///
    /// let ctx = yoton::context();
    /// // block_on: any executor's, such as futures::executor::block_on
    /// block_on(ctx.flush_async(Duration::from_secs(10))).unwrap();
    /// ```
    pub fn flush_async(&self, timeout: Duration) -> FlushFuture {
        let context = self.downgrade();
        FlushFuture::start(timeout, move |timeout| match context.upgrade() {
            Some(context) => context.flush(timeout),
            None => Err(Error::Closed {
                reason: crate::reason::CLOSED_BY_CONTEXT.into(),
            }),
        })
    }
}

impl Drop for FlushFuture {
    fn drop(&mut self) {
        lock(&self.shared).dropped = true;
    }
}

impl Future for FlushFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut shared = lock(&self.shared);
        match shared.outcome.take() {
            Some(outcome) => {
                shared.waker = None;
                Poll::Ready(outcome)
            }
            None => {
                match &shared.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => shared.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}
