//! The publishing side of the publish/subscribe pattern: [`PubChannel`]
//! sends to every [`SubChannel`](crate::SubChannel) of the same slot in the
//! network, and obeys the sync words of sub channels in sync mode.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton_core::{Context, Delivery, Endpoint};

use crate::error::{Result, SendError};
use crate::lock;
use crate::message::{MessageType, encode_to_send};
use crate::registration::{ChannelCore, Registration};
use crate::slot::{PUB, SlotName};
use crate::sync::{SEND_BLOCK, SendLock};

/// The publishing side of the publish/subscribe pattern.
///
/// Every message sent is received, as one message, by every
/// [`SubChannel`](crate::SubChannel)
/// with the same slot (same base name and message type) anywhere in the
/// network. Messages are queued by the context while it has no connection.
///
/// While a sub channel in sync mode says its queue is `full`, each `send`
/// waits up to 1 s for it to say `ok` (and a `full` lapses after 10 s without
/// news), as in the reference: a slow consumer slows the producer down.
///
/// `PubChannel` is `Send` and `Sync`; dropping it closes it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{PubChannel, SubChannel};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let news = PubChannel::<String>::new(&a, "news").unwrap();
/// let reader = SubChannel::<String>::new(&b, "news").unwrap();
/// news.send("hello").unwrap();
/// assert_eq!(reader.recv_timeout(Duration::from_secs(10)).unwrap(), "hello");
/// ```
pub struct PubChannel<M: MessageType> {
    registration: Registration<PubCore>,
    _type: PhantomData<fn() -> M>,
}

/// What a pub channel registers: it takes the sync words of its sub
/// channels.
struct PubCore {
    closed: AtomicBool,
    /// Fast path of `send`: whether the lock may be on.
    blocked: AtomicBool,
    lock: Mutex<SendLock>,
    unblocked: Condvar,
}

impl fmt::Debug for PubCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PubCore")
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .field("blocked", &self.blocked.load(Ordering::Relaxed))
            .finish()
    }
}

impl Endpoint for PubCore {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let now = Instant::now();
        let mut state = lock(&self.lock);
        let mut blocked = false;
        for d in deliveries.iter() {
            blocked = state.on_word(d.package.source_id, &d.package.data, now);
        }
        self.blocked.store(blocked, Ordering::Release);
        drop(state);
        if !blocked {
            self.unblocked.notify_all();
        }
    }

    fn on_context_closed(&self) {
        self.mark_closed();
    }
}

