//! The publish/subscribe pattern: [`PubChannel`] sends to every
//! [`SubChannel`] of the same slot in the network.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use yoton_core::{Context, Delivery, Endpoint, Signal, Slot};

use crate::error::{Error, Result};
use crate::message::MessageType;
use crate::slot::{PUB, Registration, SUB, SlotName};
use crate::sync::{QueueStatus, REPEAT_INTERVAL, SEND_BLOCK, SendLock};

/// How long a receiver that finds nothing keeps looking (yielding its
/// core) before it sleeps. A reply usually comes within this in a request
/// and reply exchange, and waking a sleeping thread costs about as much
/// again: on loopback this takes the 8-byte round trip over TCP from about
/// 85 to about 45 us.
const SPIN: Duration = Duration::from_micros(50);

/// The receive queue bound of a [`SubChannel`] by default (the reference's).
pub const DEFAULT_CAPACITY: usize = 10_000;

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks (decoding and signal
    // handlers run outside them); the data stays consistent anyway.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A unique number per sub channel, so that a [`Selection`] is only used
/// with the channel it selected.
static NEXT_SUB_ID: AtomicU64 = AtomicU64::new(1);

// ---------------------------------------------------------------------------
// PubChannel

/// The publishing side of the publish/subscribe pattern.
///
/// Every message sent is received, as one message, by every [`SubChannel`]
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
/// use std::sync::Arc;
/// use std::time::Duration;
/// use yoton_channels::{PubChannel, SubChannel};
/// use yoton_core::Context;
/// use yoton_inproc::InprocTransport;
///
/// let (a, b) = (Context::new(), Context::new());
/// a.register_transport(Arc::new(InprocTransport::new()));
/// b.register_transport(Arc::new(InprocTransport::new()));
/// let bound = a.bind("inproc://").unwrap();
/// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
///
/// let news = PubChannel::<String>::new(&a, "news").unwrap();
/// let reader = SubChannel::<String>::new(&b, "news").unwrap();
/// news.send("hello").unwrap();
/// assert_eq!(reader.recv_timeout(Duration::from_secs(10)).unwrap(), "hello");
/// ```
pub struct PubChannel<M: MessageType> {
    core: Arc<PubCore>,
    registration: Registration,
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

impl PubCore {
    /// Marks the channel closed; true the first time.
    fn mark_closed(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        let _guard = lock(&self.lock);
        self.unblocked.notify_all();
        first
    }

    /// Waits up to [`SEND_BLOCK`] while a source says `full`.
    fn wait_while_blocked(&self) {
        let deadline = Instant::now() + SEND_BLOCK;
        let mut state = lock(&self.lock);
        loop {
            let now = Instant::now();
            if !state.is_blocked(now) {
                self.blocked.store(false, Ordering::Release);
                return;
            }
            if now >= deadline || self.closed.load(Ordering::Acquire) {
                return;
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
    /// Fails with [`Error::Core`]`(`[`yoton_core::Error::SlotTaken`]`)` if
    /// another channel of this context has one of these slots.
    ///
    /// ```
    /// use yoton_channels::{Error, PubChannel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let first = PubChannel::<String>::new(&ctx, "logs").unwrap();
    /// assert_eq!(first.slot_outgoing().name(), "logs.txt.pub-sub");
    /// let second = PubChannel::<String>::new(&ctx, "logs");
    /// assert!(matches!(second, Err(Error::Core(yoton_core::Error::SlotTaken { .. }))));
    /// ```
    pub fn new(context: &Context, name: &str) -> Result<Self> {
        let core = Arc::new(PubCore {
            closed: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            lock: Mutex::new(SendLock::default()),
            unblocked: Condvar::new(),
        });
        let registration = Registration::new(context, name, &M::type_name(), PUB, core.clone())?;
        Ok(PubChannel {
            core,
            registration,
            _type: PhantomData,
        })
    }

    /// Sends a message to every sub channel of this slot in the network.
    ///
    /// A message that encodes to no bytes is not sent (`Ok` all the same).
    /// While a sub channel in sync mode says `full`, waits up to 1 s first.
    /// May also wait while a connection's queue is full (backpressure).
    /// Fails with [`Error::Closed`] once the channel is closed, and with
    /// [`Error::Encode`] if the message cannot be encoded.
    ///
    /// ```
    /// use yoton_channels::{Error, PubChannel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<Vec<u8>>::new(&ctx, "raw").unwrap();
    /// out.send(b"\x00\x01").unwrap(); // queued until the context connects
    /// out.send(b"").unwrap(); // empty: not sent
    /// assert_eq!(ctx.startup_queued(), 1);
    /// out.close();
    /// assert!(matches!(out.send(b"late"), Err(Error::Closed { .. })));
    /// ```
    pub fn send(&self, message: &M::Borrowed) -> Result<()> {
        if self.core.closed.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        let bytes = M::encode(message).map_err(|source| Error::Encode {
            type_name: M::type_name(),
            source,
        })?;
        self.send_bytes(bytes)
    }

    /// Sends bytes that already are an encoded message of this channel's
    /// type, as they are: no encoding and no copy (a [`Bytes`] made once can
    /// be sent many times, or a received message passed on). Otherwise as
    /// [`send`](PubChannel::send): empty data is not sent, sync mode and
    /// closing apply.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "pre-encoded").unwrap();
    /// let hello = Bytes::from_static(b"hello"); // UTF-8, as `txt` wants
    /// out.send_bytes(hello.clone()).unwrap();
    /// out.send_bytes(hello).unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send_bytes(&self, bytes: impl Into<Bytes>) -> Result<()> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Ok(());
        }
        if self.core.closed.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        if self.core.blocked.load(Ordering::Acquire) {
            self.core.wait_while_blocked();
            if self.core.closed.load(Ordering::Acquire) {
                return Err(self.closed_error());
            }
        }
        self.registration
            .context
            .send(self.registration.outgoing.slot(), bytes)?;
        Ok(())
    }

    /// Sends several pre-encoded messages, in order, as
    /// [`send_bytes`](PubChannel::send_bytes) does one by one, but through
    /// the context in one go ([`Context::send_batch`]): the per-message
    /// costs of locking and waking are paid once per batch. Empty messages
    /// are skipped; sync mode is honoured once, before the batch.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<Bytes>::new(&ctx, "frames").unwrap();
    /// let frames = (0u8..10).map(|i| Bytes::from(vec![i; 4]));
    /// out.send_bytes_batch(frames).unwrap();
    /// assert_eq!(ctx.startup_queued(), 10);
    /// ```
    pub fn send_bytes_batch<I>(&self, messages: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        if self.core.closed.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        if self.core.blocked.load(Ordering::Acquire) {
            self.core.wait_while_blocked();
            if self.core.closed.load(Ordering::Acquire) {
                return Err(self.closed_error());
            }
        }
        self.registration
            .context
            .send_batch(self.registration.outgoing.slot(), messages)?;
        Ok(())
    }

    /// Whether a sub channel in sync mode currently holds sends back (a
    /// `full` that has not lapsed).
    ///
    /// ```
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "unhindered").unwrap();
    /// assert!(!out.is_blocked());
    /// ```
    pub fn is_blocked(&self) -> bool {
        lock(&self.core.lock).is_blocked(Instant::now())
    }

    /// Closes the channel: unregisters its slots. Sending fails from then
    /// on. Closing twice does nothing.
    ///
    /// ```
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "once").unwrap();
    /// out.close();
    /// assert!(out.is_closed());
    /// // The slot is free again.
    /// let again = PubChannel::<String>::new(&ctx, "once").unwrap();
    /// ```
    pub fn close(&self) {
        if self.core.mark_closed() {
            self.registration.unregister();
        }
    }

    /// Whether the channel is closed (by [`close`](PubChannel::close) or by
    /// the context).
    ///
    /// ```
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "status").unwrap();
    /// ctx.close_channels();
    /// assert!(out.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.closed.load(Ordering::Acquire)
    }

    /// The slot messages are sent on (`base.type.pub-sub`).
    ///
    /// ```
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(out.slot_outgoing().slot().get(), 17460451874447);
    /// ```
    pub fn slot_outgoing(&self) -> &SlotName {
        &self.registration.outgoing
    }

    /// The slot sync words arrive on (`base.type.sub-pub`).
    ///
    /// ```
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(out.slot_incoming().name(), "chat.txt.sub-pub");
    /// ```
    pub fn slot_incoming(&self) -> &SlotName {
        &self.registration.incoming
    }

    /// The context this channel sends through.
    ///
    /// ```
    /// use yoton_channels::PubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let out = PubChannel::<String>::new(&ctx, "ctx").unwrap();
    /// assert_eq!(out.context().id(), ctx.id());
    /// ```
    pub fn context(&self) -> &Context {
        &self.registration.context
    }

    fn closed_error(&self) -> Error {
        Error::Closed {
            name: self.registration.outgoing.name().to_owned(),
        }
    }
}

