//! Small helpers for the locks of yoton's crates.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Locks `mutex`, ignoring poisoning.
///
/// yoton's locks guard counters, queues and lists that stay consistent
/// even if a thread panicked while holding one (no invariant spans an
/// unlock), and user code (signal handlers, endpoints) never runs under
/// them; so a poisoned lock is used as it is rather than spreading the
/// panic to every other thread of the connection.
///
/// ```
/// use std::sync::Mutex;
/// use yoton_core::sync::lock;
///
/// let counter = Mutex::new(1);
/// *lock(&counter) += 1;
/// assert_eq!(*lock(&counter), 2);
/// ```
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits on `condvar` until `done` holds for the guarded value or
/// `deadline` passes, whichever comes first; returns the guard and whether
/// `done` held. Spurious wake-ups are taken care of, and poisoning is
/// ignored as in [`lock`].
///
/// This is the deadline loop of every `flush`, `wait_written` and
/// `wait_connected`, written once.
///
/// ```
/// use std::sync::{Condvar, Mutex};
/// use std::time::{Duration, Instant};
/// use yoton_core::sync::{lock, wait_until};
///
/// let (count, changed) = (Mutex::new(0), Condvar::new());
/// let soon = Instant::now() + Duration::from_millis(10);
/// let (guard, reached) = wait_until(&changed, lock(&count), soon, |n| *n >= 1);
/// assert!(!reached); // nobody counted: the deadline passed
/// drop(guard);
/// *lock(&count) += 1;
/// let (guard, reached) = wait_until(&changed, lock(&count), soon, |n| *n >= 1);
/// assert!(reached); // true at once, even after the deadline
/// ```
pub fn wait_until<'a, T>(
    condvar: &Condvar,
    mut guard: MutexGuard<'a, T>,
    deadline: Instant,
    mut done: impl FnMut(&mut T) -> bool,
) -> (MutexGuard<'a, T>, bool) {
    loop {
        if done(&mut guard) {
            return (guard, true);
        }
        let now = Instant::now();
        if now >= deadline {
            return (guard, false);
        }
        guard = condvar
            .wait_timeout(guard, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// `now + timeout`, or about 34 years from `now` where that is past what
/// an [`Instant`] holds: a timeout too long to mean anything is a wait
/// without end, not a panic.
///
/// ```
/// use std::time::{Duration, Instant};
/// use yoton_core::sync::later;
///
/// let now = Instant::now();
/// assert_eq!(later(now, Duration::from_secs(1)), now + Duration::from_secs(1));
/// assert!(later(now, Duration::MAX) > now + Duration::from_secs(86_400 * 365));
/// ```
pub fn later(now: Instant, timeout: Duration) -> Instant {
    now.checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_secs(1 << 30)))
        .unwrap_or(now)
}
