//! [`Link`]: what a transport implements under a connection.
//!
//! A transport's connection object (a socket and its threads, a pair of
//! in-process channels) implements [`Link`]; the context and the
//! [`ConnectionCore`](crate::ConnectionCore) above it call these methods,
//! users never do. The transport reports what happens on the link (a peer
//! arrived, bytes came, packages came, the link failed) to its
//! `ConnectionCore`, which owns every reaction: states, signals, timeouts,
//! routing and the close bookkeeping.
//!
//! A transport counts the bytes it holds for sending in a [`Backlog`],
//! which bounds them and lets senders wait for room.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::package::Package;
use crate::sync::{lock, wait_until};

/// The default bound of a link's send queue, in encoded bytes (header and
/// data), the same for every transport: 8 MiB. Past it, senders wait for
/// room ([`Link::wait_for_room`]).
pub const DEFAULT_SEND_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// The transport-facing side of a connection: queue packages, wait for
/// room, send the close package, wait until written, shut down.
///
/// A link is made by [`Transport::bind`](crate::Transport::bind) or
/// [`Transport::connect`](crate::Transport::connect) and kept by its
/// `ConnectionCore` for the connection's whole life. Implementations are
/// `Send + Sync`; no method may block on the peer except
/// [`wait_for_room`](Link::wait_for_room) and
/// [`wait_written`](Link::wait_written).
pub trait Link: Send + Sync + fmt::Debug + 'static {
    /// Queues a package for sending, without blocking. Fails with
    /// [`Error::Closed`] once the link is shut down.
    ///
    /// The context queues under the lock that orders its sequence numbers
    /// and applies backpressure with [`wait_for_room`](Link::wait_for_room)
    /// after releasing it, so that no lock is held while a slow peer holds
    /// up a sender; a queue may therefore pass its bound by one package
    /// per sending thread.
    ///
    /// # Errors
    ///
    /// `Error::Closed` once the link is shut down.
    fn send_package(&self, package: &Package) -> Result<()>;

    /// Queues several packages, in order, as
    /// [`send_package`](Link::send_package) does one by one; a transport
    /// can take them in one go (one lock, one wake-up of its sending
    /// thread). The default sends them one by one.
    ///
    /// # Errors
    ///
    /// As [`send_package`](Link::send_package).
    fn send_packages(&self, packages: &[Package]) -> Result<()> {
        packages.iter().try_for_each(|p| self.send_package(p))
    }

    /// Blocks while the send queue is over its bound, and returns once
    /// there is room again, with `Error::Closed` when the link shuts
    /// down, or with [`Error::Timeout`] at
    /// `deadline` (never, if `None`). The default never blocks, for links
    /// without a bound.
    ///
    /// # Errors
    ///
    /// `Error::Closed` and `Error::Timeout`, as said.
    fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        let _ = deadline;
        Ok(())
    }

    /// Queues the close package after everything queued so far.
    fn notify_close(&self);

    /// Blocks until everything queued before the call is handed to the
    /// medium, or fails with [`Error::Timeout`] at
    /// `deadline`, or with `Error::Closed` when the link shuts down first.
    ///
    /// # Errors
    ///
    /// `Error::Timeout` and `Error::Closed`, as said.
    fn wait_written(&self, deadline: Instant) -> Result<()>;

    /// Stops the link: closes the socket or channel, ends its threads and
    /// wakes everything that waits on it. Idempotent; it may be called on
    /// the link's own threads (a failure they found) or on any other.
    fn shutdown(&self);
}

thread_local! {
    static NEVER_WAITS: Cell<bool> = const { Cell::new(false) };
    static FOUND_FULL: RefCell<Vec<FullBacklog>> = const { RefCell::new(Vec::new()) };
}

/// Marks the calling thread as one that must never wait for room: an I/O
/// thread that serves many links, which a full queue of one of them must
/// not stop. On it, [`Backlog::wait_for_room`] returns at once and notes a
/// full backlog instead ([`take_found_full`]); the thread then holds back
/// what fills the queues (it stops reading) until they have room.
pub fn never_wait_for_room_on_this_thread() {
    NEVER_WAITS.with(|never| never.set(true));
}

/// Whether a [`Backlog::wait_for_room`] on this thread found a backlog
/// full since the last [`take_found_full`] (on a thread marked with
/// [`never_wait_for_room_on_this_thread`]; elsewhere always false).
pub fn found_full() -> bool {
    FOUND_FULL.with(|found| !found.borrow().is_empty())
}

