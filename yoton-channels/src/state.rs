//! The state pattern: a value kept the same across every [`StateChannel`]
//! of a slot in the network.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton_core::signal::{WakerSlot, Wakers};
use yoton_core::{Context, Delivery, Endpoint, NEW_CONNECTION, Signal, Slot};

use crate::error::{RecvTimeoutError, Result, SendError};
use crate::lock;
use crate::message::{MessageType, encode_to_send};
use crate::registration::{ChannelCore, Registration};
use crate::slot::{STATE, SlotName};

/// A value shared by all state channels of the same slot in the network.
///
/// [`send`](StateChannel::send) sets the state (and sends it only when it
/// differs from the current one), [`get`](StateChannel::get) returns the
/// latest state at once, whether set here or received, and
/// [`get_or_wait`](StateChannel::get_or_wait),
/// [`wait_changed_timeout`](StateChannel::wait_changed_timeout) and
/// [`wait_for`](StateChannel::wait_for) wait, each for a bounded time. If
/// two channels set the state at about the same time, which one wins is
/// undefined, as in the reference.
///
/// # Channels first, then connect
///
/// A state travels only when it is set, and when a context joins the
/// network: on connecting, a context announces `NEW_CONNECTION` and every
/// state channel in the network sends its state again. So a state channel
/// made *before* its context connects learns the state; one made *after*
/// (its context already connected) sees nothing until the owner sets a new
/// value or someone joins. Make channels first, then connect, or call
/// [`request_resend`](StateChannel::request_resend) on the late channel.
///
/// "Differs" compares the encoded bytes, so a message type needs no
/// `PartialEq`.
///
/// `StateChannel` is `Send` and `Sync`; dropping it closes it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::StateChannel;
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let status_a = StateChannel::<String>::new(&a, "status").unwrap();
/// let status_b = StateChannel::<String>::new(&b, "status").unwrap();
/// let changes = status_b.received().subscribe();
///
/// status_a.send("busy").unwrap(); // before connecting: queued
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
/// changes.recv_timeout(Duration::from_secs(10)).unwrap();
/// assert_eq!(status_b.get().as_deref(), Some("busy"));
/// assert_eq!(status_a.get().as_deref(), Some("busy"));
/// ```
pub struct StateChannel<M: MessageType> {
    registration: Registration<StateCore<M>>,
}

/// What a state channel registers (both ways on its slot).
pub(crate) struct StateCore<M> {
    context: Context,
    slot: Slot,
    current: Mutex<Current>,
    /// Notified when the state changes and when the channel closes.
    changed: Condvar,
    closed: AtomicBool,
    received: Signal<usize>,
    decode_errors: AtomicU64,
    _type: PhantomData<fn() -> M>,
}

/// The state as encoded bytes, and how many times it changed.
#[derive(Debug, Default)]
pub(crate) struct Current {
    value: Option<Bytes>,
    pub(crate) version: u64,
    /// The async waits, woken on every change and on closing.
    wakers: Wakers,
}

impl Current {
    /// Sets the state; false (and nothing changes) if it is the same.
    fn set(&mut self, value: Bytes) -> bool {
        if self.value.as_ref() == Some(&value) {
            return false;
        }
        self.value = Some(value);
        self.version += 1;
        true
    }
}

