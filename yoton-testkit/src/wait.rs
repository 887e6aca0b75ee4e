//! Waiting for events with a deadline, so that a test neither sleeps nor
//! hangs: the next event of a subscribed signal (`closed`, `timedout`, a
//! channel's `received`), or a condition that has no event.
//!
//! Every wait panics with what it waited for once its deadline passes
//! ([`STEP_DEADLINE`] unless given), so a test that would hang fails with
//! a message instead.
//!
//! ```
//! use yoton_core::Signal;
//! use yoton_testkit::wait;
//!
//! let signal: Signal<u32> = Signal::new();
//! let events = signal.subscribe(); // before the event is emitted
//! signal.emit(7);
//! assert_eq!(wait::next_event(&events, "the emitted value"), 7);
//! ```

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use yoton_core::{CloseReason, ClosedEvent, TimedOutEvent};

use crate::STEP_DEADLINE;

/// The next event on `events` (a receiver from `Signal::subscribe`, or
/// any channel), waiting at most [`STEP_DEADLINE`].
///
/// # Panics
///
/// When nothing comes in time, or every sender is gone: the message says
/// `what` was awaited.
pub fn next_event<T>(events: &Receiver<T>, what: &str) -> T {
    next_event_within(events, STEP_DEADLINE, what)
}

/// The next event on `events`, waiting at most `timeout`.
///
/// # Panics
///
/// When nothing comes in time, or every sender is gone.
pub fn next_event_within<T>(events: &Receiver<T>, timeout: Duration, what: &str) -> T {
    events
        .recv_timeout(timeout)
        .unwrap_or_else(|e| panic!("not in time ({timeout:?}): {what}: {e}"))
}

/// The next event on `events` for which `matches` holds, skipping the
/// others, all within [`STEP_DEADLINE`].
///
/// # Panics
///
/// When no matching event comes in time.
pub fn next_event_where<T>(
    events: &Receiver<T>,
    what: &str,
    mut matches: impl FnMut(&T) -> bool,
) -> T {
    let deadline = Instant::now() + STEP_DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = next_event_within(events, left, what);
        if matches(&event) {
            return event;
        }
    }
}

/// The reason of the next `closed` event (from
/// `connection.closed().subscribe()`), within [`STEP_DEADLINE`].
///
/// # Panics
///
/// When the connection does not close in time.
pub fn closed_reason(events: &Receiver<ClosedEvent>, what: &str) -> CloseReason {
    next_event(events, &format!("{what} closes")).reason
}

/// Whether the next `timedout` event (from
/// `connection.timedout().subscribe()`) says timed out (`true`) or
/// recovered (`false`), within [`STEP_DEADLINE`].
///
/// # Panics
///
/// When no `timedout` event comes in time.
pub fn next_timedout(events: &Receiver<TimedOutEvent>, what: &str) -> bool {
    next_event(events, &format!("timedout event: {what}")).timed_out
}

/// Waits until `condition` holds, looking again and again until
/// [`STEP_DEADLINE`]: for what has no event (a thread's end, a counter).
/// It yields between looks at first, then sleeps a millisecond between
/// looks, so a long wait does not burn a core.
///
/// # Panics
///
/// When `condition` does not hold in time.
pub fn wait_until(what: &str, condition: impl FnMut() -> bool) {
    wait_until_within(STEP_DEADLINE, what, condition);
}

/// Like [`wait_until`] with a deadline of `timeout`.
///
/// # Panics
///
/// When `condition` does not hold in time.
pub fn wait_until_within(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    let deadline = start + timeout;
    while !condition() {
        let now = Instant::now();
        assert!(now < deadline, "not in time ({timeout:?}): {what}");
        if now - start < Duration::from_millis(2) {
            thread::yield_now();
        } else {
            thread::sleep(Duration::from_millis(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::catch_unwind;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn an_event_that_comes_is_returned_and_one_that_does_not_fails() {
        let (tx, rx) = crossbeam_channel::unbounded();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        tx.send(3).unwrap();
        assert_eq!(next_event(&rx, "one"), 1);
        assert_eq!(next_event_where(&rx, "three", |n| *n == 3), 3);
        let failed = catch_unwind(|| next_event_within(&rx, Duration::from_millis(10), "four"));
        let message = *failed.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("four"), "{message}");
    }

    #[test]
    fn a_condition_set_by_another_thread_ends_the_wait() {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = {
            let flag = Arc::clone(&flag);
            thread::spawn(move || flag.store(true, Ordering::SeqCst))
        };
        wait_until("the flag is set", || flag.load(Ordering::SeqCst));
        setter.join().unwrap();
        let failed = catch_unwind(|| {
            wait_until_within(Duration::from_millis(10), "never", || false);
        });
        assert!(failed.is_err());
    }
}
