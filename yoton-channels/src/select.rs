//! Reading several sub channels of one context in the order their
//! messages arrived: [`select_sub_channel`] (which never waits) and
//! [`select_timeout`], [`select_deadline`] and [`select`] (which wait)
//! choose the channel to read; [`SubChannel::recv_selected`] reads it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{RecvError, RecvTimeoutError};
use crate::message::MessageType;
use crate::queue::Ready;
use crate::sub_channel::SubChannel;

pub(crate) mod sealed {
    use std::sync::Arc;

    use crate::queue::Ready;

    /// What a waiting select needs of a channel: to be woken when a
    /// message arrives or the channel closes. It is public only so that
    /// [`Selectable`](super::Selectable) can require it; it cannot be
    /// named outside this crate, so only this crate's channels are
    /// selectable.
    #[allow(unreachable_pub)]
    pub trait Watched {
        /// Sets `ready` whenever a message arrives or the channel closes.
        fn watch(&self, ready: &Arc<Ready>);
        /// Stops setting `ready`.
        fn unwatch(&self, ready: &Arc<Ready>);
        /// Whether the channel is closed (nothing more will arrive).
        fn closed_for_select(&self) -> bool;
    }
}

/// A sub channel that [`select_sub_channel`] and the waiting selects can
/// look at: implemented by every [`SubChannel`], whatever its message type.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{Selectable, SubChannel};
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "selectable").unwrap();
/// let as_dyn: &dyn Selectable = &sub;
/// assert_eq!(as_dyn.pending_order(), None);
/// ```
pub trait Selectable: sealed::Watched {
    /// The receive order (see [`yoton_core::Delivery::recv_seq`]) of the
    /// first pending message and one past that of the last, or `None` when
    /// nothing is pending.
    fn pending_order(&self) -> Option<(u64, u64)>;

    /// A number unique to this channel, so that a [`Selection`] is only
    /// used with the channel it selected.
    fn channel_key(&self) -> u64;
}

impl<M: MessageType> Selectable for SubChannel<M> {
    fn pending_order(&self) -> Option<(u64, u64)> {
        self.core().queue.pending_order()
    }

    fn channel_key(&self) -> u64 {
        self.core().id
    }
}

impl<M: MessageType> sealed::Watched for SubChannel<M> {
    fn watch(&self, ready: &Arc<Ready>) {
        self.core().queue.watch(ready);
    }

    fn unwatch(&self, ready: &Arc<Ready>) {
        self.core().queue.unwatch(ready);
    }

    fn closed_for_select(&self) -> bool {
        self.is_closed()
    }
}

/// Which channel [`select_sub_channel`] chose, and up to which message to
/// read it: pass it to [`SubChannel::recv_selected`].
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{SubChannel, select_sub_channel};
///
/// let ctx = yoton::context();
/// let a = SubChannel::<String>::new(&ctx, "sel-a").unwrap();
/// assert!(select_sub_channel(&[&a]).is_none()); // nothing pending
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    index: usize,
    channel: u64,
    before: u64,
}

impl Selection {
    /// The position of the chosen channel in the slice given to
    /// [`select_sub_channel`].
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::{SubChannel, select_sub_channel};
    ///
    /// let ctx = yoton::context();
    /// let a = SubChannel::<String>::new(&ctx, "idx").unwrap();
    /// if let Some(s) = select_sub_channel(&[&a]) {
    ///     assert_eq!(s.index(), 0);
    /// }
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The key of the chosen channel ([`Selectable::channel_key`]).
    pub(crate) fn channel(&self) -> u64 {
        self.channel
    }

    /// Read the chosen channel up to (not including) this receive order.
    pub(crate) fn before(&self) -> u64 {
        self.before
    }
}

/// Chooses, among sub channels of one context, the one whose oldest pending
/// message arrived first, as the reference's `select_sub_channel` does;
/// `None` when nothing is pending anywhere.
///
/// Then [`SubChannel::recv_selected`] on the chosen channel returns its
/// messages that arrived before any message pending in the others. Repeat
/// until `None` to read every pending message, across the channels, in the
/// order the context received them. The channels may have different
/// message types.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{PubChannel, SubChannel, select_timeout};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
/// let (p1, p2) = (
///     PubChannel::<String>::new(&a, "left").unwrap(),
///     PubChannel::<String>::new(&a, "right").unwrap(),
/// );
/// let (s1, s2) = (
///     SubChannel::<String>::new(&b, "left").unwrap(),
///     SubChannel::<String>::new(&b, "right").unwrap(),
/// );
/// p1.send("1").unwrap();
/// p2.send("2").unwrap();
/// p1.send("3").unwrap();
/// let mut order = Vec::new();
/// while order.len() < 3 {
///     // Waits for the next message in either channel (select_sub_channel
///     // would only look).
///     let sel = select_timeout(&[&s1, &s2], Duration::from_secs(10)).unwrap();
///     let got = if sel.index() == 0 { s1.recv_selected(&sel) } else { s2.recv_selected(&sel) };
///     order.extend(got);
/// }
/// assert_eq!(order, ["1", "2", "3"]);
/// ```
pub fn select_sub_channel(channels: &[&dyn Selectable]) -> Option<Selection> {
    let orders: Vec<Option<(u64, u64)>> = channels.iter().map(|c| c.pending_order()).collect();
    let (index, (first, end)) = orders
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.map(|o| (i, o)))
        .min_by_key(|(_, (first, _))| *first)?;
    // Read the chosen channel up to the first message pending elsewhere,
    // and no further than what it held at selection time.
    let before = orders
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .filter_map(|(_, o)| o.map(|(f, _)| f))
        .fold(end, u64::min);
    debug_assert!(before > first);
    Some(Selection {
        index,
        channel: channels[index].channel_key(),
        before,
    })
}