impl<M: MessageType> Drop for PubChannel<M> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<M: MessageType> fmt::Debug for PubChannel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PubChannel")
            .field("slot", &self.registration.outgoing)
            .field("closed", &self.is_closed())
            .finish()
    }
}

// ---------------------------------------------------------------------------
// SubChannel

/// What a full [`SubChannel`] queue gives up to make room.
///
/// ```
/// use yoton_channels::{Overflow, SubOptions};
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

/// Options of a [`SubChannel`]: the receive queue bound and what to drop
/// when it is full.
///
/// ```
/// use std::sync::Arc;
/// use yoton_channels::{Overflow, SubChannel, SubOptions};
/// use yoton_core::Context;
///
/// let ctx = Context::new();
/// let options = SubOptions::new().capacity(2).overflow(Overflow::DropOldest);
/// let sub = SubChannel::<String>::with_options(&ctx, "small", options).unwrap();
/// assert_eq!(sub.options().get_capacity(), 2);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubOptions {
    capacity: usize,
    overflow: Overflow,
}

impl Default for SubOptions {
    fn default() -> Self {
        SubOptions {
            capacity: DEFAULT_CAPACITY,
            overflow: Overflow::DropOldest,
        }
    }
}

impl SubOptions {
    /// The defaults: 10 000 messages, dropping the oldest.
    ///
    /// ```
    /// use yoton_channels::{Overflow, SubOptions};
    /// assert_eq!(SubOptions::new().get_capacity(), 10_000);
    /// assert_eq!(SubOptions::new().get_overflow(), Overflow::DropOldest);
    /// ```
    pub fn new() -> Self {
        SubOptions::default()
    }

