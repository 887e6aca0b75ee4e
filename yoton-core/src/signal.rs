//! Signals: thread-safe events that handlers and receivers subscribe to.
//!
//! Connections report `closed` and `timedout`, and channels report
//! `received`, through a [`Signal`]. A caller either connects a handler,
//! which runs on the thread that emits, or subscribes a
//! [`crossbeam_channel::Receiver`] to consume the events in a thread of its
//! own choosing.
//!
//! [`Wakers`] is the async side of the same idea: the wakers of the
//! futures that wait for one thing (a message, a state, a connection),
//! kept under the lock of what they wait on.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use crossbeam_channel::{Receiver, Sender};

type Handler<T> = Arc<dyn Fn(&T) + Send + Sync>;

/// A thread-safe event source with handlers and subscribed receivers.
///
/// Handlers run on the thread that calls [`emit`](Signal::emit), one after
/// the other, in the order they were connected. For a connection's signals
/// that is the transport's receiving thread (for the stream transports, the
/// one I/O thread of the process) or the thread that closes the
/// connection; a handler should therefore be quick and must not wait for a
/// message or a reply. A handler that panics is caught: the panic is
/// logged with `tracing` and the other handlers and the emitter go on.
///
/// Receivers made by [`subscribe`](Signal::subscribe) are unbounded, so an
/// emitter never blocks on a slow consumer; a dropped receiver is forgotten
/// at the next emission.
///
/// `Signal<T>` is `Send` and `Sync` for `T: Send`, and cheap to share by
/// reference; it is usually reached through an accessor such as
/// `Connection::closed`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use yoton::Signal;
///
/// let signal: Signal<String> = Signal::new();
/// let events = signal.subscribe();
/// // A handler's panic is caught, so it only reports what it saw; the
/// // checks run here.
/// let (seen_tx, seen) = mpsc::channel();
/// let handle = signal.connect(move |text: &String| {
///     let _ = seen_tx.send(text.len());
/// });
/// signal.emit("hello".to_owned());
/// assert_eq!(seen.recv_timeout(Duration::from_secs(10)).unwrap(), 5);
/// assert_eq!(events.recv_timeout(Duration::from_secs(10)).unwrap(), "hello");
/// assert!(signal.disconnect(handle));
/// signal.emit("unheard".to_owned());
/// assert_eq!(events.recv_timeout(Duration::from_secs(10)).unwrap(), "unheard");
/// // The handler ran on this thread during each emit, so this is settled.
/// assert!(seen.try_recv().is_err());
/// ```
pub struct Signal<T> {
    inner: Mutex<Slots<T>>,
    next_id: AtomicU64,
}

struct Slots<T> {
    handlers: Vec<(u64, Handler<T>)>,
    receivers: Vec<(u64, Sender<T>)>,
}

/// Identifies a connected handler, to [`disconnect`](Signal::disconnect) it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[must_use = "a handler can only be disconnected through its handle"]
pub struct HandlerId(u64);

impl<T> Signal<T> {
    /// A signal with no handlers and no receivers.
    pub fn new() -> Self {
        Signal {
            inner: Mutex::new(Slots {
                handlers: Vec::new(),
                receivers: Vec::new(),
            }),
            next_id: AtomicU64::new(1),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Slots<T>> {
        // A panicking handler never runs under this lock, so poisoning can
        // only come from a bug elsewhere; the data stays consistent anyway.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connects a handler; it runs on the emitting thread for every event.
    pub fn connect<F>(&self, handler: F) -> HandlerId
    where
        F: Fn(&T) + Send + Sync + 'static,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.slots().handlers.push((id, Arc::new(handler)));
        HandlerId(id)
    }

    /// Disconnects a handler; returns false if it was not connected.
    ///
    /// An emission that is already running may still call it once.
    pub fn disconnect(&self, id: HandlerId) -> bool {
        let mut slots = self.slots();
        let before = slots.handlers.len();
        slots.handlers.retain(|(h, _)| *h != id.0);
        slots.handlers.len() != before
    }

    /// How many handlers and live receivers are attached.
    pub fn subscriber_count(&self) -> usize {
        let slots = self.slots();
        slots.handlers.len() + slots.receivers.len()
    }
}

impl<T: Clone + Send + 'static> Signal<T> {
    /// Returns a receiver that gets every event emitted from now on.
    ///
    /// The channel is unbounded; drop the receiver to unsubscribe.
    pub fn subscribe(&self) -> Receiver<T> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.slots().receivers.push((id, tx));
        rx
    }