/// As [`select_sub_channel`], but waits up to `timeout` for a message in
/// any of the channels, and returns which channel to read.
///
/// # Errors
///
/// [`RecvTimeoutError::Timeout`] when nothing arrives in time, and
/// [`RecvTimeoutError::Closed`] when every channel is closed with nothing
/// pending (nothing can arrive any more; so also for an empty slice).
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{PubChannel, SubChannel, select_timeout};
///
/// let (a, b) = (yoton::context(), yoton::context());
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
/// let alarms = PubChannel::<String>::new(&a, "alarms").unwrap();
/// let (s1, s2) = (
///     SubChannel::<String>::new(&b, "logs").unwrap(),
///     SubChannel::<String>::new(&b, "alarms").unwrap(),
/// );
/// alarms.send("fire").unwrap();
/// let sel = select_timeout(&[&s1, &s2], Duration::from_secs(10)).unwrap();
/// assert_eq!(sel.index(), 1);
/// assert_eq!(s2.recv_selected(&sel), ["fire"]);
/// ```
pub fn select_timeout(
    channels: &[&dyn Selectable],
    timeout: Duration,
) -> Result<Selection, RecvTimeoutError> {
    select_until(channels, Instant::now().checked_add(timeout))
}

/// As [`select_timeout`], waiting until `deadline`.
///
/// # Errors
///
/// [`RecvTimeoutError::Timeout`] when nothing arrives before `deadline`,
/// and [`RecvTimeoutError::Closed`] when every channel is closed with
/// nothing pending.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::{Duration, Instant};
/// use yoton::{RecvTimeoutError, SubChannel, select_deadline};
///
/// let ctx = yoton::context();
/// let quiet = SubChannel::<String>::new(&ctx, "quiet").unwrap();
/// let soon = Instant::now() + Duration::from_millis(5);
/// assert_eq!(select_deadline(&[&quiet], soon), Err(RecvTimeoutError::Timeout));
/// ```
pub fn select_deadline(
    channels: &[&dyn Selectable],
    deadline: Instant,
) -> Result<Selection, RecvTimeoutError> {
    select_until(channels, Some(deadline))
}

/// As [`select_timeout`], waiting as long as it takes.
///
/// # Errors
///
/// [`RecvError`] when every channel is closed with nothing pending.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{RecvError, SubChannel, select};
///
/// let ctx = yoton::context();
/// let a = SubChannel::<String>::new(&ctx, "done-a").unwrap();
/// let b = SubChannel::<String>::new(&ctx, "done-b").unwrap();
/// ctx.close_channels();
/// assert_eq!(select(&[&a, &b]), Err(RecvError));
/// ```
pub fn select(channels: &[&dyn Selectable]) -> Result<Selection, RecvError> {
    select_until(channels, None).map_err(|_| RecvError)
}

fn select_until(
    channels: &[&dyn Selectable],
    deadline: Option<Instant>,
) -> Result<Selection, RecvTimeoutError> {
    let all_closed = || channels.iter().all(|c| c.closed_for_select());
    if let Some(selection) = select_sub_channel(channels) {
        return Ok(selection);
    }
    if all_closed() {
        return Err(RecvTimeoutError::Closed);
    }
    let ready = Arc::new(Ready::default());
    channels.iter().for_each(|c| c.watch(&ready));
    // Looks again after watching, so that nothing that arrived meanwhile
    // is missed.
    let result = loop {
        if let Some(selection) = select_sub_channel(channels) {
            break Ok(selection);
        }
        if all_closed() {
            break Err(RecvTimeoutError::Closed);
        }
        if !ready.wait(deadline) {
            break select_sub_channel(channels).ok_or(RecvTimeoutError::Timeout);
        }
    };
    channels.iter().for_each(|c| c.unwatch(&ready));
    result
}
