//! Iterators over a [`SubChannel`]'s messages.

use std::fmt;

use bytes::Bytes;

use crate::message::MessageType;
use crate::sub_channel::SubChannel;

impl<'a, M: MessageType> IntoIterator for &'a SubChannel<M> {
    type Item = M::Message;
    type IntoIter = Iter<'a, M>;

    fn into_iter(self) -> Iter<'a, M> {
        self.iter()
    }
}

/// The messages that were pending when [`SubChannel::try_iter`] was called.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::SubChannel;
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "try-iter").unwrap();
/// assert_eq!(sub.try_iter().count(), 0);
/// ```
pub struct TryIter<'a, M: MessageType> {
    channel: &'a SubChannel<M>,
    items: std::vec::IntoIter<(u64, Bytes)>,
}

impl<'a, M: MessageType> TryIter<'a, M> {
    pub(crate) fn new(channel: &'a SubChannel<M>, items: Vec<(u64, Bytes)>) -> Self {
        TryIter {
            channel,
            items: items.into_iter(),
        }
    }
}

impl<M: MessageType> Iterator for TryIter<'_, M> {
    type Item = M::Message;

    fn next(&mut self) -> Option<M::Message> {
        for (_, data) in self.items.by_ref() {
            if let Some(message) = self.channel.decode(data) {
                return Some(message);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.items.len()))
    }
}

impl<M: MessageType> fmt::Debug for TryIter<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryIter")
            .field("remaining", &self.items.len())
            .finish()
    }
}

/// A blocking iterator over a [`SubChannel`]'s messages, made by
/// [`SubChannel::iter`]; it ends when the channel is closed and drained.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::SubChannel;
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "iter-type").unwrap();
/// ctx.close_channels();
/// assert!(sub.iter().next().is_none());
/// ```
pub struct Iter<'a, M: MessageType> {
    channel: &'a SubChannel<M>,
}

impl<'a, M: MessageType> Iter<'a, M> {
    pub(crate) fn new(channel: &'a SubChannel<M>) -> Self {
        Iter { channel }
    }
}

impl<M: MessageType> Iterator for Iter<'_, M> {
    type Item = M::Message;

    fn next(&mut self) -> Option<M::Message> {
        self.channel.recv().ok()
    }
}

impl<M: MessageType> fmt::Debug for Iter<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("channel", &self.channel)
            .finish()
    }
}
