//! The receive queue of a channel: a bounded queue of received messages
//! that receivers wait on, for any channel kind that receives (sub
//! channels now, request/reply later).
//!
//! - [`push`](ReceiveQueue::push) takes a batch of deliveries (on a
//!   transport's receiving thread), drops and counts what does not fit, and
//!   wakes receivers only when someone sleeps.
//! - [`pop`](ReceiveQueue::pop) waits for a message, up to a deadline. A
//!   receiver that finds nothing first looks again for a little while (at
//!   most [`SPIN`]), watching an atomic length rather than taking the lock,
//!   and sleeps only then: a reply that comes quickly is taken without the
//!   cost of a wake-up. The look-again adapts: it shrinks while it does not
//!   pay off and grows back when messages come soon after sleeping.
//! - The `take_*` methods take several messages under one lock.
//! - A [`QueueWatch`] sees every change of length, under the lock (sync
//!   mode counts with it).
//! - [`Ready`] flags let a select wait on several queues at once.
//! - [`poll_pop`](ReceiveQueue::poll_pop) and
//!   [`poll_take`](ReceiveQueue::poll_take) are the async receives: a
//!   future that finds nothing leaves its waker under the lock, and a push
//!   or the closing wakes every such waker (each future looks again; the
//!   one that finds a message takes it). A message leaves the queue only
//!   in a poll that returns it, so a dropped future loses none. With no
//!   future waiting a push pays one look at an empty vector, under the
//!   lock it takes anyway.
//!
//! Items keep their receive order ([`Delivery::recv_seq`]) so that several
//! queues of one context can be read in the order they were filled.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton_core::Delivery;
use yoton_core::signal::{WakerSlot, Wakers};

use crate::error::{RecvTimeoutError, TryRecvError};
use crate::lock;
use crate::look_again::LookAgain;

/// How long a receiver that finds nothing keeps looking (yielding its
/// core) before it sleeps, at most. A reply usually comes within this in a
/// request and reply exchange, and waking a sleeping thread costs about as
/// much again: on loopback this takes the 8-byte round trip over TCP from
/// about 85 to about 45 us.
pub(crate) const SPIN: Duration = Duration::from_micros(50);

/// The receive queue bound of a [`SubChannel`](crate::SubChannel) by
/// default (the reference's).
pub const DEFAULT_CAPACITY: usize = 10_000;

/// What a full receive queue gives up to make room.
///
/// Either way the message given up is counted in
/// [`SubChannel::dropped`](crate::SubChannel::dropped). The `received`
/// signal counts only the messages that were queued: with `DropNewest`, a
/// message dropped on arrival is never signalled, so a program waiting for
/// N emissions under a flood may wait forever; with `DropOldest` every
/// arrival is signalled, but some may be gone before they are read.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{Overflow, SubOptions};
///
/// let options = SubOptions::new().capacity(100).overflow(Overflow::DropNewest);
/// assert_eq!(options.get_overflow(), Overflow::DropNewest);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Overflow {
    /// Drop the oldest pending message (the reference's default, `old`).
    #[default]
    DropOldest,
    /// Drop the message that just arrived (the reference's `new`).
    DropNewest,
}

/// Sees every change of a queue's length and its closing, under the
/// queue's lock.
pub(crate) trait QueueWatch: Send + 'static {
    /// The queue now holds `len` messages.
    fn on_len(&mut self, len: usize);

    /// The queue closed.
    fn on_close(&mut self) {}
}

impl QueueWatch for () {
    fn on_len(&mut self, _len: usize) {}
}

/// An async receive found the queue closed and empty.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Closed;

/// What [`ReceiveQueue::push`] did.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pushed {
    /// Messages queued.
    pub(crate) added: usize,
    /// Messages dropped because the queue was full.
    pub(crate) dropped: u64,
}

/// A flag that a select sleeps on, set by every queue it watches when a
/// message arrives or the queue closes.
#[derive(Debug, Default)]
#[allow(unreachable_pub)] // named by the sealed trait of selects
pub struct Ready {
    set: Mutex<bool>,
    changed: Condvar,
}

impl Ready {
    /// Sets the flag and wakes the select.
    fn set(&self) {
        *lock(&self.set) = true;
        self.changed.notify_all();
    }

