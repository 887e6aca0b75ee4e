//! The state pattern: a value kept the same across every [`StateChannel`]
//! of a slot in the network.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use yoton_core::{Context, Delivery, Endpoint, Signal, Slot};

use crate::error::{Result, SendError};
use crate::lock;
use crate::message::MessageType;
use crate::registration::{ChannelCore, Registration};
use crate::slot::{STATE, SlotName};

/// A value shared by all state channels of the same slot in the network.
///
/// [`send`](StateChannel::send) sets the state (and sends it only when it
/// differs from the current one), [`recv`](StateChannel::recv) returns the
/// latest state at once, whether set here or received. When a context
/// joins the network (`NEW_CONNECTION`), every state channel sends its
/// state again, so newcomers learn it. If two channels set the state at
/// about the same time, which one wins is undefined, as in the reference.
///
/// "Differs" compares the encoded bytes, so a message type needs no
/// `PartialEq`.
///
/// `StateChannel` is `Send` and `Sync`; dropping it closes it.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use yoton_channels::StateChannel;
/// use yoton_core::Context;
/// use yoton_inproc::InprocTransport;
///
/// let (a, b) = (Context::new(), Context::new());
/// a.register_transport(Arc::new(InprocTransport::new()));
/// b.register_transport(Arc::new(InprocTransport::new()));
/// let status_a = StateChannel::<String>::new(&a, "status").unwrap();
/// let status_b = StateChannel::<String>::new(&b, "status").unwrap();
/// let changes = status_b.received().subscribe();
///
/// status_a.send("busy").unwrap(); // before connecting: queued
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
/// changes.recv_timeout(Duration::from_secs(10)).unwrap();
/// assert_eq!(status_b.recv().as_deref(), Some("busy"));
/// assert_eq!(status_a.recv().as_deref(), Some("busy"));
/// ```
pub struct StateChannel<M: MessageType> {
    registration: Registration<StateCore<M>>,
}

/// What a state channel registers (both ways on its slot).
struct StateCore<M> {
    context: Context,
    slot: Slot,
    current: Mutex<Option<Bytes>>,
    closed: AtomicBool,
    received: Signal<usize>,
    decode_errors: AtomicU64,
    _type: PhantomData<fn() -> M>,
}

impl<M> fmt::Debug for StateCore<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateCore")
            .field("slot", &self.slot)
            .field("current", &lock(&self.current).as_ref().map(Bytes::len))
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl<M: MessageType> StateCore<M> {
    /// Sends the current state again, if there is one.
    fn send_last(&self) -> Result<()> {
        let current = lock(&self.current).clone();
        if let Some(bytes) = current {
            self.context.send(self.slot, bytes)?;
        }
        Ok(())
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
            *lock(&self.current) = Some(data);
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
        !self.closed.swap(true, Ordering::AcqRel)
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
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let s = StateChannel::<String>::new(&ctx, "status").unwrap();
    /// assert_eq!(s.slot().slot().get(), 18872922488985);
    /// assert!(StateChannel::<String>::new(&ctx, "status").is_err());
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<Self> {
        let slot = SlotName::new(name, &M::type_name(), STATE.0).slot();
        let core = Arc::new(StateCore::<M> {
            context: context.clone(),
            slot,
            current: Mutex::new(None),
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
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let s = StateChannel::<String>::new(&ctx, "mode").unwrap();
    /// s.send("on").unwrap();
    /// s.send("on").unwrap(); // same value: not sent again
    /// assert_eq!(ctx.startup_queued(), 1);
    /// s.send("off").unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send(&self, message: &M::Borrowed) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed(()));
        }
        let bytes = M::encode(message).map_err(|source| SendError::Encode {
            type_name: M::type_name(),
            source,
        })?;
        if bytes.is_empty() {
            return Ok(());
        }
        {
            let mut current = lock(&self.core().current);
            if current.as_ref() == Some(&bytes) {
                return Ok(());
            }
            *current = Some(bytes.clone());
        }
        // Sent outside the lock: the context may wait for room on a
        // connection, and the receiving thread must still be able to
        // deliver meanwhile.
        self.core().context.send(self.core().slot, bytes)?;
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
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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

    /// The current state, at once: the latest value set here or received,
    /// or `None` if there is none yet.
    ///
    /// ```
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let s = StateChannel::<String>::new(&ctx, "now").unwrap();
    /// assert_eq!(s.recv(), None);
    /// s.send("ready").unwrap();
    /// assert_eq!(s.recv().as_deref(), Some("ready"));
    /// ```
    pub fn recv(&self) -> Option<M::Message> {
        let current = lock(&self.core().current).clone()?;
        match M::decode(current) {
            Ok(message) => Some(message),
            Err(e) => {
                tracing::warn!(error = %e, "state cannot be decoded");
                None
            }
        }
    }

    /// Emitted when states arrive from other contexts, with how many
    /// arrived in that batch ([`recv`](StateChannel::recv) returns the
    /// latest). Handlers run on the transport's receiving thread, after the
    /// state is updated; they should be quick.
    ///
    /// ```
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
    /// use yoton_channels::{SendError, StateChannel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let s = StateChannel::<String>::new(&ctx, "status").unwrap();
    /// assert_eq!(s.slot().name(), "status.txt.state");
    /// ```
    pub fn slot(&self) -> &SlotName {
        self.registration.outgoing()
    }

    /// The context this channel works through.
    ///
    /// ```
    /// use yoton_channels::StateChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let s = StateChannel::<String>::new(&ctx, "ctx").unwrap();
    /// assert_eq!(s.context().id(), ctx.id());
    /// ```
    pub fn context(&self) -> &Context {
        self.registration.context()
    }

    fn core(&self) -> &StateCore<M> {
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
