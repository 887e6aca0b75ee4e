//! The timing rules of a connection, as plain code fed instants.
//!
//! A sender sends a heartbeat whenever it has sent nothing for
//! [`HEARTBEAT_INTERVAL`]; a receiver that hears nothing for its timeout
//! reports `timedout(true)`, and `timedout(false)` when bytes come again.
//! Transports call these with `Instant::now()`; tests call them with made-up
//! instants, so the rules are checked without sleeping.

use std::time::{Duration, Instant};

/// The smallest timeout a connection accepts, and its default.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(500);

/// Silence after which a sender sends a heartbeat: half the minimum timeout,
/// so that a peer with the minimum timeout never times out on a live link.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(250);

/// Decides when a receiving side has timed out and when it has recovered.
///
/// ```
/// use std::time::{Duration, Instant};
/// use yoton_core::liveness::Liveness;
///
/// let start = Instant::now();
/// let mut live = Liveness::new(Duration::from_millis(500), start);
/// assert_eq!(live.poll(start + Duration::from_millis(499)), None);
/// assert_eq!(live.poll(start + Duration::from_millis(500)), Some(true));
/// assert_eq!(live.poll(start + Duration::from_secs(9)), None); // told once
/// assert_eq!(live.on_receive(start + Duration::from_secs(10)), Some(false));
/// ```
#[derive(Debug, Clone)]
pub struct Liveness {
    timeout: Duration,
    last_receive: Instant,
    timed_out: bool,
}

impl Liveness {
    /// Starts counting silence at `now`.
    pub fn new(timeout: Duration, now: Instant) -> Self {
        Liveness {
            timeout,
            last_receive: now,
            timed_out: false,
        }
    }

    /// Changes the timeout; the silence counted so far still counts.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The timeout in force.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether the link is timed out now (`timedout(true)` was the last word).
    pub fn is_timed_out(&self) -> bool {
        self.timed_out
    }

    /// Records that bytes arrived at `now`. Returns `Some(false)` when this
    /// ends a time-out, which is when `timedout(false)` is to be emitted.
    pub fn on_receive(&mut self, now: Instant) -> Option<bool> {
        self.last_receive = now;
        if self.timed_out {
            self.timed_out = false;
            Some(false)
        } else {
            None
        }
    }

    /// Checks the silence at `now`. Returns `Some(true)` once when the
    /// silence reaches the timeout, which is when `timedout(true)` is due.
    pub fn poll(&mut self, now: Instant) -> Option<bool> {
        if !self.timed_out && now.saturating_duration_since(self.last_receive) >= self.timeout {
            self.timed_out = true;
            Some(true)
        } else {
            None
        }
    }

    /// The next instant at which [`poll`](Liveness::poll) could report
    /// something: a receiving loop waits at most until then. When already
    /// timed out, nothing is due until bytes come; the loop may then wait
    /// one timeout at a time.
    pub fn deadline(&self) -> Instant {
        if self.timed_out {
            self.last_receive.max(Instant::now()) + self.timeout
        } else {
            self.last_receive + self.timeout
        }
    }
}

/// Decides when a sending side owes its peer a heartbeat.
///
/// ```
/// use std::time::{Duration, Instant};
/// use yoton_core::liveness::HeartbeatClock;
///
/// let start = Instant::now();
/// let mut clock = HeartbeatClock::new(start);
/// assert!(!clock.is_due(start + Duration::from_millis(100)));
/// clock.on_send(start + Duration::from_millis(100));
/// assert!(!clock.is_due(start + Duration::from_millis(300)));
/// assert!(clock.is_due(start + Duration::from_millis(350)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HeartbeatClock {
    last_send: Instant,
}

impl HeartbeatClock {
    /// Starts counting silence at `now`.
    pub fn new(now: Instant) -> Self {
        HeartbeatClock { last_send: now }
    }

    /// Records that bytes were sent at `now`.
    pub fn on_send(&mut self, now: Instant) {
        self.last_send = now;
    }

