//! The async waits of a [`StateChannel`]: [`StateChannel::wait_changed_async`]
//! and [`StateChannel::get_or_wait_async`], futures for any executor, on
//! the same state as the blocking waits.
//!
//! A state is read, never taken: a wait that is dropped leaves the state
//! as it was for every other reader, so these futures are cancel safe.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use yoton_core::signal::WakerSlot;

use crate::error::RecvError;
use crate::message::MessageType;
use crate::state::StateChannel;

impl<M: MessageType> StateChannel<M> {
    /// Waits for the state to change (a different value arriving or set
    /// here), as a future for any executor: the async
    /// [`wait_changed_timeout`](StateChannel::wait_changed_timeout). The
    /// change must come after this call (the future counts from the
    /// version it sees when made), not merely before the first poll.
    ///
    /// It has no timeout of its own: put the executor's around it.
    /// Cancel safe: a state is read, not taken.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed (by itself or its
    /// context) without a change; closing wakes the waiting futures.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use futures::executor::block_on;
    /// use yoton::StateChannel;
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "changed-async-doc").unwrap();
    /// s.send("before").unwrap();
    /// let changed = s.wait_changed_async(); // counts from "before"
    /// s.send("after").unwrap();
    /// assert_eq!(block_on(changed).unwrap(), "after");
    /// ```
    pub fn wait_changed_async(&self) -> StateFuture<'_, M> {
        StateFuture {
            channel: self,
            after: Some(self.core().version()),
            undecodable: None,
            slot: WakerSlot::new(),
        }
    }

    /// The current state if there is one, else the first that arrives (or
    /// is set here), as a future for any executor: the async
    /// [`get_or_wait`](StateChannel::get_or_wait).
    ///
    /// It has no timeout of its own: put the executor's around it.
    /// Cancel safe: a state is read, not taken.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is closed without a state (a closed
    /// channel still gives the last state it had).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use futures::executor::block_on;
    /// use yoton::{RecvError, StateChannel};
    ///
    /// let ctx = yoton::context();
    /// let s = StateChannel::<String>::new(&ctx, "or-wait-async-doc").unwrap();
    /// s.send("up").unwrap();
    /// assert_eq!(block_on(s.get_or_wait_async()).unwrap(), "up");
    /// let empty = StateChannel::<String>::new(&ctx, "or-wait-async-none").unwrap();
    /// empty.close();
    /// assert_eq!(block_on(empty.get_or_wait_async()), Err(RecvError));
    /// ```
    pub fn get_or_wait_async(&self) -> StateFuture<'_, M> {
        StateFuture {
            channel: self,
            after: None,
            undecodable: None,
            slot: WakerSlot::new(),
        }
    }
}

/// The future of [`StateChannel::wait_changed_async`] and
/// [`StateChannel::get_or_wait_async`]: the state it waits for, or
/// [`RecvError`] once the channel is closed without it.
///
/// Its waker is kept by the channel and woken on every change of state
/// and on closing; dropping the future forgets it.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use yoton::StateChannel;
///
/// let ctx = yoton::context();
/// let s = StateChannel::<String>::new(&ctx, "state-future-doc").unwrap();
/// let mut changed = pin!(s.wait_changed_async());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(changed.as_mut().poll(&mut cx).is_pending()); // no change yet
/// s.send("new").unwrap();
/// assert_eq!(changed.poll(&mut cx), Poll::Ready(Ok("new".to_owned())));
/// ```
#[must_use = "a future does nothing unless it is awaited"]
pub struct StateFuture<'a, M: MessageType> {
    channel: &'a StateChannel<M>,
    /// Wait for a version past this one (`None`: any state will do).
    after: Option<u64>,
    /// The last version that did not decode: wait past it.
    undecodable: Option<u64>,
    slot: WakerSlot,
}

impl<M: MessageType> Future for StateFuture<'_, M> {
    type Output = Result<M::Message, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let (after, undecodable) = (this.after, this.undecodable);
            let polled = this.channel.core().poll_until(cx, &mut this.slot, |c| {
                after.is_none_or(|v| c.version > v) && undecodable.is_none_or(|v| c.version > v)
            });
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => return Poll::Ready(Err(RecvError)),
                Poll::Ready(Ok((bytes, version))) => match this.channel.decode(bytes) {
                    Some(message) => return Poll::Ready(Ok(message)),
                    None => this.undecodable = Some(version),
                },
            }
        }
    }
}

impl<M: MessageType> Drop for StateFuture<'_, M> {
    fn drop(&mut self) {
        self.channel.core().forget_waker(&mut self.slot);
    }
}

impl<M: MessageType> fmt::Debug for StateFuture<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateFuture")
            .field("slot", self.channel.slot())
            .field("after", &self.after)
            .field("waiting", &self.slot.is_registered())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_future_is_send() {
        fn check<T: Send>() {}
        check::<StateFuture<'static, String>>();
    }
}