    /// How many messages may wait; at least 1.
    ///
    /// ```
    /// use yoton_channels::SubOptions;
    /// assert_eq!(SubOptions::new().capacity(0).get_capacity(), 1);
    /// ```
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// What to drop when the queue is full.
    ///
    /// ```
    /// use yoton_channels::{Overflow, SubOptions};
    /// let o = SubOptions::new().overflow(Overflow::DropNewest);
    /// assert_eq!(o.get_overflow(), Overflow::DropNewest);
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The queue bound.
    ///
    /// ```
    /// use yoton_channels::SubOptions;
    /// assert_eq!(SubOptions::new().capacity(5).get_capacity(), 5);
    /// ```
    pub fn get_capacity(&self) -> usize {
        self.capacity
    }

    /// What is dropped when the queue is full.
    ///
    /// ```
    /// use yoton_channels::{Overflow, SubOptions};
    /// assert_eq!(SubOptions::default().get_overflow(), Overflow::DropOldest);
    /// ```
    pub fn get_overflow(&self) -> Overflow {
        self.overflow
    }
}

/// The subscribing side of the publish/subscribe pattern.
///
/// Receives every message sent by a [`PubChannel`] of the same slot. The
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
/// use std::sync::Arc;
/// use std::time::Duration;
/// use yoton_channels::{PubChannel, SubChannel};
/// use yoton_core::Context;
/// use yoton_inproc::InprocTransport;
///
/// let (a, b) = (Context::new(), Context::new());
/// a.register_transport(Arc::new(InprocTransport::new()));
/// b.register_transport(Arc::new(InprocTransport::new()));
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
    core: Arc<SubCore>,
    registration: Registration,
    options: SubOptions,
    _type: PhantomData<fn() -> M>,
}

/// What a sub channel registers: its queue.
pub(crate) struct SubCore {
    pub(crate) id: u64,
    queue: Mutex<SubQueue>,
    available: Condvar,
    received: Signal<usize>,
    decode_errors: AtomicU64,
    options: SubOptions,
}

pub(crate) struct SubQueue {
    pub(crate) items: VecDeque<(u64, Bytes)>,
    dropped: u64,
    closed: bool,
    status: QueueStatus,
    /// Wakes the sync thread when the status changes; dropping it stops
    /// the thread.
    wake: Option<Sender<()>>,
    /// How many receivers wait on the condition variable: a delivery only
    /// notifies (a system call) when someone waits.
    waiters: usize,
}

