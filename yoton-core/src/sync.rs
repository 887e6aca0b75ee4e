//! Small helpers for the locks of yoton's crates.

use std::sync::{Mutex, MutexGuard};

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
