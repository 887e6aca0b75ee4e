//! Taps: a copy of every package a context receives, for tools that watch
//! a network (`yoton watch`).
//!
//! A tap is bounded: when its reader falls behind, new packages are
//! counted and dropped, never queued without limit, and the context's own
//! delivery does not wait. With no tap, receiving costs one atomic load.

use std::sync::atomic::AtomicBool;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::*;

/// The most unread packages a [`Tap`] holds (its room is allocated when
/// it opens).
pub const MAX_TAP_CAPACITY: usize = 1 << 16;

/// The taps of a context.
#[derive(Default)]
pub(super) struct Taps {
    /// Whether any tap is open: the receiving path looks only at this.
    any: AtomicBool,
    open: Mutex<Vec<(Sender<Package>, Arc<AtomicU64>)>>,
}

impl Taps {
    /// Hands a copy of each package to every open tap (forgetting closed
    /// ones).
    pub(super) fn offer(&self, packages: &[Package]) {
        if !self.any.load(Ordering::Relaxed) || packages.is_empty() {
            return;
        }
        let mut open = lock(&self.open);
        open.retain(|(sender, dropped)| {
            for package in packages {
                match sender.try_send(package.clone()) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => return false,
                }
            }
            true
        });
        self.any.store(!open.is_empty(), Ordering::Relaxed);
    }
}

/// A copy of every package its context receives from now on, made by
/// [`Context::tap`].
///
/// It sees what arrives on every connection before the context routes
/// it: packages for other contexts that are only passed on, and
/// duplicates that the context will not deliver, included. It holds at
/// most the capacity it was made with; what comes while it is full is
/// counted in [`dropped`](Tap::dropped). Drop the tap to stop it.
///
/// ```
/// # mod yoton { pub use yoton_core::Context; pub use yoton_channels::PubChannel; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::PubChannel;
///
/// let watcher = yoton::context();
/// let tap = watcher.tap(1000);
/// let _bound = watcher.bind("inproc://watched").unwrap();
/// let other = yoton::context();
/// let news = PubChannel::<String>::new(&other, "news").unwrap();
/// other.connect("inproc://watched").unwrap();
/// news.send("hello").unwrap();
/// // No channel of the watcher receives "news", yet the tap sees it.
/// let seen = loop {
///     let package = tap.recv_timeout(Duration::from_secs(10)).unwrap();
///     if package.data.as_ref() == b"hello" {
///         break package;
///     }
/// };
/// assert_eq!(seen.source_id, other.id().get());
/// assert_eq!(tap.dropped(), 0);
/// ```
#[derive(Debug)]
pub struct Tap {
    packages: Receiver<Package>,
    dropped: Arc<AtomicU64>,
}

impl Tap {
    /// The next package, waiting up to `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when none came in time, and [`Error::Closed`]
    /// once the context is gone and the tap is empty.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Context, Error}; pub fn context() -> Context { Context::new() } }
    /// use std::time::Duration;
    /// use yoton::Error;
    ///
    /// let ctx = yoton::context();
    /// let tap = ctx.tap(10);
    /// let quiet = tap.recv_timeout(Duration::from_millis(1));
    /// assert!(matches!(quiet, Err(Error::Timeout { .. })));
    /// drop(ctx);
    /// let gone = tap.recv_timeout(Duration::from_millis(1));
    /// assert!(matches!(gone, Err(Error::Closed { .. })));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Package> {
        self.packages.recv_timeout(timeout).map_err(|e| match e {
            crossbeam_channel::RecvTimeoutError::Timeout => Error::Timeout {
                operation: "tap",
                after: timeout,
            },
            crossbeam_channel::RecvTimeoutError::Disconnected => Error::Closed {
                reason: reason::CLOSED_BY_CONTEXT.into(),
            },
        })
    }

    /// The next package if one is there (`None` also once the context is
    /// gone and the tap is empty).
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::Context; pub fn context() -> Context { Context::new() } }
    /// let ctx = yoton::context();
    /// let tap = ctx.tap(10);
    /// assert!(tap.try_recv().is_none());
    /// assert_eq!(tap.dropped(), 0);
    /// ```
    pub fn try_recv(&self) -> Option<Package> {
        self.packages.try_recv().ok()
    }

    /// How many packages came while the tap was full, and were not copied
    /// to it (see the [`Tap`] example).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Context {
    /// Opens a [`Tap`]: a copy of every package this context receives from
    /// now on, holding at most `capacity` unread packages (at least 1, at
    /// most [`MAX_TAP_CAPACITY`]). The packages share their data with what
    /// the context delivers; a tap that holds many large ones holds their
    /// memory, so read it or keep its capacity small.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::Context; pub fn context() -> Context { Context::new() } }
    /// let ctx = yoton::context();
    /// let tap = ctx.tap(usize::MAX); // capped, not allocated at once
    /// assert!(tap.try_recv().is_none());
    /// ```
    pub fn tap(&self, capacity: usize) -> Tap {
        let capacity = capacity.clamp(1, MAX_TAP_CAPACITY);
        let (sender, packages) = crossbeam_channel::bounded(capacity);
        let dropped = Arc::new(AtomicU64::new(0));
        let taps = &self.shared.taps;
        lock(&taps.open).push((sender, Arc::clone(&dropped)));
        taps.any.store(true, Ordering::Relaxed);
        Tap { packages, dropped }
    }
}