impl<M> fmt::Debug for StateCore<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = lock(&self.current);
        f.debug_struct("StateCore")
            .field("slot", &self.slot)
            .field("current", &current.value.as_ref().map(Bytes::len))
            .field("version", &current.version)
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl<M: MessageType> StateCore<M> {
    /// Sets the state and wakes whoever waits for it; false (and nothing
    /// changes) if it is the same. With no async wait, a change costs
    /// one look at an empty vector under the lock it takes anyway.
    fn set(&self, value: Bytes) -> bool {
        let wakers = {
            let mut current = lock(&self.current);
            if !current.set(value) {
                return false;
            }
            if current.wakers.is_empty() {
                Vec::new()
            } else {
                current.wakers.take()
            }
        };
        self.changed.notify_all();
        wakers.into_iter().for_each(Waker::wake);
        true
    }

    /// The async [`wait_until`](StateCore::wait_until): the state and its
    /// version once there is one for which `ready` holds, `Closed` once
    /// the channel is closed without one, else `Pending` with the waker of
    /// `slot` kept under the lock.
    pub(crate) fn poll_until(
        &self,
        cx: &mut TaskContext<'_>,
        slot: &mut WakerSlot,
        ready: impl FnOnce(&Current) -> bool,
    ) -> Poll<Result<(Bytes, u64), RecvTimeoutError>> {
        let mut current = lock(&self.current);
        if let Some(value) = &current.value {
            if ready(&current) {
                let found = (value.clone(), current.version);
                current.wakers.remove(slot);
                return Poll::Ready(Ok(found));
            }
        }
        if self.closed.load(Ordering::Acquire) {
            current.wakers.remove(slot);
            return Poll::Ready(Err(RecvTimeoutError::Closed));
        }
        current.wakers.register(slot, cx.waker());
        Poll::Pending
    }

    /// The version of the state now.
    pub(crate) fn version(&self) -> u64 {
        lock(&self.current).version
    }

    /// Forgets the waker of an async wait that is dropped.
    pub(crate) fn forget_waker(&self, slot: &mut WakerSlot) {
        if slot.is_registered() {
            lock(&self.current).wakers.remove(slot);
        }
    }

    /// Sends the current state again, if there is one.
    fn send_last(&self) -> Result<()> {
        let current = lock(&self.current).value.clone();
        if let Some(bytes) = current {
            self.context.send(self.slot, bytes)?;
        }
        Ok(())
    }

    /// Waits until there is a state and `ready` holds for it, or
    /// `deadline` passes (forever if `None`), and returns the state and its
    /// version then.
    fn wait_until(
        &self,
        deadline: Option<Instant>,
        mut ready: impl FnMut(&Current) -> bool,
    ) -> Result<(Bytes, u64), RecvTimeoutError> {
        let mut current: MutexGuard<'_, Current> = lock(&self.current);
        loop {
            if let Some(value) = &current.value {
                if ready(&current) {
                    return Ok((value.clone(), current.version));
                }
            }
            if self.closed.load(Ordering::Acquire) {
                return Err(RecvTimeoutError::Closed);
            }
            let now = Instant::now();
            current = match deadline {
                Some(deadline) if now >= deadline => return Err(RecvTimeoutError::Timeout),
                Some(deadline) => {
                    self.changed
                        .wait_timeout(current, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self
                    .changed
                    .wait(current)
                    .unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

impl<M: MessageType> Endpoint for StateCore<M> {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let mut latest = None;
        let mut count = 0usize;
        for d in deliveries.drain(..) {
            let data = d.package.data;
            if data.is_empty() {
                continue;
            }
            match M::decode(data.clone()) {
                Ok(_) => {
                    latest = Some(data);
                    count += 1;
                }
                Err(e) => {
                    let errors = self.decode_errors.fetch_add(1, Ordering::Relaxed) + 1;
                    tracing::warn!(error = %e, count = errors, slot = %self.slot, "undecodable state skipped");
                }
            }
        }
        if let Some(data) = latest {
            self.set(data);
            if self.received.subscriber_count() > 0 {
                self.received.emit(count);
            }
        }
    }

    fn on_new_connection(&self) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if let Err(e) = self.send_last() {
            tracing::debug!(error = %e, slot = %self.slot, "state not re-sent");
        }
    }

    fn on_context_closed(&self) {
        self.mark_closed();
    }
}

impl<M: MessageType> ChannelCore for StateCore<M> {
    fn mark_closed(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        let wakers = lock(&self.current).wakers.take();
        self.changed.notify_all();
        wakers.into_iter().for_each(Waker::wake);
        first
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl<M: MessageType> StateChannel<M> {
    /// A state channel on `context` with base name `name`, on the slot
    /// `name.<type>.state` (both ways).
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`](crate::Error::SlotTaken) if another channel of
    /// this context has that slot.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "status").unwrap();
    /// assert_eq!(s.slot().slot().get(), 18872922488985);
    /// assert!(StateChannel::<String>::new(&ctx, "status").is_err());
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<Self> {
        let slot = SlotName::new(name, &M::type_name(), STATE.0).slot();
        let core = Arc::new(StateCore::<M> {
            context: context.clone(),
            slot,
            current: Mutex::new(Current::default()),
            changed: Condvar::new(),
            closed: AtomicBool::new(false),
            received: Signal::new(),
            decode_errors: AtomicU64::new(0),
            _type: PhantomData,
        });
        let registration = Registration::new(context, name, &M::type_name(), STATE, core)?;
        Ok(StateChannel { registration })
    }

    /// Sets the state, and sends it if it differs from the current state
    /// (compared as encoded bytes). An empty message is ignored.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once the channel is closed,
    /// [`SendError::Encode`] if the message cannot be encoded (the state
    /// stays as it was), and [`SendError::Context`] if the context cannot
    /// send.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "mode").unwrap();
    /// s.send("on").unwrap();
    /// s.send("on").unwrap(); // same value: not sent again
    /// assert_eq!(ctx.startup_queued(), 1);
    /// s.send("off").unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send(&self, message: &M::Borrowed) -> Result<(), SendError> {
        let bytes = encode_to_send::<M>(self.is_closed(), message)?;
        if bytes.is_empty() {
            return Ok(());
        }
        if !self.core().set(bytes.clone()) {
            return Ok(());
        }
        // Sent outside the lock: the context may wait for room on a
        // connection, and the receiving thread must still be able to
        // deliver meanwhile.
        self.core().context.send(self.core().slot, bytes)?;
        Ok(())
    }

    /// As [`send`](StateChannel::send), but waits at most `timeout` for room
    /// on the connections (a peer that does not keep up). When the wait
    /// runs out, nothing is sent and the state stays as it was.
    ///
    /// # Errors
    ///
    /// [`SendError::Timeout`] if there was no room in time; otherwise as
    /// [`send`](StateChannel::send).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "mode-bounded").unwrap();
    /// s.send_timeout("on", Duration::from_millis(100)).unwrap();
    /// assert_eq!(s.get().as_deref(), Some("on"));
    /// ```
    pub fn send_timeout(&self, message: &M::Borrowed, timeout: Duration) -> Result<(), SendError> {
        let bytes = encode_to_send::<M>(self.is_closed(), message)?;
        if bytes.is_empty() || lock(&self.core().current).value.as_ref() == Some(&bytes) {
            return Ok(());
        }
        let deadline = yoton_core::sync::later(Instant::now(), timeout);
        match self
            .core()
            .context
            .send_deadline(self.core().slot, bytes.clone(), deadline)
        {
            Ok(()) => {}
            Err(yoton_core::Error::Timeout { .. }) => return Err(SendError::Timeout(())),
            Err(e) => return Err(SendError::Context(e)),
        }
        self.core().set(bytes);
        Ok(())
    }

    /// Sends the current state again (what the context does for every state
    /// channel on `NEW_CONNECTION`). Does nothing without a state.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once the channel is closed, and
    /// [`SendError::Context`] if the context cannot send.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "again").unwrap();
    /// s.send_last().unwrap();
    /// assert_eq!(ctx.startup_queued(), 0);
    /// s.send("x").unwrap();
    /// s.send_last().unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send_last(&self) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed(()));
        }
        Ok(self.core().send_last()?)
    }

    /// Asks every context in the network to have its state channels send
    /// their state again, as when a context joins (it sends the
    /// `NEW_CONNECTION` context message). For a state channel made after
    /// its context connected, which otherwise sees nothing until the owner
    /// sets a new value. Every state channel of the network resends, so use
    /// it once after making late channels, not in a loop.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once the channel is closed, and
    /// [`SendError::Context`] if the context cannot send.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::StateChannel;
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let owner = StateChannel::<String>::new(&a, "late-doc").unwrap();
    /// owner.send("ready").unwrap();
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// bound.wait_connected(Duration::from_secs(10)).unwrap();
    ///
    /// let late = StateChannel::<String>::new(&b, "late-doc").unwrap(); // after connect
    /// late.request_resend().unwrap();
    /// assert_eq!(late.get_or_wait(Duration::from_secs(10)).unwrap(), "ready");
    /// ```
    pub fn request_resend(&self) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed(()));
        }
        self.core().context.send(Slot::CONTEXT, NEW_CONNECTION)?;
        Ok(())
    }

    /// The current state, at once: the latest value set here or received,
    /// or `None` if there is none yet. Never waits.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "now").unwrap();
    /// assert_eq!(s.get(), None);
    /// s.send("ready").unwrap();
    /// assert_eq!(s.get().as_deref(), Some("ready"));
    /// ```
    pub fn get(&self) -> Option<M::Message> {
        let current = lock(&self.core().current).value.clone()?;
        self.decode(current)
    }

    /// The same as [`get`](StateChannel::get), under the reference's name
    /// (Python's `recv` of a state channel does not block either); kept
    /// for programs written against it.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "now-recv").unwrap();
    /// s.send("ready").unwrap();
    /// assert_eq!(s.recv(), s.get());
    /// ```
    pub fn recv(&self) -> Option<M::Message> {
        self.get()
    }

    /// The current state if there is one, else the first that arrives (or
    /// is set here) within `timeout`: what a program that starts after the
    /// state was set usually wants.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when no state comes in time, and
    /// [`RecvTimeoutError::Closed`] when the channel is closed without a
    /// state (a closed channel still returns the last state it had).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{RecvTimeoutError, StateChannel};
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "or-wait").unwrap();
    /// let short = Duration::from_millis(5);
    /// assert_eq!(s.get_or_wait(short), Err(RecvTimeoutError::Timeout));
    /// s.send("up").unwrap();
    /// assert_eq!(s.get_or_wait(short).unwrap(), "up");
    /// ```
    pub fn get_or_wait(&self, timeout: Duration) -> Result<M::Message, RecvTimeoutError> {
        self.wait_decoded(Instant::now().checked_add(timeout), |_| true)
    }

    /// Waits up to `timeout` for the state to change (a different value
    /// arriving or set here), and returns the new state. A change that
    /// came before the call is not waited for: to act on the current value
    /// too, read [`get`](StateChannel::get) first, or use
    /// [`wait_for`](StateChannel::wait_for).
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when the state does not change in
    /// time, and [`RecvTimeoutError::Closed`] once the channel is closed.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{RecvTimeoutError, StateChannel};
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "changes").unwrap();
    /// s.send("before").unwrap();
    /// let short = Duration::from_millis(5);
    /// assert_eq!(s.wait_changed_timeout(short), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn wait_changed_timeout(&self, timeout: Duration) -> Result<M::Message, RecvTimeoutError> {
        self.wait_changed_until(Instant::now().checked_add(timeout))
    }

    /// As [`wait_changed_timeout`](StateChannel::wait_changed_timeout),
    /// waiting until `deadline`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when the state does not change before
    /// `deadline`, and [`RecvTimeoutError::Closed`] once the channel is
    /// closed.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::{Duration, Instant};
    /// use yoton::{RecvTimeoutError, StateChannel};
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "changes-by").unwrap();
    /// s.close();
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// assert_eq!(s.wait_changed_deadline(deadline), Err(RecvTimeoutError::Closed));
    /// ```
    pub fn wait_changed_deadline(&self, deadline: Instant) -> Result<M::Message, RecvTimeoutError> {
        self.wait_changed_until(Some(deadline))
    }

    /// Waits up to `timeout` until the state satisfies `wanted` (checking
    /// the current state first), and returns it.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when no wanted state comes in time,
    /// and [`RecvTimeoutError::Closed`] once the channel is closed without
    /// one.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "wanted").unwrap();
    /// s.send("ready").unwrap();
    /// let got = s.wait_for(|state| state == "ready", Duration::from_secs(10));
    /// assert_eq!(got.unwrap(), "ready");
    /// ```
    pub fn wait_for(
        &self,
        mut wanted: impl FnMut(&M::Message) -> bool,
        timeout: Duration,
    ) -> Result<M::Message, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut checked = None;
        loop {
            // Each version is decoded and checked once, outside the lock.
            let (bytes, version) = self
                .core()
                .wait_until(deadline, |c| checked != Some(c.version))?;
            checked = Some(version);
            if let Some(message) = self.decode(bytes) {
                if wanted(&message) {
                    return Ok(message);
                }
            }
        }
    }

    fn wait_changed_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<M::Message, RecvTimeoutError> {
        let since = lock(&self.core().current).version;
        self.wait_decoded(deadline, |c| c.version > since)
    }

    fn wait_decoded(
        &self,
        deadline: Option<Instant>,
        mut ready: impl FnMut(&Current) -> bool,
    ) -> Result<M::Message, RecvTimeoutError> {
        // Past a version that did not decode (a type whose decode refuses
        // its own encoding), wait for the next one.
        let mut undecodable = None;
        loop {
            let (bytes, version) = self.core().wait_until(deadline, |c| {
                undecodable.is_none_or(|v| c.version > v) && ready(c)
            })?;
            if let Some(message) = self.decode(bytes) {
                return Ok(message);
            }
            undecodable = Some(version);
        }
    }

    pub(crate) fn decode(&self, bytes: Bytes) -> Option<M::Message> {
        match M::decode(bytes) {
            Ok(message) => Some(message),
            Err(e) => {
                tracing::warn!(error = %e, slot = %self.core().slot, "state cannot be decoded");
                None
            }
        }
    }

    /// Emitted when states arrive from other contexts, with how many
    /// arrived in that batch ([`get`](StateChannel::get) returns the
    /// latest), even when the value is the same as before. Handlers run on
    /// the transport's receiving thread, after the state is updated; they
    /// should be quick.
    ///
    /// A signal does not replay: a receiver subscribed after a state came
    /// gets nothing for it. Read [`get`](StateChannel::get) after
    /// subscribing, or wait with [`get_or_wait`](StateChannel::get_or_wait).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "signal").unwrap();
    /// let changes = s.received().subscribe();
    /// s.send("local").unwrap(); // own changes are not signalled
    /// assert!(changes.try_recv().is_err());
    /// ```
    pub fn received(&self) -> &Signal<usize> {
        &self.core().received
    }

    /// How many received states could not be decoded (and were skipped).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "bad").unwrap();
    /// assert_eq!(s.decode_errors(), 0);
    /// ```
    pub fn decode_errors(&self) -> u64 {
        self.core().decode_errors.load(Ordering::Relaxed)
    }

    /// Closes the channel: unregisters its slot. The last state can still
    /// be read; sending fails from then on. Closing twice does nothing.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{SendError, StateChannel};
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "bye").unwrap();
    /// s.send("last").unwrap();
    /// s.close();
    /// assert_eq!(s.recv().as_deref(), Some("last"));
    /// assert!(matches!(s.send("more"), Err(SendError::Closed(()))));
    /// ```
    pub fn close(&self) {
        self.registration.close();
    }

    /// Whether the channel is closed (by [`close`](StateChannel::close) or
    /// by the context).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "closed?").unwrap();
    /// ctx.close_channels();
    /// assert!(s.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.registration.is_closed()
    }

    /// The channel's slot (`base.type.state`, the same both ways).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "status").unwrap();
    /// assert_eq!(s.slot().name(), "status.txt.state");
    /// ```
    pub fn slot(&self) -> &SlotName {
        self.registration.outgoing()
    }

    /// The context this channel works through.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "ctx").unwrap();
    /// assert_eq!(s.context().id(), ctx.id());
    /// ```
    pub fn context(&self) -> &Context {
        self.registration.context()
    }

    pub(crate) fn core(&self) -> &StateCore<M> {
        self.registration.core()
    }
}

impl<M: MessageType> fmt::Debug for StateChannel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateChannel")
            .field("core", self.core())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_channel_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<StateChannel<String>>();
    }
}
