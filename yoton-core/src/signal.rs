//! Signals: thread-safe events that handlers and receivers subscribe to.
//!
//! Connections report `closed` and `timedout`, and channels report
//! `received`, through a [`Signal`]. A caller either connects a handler,
//! which runs on the thread that emits, or subscribes a
//! [`crossbeam_channel::Receiver`] to consume the events in a thread of its
//! own choosing.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crossbeam_channel::{Receiver, Sender};

type Handler<T> = Arc<dyn Fn(&T) + Send + Sync>;

/// A thread-safe event source with handlers and subscribed receivers.
///
/// Handlers run on the thread that calls [`emit`](Signal::emit), one after
/// the other, in the order they were connected. For a connection's signals
/// that is the transport's receiving thread or the thread that closes the
/// connection; a handler should therefore be quick and must not wait for
/// the connection that emits. A handler that panics is caught: the panic is
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
    fn signal_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Signal<String>>();
    }
}