impl SubQueue {
    /// Updates the sync status after the queue length changed.
    pub(crate) fn check_status(&mut self) {
        if let Some(next) = self.status.next(self.items.len()) {
            self.status = next;
            if let Some(wake) = &self.wake {
                let _ = wake.try_send(());
            }
        }
    }

    fn is_empty_now(&self) -> bool {
        self.items.is_empty() && !self.closed
    }

    fn pop(&mut self) -> Option<Bytes> {
        let item = self.items.pop_front();
        if item.is_some() {
            self.check_status();
        }
        item.map(|(_, data)| data)
    }
}

impl fmt::Debug for SubCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queue = lock(&self.queue);
        f.debug_struct("SubCore")
            .field("pending", &queue.items.len())
            .field("dropped", &queue.dropped)
            .field("closed", &queue.closed)
            .field("status", &queue.status)
            .finish()
    }
}

impl Endpoint for SubCore {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let capacity = self.options.capacity;
        let mut added = 0usize;
        let dropped_now;
        let someone_waits;
        {
            let mut queue = lock(&self.queue);
            if queue.closed {
                return;
            }
            let dropped_before = queue.dropped;
            for d in deliveries.drain(..) {
                if d.package.data.is_empty() {
                    continue;
                }
                if queue.items.len() >= capacity {
                    queue.dropped += 1;
                    match self.options.overflow {
                        Overflow::DropOldest => {
                            queue.items.pop_front();
                        }
                        Overflow::DropNewest => continue,
                    }
                }
                queue.items.push_back((d.recv_seq, d.package.data));
                added += 1;
            }
            queue.check_status();
            dropped_now = queue.dropped - dropped_before;
            someone_waits = queue.waiters > 0;
        }
        if dropped_now > 0 {
            tracing::warn!(
                dropped = dropped_now,
                capacity,
                "sub channel queue full: messages dropped"
            );
        }
        if added > 0 {
            if someone_waits {
                self.available.notify_all();
            }
            if self.received.subscriber_count() > 0 {
                self.received.emit(added);
            }
        }
    }

    fn on_context_closed(&self) {
        self.mark_closed();
    }
}

impl SubCore {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SubQueue> {
        lock(&self.queue)
    }

    /// Marks the channel closed (stopping the sync thread); true the first
    /// time.
    fn mark_closed(&self) -> bool {
        let first = {
            let mut queue = self.lock();
            let first = !queue.closed;
            queue.closed = true;
            queue.status = QueueStatus::Off;
            queue.wake = None;
            first
        };
        self.available.notify_all();
        first
    }
}

/// Sends a sync word on a sub channel's outgoing slot, if connected (as the
/// reference: a word sent to nobody would only wait in the startup queue).
fn send_word(context: &Context, slot: Slot, word: &'static str) {
    if context.connection_count() == 0 {
        return;
    }
    if let Err(e) = context.send(slot, Bytes::from_static(word.as_bytes())) {
        tracing::debug!(error = %e, word, "sync word not sent");
    }
}

/// The sync thread of a sub channel: sends the current word when the
/// status changes and repeats it every 4 s; on the way out (sync mode off,
/// channel closed), releases the pub channels if it last said `full`.
fn run_sync_thread(core: Weak<SubCore>, context: Context, slot: Slot, wake: Receiver<()>) {
    let mut last: Option<(QueueStatus, Instant)> = None;
    loop {
        let wait = match last {
            None => Duration::ZERO,
            Some((_, at)) => (at + REPEAT_INTERVAL).saturating_duration_since(Instant::now()),
        };
        let stopped = crossbeam_channel::select! {
            recv(wake) -> message => message.is_err(),
            default(wait) => false,
        };
        let status = match core.upgrade() {
            Some(core) if !stopped => core.lock().status,
            _ => QueueStatus::Off,
        };
        let Some(word) = status.word() else {
            if matches!(last, Some((QueueStatus::Full, _))) {
                send_word(&context, slot, crate::sync::WORD_OK);
            }
            return;
        };
        let now = Instant::now();
        let due = match last {
            None => true,
            Some((said, at)) => said != status || now >= at + REPEAT_INTERVAL,
        };
        if due {
            send_word(&context, slot, word);
            last = Some((status, now));
        }
    }
}