impl ChannelCore for PubCore {
    fn mark_closed(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        let _guard = lock(&self.lock);
        self.unblocked.notify_all();
        first
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl PubCore {
    /// Waits up to [`SEND_BLOCK`] while a source says `full`, and not past
    /// `until`; false if `until` came first while still blocked.
    fn wait_while_blocked(&self, until: Option<Instant>) -> bool {
        let block_ends = Instant::now() + SEND_BLOCK;
        let deadline = until.map_or(block_ends, |u| u.min(block_ends));
        let mut state = lock(&self.lock);
        loop {
            let now = Instant::now();
            if !state.is_blocked(now) {
                self.blocked.store(false, Ordering::Release);
                return true;
            }
            if self.closed.load(Ordering::Acquire) {
                return true;
            }
            if now >= deadline {
                return until.is_none_or(|u| u >= block_ends);
            }
            state = self
                .unblocked
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl<M: MessageType> PubChannel<M> {
    /// A pub channel on `context` with base name `name`: it sends on
    /// `name.<type>.pub-sub` and hears sync words on `name.<type>.sub-pub`.
    ///
    /// Make channels before connecting: what is sent on a slot before a
    /// receiving channel exists there is not kept for it (the context
    /// counts it in [`Context::unrouted_packages`]).
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`](crate::Error::SlotTaken) if another channel of
    /// this context has one of these slots.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{Error, PubChannel};
    ///
    /// let ctx = yoton::context();
    /// let first = PubChannel::<String>::new(&ctx, "logs").unwrap();
    /// assert_eq!(first.slot_outgoing().name(), "logs.txt.pub-sub");
    /// let second = PubChannel::<String>::new(&ctx, "logs");
    /// assert!(matches!(second, Err(Error::SlotTaken { .. })));
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<Self> {
        let core = Arc::new(PubCore {
            closed: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            lock: Mutex::new(SendLock::default()),
            unblocked: Condvar::new(),
        });
        let registration = Registration::new(context, name, &M::type_name(), PUB, core)?;
        Ok(PubChannel {
            registration,
            _type: PhantomData,
        })
    }

    /// Sends a message to every sub channel of this slot in the network.
    ///
    /// A message that encodes to no bytes is not sent (`Ok` all the same).
    /// While a sub channel in sync mode says `full`, waits up to 1 s first.
    /// May also wait while a connection's queue is full (backpressure).
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once the channel is closed,
    /// [`SendError::Encode`] if the message cannot be encoded (nothing is
    /// sent), and [`SendError::Context`] if the context cannot send.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{PubChannel, SendError};
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<Vec<u8>>::new(&ctx, "raw").unwrap();
    /// out.send(b"\x00\x01").unwrap(); // queued until the context connects
    /// out.send(b"").unwrap(); // empty: not sent
    /// assert_eq!(ctx.startup_queued(), 1);
    /// out.close();
    /// assert!(matches!(out.send(b"late"), Err(SendError::Closed(()))));
    /// ```
    pub fn send(&self, message: &M::Borrowed) -> Result<(), SendError> {
        let bytes = encode_to_send::<M>(self.is_closed(), message)?;
        self.send_bytes(bytes).map_err(SendError::forget)
    }

    /// As [`send`](PubChannel::send), but waits at most `timeout` for room
    /// (a sub channel in sync mode that says `full`, or a connection whose
    /// peer does not keep up). When the wait runs out, nothing is sent.
    ///
    /// # Errors
    ///
    /// [`SendError::Timeout`] if there was no room in time,
    /// [`SendError::Closed`] once the channel is closed,
    /// [`SendError::Encode`] if the message cannot be encoded.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "bounded").unwrap();
    /// out.send_timeout("now or never", Duration::from_millis(100)).unwrap();
    /// assert_eq!(ctx.startup_queued(), 1);
    /// ```
    pub fn send_timeout(&self, message: &M::Borrowed, timeout: Duration) -> Result<(), SendError> {
        self.send_deadline(message, yoton_core::sync::later(Instant::now(), timeout))
    }

    /// As [`send_timeout`](PubChannel::send_timeout), with a deadline.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](PubChannel::send_timeout).
    pub fn send_deadline(&self, message: &M::Borrowed, deadline: Instant) -> Result<(), SendError> {
        let bytes = encode_to_send::<M>(self.is_closed(), message)?;
        self.send_bytes_deadline(bytes, deadline)
            .map_err(SendError::forget)
    }

    /// As [`send_bytes`](PubChannel::send_bytes), waiting for room until
    /// `deadline` at most; nothing is sent when it passes.
    ///
    /// # Errors
    ///
    /// [`SendError::Timeout`] (with the bytes) if there was no room in
    /// time, [`SendError::Closed`] (with the bytes) once the channel is
    /// closed.
    pub fn send_bytes_deadline(
        &self,
        bytes: impl Into<Bytes>,
        deadline: Instant,
    ) -> Result<(), SendError<Bytes>> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Ok(());
        }
        match self.may_send_by(Some(deadline)) {
            Some(true) => {}
            Some(false) => return Err(SendError::Closed(bytes)),
            None => return Err(SendError::Timeout(bytes)),
        }
        let slot = self.registration.outgoing().slot();
        match self
            .registration
            .context()
            .send_deadline(slot, bytes.clone(), deadline)
        {
            Ok(()) => Ok(()),
            Err(yoton_core::Error::Timeout { .. }) => Err(SendError::Timeout(bytes)),
            Err(e) => Err(SendError::Context(e)),
        }
    }

    /// Sends bytes that already are an encoded message of this channel's
    /// type, as they are: no encoding and no copy (a [`Bytes`] made once can
    /// be sent many times, or a received message passed on). Otherwise as
    /// [`send`](PubChannel::send): empty data is not sent, sync mode and
    /// closing apply.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] with the bytes once the channel is closed, and
    /// [`SendError::Context`] if the context cannot send.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::Bytes;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "pre-encoded").unwrap();
    /// let hello = Bytes::from_static(b"hello"); // UTF-8, as `txt` wants
    /// out.send_bytes(hello.clone()).unwrap();
    /// out.send_bytes(hello).unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send_bytes(&self, bytes: impl Into<Bytes>) -> Result<(), SendError<Bytes>> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Ok(());
        }
        if !self.may_send() {
            return Err(SendError::Closed(bytes));
        }
        self.registration
            .context()
            .send(self.registration.outgoing().slot(), bytes)?;
        Ok(())
    }

    /// Sends several pre-encoded messages, in order, as
    /// [`send_bytes`](PubChannel::send_bytes) does one by one, but through
    /// the context in one go ([`Context::send_batch`]): the per-message
    /// costs of locking and waking are paid once per batch. Empty messages
    /// are skipped; sync mode is honoured once, before the batch.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] with the messages (none sent) once the channel
    /// is closed, and [`SendError::Context`] if the context cannot send.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::Bytes;
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<Bytes>::new(&ctx, "frames").unwrap();
    /// let frames = (0u8..10).map(|i| Bytes::from(vec![i; 4]));
    /// out.send_bytes_batch(frames).unwrap();
    /// assert_eq!(ctx.startup_queued(), 10);
    /// ```
    pub fn send_bytes_batch<I>(&self, messages: I) -> Result<(), SendError<I>>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        if !self.may_send() {
            return Err(SendError::Closed(messages));
        }
        self.registration
            .context()
            .send_batch(self.registration.outgoing().slot(), messages)?;
        Ok(())
    }