    /// Emits an event: calls each handler in turn on this thread, then sends
    /// a copy to each subscribed receiver.
    ///
    /// Never blocks on a receiver. Handlers run without any lock of the
    /// signal held, so a handler may connect or disconnect handlers.
    pub fn emit(&self, event: T) {
        let (handlers, receivers) = {
            let slots = self.slots();
            let handlers: Vec<Handler<T>> =
                slots.handlers.iter().map(|(_, h)| Arc::clone(h)).collect();
            (handlers, slots.receivers.clone())
        };
        for handler in handlers {
            if catch_unwind(AssertUnwindSafe(|| handler(&event))).is_err() {
                tracing::error!("a signal handler panicked; the other handlers still run");
            }
        }
        let gone: Vec<u64> = receivers
            .iter()
            .filter(|(_, tx)| tx.send(event.clone()).is_err())
            .map(|(id, _)| *id)
            .collect();
        if !gone.is_empty() {
            self.slots().receivers.retain(|(id, _)| !gone.contains(id));
        }
    }
}

impl<T> Default for Signal<T> {
    fn default() -> Self {
        Signal::new()
    }
}

impl<T> fmt::Debug for Signal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots = self.slots();
        f.debug_struct("Signal")
            .field("handlers", &slots.handlers.len())
            .field("receivers", &slots.receivers.len())
            .finish()
    }
}

/// The wakers of the futures that wait for one thing, kept by whoever
/// changes it, under its lock.
///
/// A future registers its waker under the lock it checks the state with,
/// so that a change made after the check but before the registration
/// cannot be missed: whoever changes the state takes the lock too, and
/// takes the wakers with it. [`take`](Wakers::take) hands back every
/// waker, to be woken once the lock is released: all waiters are woken,
/// and each looks again. Waking them all costs a poll per waiter, but a
/// woken future that is dropped without looking cannot strand the others,
/// as waking one at a time would.
///
/// Each future keeps a [`WakerSlot`]: polling it again replaces its
/// waker instead of adding another, and dropping it removes it
/// ([`remove`](Wakers::remove)). A change with nobody waiting costs
/// one look at an empty vector ([`is_empty`](Wakers::is_empty)).
///
/// ```
/// use std::sync::Mutex;
/// use std::task::Waker;
/// use yoton_core::signal::{WakerSlot, Wakers};
///
/// let waiting = Mutex::new(Wakers::new());
/// let mut slot = WakerSlot::new();
/// // Polled twice: one waker is kept, not two.
/// waiting.lock().unwrap().register(&mut slot, Waker::noop());
/// waiting.lock().unwrap().register(&mut slot, Waker::noop());
/// let woken = waiting.lock().unwrap().take();
/// assert_eq!(woken.len(), 1);
/// woken.into_iter().for_each(Waker::wake); // after the lock is released
/// assert!(waiting.lock().unwrap().is_empty());
/// ```
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct Wakers {
    waiting: Vec<(u64, Waker)>,
    next_key: u64,
}

/// Where one future's waker is kept in a [`Wakers`] (empty until it is
/// first registered).
///
/// ```
/// use yoton_core::signal::WakerSlot;
///
/// let slot = WakerSlot::new();
/// assert!(!slot.is_registered());
/// ```
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct WakerSlot(Option<u64>);

impl WakerSlot {
    /// A slot that holds no waker.
    pub fn new() -> Self {
        WakerSlot(None)
    }

    /// Whether a waker was registered through this slot (and may still be
    /// kept): only then has a dropped future anything to
    /// [`remove`](Wakers::remove).
    pub fn is_registered(&self) -> bool {
        self.0.is_some()
    }
}