impl<M: MessageType> SubChannel<M> {
    /// A sub channel on `context` with base name `name` and the default
    /// options: it receives on `name.<type>.pub-sub` and sends sync words on
    /// `name.<type>.sub-pub`.
    ///
    /// Fails with [`Error::Core`]`(`[`yoton_core::Error::SlotTaken`]`)` if
    /// another channel of this context has one of these slots.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
    /// ```
    /// use yoton_channels::{Overflow, SubChannel, SubOptions};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let opts = SubOptions::new().capacity(50).overflow(Overflow::DropNewest);
    /// let sub = SubChannel::<Vec<u8>>::with_options(&ctx, "frames", opts).unwrap();
    /// assert_eq!(sub.options(), opts);
    /// ```
    pub fn with_options(context: &Context, name: &str, options: SubOptions) -> Result<Self> {
        let core = Arc::new(SubCore {
            id: NEXT_SUB_ID.fetch_add(1, Ordering::Relaxed),
            queue: Mutex::new(SubQueue {
                items: VecDeque::new(),
                dropped: 0,
                closed: false,
                status: QueueStatus::Off,
                wake: None,
                waiters: 0,
            }),
            available: Condvar::new(),
            received: Signal::new(),
            decode_errors: AtomicU64::new(0),
            options,
        });
        let registration = Registration::new(context, name, &M::type_name(), SUB, core.clone())?;
        Ok(SubChannel {
            core,
            registration,
            options,
            _type: PhantomData,
        })
    }

    /// Decodes a received message; an undecodable one is counted, logged
    /// and skipped.
    fn decode(&self, data: Bytes) -> Option<M::Message> {
        match M::decode(data) {
            Ok(message) => Some(message),
            Err(e) => {
                let count = self.core.decode_errors.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(
                    error = %e,
                    count,
                    slot = self.registration.incoming.name(),
                    "undecodable message skipped"
                );
                None
            }
        }
    }

    fn closed_error(&self) -> Error {
        Error::Closed {
            name: self.registration.incoming.name().to_owned(),
        }
    }

    /// Waits for the next message until `deadline` (forever if `None`).
    fn recv_until(&self, deadline: Option<Instant>, waited: Duration) -> Result<M::Message> {
        let mut spun = false;
        loop {
            let data = {
                let mut queue = self.core.lock();
                loop {
                    if let Some(data) = queue.pop() {
                        break data;
                    }
                    if queue.closed {
                        return Err(self.closed_error());
                    }
                    let now = Instant::now();
                    if deadline.is_some_and(|d| now >= d) {
                        return Err(Error::Timeout { after: waited });
                    }
                    if !spun {
                        spun = true;
                        drop(queue);
                        let spin_until = now + SPIN;
                        while Instant::now() < spin_until && self.core.lock().is_empty_now() {
                            std::thread::yield_now();
                        }
                        queue = self.core.lock();
                        continue;
                    }
                    queue.waiters += 1;
                    queue = match deadline {
                        None => self
                            .core
                            .available
                            .wait(queue)
                            .unwrap_or_else(|e| e.into_inner()),
                        Some(deadline) => {
                            self.core
                                .available
                                .wait_timeout(queue, deadline - now)
                                .unwrap_or_else(|e| e.into_inner())
                                .0
                        }
                    };
                    queue.waiters -= 1;
                }
            };
            if let Some(message) = self.decode(data) {
                return Ok(message);
            }
        }
    }

    /// Receives the next message, waiting as long as it takes.
    /// A receiver that finds nothing looks again for up to 50 us, yielding
    /// its core, before it sleeps: replies that come quickly are taken
    /// without the cost of a wake-up.
    ///
    /// Fails with [`Error::Closed`] once the channel is closed and nothing
    /// is pending (pending messages are still returned after `close`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use yoton_channels::{PubChannel, SubChannel};
    /// use yoton_core::Context;
    /// use yoton_inproc::InprocTransport;
    ///
    /// let (a, b) = (Context::new(), Context::new());
    /// a.register_transport(Arc::new(InprocTransport::new()));
    /// b.register_transport(Arc::new(InprocTransport::new()));
    /// let bound = a.bind("inproc://").unwrap();
    /// b.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let out = PubChannel::<String>::new(&a, "recv-doc").unwrap();
    /// let sub = SubChannel::<String>::new(&b, "recv-doc").unwrap();
    /// out.send("one").unwrap();
    /// assert_eq!(sub.recv().unwrap(), "one");
    /// ```
    pub fn recv(&self) -> Result<M::Message> {
        self.recv_until(None, Duration::ZERO)
    }

