//! Taps: a copy of every package a context receives, for tools that watch
//! a network (`yoton watch`).
//!
//! A tap is bounded: when its reader falls behind, new packages are
//! counted and dropped, never queued without limit, and the context's own
//! delivery does not wait. With no tap, receiving costs one atomic load.

use std::sync::atomic::AtomicBool;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::*;

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
    /// [`Error::Timeout`] when none came in time.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Package> {
        self.packages
            .recv_timeout(timeout)
            .map_err(|_| Error::Timeout {
                operation: "tap",
                after: timeout,
            })
    }

    /// The next package if one is there.
    pub fn try_recv(&self) -> Option<Package> {
        self.packages.try_recv().ok()
    }

    /// How many packages came while the tap was full, and were not copied
    /// to it.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Context {
    /// Opens a [`Tap`]: a copy of every package this context receives from
    /// now on, holding at most `capacity` (at least 1) unread packages.
    pub fn tap(&self, capacity: usize) -> Tap {
        let (sender, packages) = crossbeam_channel::bounded(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let taps = &self.shared.taps;
        lock(&taps.open).push((sender, Arc::clone(&dropped)));
        taps.any.store(true, Ordering::Relaxed);
        Tap { packages, dropped }
    }
}
