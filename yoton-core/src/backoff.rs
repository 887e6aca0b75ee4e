//! How long a link that comes back waits between attempts: exponential
//! backoff with jitter, as plain code fed attempt numbers and random
//! fractions.
//!
//! [`Context::connect_persistent`](crate::Context::connect_persistent) and
//! [`Context::bind_persistent`](crate::Context::bind_persistent) ask a
//! [`Backoff`] for each delay; the rules are here so that they are tested
//! without clocks or sockets.

use std::time::Duration;

/// The shortest delay a [`Backoff`] gives before the jitter: 1 ms.
pub const MIN_DELAY: Duration = Duration::from_millis(1);

/// The widest jitter a [`Backoff`] takes: 0.9 (a delay is spread over 0.1
/// to 1.9 times itself).
pub const MAX_JITTER: f64 = 0.9;

/// Exponential backoff with jitter, and an optional limit on attempts.
///
/// The delay before attempt `n` (counted from 0 after each loss of the
/// link) is `initial × 2ⁿ`, capped at `max`, then spread by ±`jitter`
/// (a fraction) so that many clients of one host do not dial in step; it
/// never exceeds `max`. By default: 100 ms doubling to 5 s, jitter 0.25,
/// unlimited attempts.
///
/// ```
/// # mod yoton { pub use yoton_core::{Backoff, Context}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::Backoff;
///
/// let backoff = Backoff::new().max_attempts(5);
/// // The middle of the jitter range (a random fraction of 0.5) is the
/// // plain exponential delay.
/// assert_eq!(backoff.delay(0, 0.5), Duration::from_millis(100));
/// assert_eq!(backoff.delay(3, 0.5), Duration::from_millis(800));
/// assert_eq!(backoff.delay(30, 0.5), Duration::from_secs(5));
/// assert!(backoff.allows(4) && !backoff.allows(5));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: f64,
    max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            jitter: 0.25,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// 100 ms doubling to 5 s, jitter 0.25, unlimited attempts.
    pub fn new() -> Self {
        Backoff::default()
    }

    /// The delay before the first attempt after a loss; at least
    /// [`MIN_DELAY`], so that a link never dials in a tight loop.
    pub fn initial(mut self, initial: Duration) -> Self {
        self.initial = initial.max(MIN_DELAY);
        self.max = self.max.max(self.initial);
        self
    }

    /// The longest delay between two attempts; never below the initial
    /// delay.
    pub fn max(mut self, max: Duration) -> Self {
        self.max = max.max(self.initial);
        self
    }

    /// How far each delay is spread at random, as a fraction of it
    /// (clamped to 0..=[`MAX_JITTER`], so that no delay is zero; 0 turns
    /// jitter off).
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, MAX_JITTER)
        } else {
            0.0
        };
        self
    }

    /// Give up after this many failed attempts in a row (default: never).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// The attempt limit, if any.
    pub fn attempt_limit(&self) -> Option<u32> {
        self.max_attempts
    }

    /// Whether attempt `attempt` (counted from 0 after each loss) may be
    /// made.
    pub fn allows(&self, attempt: u32) -> bool {
        self.max_attempts.is_none_or(|limit| attempt < limit)
    }

    /// The delay before attempt `attempt`, given a random fraction `unit`
    /// in 0..=1 (0.5 is the middle of the jitter range).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let doubled = self
            .initial
            .checked_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(self.max);
        let base = doubled.min(self.max);
        let spread = 1.0 - self.jitter + 2.0 * self.jitter * unit;
        Duration::try_from_secs_f64(base.as_secs_f64() * spread)
            .map_or(self.max, |delay| delay.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_100_ms_to_5_s_by_default() {
        let backoff = Backoff::new();
        let delays: Vec<u128> = (0..8).map(|n| backoff.delay(n, 0.5).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(backoff.delay(u32::MAX, 0.5), Duration::from_secs(5));
    }

    #[test]
    fn jitter_spreads_each_delay_within_its_range_and_never_past_max() {
        let backoff = Backoff::new();
        assert_eq!(backoff.delay(2, 0.0), Duration::from_millis(300));
        assert_eq!(backoff.delay(2, 1.0), Duration::from_millis(500));
        // At the cap the upper half of the range is cut to max.
        assert_eq!(backoff.delay(10, 0.0), Duration::from_millis(3750));
        assert_eq!(backoff.delay(10, 1.0), Duration::from_secs(5));
        for unit in [0.0, 0.1, 0.37, 0.5, 0.99, 1.0] {
            let delay = backoff.delay(1, unit);
            assert!(delay >= Duration::from_millis(150) && delay <= Duration::from_millis(250));
        }
    }

    #[test]
    fn bad_fractions_are_tamed() {
        let backoff = Backoff::new().jitter(f64::NAN);
        assert_eq!(backoff.delay(1, 0.0), Duration::from_millis(200));
        let backoff = Backoff::new().jitter(7.0);
        assert_eq!(backoff.delay(1, 0.0), Duration::from_millis(20));
        assert_eq!(backoff.delay(1, 1.0), Duration::from_millis(380));
        let backoff = Backoff::new();
        assert_eq!(backoff.delay(0, f64::INFINITY), Duration::from_millis(100));
        assert_eq!(backoff.delay(0, -3.0), Duration::from_millis(75));
    }

    #[test]
    fn attempts_are_unlimited_unless_set() {
        assert!(Backoff::new().allows(u32::MAX));
        let three = Backoff::new().max_attempts(3);
        assert_eq!(three.attempt_limit(), Some(3));
        assert!(three.allows(0) && three.allows(2) && !three.allows(3));
        assert!(!Backoff::new().max_attempts(0).allows(0));
    }

    #[test]
    fn delays_never_go_below_the_minimum_or_past_huge_limits() {
        let backoff = Backoff::new()
            .initial(Duration::ZERO)
            .max(Duration::ZERO)
            .jitter(0.0);
        assert_eq!(backoff.delay(0, 0.5), MIN_DELAY);
        assert_eq!(backoff.delay(40, 0.5), MIN_DELAY);
        // Twice the largest duration does not fit: it is the largest.
        let huge = Backoff::new()
            .max(Duration::MAX)
            .initial(Duration::MAX)
            .jitter(1.0);
        assert_eq!(huge.delay(u32::MAX, 1.0), Duration::MAX);
        assert!(huge.delay(0, 0.0) > Duration::from_secs(1 << 60));
        let wide = Backoff::new()
            .max(Duration::from_millis(10))
            .initial(Duration::from_secs(1));
        assert_eq!(wide.delay(0, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn settings_are_kept() {
        let backoff = Backoff::new()
            .initial(Duration::from_millis(10))
            .max(Duration::from_millis(50))
            .jitter(0.0);
        let delays: Vec<u128> = (0..4).map(|n| backoff.delay(n, 0.9).as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 50]);
    }
}