    /// Receives the next message, waiting at most `timeout`.
    ///
    /// Fails with [`Error::Timeout`] when nothing comes in time, and with
    /// [`Error::Closed`] once the channel is closed and nothing is pending.
    ///
    /// ```
    /// use std::time::Duration;
    /// use yoton_channels::{Error, SubChannel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "quiet").unwrap();
    /// let err = sub.recv_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert!(matches!(err, Error::Timeout { .. }));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<M::Message> {
        let deadline = Instant::now().checked_add(timeout);
        self.recv_until(deadline, timeout)
    }

    /// Receives a pending message without waiting.
    ///
    /// Fails with [`Error::Empty`] when nothing is pending, and with
    /// [`Error::Closed`] once the channel is closed and nothing is pending.
    ///
    /// ```
    /// use yoton_channels::{Error, SubChannel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "try").unwrap();
    /// assert!(matches!(sub.try_recv(), Err(Error::Empty)));
    /// ```
    pub fn try_recv(&self) -> Result<M::Message> {
        loop {
            let data = {
                let mut queue = self.core.lock();
                match queue.pop() {
                    Some(data) => data,
                    None if queue.closed => return Err(self.closed_error()),
                    None => return Err(Error::Empty),
                }
            };
            if let Some(message) = self.decode(data) {
                return Ok(message);
            }
        }
    }

    /// Takes every pending message out of the queue (under one lock) and
    /// returns them in order. The vector may be empty; never waits.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "iter").unwrap();
    /// for message in sub.try_iter() {
    ///     println!("{message}");
    /// }
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, M> {
        let items: Vec<(u64, Bytes)> = {
            let mut queue = self.core.lock();
            let items = queue.items.drain(..).collect();
            queue.check_status();
            items
        };
        TryIter {
            channel: self,
            items: items.into_iter(),
        }
    }

    /// Waits up to `timeout` until messages are pending, then appends all
    /// of them to `out`, in order, and returns how many were added. The
    /// queue is taken under one lock and decoded after releasing it, so a
    /// reader that keeps up with a fast stream pays per batch, not per
    /// message; `out` can be reused from call to call.
    ///
    /// Fails with [`Error::Timeout`] when nothing comes in time, and with
    /// [`Error::Closed`] once the channel is closed and nothing is pending.
    /// Undecodable messages are skipped (and counted), so the count may be
    /// 0 when only such messages were pending.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use yoton_channels::{PubChannel, SubChannel};
    /// use yoton_core::Context;
    /// use yoton_inproc::InprocTransport;
    ///
    /// let (a, b) = (Context::new(), Context::new());
    /// a.register_transport(Arc::new(InprocTransport::new()));
    /// b.register_transport(Arc::new(InprocTransport::new()));
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
    pub fn recv_batch(&self, out: &mut Vec<M::Message>, timeout: Duration) -> Result<usize> {
        let deadline = Instant::now().checked_add(timeout);
        let items = {
            let mut queue = self.core.lock();
            loop {
                if !queue.items.is_empty() {
                    break;
                }
                if queue.closed {
                    return Err(self.closed_error());
                }
                let now = Instant::now();
                let wait = match deadline {
                    Some(deadline) if now >= deadline => {
                        return Err(Error::Timeout { after: timeout });
                    }
                    Some(deadline) => deadline - now,
                    None => Duration::MAX,
                };
                queue.waiters += 1;
                queue = self
                    .core
                    .available
                    .wait_timeout(queue, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                queue.waiters -= 1;
            }
            let capacity = queue.items.capacity();
            let items = std::mem::replace(&mut queue.items, VecDeque::with_capacity(capacity));
            queue.check_status();
            items
        };
        let before = out.len();
        out.extend(items.into_iter().filter_map(|(_, data)| self.decode(data)));
        Ok(out.len() - before)
    }

    /// A blocking iterator: yields messages as they come, and ends when the
    /// channel is closed and nothing is pending.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "blocking").unwrap();
    /// sub.close();
    /// assert_eq!(sub.iter().count(), 0); // closed: ends at once
    /// ```
    pub fn iter(&self) -> Iter<'_, M> {
        Iter { channel: self }
    }

    /// Receives the messages of a [`Selection`] made by
    /// [`select_sub_channel`](crate::select_sub_channel) for this channel:
    /// those that arrived before any message pending in the other channels
    /// at selection time. Returns nothing for a selection of another
    /// channel.
    ///
    /// ```
    /// use yoton_channels::{SubChannel, select_sub_channel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
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
        if selection.channel != self.core.id {
            return Vec::new();
        }
        let items: Vec<(u64, Bytes)> = {
            let mut queue = self.core.lock();
            let n = queue
                .items
                .iter()
                .take_while(|(seq, _)| *seq < selection.before)
                .count();
            let items = queue.items.drain(..n).collect();
            queue.check_status();
            items
        };
        items
            .into_iter()
            .filter_map(|(_, data)| self.decode(data))
            .collect()
    }

    /// How many messages are pending.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "pending").unwrap();
    /// assert_eq!(sub.pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.core.lock().items.len()
    }

    /// How many messages were dropped because the queue was full.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "drops").unwrap();
    /// assert_eq!(sub.dropped(), 0);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.core.lock().dropped
    }

    /// How many received messages could not be decoded (and were skipped).
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "errors").unwrap();
    /// assert_eq!(sub.decode_errors(), 0);
    /// ```
    pub fn decode_errors(&self) -> u64 {
        self.core.decode_errors.load(Ordering::Relaxed)
    }

    /// Emitted when messages arrive, with how many arrived in that batch:
    /// one emission may cover several messages, and they may have been
    /// received already by the time a handler runs.
    ///
    /// Handlers run on the thread that delivers, a transport's receiving
    /// thread, after the messages are queued: they should be quick and must
    /// not wait for that connection. Or [`subscribe`](Signal::subscribe) and
    /// consume the events on a thread of your choosing.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use yoton_channels::{PubChannel, SubChannel};
    /// use yoton_core::Context;
    /// use yoton_inproc::InprocTransport;
    ///
    /// let (a, b) = (Context::new(), Context::new());
    /// a.register_transport(Arc::new(InprocTransport::new()));
    /// b.register_transport(Arc::new(InprocTransport::new()));
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
        &self.core.received
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
    /// Fails only if the thread cannot be started.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "paced").unwrap();
    /// sub.set_sync_mode(true).unwrap();
    /// assert!(sub.sync_mode());
    /// sub.set_sync_mode(false).unwrap();
    /// assert!(!sub.sync_mode());
    /// ```
    pub fn set_sync_mode(&self, on: bool) -> Result<()> {
        let mut queue = self.core.lock();
        if queue.closed {
            return Ok(());
        }
        if !on {
            queue.status = QueueStatus::Off;
            queue.wake = None;
            return Ok(());
        }
        if queue.status != QueueStatus::Off {
            return Ok(());
        }
        let (wake_tx, wake_rx) = crossbeam_channel::bounded(1);
        let core = Arc::downgrade(&self.core);
        let context = self.registration.context.clone();
        let slot = self.registration.outgoing.slot();
        std::thread::Builder::new()
            .name("yoton-sync".to_owned())
            .spawn(move || run_sync_thread(core, context, slot, wake_rx))
            .map_err(|e| Error::Core(yoton_core::Error::Io(e)))?;
        queue.status = QueueStatus::Ok;
        queue.wake = Some(wake_tx);
        queue.check_status();
        Ok(())
    }

    /// Whether sync mode is on.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "mode").unwrap();
    /// assert!(!sub.sync_mode());
    /// ```
    pub fn sync_mode(&self) -> bool {
        self.core.lock().status != QueueStatus::Off
    }

    /// Closes the channel: unregisters its slots, so nothing more arrives,
    /// and ends sync mode (saying `ok` if it said `full`). Pending messages
    /// can still be received; then receiving fails with [`Error::Closed`].
    /// Closing twice does nothing.
    ///
    /// ```
    /// use yoton_channels::{Error, SubChannel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "closing").unwrap();
    /// sub.close();
    /// assert!(sub.is_closed());
    /// assert!(matches!(sub.try_recv(), Err(Error::Closed { .. })));
    /// ```
    pub fn close(&self) {
        if self.core.mark_closed() {
            self.registration.unregister();
        }
    }

    /// Whether the channel is closed (by [`close`](SubChannel::close) or by
    /// the context).
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "open").unwrap();
    /// assert!(!sub.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.lock().closed
    }

    /// The options the channel was made with.
    ///
    /// ```
    /// use yoton_channels::{SubChannel, SubOptions};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "opts").unwrap();
    /// assert_eq!(sub.options(), SubOptions::default());
    /// ```
    pub fn options(&self) -> SubOptions {
        self.options
    }

    /// The slot sync words are sent on (`base.type.sub-pub`).
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "chat").unwrap();
    /// assert_eq!(sub.slot_outgoing().slot().get(), 17469545116738);
    /// ```
    pub fn slot_outgoing(&self) -> &SlotName {
        &self.registration.outgoing
    }

    /// The slot messages arrive on (`base.type.pub-sub`).
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<bytes::Bytes>::new(&ctx, "chat").unwrap();
    /// assert_eq!(sub.slot_incoming().slot().get(), 16994269440356);
    /// ```
    pub fn slot_incoming(&self) -> &SlotName {
        &self.registration.incoming
    }

    /// The context this channel receives through.
    ///
    /// ```
    /// use yoton_channels::SubChannel;
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let sub = SubChannel::<String>::new(&ctx, "ctx").unwrap();
    /// assert_eq!(sub.context().id(), ctx.id());
    /// ```
    pub fn context(&self) -> &Context {
        &self.registration.context
    }
}