/// The backlogs found full on this thread since the last call.
pub fn take_found_full() -> Vec<FullBacklog> {
    FOUND_FULL.with(|found| std::mem::take(&mut *found.borrow_mut()))
}

/// The bytes a link holds for sending (queued, or on their way to the
/// peer and not yet taken), against the link's bound: every transport's
/// send queue counts with one, so that a bound means the same everywhere,
/// and [`Link::wait_for_room`] is this one piece of code.
///
/// Producers [`add`](Backlog::add) what they queue and the link's writer
/// (or the peer's reader) [`take`](Backlog::take)s what it wrote (or
/// read); a waiting sender is woken when the bytes fall below the bound,
/// and when the link [`shut`](Backlog::shut)s. It is `Send` and `Sync`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use yoton_core::link::Backlog;
/// use yoton_core::Error;
///
/// let backlog = Backlog::new(100);
/// backlog.add(150);
/// assert!(backlog.is_full());
/// let soon = Instant::now() + Duration::from_millis(10);
/// let closed = || Error::NotConnected;
/// assert!(matches!(backlog.wait_for_room(Some(soon), closed), Err(Error::Timeout { .. })));
/// backlog.take(100);
/// assert_eq!(backlog.bytes(), 50);
/// assert!(backlog.wait_for_room(None, closed).is_ok());
/// backlog.shut();
/// assert!(matches!(backlog.wait_for_room(None, closed), Err(Error::NotConnected)));
/// ```
#[derive(Debug)]
pub struct Backlog {
    c: Arc<Counts>,
}

#[derive(Debug)]
struct Counts {
    bytes: AtomicUsize,
    limit: usize,
    shut: AtomicBool,
    lock: Mutex<()>,
    room: Condvar,
}

/// A backlog that a thread which never waits found full
/// ([`take_found_full`]): it tells when there is room again.
#[derive(Clone, Debug)]
pub struct FullBacklog(Arc<Counts>);

impl FullBacklog {
    /// Whether a sender would go on now: there is room, or the link shut.
    pub fn has_room(&self) -> bool {
        self.0.shut.load(Ordering::Acquire) || self.0.bytes.load(Ordering::Acquire) < self.0.limit
    }
}

impl Backlog {
    /// An empty backlog that is full from `limit` bytes on (at least 1).
    pub fn new(limit: usize) -> Backlog {
        Backlog {
            c: Arc::new(Counts {
                bytes: AtomicUsize::new(0),
                limit: limit.max(1),
                shut: AtomicBool::new(false),
                lock: Mutex::new(()),
                room: Condvar::new(),
            }),
        }
    }

    /// `n` more bytes are held.
    pub fn add(&self, n: usize) {
        self.c.bytes.fetch_add(n, Ordering::AcqRel);
    }

