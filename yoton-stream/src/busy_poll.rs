//! When the I/O thread polls for a connection instead of sleeping in its
//! wait ([`StreamOptions::with_busy_poll`](crate::StreamOptions::with_busy_poll)),
//! as plain code fed instants: after something is received the sockets
//! are polled for up to the window; a poll that finds nothing past the
//! window goes back to sleeping waits.

use std::time::{Duration, Instant};

/// What the I/O thread does after a poll found nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Empty {
    /// Yield the core and poll again.
    PollAgain,
    /// The window has passed: sleep in the next wait.
    Block,
}

/// The polling window of one connection.
#[derive(Debug)]
pub(crate) struct BusyPoll {
    window: Duration,
    /// While polling: until when.
    until: Option<Instant>,
}

impl BusyPoll {
    /// Polls for `window` after each receive; never when it is zero.
    pub(crate) fn new(window: Duration) -> BusyPoll {
        BusyPoll {
            window,
            until: None,
        }
    }

    /// Whether the next read polls (does not block).
    pub(crate) fn is_polling(&self) -> bool {
        self.until.is_some()
    }

    /// Something was received at `now`: poll until a window from now.
    pub(crate) fn on_received(&mut self, now: Instant) {
        if !self.window.is_zero() {
            self.until = Some(now + self.window);
        }
    }

    /// A poll at `now` found nothing.
    pub(crate) fn on_empty(&mut self, now: Instant) -> Empty {
        match self.until {
            Some(until) if now < until => Empty::PollAgain,
            _ => {
                self.until = None;
                Empty::Block
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_window_never_polls() {
        let mut poll = BusyPoll::new(Duration::ZERO);
        poll.on_received(Instant::now());
        assert!(!poll.is_polling());
    }

    #[test]
    fn polls_for_the_window_after_each_receive_then_blocks() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        let mut poll = BusyPoll::new(us(100));
        assert!(!poll.is_polling(), "nothing received yet");
        poll.on_received(t0);
        assert!(poll.is_polling());
        assert_eq!(poll.on_empty(t0 + us(99)), Empty::PollAgain);
        // A receive inside the window extends it.
        poll.on_received(t0 + us(99));
        assert_eq!(poll.on_empty(t0 + us(150)), Empty::PollAgain);
        assert_eq!(poll.on_empty(t0 + us(199)), Empty::Block);
        assert!(!poll.is_polling());
        // The next receive polls again.
        poll.on_received(t0 + us(500));
        assert!(poll.is_polling());
    }
}
