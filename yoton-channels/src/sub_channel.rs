//! The subscribing side of the publish/subscribe pattern: [`SubChannel`]
//! receives what every [`PubChannel`](crate::PubChannel) of its slot sends,
//! through a bounded [`ReceiveQueue`], and in sync mode tells them to slow
//! down.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton_core::{Context, Delivery, Endpoint, Signal};

use crate::error::{Error, RecvError, RecvTimeoutError, Result, TryRecvError};
use crate::iter::{Iter, TryIter};
use crate::message::MessageType;
use crate::options::SubOptions;
#[cfg(doc)]
use crate::queue::Overflow;
use crate::queue::{QueueWatch, ReceiveQueue};
use crate::registration::{ChannelCore, Registration};
use crate::select::Selection;
use crate::slot::{SUB, SlotName};
use crate::sync::{QueueStatus, SyncWatch, run_sync_thread};

/// A unique number per sub channel, so that a [`Selection`] is only used
/// with the channel it selected.
static NEXT_SUB_ID: AtomicU64 = AtomicU64::new(1);

/// The subscribing side of the publish/subscribe pattern.
///
/// Receives every message sent by a [`PubChannel`](crate::PubChannel) of the same slot. The
/// messages wait in a bounded queue ([`SubOptions`]); when it is full the
/// oldest (or the newest) message is dropped and counted in
/// [`dropped`](SubChannel::dropped). Messages that cannot be decoded are
/// skipped, logged and counted in
/// [`decode_errors`](SubChannel::decode_errors).
///
/// Receive with [`recv`](SubChannel::recv) (blocking),
/// [`recv_timeout`](SubChannel::recv_timeout),
/// [`try_recv`](SubChannel::try_recv), [`try_iter`](SubChannel::try_iter)
/// or [`recv_all`](SubChannel::recv_all); be told of arrivals by
/// [`received`](SubChannel::received); read several channels in the order
/// their messages arrived with [`select_sub_channel`](crate::select_sub_channel).
///
/// In [sync mode](SubChannel::set_sync_mode) the channel holds its pub
/// channels back while more than 32 messages wait.
///
/// `SubChannel` is `Send` and `Sync`; dropping it closes it.
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
/// let out = PubChannel::<String>::new(&a, "numbers").unwrap();
/// let sub = SubChannel::<String>::new(&b, "numbers").unwrap();
/// for i in 0..3 {
///     out.send(&i.to_string()).unwrap();
/// }
/// assert_eq!(sub.recv_timeout(Duration::from_secs(10)).unwrap(), "0");
/// let mut rest = Vec::new();
/// while rest.len() < 2 {
///     rest.push(sub.recv_timeout(Duration::from_secs(10)).unwrap());
/// }
/// assert_eq!(rest, ["1", "2"]);
/// ```
pub struct SubChannel<M: MessageType> {
    registration: Registration<SubCore>,
    options: SubOptions,
    _type: PhantomData<fn() -> M>,
}

/// What a sub channel registers: its queue, watched by sync mode.
#[derive(Debug)]
pub(crate) struct SubCore {
    pub(crate) id: u64,
    pub(crate) queue: ReceiveQueue<SyncWatch>,
    received: Signal<usize>,
    decode_errors: AtomicU64,
}

impl Endpoint for SubCore {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let pushed = self.queue.push(deliveries);
        if pushed.added > 0 && self.received.subscriber_count() > 0 {
            self.received.emit(pushed.added);
        }
    }

    fn on_context_closed(&self) {
        self.mark_closed();
    }
}

impl ChannelCore for SubCore {
    fn mark_closed(&self) -> bool {
        self.queue.close()
    }

    fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
}