    /// Takes `n` of the bytes held away (they were written, or the peer
    /// took them); wakes the waiting senders when this makes room.
    pub fn take(&self, n: usize) {
        let before = self
            .c
            .bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                Some(b.saturating_sub(n))
            })
            .unwrap_or_else(|b| b);
        if before >= self.c.limit && before.saturating_sub(n) < self.c.limit {
            let _guard = lock(&self.c.lock);
            self.c.room.notify_all();
        }
    }

    /// The bytes held now.
    pub fn bytes(&self) -> usize {
        self.c.bytes.load(Ordering::Acquire)
    }

    /// The bound.
    pub fn limit(&self) -> usize {
        self.c.limit
    }

    /// Whether the bytes held reach the bound.
    pub fn is_full(&self) -> bool {
        self.bytes() >= self.c.limit
    }

    /// The link shut down: every wait for room ends, now and later.
    pub fn shut(&self) {
        self.c.shut.store(true, Ordering::Release);
        let _guard = lock(&self.c.lock);
        self.c.room.notify_all();
    }

    /// Blocks while the backlog is full; see [`Link::wait_for_room`].
    ///
    /// # Errors
    ///
    /// `closed()` once the link shut down, and
    /// [`Error::Timeout`] (operation `send`, after the time it was given)
    /// at `deadline`.
    pub fn wait_for_room(
        &self,
        deadline: Option<Instant>,
        closed: impl FnOnce() -> Error,
    ) -> Result<()> {
        if NEVER_WAITS.with(Cell::get) {
            if self.c.shut.load(Ordering::Acquire) {
                return Err(closed());
            }
            if self.is_full() {
                let full = FullBacklog(Arc::clone(&self.c));
                FOUND_FULL.with(|found| {
                    let mut found = found.borrow_mut();
                    if !found.iter().any(|known| Arc::ptr_eq(&known.0, &full.0)) {
                        found.push(full);
                    }
                });
            }
            return Ok(());
        }
        let shut_or_room = |_: &mut ()| self.c.shut.load(Ordering::Acquire) || !self.is_full();
        // Senders with room go on without the lock.
        if shut_or_room(&mut ()) {
            return if self.c.shut.load(Ordering::Acquire) {
                Err(closed())
            } else {
                Ok(())
            };
        }
        let start = Instant::now();
        let guard = lock(&self.c.lock);
        let room = match deadline {
            None => {
                let mut guard = guard;
                while !shut_or_room(&mut guard) {
                    guard = self.c.room.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
                true
            }
            Some(deadline) => wait_until(&self.c.room, guard, deadline, shut_or_room).1,
        };
        if self.c.shut.load(Ordering::Acquire) {
            Err(closed())
        } else if room {
            Ok(())
        } else {
            Err(Error::Timeout {
                operation: "send",
                after: deadline.map_or(Duration::ZERO, |d| d.saturating_duration_since(start)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_never_waits_notes_a_full_backlog_instead() {
        let backlog = std::sync::Arc::new(Backlog::new(10));
        backlog.add(10);
        let closed = || Error::NotConnected;
        assert!(!found_full());
        let other = std::sync::Arc::clone(&backlog);
        std::thread::spawn(move || {
            never_wait_for_room_on_this_thread();
            assert!(
                other.wait_for_room(None, closed).is_ok(),
                "it returns at once"
            );
            assert!(other.wait_for_room(None, closed).is_ok(), "noted once");
            assert!(found_full());
            let full = take_found_full();
            assert_eq!(full.len(), 1);
            assert!(!found_full());
            assert!(!full[0].has_room());
            other.take(5);
            assert!(full[0].has_room(), "the note tells when there is room");
            assert!(other.wait_for_room(None, closed).is_ok());
            assert!(take_found_full().is_empty(), "room: nothing noted");
            other.shut();
            assert!(matches!(
                other.wait_for_room(None, closed),
                Err(Error::NotConnected)
            ));
        })
        .join()
        .unwrap();
        assert!(!found_full(), "the note is the thread's own");
    }
    use std::sync::Arc;

    #[test]
    fn a_waiting_sender_is_woken_by_room_and_by_shutting() {
        for shut in [false, true] {
            let backlog = Arc::new(Backlog::new(10));
            backlog.add(25);
            let (done, result) = std::sync::mpsc::channel();
            let waiter = {
                let backlog = Arc::clone(&backlog);
                // A lost wake-up fails with a timeout instead of hanging.
                let deadline = Instant::now() + Duration::from_secs(60);
                std::thread::spawn(move || {
                    let _ =
                        done.send(backlog.wait_for_room(Some(deadline), || Error::NotConnected));
                })
            };
            if shut {
                backlog.shut();
                let result = result.recv().unwrap();
                assert!(matches!(result, Err(Error::NotConnected)), "{result:?}");
            } else {
                // Still full after the first: no answer yet.
                backlog.take(10);
                assert!(result.try_recv().is_err());
                assert!(backlog.is_full());
                backlog.take(10);
                let result = result.recv().unwrap();
                assert!(result.is_ok(), "{result:?}");
                assert_eq!(backlog.bytes(), 5);
            }
            waiter.join().unwrap();
        }
    }

    #[test]
    fn a_timeout_says_how_long_it_was_given() {
        let backlog = Backlog::new(1);
        backlog.add(1);
        let start = Instant::now();
        let given = Duration::from_millis(200);
        match backlog.wait_for_room(Some(start + given), || Error::NotConnected) {
            Err(Error::Timeout { operation, after }) => {
                assert_eq!(operation, "send");
                assert!(after <= given && after >= given / 2, "{after:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backlogs_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Backlog>();
    }

    #[test]
    fn taking_more_than_is_held_leaves_zero() {
        let backlog = Backlog::new(0);
        assert_eq!(backlog.limit(), 1);
        backlog.add(3);
        backlog.take(5);
        assert_eq!(backlog.bytes(), 0);
        assert!(!backlog.is_full());
    }
}