impl<M: MessageType> Drop for SubChannel<M> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<M: MessageType> fmt::Debug for SubChannel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubChannel")
            .field("slot", &self.registration.incoming)
            .field("core", &self.core)
            .finish()
    }
}

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
/// use yoton_channels::SubChannel;
/// use yoton_core::Context;
///
/// let ctx = Context::new();
/// let sub = SubChannel::<String>::new(&ctx, "try-iter").unwrap();
/// assert_eq!(sub.try_iter().count(), 0);
/// ```
pub struct TryIter<'a, M: MessageType> {
    channel: &'a SubChannel<M>,
    items: std::vec::IntoIter<(u64, Bytes)>,
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
/// use yoton_channels::SubChannel;
/// use yoton_core::Context;
///
/// let ctx = Context::new();
/// let sub = SubChannel::<String>::new(&ctx, "iter-type").unwrap();
/// ctx.close_channels();
/// assert!(sub.iter().next().is_none());
/// ```
pub struct Iter<'a, M: MessageType> {
    channel: &'a SubChannel<M>,
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

// ---------------------------------------------------------------------------
// Reading several sub channels in order

/// A sub channel that [`select_sub_channel`] can look at: implemented by
/// every [`SubChannel`], whatever its message type.
///
/// ```
/// use yoton_channels::{Selectable, SubChannel};
/// use yoton_core::Context;
///
/// let ctx = Context::new();
/// let sub = SubChannel::<String>::new(&ctx, "selectable").unwrap();
/// let as_dyn: &dyn Selectable = &sub;
/// assert_eq!(as_dyn.pending_order(), None);
/// ```
pub trait Selectable {
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
        let queue = self.core.lock();
        let first = queue.items.front()?.0;
        let last = queue.items.back()?.0;
        Some((first, last + 1))
    }

    fn channel_key(&self) -> u64 {
        self.core.id
    }
}