impl<M: MessageType> SubChannel<M> {
    /// A sub channel on `context` with base name `name` and the default
    /// options: it receives on `name.<type>.pub-sub` and sends sync words on
    /// `name.<type>.sub-pub`.
    ///
    /// Make channels before connecting: what arrives on a slot before its
    /// sub channel exists is not kept for it (the context counts it in
    /// [`Context::unrouted_packages`]).
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`] if another channel of this context has one of
    /// these slots.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(sub.slot_incoming().name(), "chat.txt.pub-sub");
    /// let err = SubChannel::<String>::new(&ctx, "chat").unwrap_err();
    /// assert!(err.to_string().contains("chat.txt.sub-pub"), "{err}");
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<Self> {
        SubChannel::with_options(context, name, SubOptions::default())
    }

    /// A sub channel with options (queue bound, what to drop).
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`] if another channel of this context has one of
    /// its slots.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{Overflow, SubChannel, SubOptions};
    ///
    /// let ctx = yoton::context();
    /// let opts = SubOptions::new().capacity(50).overflow(Overflow::DropNewest);
    /// let sub = SubChannel::<Vec<u8>>::with_options(&ctx, "frames", opts).unwrap();
    /// assert_eq!(sub.options(), opts);
    /// ```
    pub fn with_options(context: &Context, name: &str, options: SubOptions) -> Result<Self> {
        let watch = SyncWatch {
            status: QueueStatus::Off,
            wake: None,
        };
        let core = Arc::new(SubCore {
            id: NEXT_SUB_ID.fetch_add(1, Ordering::Relaxed),
            queue: ReceiveQueue::new(options.get_capacity(), options.get_overflow(), watch),
            received: Signal::new(),
            decode_errors: AtomicU64::new(0),
        });
        let registration = Registration::new(context, name, &M::type_name(), SUB, core)?;
        Ok(SubChannel {
            registration,
            options,
            _type: PhantomData,
        })
    }

    /// Decodes a received message; an undecodable one is counted, logged
    /// and skipped.
    pub(crate) fn decode(&self, data: Bytes) -> Option<M::Message> {
        match M::decode(data) {
            Ok(message) => Some(message),
            Err(e) => {
                let count = self.core().decode_errors.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(
                    error = %e,
                    count,
                    slot = self.registration.incoming().name(),
                    "undecodable message skipped"
                );
                None
            }
        }
    }

    pub(crate) fn core(&self) -> &SubCore {
        self.registration.core()
    }

    /// Waits for the next message until `deadline` (forever if `None`).
    fn recv_until(&self, deadline: Option<Instant>) -> Result<M::Message, RecvTimeoutError> {
        loop {
            let data = self.core().queue.pop(deadline)?;
            if let Some(message) = self.decode(data) {
                return Ok(message);
            }
        }
    }

    /// Receives the next message, waiting as long as it takes.
    /// A receiver that finds nothing looks again for up to 50 us, yielding
    /// its core, before it sleeps: replies that come quickly are taken
    /// without the cost of a wake-up. (The look-again shortens itself
    /// while messages come slowly, so an idle receiver does not burn CPU.)
    ///
    /// Pending messages are still returned after the channel closed.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed and nothing is pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let out = PubChannel::<String>::new(&a, "recv-doc").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "recv-doc").unwrap();
    /// out.send("one").unwrap();
    /// assert_eq!(sub.recv().unwrap(), "one");
    /// ```
    pub fn recv(&self) -> Result<M::Message, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Receives the next message, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when nothing comes in time, and
    /// [`RecvTimeoutError::Closed`] once the channel is closed and nothing
    /// is pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{RecvTimeoutError, SubChannel};
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "quiet").unwrap();
    /// let err = sub.recv_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(err, RecvTimeoutError::Timeout);
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<M::Message, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// Receives the next message, waiting until `deadline` at most: for a
    /// loop that shares one deadline between several receives.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when nothing comes before `deadline`,
    /// and [`RecvTimeoutError::Closed`] once the channel is closed and
    /// nothing is pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::{Duration, Instant};
    /// use yoton::{RecvTimeoutError, SubChannel};
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "deadline").unwrap();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// let mut got = Vec::new();
    /// loop {
    ///     match sub.recv_deadline(deadline) {
    ///         Ok(message) => got.push(message),
    ///         Err(RecvTimeoutError::Timeout) => break,
    ///         Err(RecvTimeoutError::Closed) => break,
    ///     }
    /// }
    /// assert!(got.is_empty());
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<M::Message, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    /// Receives a pending message without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing is pending, and
    /// [`TryRecvError::Closed`] once the channel is closed and nothing is
    /// pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{SubChannel, TryRecvError};
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "try").unwrap();
    /// assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&self) -> Result<M::Message, TryRecvError> {
        loop {
            let data = self.core().queue.try_pop()?;
            if let Some(message) = self.decode(data) {
                return Ok(message);
            }
        }
    }

    /// Takes every pending message out of the queue (under one lock) and
    /// returns them in order. The vector may be empty; never waits.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "all").unwrap();
    /// assert!(sub.recv_all().is_empty());
    /// ```
    pub fn recv_all(&self) -> Vec<M::Message> {
        self.try_iter().collect()
    }

    /// An iterator over the messages pending now: they are taken out of the
    /// queue at once (under one lock) and decoded as the iterator advances.
    /// Messages that arrive meanwhile wait for the next call.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "iter").unwrap();
    /// for message in sub.try_iter() {
    ///     println!("{message}");
    /// }
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, M> {
        let items = self.core().queue.take_all();
        TryIter::new(self, items)
    }

    /// Waits up to `timeout` until messages are pending, then appends all
    /// of them to `out`, in order, and returns how many were added. The
    /// queue is taken under one lock and decoded after releasing it, so a
    /// reader that keeps up with a fast stream pays per batch, not per
    /// message; `out` can be reused from call to call.
    ///
    /// Undecodable messages are skipped (and counted), so the count may be
    /// 0 when only such messages were pending.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] when nothing comes in time, and
    /// [`RecvTimeoutError::Closed`] once the channel is closed and nothing
    /// is pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let out = PubChannel::<String>::new(&a, "batch-doc").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "batch-doc").unwrap();
    /// for word in ["one", "two", "three"] {
    ///     out.send(word).unwrap();
    /// }
    /// let mut got = Vec::new();
    /// while got.len() < 3 {
    ///     sub.recv_batch(&mut got, Duration::from_secs(10)).unwrap();
    /// }
    /// assert_eq!(got, ["one", "two", "three"]);
    /// ```
    pub fn recv_batch(
        &self,
        out: &mut Vec<M::Message>,
        timeout: Duration,
    ) -> Result<usize, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        let items = self.core().queue.take_all_until(deadline)?;
        let before = out.len();
        out.extend(items.into_iter().filter_map(|(_, data)| self.decode(data)));
        Ok(out.len() - before)
    }

    /// A blocking iterator: yields messages as they come, and ends when the
    /// channel is closed and nothing is pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "blocking").unwrap();
    /// sub.close();
    /// assert_eq!(sub.iter().count(), 0); // closed: ends at once
    /// ```
    pub fn iter(&self) -> Iter<'_, M> {
        Iter::new(self)
    }

    /// Receives the messages of a [`Selection`] made by
    /// [`select_sub_channel`](crate::select_sub_channel) for this channel:
    /// those that arrived before any message pending in the other channels
    /// at selection time. Returns nothing for a selection of another
    /// channel.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{SubChannel, select_sub_channel};
    ///
    /// let ctx = yoton::context();
    /// let a = SubChannel::<String>::new(&ctx, "a").unwrap();
    /// let b = SubChannel::<Vec<u8>>::new(&ctx, "b").unwrap();
    /// while let Some(selection) = select_sub_channel(&[&a, &b]) {
    ///     match selection.index() {
    ///         0 => a.recv_selected(&selection).iter().for_each(|t| println!("{t}")),
    ///         _ => b.recv_selected(&selection).iter().for_each(|v| println!("{v:?}")),
    ///     }
    /// }
    /// ```
    pub fn recv_selected(&self, selection: &Selection) -> Vec<M::Message> {
        if selection.channel() != self.core().id {
            return Vec::new();
        }
        let items = self.core().queue.take_before(selection.before());
        items
            .into_iter()
            .filter_map(|data| self.decode(data))
            .collect()
    }

    /// How many messages are pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "pending").unwrap();
    /// assert_eq!(sub.pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.core().queue.len()
    }

    /// How many messages were dropped because the queue was full.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "drops").unwrap();
    /// assert_eq!(sub.dropped(), 0);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.core().queue.dropped()
    }

    /// How many received messages could not be decoded (and were skipped).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "errors").unwrap();
    /// assert_eq!(sub.decode_errors(), 0);
    /// ```
    pub fn decode_errors(&self) -> u64 {
        self.core().decode_errors.load(Ordering::Relaxed)
    }

    /// Emitted when messages arrive, with how many arrived in that batch:
    /// one emission may cover several messages, and they may have been
    /// received already by the time a handler runs.
    ///
    /// It counts the messages that were queued. With
    /// [`Overflow::DropOldest`] (the default) that is every arrival (an
    /// older pending message makes room, and is counted in
    /// [`dropped`](SubChannel::dropped)); with [`Overflow::DropNewest`] a
    /// message dropped on arrival is never signalled, so under a flood the
    /// emissions add up to less than what was sent: count `dropped` too, or
    /// wait with a timeout.
    ///
    /// A signal does not replay: a receiver subscribed after messages came
    /// gets no event for them. Look at [`pending`](SubChannel::pending) (or
    /// [`try_recv`](SubChannel::try_recv)) after subscribing.
    ///
    /// Handlers run on the thread that delivers, a transport's receiving
    /// thread, after the messages are queued: they should be quick and must
    /// not wait for that connection. Or [`subscribe`](Signal::subscribe) and
    /// consume the events on a thread of your choosing.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let out = PubChannel::<String>::new(&a, "signal-doc").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "signal-doc").unwrap();
    /// let arrivals = sub.received().subscribe();
    /// out.send("ping").unwrap();
    /// let count = arrivals.recv_timeout(Duration::from_secs(10)).unwrap();
    /// assert_eq!(count, 1);
    /// assert_eq!(sub.try_recv().unwrap(), "ping");
    /// ```
    pub fn received(&self) -> &Signal<usize> {
        &self.core().received
    }

    /// Turns sync mode on or off.
    ///
    /// In sync mode the channel tells its pub channels `full` when more than
    /// 32 messages wait, and `ok` when fewer than 16 wait again; a pub
    /// channel then holds each send for up to 1 s while any of its sub
    /// channels says `full`. The current word is repeated every 4 s, since
    /// a pub channel forgets a `full` after 10 s without news.
    ///
    /// The words are sent by a thread of this channel (`yoton-sync`), which
    /// runs only while sync mode is on: it sleeps until the queue status
    /// changes or the repetition is due, and, when sync mode is turned off
    /// or the channel closes, says `ok` if it last said `full`. Words are
    /// only sent while the context is connected.
    ///
    /// Turning it on or off again, or on a closed channel, does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the thread cannot be started.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "paced").unwrap();
    /// sub.set_sync_mode(true).unwrap();
    /// assert!(sub.sync_mode());
    /// sub.set_sync_mode(false).unwrap();
    /// assert!(!sub.sync_mode());
    /// ```
    pub fn set_sync_mode(&self, on: bool) -> Result<()> {
        let core = self.registration.core();
        core.queue.with_watch(|watch, len| {
            if core.queue.is_closed() {
                return Ok(());
            }
            if !on {
                watch.status = QueueStatus::Off;
                watch.wake = None;
                return Ok(());
            }
            if watch.status != QueueStatus::Off {
                return Ok(());
            }
            let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
            let weak = Arc::downgrade(core);
            let context = self.registration.context().clone();
            let slot = self.registration.outgoing().slot();
            std::thread::Builder::new()
                .name("yoton-sync".to_owned())
                .spawn(move || run_sync_thread(weak, context, slot, wake_rx))
                .map_err(Error::Io)?;
            watch.status = QueueStatus::Ok;
            watch.wake = Some(wake_tx);
            watch.on_len(len);
            Ok(())
        })
    }

    /// Whether sync mode is on.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "mode").unwrap();
    /// assert!(!sub.sync_mode());
    /// ```
    pub fn sync_mode(&self) -> bool {
        self.core()
            .queue
            .with_watch(|watch, _| watch.status != QueueStatus::Off)
    }

    /// Closes the channel: unregisters its slots, so nothing more arrives,
    /// and ends sync mode (saying `ok` if it said `full`). Pending messages
    /// can still be received; then receiving fails with `Closed`
    /// ([`RecvError`] for [`recv`](SubChannel::recv)). Closing twice does
    /// nothing.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{SubChannel, TryRecvError};
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "closing").unwrap();
    /// sub.close();
    /// assert!(sub.is_closed());
    /// assert_eq!(sub.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn close(&self) {
        self.registration.close();
    }

    /// Whether the channel is closed (by [`close`](SubChannel::close) or by
    /// the context).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "open").unwrap();
    /// assert!(!sub.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.registration.is_closed()
    }

    /// The options the channel was made with.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{SubChannel, SubOptions};
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "opts").unwrap();
    /// assert_eq!(sub.options(), SubOptions::default());
    /// ```
    pub fn options(&self) -> SubOptions {
        self.options
    }

    /// The slot sync words are sent on (`base.type.sub-pub`).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(sub.slot_outgoing().slot().get(), 17469545116738);
    /// ```
    pub fn slot_outgoing(&self) -> &SlotName {
        self.registration.outgoing()
    }

    /// The slot messages arrive on (`base.type.pub-sub`).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<yoton::Bytes>::new(&ctx, "chat").unwrap();
    /// assert_eq!(sub.slot_incoming().slot().get(), 16994269440356);
    /// ```
    pub fn slot_incoming(&self) -> &SlotName {
        self.registration.incoming()
    }

    /// The context this channel receives through.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SubChannel;
    ///
    /// let ctx = yoton::context();
    /// let sub = SubChannel::<String>::new(&ctx, "ctx").unwrap();
    /// assert_eq!(sub.context().id(), ctx.id());
    /// ```
    pub fn context(&self) -> &Context {
        self.registration.context()
    }
}

impl<M: MessageType> fmt::Debug for SubChannel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubChannel")
            .field("slot", self.registration.incoming())
            .field("core", self.core())
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
    fn sub_channels_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SubChannel<String>>();
        check::<SubChannel<crate::Postcard<Samples>>>();
    }
}