impl Wakers {
    /// Nobody waiting.
    pub fn new() -> Self {
        Wakers::default()
    }

    /// Keeps `waker` for the future of `slot`, in place of the waker it
    /// registered before if that one is still kept.
    pub fn register(&mut self, slot: &mut WakerSlot, waker: &Waker) {
        let key = match slot.0 {
            Some(key) => key,
            None => {
                self.next_key = self.next_key.wrapping_add(1);
                slot.0 = Some(self.next_key);
                self.next_key
            }
        };
        match self.waiting.iter_mut().find(|(k, _)| *k == key) {
            Some((_, kept)) => {
                if !kept.will_wake(waker) {
                    kept.clone_from(waker);
                }
            }
            None => self.waiting.push((key, waker.clone())),
        }
    }

    /// Forgets the waker of `slot` (its future is dropped, or done).
    pub fn remove(&mut self, slot: &mut WakerSlot) {
        if let Some(key) = slot.0.take() {
            self.waiting.retain(|(k, _)| *k != key);
        }
    }

    /// Whether no future waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Takes every waker, to wake once the lock is released. A future
    /// that is still pending when it is polled again registers again.
    #[must_use = "the wakers taken must be woken"]
    pub fn take(&mut self) -> Vec<Waker> {
        self.waiting.drain(..).map(|(_, waker)| waker).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[test]
    fn handlers_run_in_order_and_can_be_disconnected() {
        let signal = Signal::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let l1 = Arc::clone(&log);
        let h1 = signal.connect(move |v: &u32| l1.lock().unwrap().push(("a", *v)));
        let l2 = Arc::clone(&log);
        let _h2 = signal.connect(move |v: &u32| l2.lock().unwrap().push(("b", *v)));
        signal.emit(1);
        assert!(signal.disconnect(h1));
        assert!(!signal.disconnect(h1));
        signal.emit(2);
        assert_eq!(*log.lock().unwrap(), vec![("a", 1), ("b", 1), ("b", 2)]);
    }

    #[test]
    fn a_panicking_handler_does_not_stop_the_others() {
        let signal = Signal::new();
        let count = Arc::new(AtomicUsize::new(0));
        let _bad = signal.connect(|_: &u8| panic!("handler failure"));
        let c = Arc::clone(&count);
        let _good = signal.connect(move |_: &u8| {
            c.fetch_add(1, Ordering::SeqCst);
        });
        let rx = signal.subscribe();
        signal.emit(7);
        signal.emit(8);
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(7));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(8));
    }

    #[test]
    fn receivers_get_events_from_other_threads_and_dropped_ones_are_pruned() {
        let signal = Arc::new(Signal::new());
        let rx = signal.subscribe();
        let dropped = signal.subscribe();
        drop(dropped);
        let s = Arc::clone(&signal);
        let t = std::thread::spawn(move || s.emit("event".to_owned()));
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).as_deref(),
            Ok("event")
        );
        t.join().unwrap();
        assert_eq!(signal.subscriber_count(), 1);
    }

    #[test]
    fn a_handler_may_connect_another_while_emitting() {
        let signal = Arc::new(Signal::<u8>::new());
        let s = Arc::clone(&signal);
        let _h = signal.connect(move |_| {
            let _ = s.connect(|_| {});
        });
        signal.emit(1);
        assert_eq!(signal.subscriber_count(), 2);
    }

    #[test]
    fn wakers_keep_one_waker_per_slot_and_forget_removed_ones() {
        let mut wakers = Wakers::new();
        let (mut a, mut b) = (WakerSlot::new(), WakerSlot::new());
        wakers.register(&mut a, Waker::noop());
        wakers.register(&mut b, Waker::noop());
        wakers.register(&mut a, Waker::noop());
        wakers.remove(&mut b);
        assert!(!b.is_registered());
        assert_eq!(wakers.take().len(), 1);
        assert!(wakers.is_empty());
        // Taken, then pending again: registered anew under its old key.
        wakers.register(&mut a, Waker::noop());
        assert_eq!(wakers.take().len(), 1);
    }

    #[test]
    fn signal_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Signal<String>>();
        check::<Wakers>();
    }
}