/// Which channel [`select_sub_channel`] chose, and up to which message to
/// read it: pass it to [`SubChannel::recv_selected`].
///
/// ```
/// use yoton_channels::{SubChannel, select_sub_channel};
/// use yoton_core::Context;
///
/// let ctx = Context::new();
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
    /// use yoton_channels::{SubChannel, select_sub_channel};
    /// use yoton_core::Context;
    ///
    /// let ctx = Context::new();
    /// let a = SubChannel::<String>::new(&ctx, "idx").unwrap();
    /// if let Some(s) = select_sub_channel(&[&a]) {
    ///     assert_eq!(s.index(), 0);
    /// }
    /// ```
    pub fn index(&self) -> usize {
        self.index
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
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use yoton_channels::{PubChannel, SubChannel, select_sub_channel};
/// use yoton_core::Context;
/// use yoton_inproc::InprocTransport;
///
/// let (a, b) = (Context::new(), Context::new());
/// a.register_transport(Arc::new(InprocTransport::new()));
/// b.register_transport(Arc::new(InprocTransport::new()));
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
/// let deadline = Instant::now() + Duration::from_secs(10);
/// while s1.pending() + s2.pending() < 3 {
///     assert!(Instant::now() < deadline);
///     std::thread::yield_now();
/// }
/// let mut order = Vec::new();
/// while let Some(sel) = select_sub_channel(&[&s1, &s2]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PubChannel<String>>();
        check::<SubChannel<String>>();
        check::<SubChannel<crate::Postcard<Vec<u32>>>>();
    }
}