    /// As [`send_bytes_batch`](PubChannel::send_bytes_batch), but waits at
    /// most until `deadline` for room first; when the wait runs out,
    /// nothing of the batch is sent.
    ///
    /// # Errors
    ///
    /// [`SendError::Timeout`] if there was no room in time, and
    /// [`SendError::Closed`] once the channel is closed; both hand the
    /// batch back.
    pub fn send_bytes_batch_deadline<I>(
        &self,
        messages: I,
        deadline: Instant,
    ) -> Result<(), SendError<Vec<Bytes>>>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        let messages: Vec<Bytes> = messages.into_iter().map(Into::into).collect();
        match self.may_send_by(Some(deadline)) {
            Some(true) => {}
            Some(false) => return Err(SendError::Closed(messages)),
            None => return Err(SendError::Timeout(messages)),
        }
        let slot = self.registration.outgoing().slot();
        match self.registration.context().send_batch_deadline(
            slot,
            messages.iter().cloned(),
            deadline,
        ) {
            Ok(()) => Ok(()),
            Err(yoton_core::Error::Timeout { .. }) => Err(SendError::Timeout(messages)),
            Err(e) => Err(SendError::Context(e)),
        }
    }

    /// Whether a sub channel in sync mode currently holds sends back (a
    /// `full` that has not lapsed).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "unhindered").unwrap();
    /// assert!(!out.is_blocked());
    /// ```
    pub fn is_blocked(&self) -> bool {
        lock(&self.core().lock).is_blocked(Instant::now())
    }

    /// Closes the channel: unregisters its slots. Sending fails from then
    /// on. Closing twice does nothing.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "once").unwrap();
    /// out.close();
    /// assert!(out.is_closed());
    /// // The slot is free again.
    /// let again = PubChannel::<String>::new(&ctx, "once").unwrap();
    /// ```
    pub fn close(&self) {
        self.registration.close();
    }

    /// Whether the channel is closed (by [`close`](PubChannel::close) or by
    /// the context).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "status").unwrap();
    /// ctx.close_channels();
    /// assert!(out.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.registration.is_closed()
    }

    /// The slot messages are sent on (`base.type.pub-sub`).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(out.slot_outgoing().slot().get(), 17460451874447);
    /// ```
    pub fn slot_outgoing(&self) -> &SlotName {
        self.registration.outgoing()
    }

    /// The slot sync words arrive on (`base.type.sub-pub`).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(out.slot_incoming().name(), "chat.txt.sub-pub");
    /// ```
    pub fn slot_incoming(&self) -> &SlotName {
        self.registration.incoming()
    }

    /// The context this channel sends through.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::PubChannel;
    ///
    /// let ctx = yoton::context();
    /// let out = PubChannel::<String>::new(&ctx, "ctx").unwrap();
    /// assert_eq!(out.context().id(), ctx.id());
    /// ```
    pub fn context(&self) -> &Context {
        self.registration.context()
    }

    fn core(&self) -> &PubCore {
        self.registration.core()
    }

    /// Waits while a sub channel in sync mode says `full` (up to
    /// [`SEND_BLOCK`]); false if the channel is closed.
    fn may_send(&self) -> bool {
        self.may_send_by(None) == Some(true)
    }

    /// As [`may_send`](PubChannel::may_send), waiting until `deadline` at
    /// most: `Some(false)` if closed, `None` if still held back at the
    /// deadline.
    fn may_send_by(&self, deadline: Option<Instant>) -> Option<bool> {
        let core = self.core();
        if core.closed.load(Ordering::Acquire) {
            return Some(false);
        }
        if core.blocked.load(Ordering::Acquire) && !core.wait_while_blocked(deadline) {
            return None;
        }
        Some(!core.closed.load(Ordering::Acquire))
    }
}

impl<M: MessageType> fmt::Debug for PubChannel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PubChannel")
            .field("slot", self.registration.outgoing())
            .field("closed", &self.is_closed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Samples(Vec<u32>);
    crate::type_name!(Samples = "samples");

    #[test]
    fn pub_channels_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PubChannel<String>>();
        check::<PubChannel<crate::Postcard<Samples>>>();
    }
}
