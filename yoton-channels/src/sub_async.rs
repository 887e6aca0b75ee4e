//! The async receives of a [`SubChannel`]: [`SubChannel::recv_async`] and
//! [`SubChannel::recv_batch_async`], futures for any executor, over the
//! same receive queue as the blocking receives.
//!
//! Cancel safety: a message leaves the queue only in the poll that
//! returns it, so a future dropped before it is ready (a `select!` that
//! took another branch, a timeout) has taken nothing, and the next receive
//! gets the message.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use yoton_core::signal::WakerSlot;

use crate::error::RecvError;
use crate::message::MessageType;
use crate::sub_channel::SubChannel;

impl<M: MessageType> SubChannel<M> {
    /// Receives the next message, as a future for any executor: the async
    /// [`recv`](SubChannel::recv). Pending messages are still returned
    /// after the channel closed.
    ///
    /// Cancel safe: a message is taken only by the poll that returns it,
    /// so dropping the future (a `select!` that chose another branch, a
    /// timeout) loses no message; the next receive, blocking or not, gets
    /// it. Several futures may wait on one channel: a message wakes them
    /// all, one takes it, and the others wait on.
    ///
    /// It has no timeout of its own: put the executor's around it.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed (by itself or its context)
    /// and nothing is pending; closing wakes the waiting futures.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use futures::executor::block_on;
    /// use yoton::{PubChannel, RecvError, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let out = PubChannel::<String>::new(&a, "recv-async-doc").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "recv-async-doc").unwrap();
    /// out.send("one").unwrap();
    /// assert_eq!(block_on(sub.recv_async()).unwrap(), "one");
    /// sub.close();
    /// assert_eq!(block_on(sub.recv_async()), Err(RecvError));
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, M> {
        RecvFuture {
            channel: self,
            slot: WakerSlot::new(),
        }
    }

    /// Receives up to `max` pending messages at once (at least one; a
    /// `max` of 0 counts as 1), in order, as a future for any executor.
    /// Unlike [`recv_batch`](SubChannel::recv_batch), which appends all
    /// that is pending to a buffer of the caller's, it returns a new `Vec`
    /// of at most `max`. It waits until a message is pending, then takes up
    /// to `max` of them under one lock.
    /// Undecodable messages are skipped (and counted); the batch holds at
    /// least one message.
    ///
    /// Cancel safe, as [`recv_async`](SubChannel::recv_async): messages
    /// are taken only by the poll that returns them.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed and nothing is pending.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use futures::executor::block_on;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let (a, b) = (yoton::context(), yoton::context());
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let out = PubChannel::<String>::new(&a, "batch-async-doc").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "batch-async-doc").unwrap();
    /// for word in ["one", "two", "three"] {
    ///     out.send(word).unwrap();
    /// }
    /// let mut got = Vec::new();
    /// while got.len() < 3 {
    ///     let batch = block_on(sub.recv_batch_async(2)).unwrap();
    ///     assert!(!batch.is_empty() && batch.len() <= 2);
    ///     got.extend(batch);
    /// }
    /// assert_eq!(got, ["one", "two", "three"]);
    /// ```
    pub fn recv_batch_async(&self, max: usize) -> RecvBatchFuture<'_, M> {
        RecvBatchFuture {
            channel: self,
            max: max.max(1),
            slot: WakerSlot::new(),
        }
    }
}

/// The future of [`SubChannel::recv_async`]: the next message, or
/// [`RecvError`] once the channel is closed and nothing is pending.
///
/// Dropping it loses no message (see
/// [`recv_async`](SubChannel::recv_async)); its waker is kept by the
/// channel's receive queue until it is ready or dropped.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use yoton::SubChannel;
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "recv-future-doc").unwrap();
/// let mut waiting = pin!(sub.recv_async());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(waiting.as_mut().poll(&mut cx).is_pending()); // nothing yet
/// sub.close();
/// assert!(matches!(waiting.poll(&mut cx), Poll::Ready(Err(_))));
/// ```
#[must_use = "a future does nothing unless it is awaited"]
pub struct RecvFuture<'a, M: MessageType> {
    channel: &'a SubChannel<M>,
    slot: WakerSlot,
}

impl<M: MessageType> Future for RecvFuture<'_, M> {
    type Output = Result<M::Message, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let queue = &this.channel.core().queue;
        loop {
            match queue.poll_pop(cx, &mut this.slot) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => return Poll::Ready(Err(RecvError)),
                Poll::Ready(Ok(data)) => {
                    // An undecodable message is skipped: look again.
                    if let Some(message) = this.channel.decode(data) {
                        return Poll::Ready(Ok(message));
                    }
                }
            }
        }
    }
}

impl<M: MessageType> Drop for RecvFuture<'_, M> {
    fn drop(&mut self) {
        self.channel.core().queue.forget_waker(&mut self.slot);
    }
}

impl<M: MessageType> fmt::Debug for RecvFuture<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("slot", self.channel.slot_incoming())
            .field("waiting", &self.slot.is_registered())
            .finish()
    }
}

/// The future of [`SubChannel::recv_batch_async`]: up to `max` messages
/// (at least one), or [`RecvError`] once the channel is closed and
/// nothing is pending.
///
/// Dropping it loses no message, as for [`RecvFuture`].
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use futures::executor::block_on;
/// use yoton::{RecvError, SubChannel};
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "batch-future-doc").unwrap();
/// sub.close();
/// assert_eq!(block_on(sub.recv_batch_async(100)), Err(RecvError));
/// ```
#[must_use = "a future does nothing unless it is awaited"]
pub struct RecvBatchFuture<'a, M: MessageType> {
    channel: &'a SubChannel<M>,
    max: usize,
    slot: WakerSlot,
}

impl<M: MessageType> Future for RecvBatchFuture<'_, M> {
    type Output = Result<Vec<M::Message>, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let queue = &this.channel.core().queue;
        loop {
            match queue.poll_take(cx, &mut this.slot, this.max) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => return Poll::Ready(Err(RecvError)),
                Poll::Ready(Ok(items)) => {
                    let batch: Vec<M::Message> = items
                        .into_iter()
                        .filter_map(|data| this.channel.decode(data))
                        .collect();
                    // Only undecodable ones: look again.
                    if !batch.is_empty() {
                        return Poll::Ready(Ok(batch));
                    }
                }
            }
        }
    }
}

impl<M: MessageType> Drop for RecvBatchFuture<'_, M> {
    fn drop(&mut self) {
        self.channel.core().queue.forget_waker(&mut self.slot);
    }
}

impl<M: MessageType> fmt::Debug for RecvBatchFuture<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvBatchFuture")
            .field("slot", self.channel.slot_incoming())
            .field("max", &self.max)
            .field("waiting", &self.slot.is_registered())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_futures_are_send() {
        fn check<T: Send>() {}
        check::<RecvFuture<'static, String>>();
        check::<RecvBatchFuture<'static, Vec<u8>>>();
    }
}
