//! Waiting without sleeping first: a thread that finds nothing to take
//! looks again for a little while (yielding its core) before it sleeps,
//! because waking a sleeping thread costs about as much as a loopback hop.
//!
//! The look-again time adapts: it halves each time looking again did not
//! pay (the thing came later, or never), so that a waiter of a slow stream
//! soon sleeps at once, and it grows back to its full length when the
//! thing came soon after sleeping. The receive queue and a call's future
//! wait this way.
//!
//! A replier looks again only while its acknowledgement is out: the
//! request then comes within a round trip. Between calls it sleeps: its
//! next request comes at least two round trips after its reply, and on two
//! cores a replier that looked again all that time would take the core
//! that the receiving threads need (calls got slower in `yoton bench
//! --pattern reqrep`).

use std::num::NonZeroUsize;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How many threads of this process look again now.
static LOOKING: AtomicUsize = AtomicUsize::new(0);

/// How many threads may look again at once: fewer than the cores, and at
/// least one. Each keeps a core busy, and the threads that do the work
/// (the transports', the senders') need the others: sixteen subscribers
/// of one process that all looked again would leave them none.
fn most_looking() -> usize {
    static MOST: OnceLock<usize> = OnceLock::new();
    *MOST.get_or_init(|| most_for(std::thread::available_parallelism().ok()))
}

/// [`most_looking`] on `cores` cores (unknown: one may look).
fn most_for(cores: Option<NonZeroUsize>) -> usize {
    cores.map_or(1, |cores| cores.get() - 1).max(1)
}

/// A thread's turn to look again, while fewer than `most` threads count
/// in `looking`; given back when dropped.
struct Turn(&'static AtomicUsize);

impl Turn {
    fn take(looking: &'static AtomicUsize, most: usize) -> Option<Turn> {
        if looking.fetch_add(1, Ordering::AcqRel) < most {
            Some(Turn(looking))
        } else {
            looking.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The longest a caller looks again for its reply: a call is two round
/// trips, so longer than a receive queue's. Over loopback TCP it takes
/// about half the time off a call (`yoton bench --pattern reqrep`).
pub(crate) const LOOK_AGAIN: Duration = Duration::from_micros(200);

/// An adaptive look-again time; see the [module](self).
#[derive(Debug)]
pub(crate) struct LookAgain {
    full: Duration,
    /// The current look-again time in nanoseconds (at most `full`).
    nanos: AtomicU64,
}

impl LookAgain {
    /// A look-again time of at most `full`, starting at `full`.
    pub(crate) const fn new(full: Duration) -> LookAgain {
        LookAgain {
            full,
            nanos: AtomicU64::new(full.as_nanos() as u64),
        }
    }

    /// Looks until `ready` holds, the current look-again time has passed,
    /// or `deadline` has come: whether `ready` held. `ready` must be cheap
    /// (an atomic load): it is called in a loop. When as many threads of
    /// the process look already as may (see [`most_looking`]), it looks
    /// once and returns.
    pub(crate) fn look(&self, deadline: Option<Instant>, ready: impl Fn() -> bool) -> bool {
        let Some(_turn) = Turn::take(&LOOKING, most_looking()) else {
            return ready();
        };
        let start = Instant::now();
        let spin = Duration::from_nanos(self.nanos.load(Ordering::Relaxed));
        let until = deadline.map_or(start + spin, |d| d.min(start + spin));
        loop {
            if ready() {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            std::thread::yield_now();
        }
    }

    /// After a wait that began at `began` (looking, then sleeping) ended
    /// with the thing: would a full look-again have caught it?
    pub(crate) fn woke(&self, began: Instant) {
        self.paid(began.elapsed() < self.full);
    }

    /// Back to the full time when looking again caught (or would have
    /// caught) the thing, halved when it did not.
    pub(crate) fn paid(&self, paid: bool) {
        let next = if paid {
            self.full.as_nanos() as u64
        } else {
            self.nanos.load(Ordering::Relaxed) / 2
        };
        self.nanos.store(next, Ordering::Relaxed);
    }

    /// The current look-again time.
    #[cfg(test)]
    pub(crate) fn current(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_when_it_does_not_pay_and_grows_back_when_it_does() {
        let look = LookAgain::new(Duration::from_micros(80));
        assert_eq!(look.current(), Duration::from_micros(80));
        look.paid(false);
        look.paid(false);
        assert_eq!(look.current(), Duration::from_micros(20));
        look.paid(true);
        assert_eq!(look.current(), Duration::from_micros(80));
        look.woke(Instant::now() - Duration::from_secs(1));
        assert_eq!(look.current(), Duration::from_micros(40));
        look.woke(Instant::now());
        assert_eq!(look.current(), Duration::from_micros(80));
    }

    #[test]
    fn only_so_many_threads_look_at_once() {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let first = Turn::take(&COUNT, 2).expect("a first turn");
        let second = Turn::take(&COUNT, 2).expect("a second turn");
        assert!(Turn::take(&COUNT, 2).is_none(), "no third turn");
        assert_eq!(
            COUNT.load(Ordering::Acquire),
            2,
            "a refused turn is not counted"
        );
        drop(first);
        let third = Turn::take(&COUNT, 2).expect("a turn given back is taken again");
        drop((second, third));
        assert_eq!(COUNT.load(Ordering::Acquire), 0);
    }

    #[test]
    fn one_core_is_left_to_the_working_threads_but_one_thread_may_look() {
        let cores = |n| NonZeroUsize::new(n);
        assert_eq!(most_for(cores(16)), 15);
        assert_eq!(most_for(cores(2)), 1);
        assert_eq!(most_for(cores(1)), 1);
        assert_eq!(most_for(None), 1);
    }

    #[test]
    fn looks_no_longer_than_the_deadline_and_sees_what_is_ready() {
        let look = LookAgain::new(Duration::from_secs(3600));
        let start = Instant::now();
        assert!(!look.look(Some(start + Duration::from_millis(1)), || false));
        assert!(start.elapsed() < Duration::from_secs(60));
        assert!(look.look(None, || true));
    }
}