    /// Waits until the flag is set or `deadline` passes (forever if `None`),
    /// and clears it. True if it was set.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut set = lock(&self.set);
        loop {
            if *set {
                *set = false;
                return true;
            }
            let now = Instant::now();
            set = match deadline {
                None => self.changed.wait(set).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) if now >= deadline => return false,
                Some(deadline) => {
                    self.changed
                        .wait_timeout(set, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

struct Inner<W> {
    items: VecDeque<(u64, Bytes)>,
    /// How many receivers sleep on the condition variable: a push only
    /// notifies (a system call) when someone sleeps.
    sleepers: usize,
    /// Selects waiting on this queue among others.
    ready: Vec<Arc<Ready>>,
    /// Async receivers waiting for a message (or the closing).
    wakers: Wakers,
    watch: W,
}

/// A bounded queue of received messages; see the [module](self).
pub(crate) struct ReceiveQueue<W: QueueWatch = ()> {
    inner: Mutex<Inner<W>>,
    available: Condvar,
    /// The length of `items`, updated under the lock, read without it.
    len: AtomicUsize,
    closed: AtomicBool,
    dropped: AtomicU64,
    look_again: LookAgain,
    capacity: usize,
    overflow: Overflow,
}

impl<W: QueueWatch> fmt::Debug for ReceiveQueue<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiveQueue")
            .field("pending", &self.len())
            .field("dropped", &self.dropped())
            .field("closed", &self.is_closed())
            .field("capacity", &self.capacity)
            .field("overflow", &self.overflow)
            .finish()
    }
}

impl<W: QueueWatch> ReceiveQueue<W> {
    /// An empty queue holding up to `capacity` messages (at least 1).
    pub(crate) fn new(capacity: usize, overflow: Overflow, watch: W) -> Self {
        ReceiveQueue {
            inner: Mutex::new(Inner {
                items: VecDeque::new(),
                sleepers: 0,
                ready: Vec::new(),
                wakers: Wakers::new(),
                watch,
            }),
            available: Condvar::new(),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            look_again: LookAgain::new(SPIN),
            capacity: capacity.max(1),
            overflow,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<W>> {
        lock(&self.inner)
    }

    /// After `items` changed: the atomic length and the watch follow.
    fn changed(&self, inner: &mut Inner<W>) {
        let len = inner.items.len();
        self.len.store(len, Ordering::Release);
        inner.watch.on_len(len);
    }

    /// Queues the non-empty deliveries of a batch (taking them out of
    /// `deliveries`), dropping by the overflow policy when full, and wakes
    /// whoever waits. Nothing is queued once the queue is closed.
    pub(crate) fn push(&self, deliveries: &mut Vec<Delivery>) -> Pushed {
        let mut pushed = Pushed::default();
        let wake_sleepers;
        let mut wakers = Vec::new();
        {
            let mut inner = self.lock();
            if self.is_closed() {
                return pushed;
            }
            for d in deliveries.drain(..) {
                if d.package.data.is_empty() {
                    continue;
                }
                if inner.items.len() >= self.capacity {
                    pushed.dropped += 1;
                    match self.overflow {
                        Overflow::DropOldest => {
                            inner.items.pop_front();
                        }
                        Overflow::DropNewest => continue,
                    }
                }
                inner.items.push_back((d.recv_seq, d.package.data));
                pushed.added += 1;
            }
            self.changed(&mut inner);
            wake_sleepers = pushed.added > 0 && inner.sleepers > 0;
            if pushed.added > 0 {
                inner.ready.iter().for_each(|r| r.set());
                if !inner.wakers.is_empty() {
                    wakers = inner.wakers.take();
                }
            }
        }
        if pushed.dropped > 0 {
            let total = self.dropped.fetch_add(pushed.dropped, Ordering::Relaxed) + pushed.dropped;
            tracing::warn!(
                dropped = pushed.dropped,
                total,
                capacity = self.capacity,
                "receive queue full: messages dropped"
            );
        }
        if wake_sleepers {
            self.available.notify_all();
        }
        wakers.into_iter().for_each(Waker::wake);
        pushed
    }

    /// Takes the oldest message without waiting.
    pub(crate) fn try_pop(&self) -> Result<Bytes, TryRecvError> {
        let mut inner = self.lock();
        match self.pop_locked(&mut inner) {
            Ok(Some(data)) => Ok(data),
            Ok(None) => Err(TryRecvError::Empty),
            Err(RecvTimeoutError::Closed) => Err(TryRecvError::Closed),
            Err(RecvTimeoutError::Timeout) => Err(TryRecvError::Empty),
        }
    }

    /// `Some` message, `None` when empty, `Err(Closed)` when closed and
    /// empty.
    fn pop_locked(&self, inner: &mut Inner<W>) -> Result<Option<Bytes>, RecvTimeoutError> {
        match inner.items.pop_front() {
            Some((_, data)) => {
                self.changed(inner);
                Ok(Some(data))
            }
            None if self.is_closed() => Err(RecvTimeoutError::Closed),
            None => Ok(None),
        }
    }

    /// Takes the oldest message, waiting until `deadline` (forever if
    /// `None`, and then only `Closed` can come back): looks again for a
    /// while, then sleeps.
    pub(crate) fn pop(&self, deadline: Option<Instant>) -> Result<Bytes, RecvTimeoutError> {
        if let Some(data) = self.pop_locked(&mut self.lock())? {
            return Ok(data);
        }
        // Look again without the lock, for a while.
        let began = Instant::now();
        if deadline.is_some_and(|d| began >= d) {
            return Err(RecvTimeoutError::Timeout);
        }
        self.look_again.look(deadline, || {
            self.len.load(Ordering::Acquire) > 0 || self.is_closed()
        });
        let mut inner = self.lock();
        if let Some(data) = self.pop_locked(&mut inner)? {
            self.look_again.paid(true);
            return Ok(data);
        }
        // Sleep.
        loop {
            let now = Instant::now();
            let wait = match deadline {
                Some(deadline) if now >= deadline => {
                    self.look_again.paid(false);
                    return Err(RecvTimeoutError::Timeout);
                }
                Some(deadline) => Some(deadline - now),
                None => None,
            };
            inner.sleepers += 1;
            inner = match wait {
                None => self
                    .available
                    .wait(inner)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(wait) => {
                    self.available
                        .wait_timeout(inner, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            inner.sleepers -= 1;
            if let Some(data) = self.pop_locked(&mut inner)? {
                self.look_again.woke(began);
                return Ok(data);
            }
        }
    }

    /// The async pop: the oldest message if there is one, `Closed` when
    /// closed and empty, else `Pending` with the waker of `slot` kept under
    /// the lock (a push after the look wakes it).
    pub(crate) fn poll_pop(
        &self,
        cx: &mut TaskContext<'_>,
        slot: &mut WakerSlot,
    ) -> Poll<Result<Bytes, Closed>> {
        let mut inner = self.lock();
        match self.pop_locked(&mut inner) {
            Ok(Some(data)) => {
                inner.wakers.remove(slot);
                Poll::Ready(Ok(data))
            }
            Ok(None) => {
                inner.wakers.register(slot, cx.waker());
                Poll::Pending
            }
            Err(_) => {
                inner.wakers.remove(slot);
                Poll::Ready(Err(Closed))
            }
        }
    }

    /// The async batch: up to `max` (at least 1) pending messages, in
    /// order, as [`poll_pop`](ReceiveQueue::poll_pop) waits for one.
    pub(crate) fn poll_take(
        &self,
        cx: &mut TaskContext<'_>,
        slot: &mut WakerSlot,
        max: usize,
    ) -> Poll<Result<Vec<Bytes>, Closed>> {
        let mut inner = self.lock();
        if inner.items.is_empty() {
            if self.is_closed() {
                inner.wakers.remove(slot);
                return Poll::Ready(Err(Closed));
            }
            inner.wakers.register(slot, cx.waker());
            return Poll::Pending;
        }
        let n = inner.items.len().min(max.max(1));
        let items = inner.items.drain(..n).map(|(_, data)| data).collect();
        self.changed(&mut inner);
        inner.wakers.remove(slot);
        Poll::Ready(Ok(items))
    }

    /// Forgets the waker of an async receiver that is dropped.
    pub(crate) fn forget_waker(&self, slot: &mut WakerSlot) {
        if slot.is_registered() {
            self.lock().wakers.remove(slot);
        }
    }

    /// Takes every pending message, in order (possibly none; never waits).
    pub(crate) fn take_all(&self) -> Vec<(u64, Bytes)> {
        let mut inner = self.lock();
        let items = inner.items.drain(..).collect();
        self.changed(&mut inner);
        items
    }

    /// Waits until `deadline` (forever if `None`) until messages are
    /// pending, then takes all of them, in order.
    pub(crate) fn take_all_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<VecDeque<(u64, Bytes)>, RecvTimeoutError> {
        let mut inner = self.lock();
        loop {
            if !inner.items.is_empty() {
                break;
            }
            if self.is_closed() {
                return Err(RecvTimeoutError::Closed);
            }
            let now = Instant::now();
            let wait = match deadline {
                Some(deadline) if now >= deadline => return Err(RecvTimeoutError::Timeout),
                Some(deadline) => deadline - now,
                None => Duration::MAX,
            };
            inner.sleepers += 1;
            inner = self
                .available
                .wait_timeout(inner, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            inner.sleepers -= 1;
        }
        let capacity = inner.items.capacity();
        let items = std::mem::replace(&mut inner.items, VecDeque::with_capacity(capacity));
        self.changed(&mut inner);
        Ok(items)
    }

    /// Takes the pending messages received before `before` (by receive
    /// order), in order.
    pub(crate) fn take_before(&self, before: u64) -> Vec<Bytes> {
        let mut inner = self.lock();
        let n = inner
            .items
            .iter()
            .take_while(|(seq, _)| *seq < before)
            .count();
        let items = inner.items.drain(..n).map(|(_, data)| data).collect();
        self.changed(&mut inner);
        items
    }

    /// The receive order of the first pending message and one past that of
    /// the last, or `None` when nothing is pending.
    pub(crate) fn pending_order(&self) -> Option<(u64, u64)> {
        let inner = self.lock();
        let first = inner.items.front()?.0;
        let last = inner.items.back()?.0;
        Some((first, last + 1))
    }

    /// How many messages are pending.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// How many messages were dropped because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Closes the queue: nothing more is queued, and every receiver and
    /// select is woken. Pending messages can still be taken. True the
    /// first time.
    pub(crate) fn close(&self) -> bool {
        let (first, wakers) = {
            let mut inner = self.lock();
            let first = !self.closed.swap(true, Ordering::AcqRel);
            if first {
                inner.watch.on_close();
                inner.ready.iter().for_each(|r| r.set());
            }
            (first, inner.wakers.take())
        };
        self.available.notify_all();
        wakers.into_iter().for_each(Waker::wake);
        first
    }

    /// Whether the queue is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Runs `f` on the watch and the current length, under the lock.
    pub(crate) fn with_watch<R>(&self, f: impl FnOnce(&mut W, usize) -> R) -> R {
        let mut inner = self.lock();
        let len = inner.items.len();
        f(&mut inner.watch, len)
    }

    /// Sets `ready` whenever a message arrives or the queue closes, until
    /// [`unwatch`](ReceiveQueue::unwatch).
    pub(crate) fn watch(&self, ready: &Arc<Ready>) {
        self.lock().ready.push(Arc::clone(ready));
    }

    /// Stops setting `ready`.
    pub(crate) fn unwatch(&self, ready: &Arc<Ready>) {
        self.lock().ready.retain(|r| !Arc::ptr_eq(r, ready));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoton_core::{Package, Slot};

    fn deliveries(range: std::ops::Range<u64>) -> Vec<Delivery> {
        range
            .map(|i| Delivery {
                package: Package::new(Slot::from_name("q"), i.to_string()),
                recv_seq: i,
            })
            .collect()
    }

    #[test]
    fn drops_by_policy_and_counts() {
        let oldest = ReceiveQueue::new(2, Overflow::DropOldest, ());
        assert_eq!(oldest.push(&mut deliveries(0..5)).dropped, 3);
        assert_eq!(oldest.dropped(), 3);
        assert_eq!(oldest.try_pop().unwrap(), "3");
        let newest = ReceiveQueue::new(2, Overflow::DropNewest, ());
        let pushed = newest.push(&mut deliveries(0..5));
        assert_eq!((pushed.added, pushed.dropped), (2, 3));
        assert_eq!(newest.try_pop().unwrap(), "0");
        assert_eq!(newest.len(), 1);
    }

    #[test]
    fn pop_times_out_then_reports_closing_after_draining() {
        let q = ReceiveQueue::new(10, Overflow::DropOldest, ());
        let soon = Instant::now() + Duration::from_millis(5);
        assert_eq!(q.pop(Some(soon)), Err(RecvTimeoutError::Timeout));
        assert_eq!(q.try_pop(), Err(TryRecvError::Empty));
        q.push(&mut deliveries(0..1));
        assert!(q.close());
        assert!(!q.close());
        assert_eq!(q.pop(None).unwrap(), "0");
        assert_eq!(q.pop(None), Err(RecvTimeoutError::Closed));
        assert_eq!(q.push(&mut deliveries(1..2)).added, 0);
    }

    #[test]
    fn a_sleeping_pop_is_woken_by_a_push_from_another_thread() {
        let q = Arc::new(ReceiveQueue::new(10, Overflow::DropOldest, ()));
        let pusher = {
            let q = Arc::clone(&q);
            std::thread::spawn(move || {
                // Push only once the receiver sleeps, so that the wake-up
                // itself is tested.
                while q.lock().sleepers == 0 {
                    std::thread::yield_now();
                }
                q.push(&mut deliveries(7..8));
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        assert_eq!(q.pop(Some(deadline)).unwrap(), "7");
        pusher.join().unwrap();
    }

    #[test]
    fn a_pop_that_times_out_shortens_the_look_again() {
        let q = ReceiveQueue::new(10, Overflow::DropOldest, ());
        for _ in 0..3 {
            // Far beyond the look-again: the pop looks, sleeps, times out.
            let later = Instant::now() + Duration::from_millis(100);
            assert_eq!(q.pop(Some(later)), Err(RecvTimeoutError::Timeout));
        }
        assert_eq!(q.look_again.current(), SPIN / 8);
    }

    #[test]
    fn the_watch_sees_every_length_and_the_close() {
        #[derive(Default)]
        struct Seen(Vec<usize>, bool);
        impl QueueWatch for Seen {
            fn on_len(&mut self, len: usize) {
                self.0.push(len);
            }
            fn on_close(&mut self) {
                self.1 = true;
            }
        }
        let q = ReceiveQueue::new(10, Overflow::DropOldest, Seen::default());
        q.push(&mut deliveries(0..3));
        q.try_pop().unwrap();
        q.take_all();
        q.close();
        q.with_watch(|seen, len| {
            assert_eq!(seen.0, [3, 2, 0]);
            assert!(seen.1);
            assert_eq!(len, 0);
        });
    }

    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl std::task::Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn an_async_pop_waits_under_the_lock_and_is_woken_by_push_and_close() {
        let q = ReceiveQueue::new(10, Overflow::DropOldest, ());
        let counting = Arc::new(Counting::default());
        let waker = Waker::from(Arc::clone(&counting));
        let mut cx = TaskContext::from_waker(&waker);
        let (mut a, mut b) = (WakerSlot::new(), WakerSlot::new());
        assert!(q.poll_pop(&mut cx, &mut a).is_pending());
        assert!(q.poll_take(&mut cx, &mut b, 5).is_pending());
        assert!(q.poll_pop(&mut cx, &mut a).is_pending()); // replaces, adds none
        assert_eq!(q.lock().wakers.take().len(), 2);
        assert!(q.poll_pop(&mut cx, &mut a).is_pending());
        assert!(q.poll_take(&mut cx, &mut b, 5).is_pending());
        q.push(&mut deliveries(0..3));
        assert_eq!(
            counting.0.load(Ordering::SeqCst),
            2,
            "a push wakes every waiter"
        );
        assert_eq!(
            q.poll_pop(&mut cx, &mut a),
            Poll::Ready(Ok(Bytes::from("0")))
        );
        let rest = q.poll_take(&mut cx, &mut b, 5);
        assert_eq!(
            rest,
            Poll::Ready(Ok(vec![Bytes::from("1"), Bytes::from("2")]))
        );
        assert!(q.lock().wakers.is_empty(), "a ready poll leaves no waker");
        assert!(q.poll_pop(&mut cx, &mut a).is_pending());
        q.forget_waker(&mut a);
        assert!(
            q.lock().wakers.is_empty(),
            "a dropped future's waker is forgotten"
        );
        assert!(q.poll_pop(&mut cx, &mut a).is_pending());
        q.close();
        assert_eq!(counting.0.load(Ordering::SeqCst), 3, "closing wakes");
        assert_eq!(q.poll_pop(&mut cx, &mut a), Poll::Ready(Err(Closed)));
        assert_eq!(q.poll_take(&mut cx, &mut b, 1), Poll::Ready(Err(Closed)));
    }

    #[test]
    fn a_ready_flag_is_set_by_a_push_and_by_closing() {
        let q = ReceiveQueue::new(10, Overflow::DropOldest, ());
        let ready = Arc::new(Ready::default());
        q.watch(&ready);
        assert!(!ready.wait(Some(Instant::now())));
        q.push(&mut deliveries(0..1));
        assert!(ready.wait(Some(Instant::now() + Duration::from_secs(10))));
        q.close();
        assert!(ready.wait(Some(Instant::now() + Duration::from_secs(10))));
        q.unwatch(&ready);
        assert_eq!(q.lock().ready.len(), 0);
    }
}
