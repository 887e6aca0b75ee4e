//! When a producer hands its packages over itself rather than leaving
//! them to the link's own thread, as plain code fed instants: a direct
//! write to a socket, an in-process hand-over on the sender's thread.
//!
//! Doing it on the producer's thread saves waking the link's thread, most
//! of the latency of a request and its reply. But packages that follow
//! each other closely are a stream, which the link's thread takes in
//! batches while the producer goes on (the two work side by side): so a
//! producer goes direct only when the link has been idle for
//! [`AFTER_IDLE`], or when the peer spoke since the last hand-over (an
//! exchange: a reply, an acknowledgement).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use yoton_core::direct::{AFTER_IDLE, Direct};
//!
//! let t0 = Instant::now();
//! let mut direct = Direct::default();
//! assert!(direct.allows(t0, 0), "an idle link");
//! direct.record(t0, 0);
//! assert!(!direct.allows(t0 + Duration::from_micros(5), 0), "a stream");
//! assert!(direct.allows(t0 + Duration::from_micros(5), 1), "the peer answered");
//! assert!(direct.allows(t0 + AFTER_IDLE, 0), "idle again");
//! ```

use std::time::{Duration, Instant};

/// How long a link must have been idle for a producer to go direct.
pub const AFTER_IDLE: Duration = Duration::from_micros(20);

/// The last hand-over of a link, direct or by its thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Direct {
    /// When the last hand-over was.
    last: Option<Instant>,
    /// How often the peer had spoken then (a count the link keeps).
    heard_at_last: u64,
}

impl Direct {
    /// Whether a producer may hand over itself at `now`, the peer having
    /// spoken `heard` times so far.
    pub fn allows(&self, now: Instant, heard: u64) -> bool {
        heard != self.heard_at_last
            || self
                .last
                .is_none_or(|last| now.saturating_duration_since(last) >= AFTER_IDLE)
    }

    /// A hand-over at `now` (by anyone), the peer having spoken `heard`
    /// times when it started.
    pub fn record(&mut self, now: Instant, heard: u64) {
        self.last = Some(now);
        self.heard_at_last = heard;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_goes_to_the_link_thread_and_an_exchange_goes_direct() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        let mut direct = Direct::default();
        assert!(direct.allows(t0, 7), "never handed over: idle");
        direct.record(t0, 7);
        assert!(!direct.allows(t0 + us(19), 7));
        assert!(direct.allows(t0 + us(19), 8), "the peer spoke since");
        assert!(direct.allows(t0 + us(20), 7));
    }

    #[test]
    fn a_clock_that_goes_back_counts_as_no_time_passed() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        let mut direct = Direct::default();
        direct.record(t0 + us(1000), 7);
        // Before the last hand-over, however long before, is not idle (an
        // absolute difference would say that 1 ms passed).
        assert!(!direct.allows(t0, 7));
        assert!(!direct.allows(t0 + us(1000) - AFTER_IDLE, 7));
        // An exchange goes direct whatever the clock says; the link is
        // idle again AFTER_IDLE after the last hand-over.
        assert!(direct.allows(t0, 8));
        assert!(!direct.allows(t0 + us(1019), 7));
        assert!(direct.allows(t0 + us(1020), 7));
    }
}