    /// Whether a heartbeat is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_send) >= HEARTBEAT_INTERVAL
    }

    /// When the next heartbeat is due if nothing is sent before.
    pub fn deadline(&self) -> Instant {
        self.last_send + HEARTBEAT_INTERVAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_out_is_reported_once_and_recovery_once() {
        let t0 = Instant::now();
        let mut live = Liveness::new(Duration::from_secs(1), t0);
        assert_eq!(live.deadline(), t0 + Duration::from_secs(1));
        assert_eq!(live.on_receive(t0 + Duration::from_millis(900)), None);
        assert_eq!(live.poll(t0 + Duration::from_millis(1500)), None);
        assert_eq!(live.poll(t0 + Duration::from_millis(1900)), Some(true));
        assert!(live.is_timed_out());
        assert_eq!(live.poll(t0 + Duration::from_millis(5000)), None);
        assert_eq!(
            live.on_receive(t0 + Duration::from_millis(5001)),
            Some(false)
        );
        assert_eq!(live.on_receive(t0 + Duration::from_millis(5002)), None);
        assert_eq!(live.poll(t0 + Duration::from_millis(6001)), None);
        assert_eq!(live.poll(t0 + Duration::from_millis(6002)), Some(true));
    }

    #[test]
    fn a_longer_timeout_applies_to_the_current_silence() {
        let t0 = Instant::now();
        let mut live = Liveness::new(MIN_TIMEOUT, t0);
        live.set_timeout(Duration::from_secs(2));
        assert_eq!(live.poll(t0 + Duration::from_secs(1)), None);
        assert_eq!(live.poll(t0 + Duration::from_secs(2)), Some(true));
    }

    #[test]
    fn timeout_and_state_read_back() {
        let t0 = Instant::now();
        let mut live = Liveness::new(Duration::from_millis(700), t0);
        assert_eq!(live.timeout(), Duration::from_millis(700));
        assert!(!live.is_timed_out());
        live.set_timeout(Duration::from_secs(3));
        assert_eq!(live.timeout(), Duration::from_secs(3));
        assert_eq!(live.poll(t0 + Duration::from_secs(3)), Some(true));
        assert!(live.is_timed_out());
        assert_eq!(live.on_receive(t0 + Duration::from_secs(4)), Some(false));
        assert!(!live.is_timed_out());
    }

    #[test]
    fn a_timed_out_deadline_is_a_timeout_ahead() {
        // Once timed out, nothing is due until bytes come: the deadline is
        // a whole timeout away, never in the past, so a receiving loop
        // that waits until it does not spin.
        let timeout = Duration::from_millis(500);
        let t0 = Instant::now();
        let mut live = Liveness::new(timeout, t0);
        assert_eq!(live.poll(t0 + timeout), Some(true));
        let before = Instant::now();
        let deadline = live.deadline();
        assert!(
            deadline >= before + timeout,
            "{deadline:?} < {before:?} + {timeout:?}"
        );
        assert!(deadline >= t0 + timeout);
        // Received bytes (at a made-up instant ahead) count from there.
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(live.on_receive(later), Some(false));
        assert_eq!(live.deadline(), later + timeout);
        assert_eq!(live.poll(later + timeout), Some(true));
        // Timed out again: a timeout from the later of the last bytes and
        // the real now, here the made-up instant.
        assert_eq!(live.deadline(), later + timeout);
    }

    #[test]
    fn heartbeat_due_after_a_quarter_second_of_silence() {
        let t0 = Instant::now();
        let clock = HeartbeatClock::new(t0);
        assert_eq!(clock.deadline(), t0 + HEARTBEAT_INTERVAL);
        assert!(!clock.is_due(t0 + Duration::from_millis(249)));
        assert!(clock.is_due(t0 + Duration::from_millis(250)));
        assert!(HEARTBEAT_INTERVAL * 2 <= MIN_TIMEOUT);
    }
}
