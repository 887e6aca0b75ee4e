//! The replier's rules of req/rep as plain code: which pre-requests wait,
//! which one is acknowledged, and when the replier is free for the next.
//! [`RepChannel`](crate::RepChannel) feeds it packages and instants and
//! sends the acknowledgements it answers; nothing here touches a socket or
//! a clock.
//!
//! A replier acknowledges one pre-request at a time, and only while it is
//! free: it is busy from its `req!` until the request came and was
//! handled, or the requester said `req-`, or [`ACK_LAPSES`] passed. Other
//! pre-requests wait in a bounded queue, so the requests of a slot spread
//! over its repliers as they become free.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::req_table::{ASK, DONE, OFFSET};

/// How long an acknowledgement holds the replier for a request that does
/// not come, as in the reference.
pub(crate) const ACK_LAPSES: Duration = Duration::from_secs(10);

/// The default bound of the queue of pre-requests.
pub(crate) const DEFAULT_PRE_REQUESTS: usize = 1024;

/// A pre-request, known by who asked and its `dest_seq` (offset id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PreRequest {
    pub(crate) requester: u64,
    pub(crate) dest_seq: u64,
}

/// What a package on the request slot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A pre-request word (`req?`, `req-` or another).
    PreRequest,
    /// A request with this id.
    Request(u64),
    /// `dest_seq` 0: not req/rep.
    Neither,
}

/// Tells a package of the request slot by its `dest_seq`.
pub(crate) fn kind(dest_seq: u64) -> Kind {
    if dest_seq > OFFSET {
        Kind::PreRequest
    } else if dest_seq > 0 {
        Kind::Request(dest_seq)
    } else {
        Kind::Neither
    }
}

/// The replier's queue and what it is busy with.
#[derive(Debug)]
pub(crate) struct RepState {
    waiting: VecDeque<PreRequest>,
    capacity: usize,
    acknowledged: Option<(PreRequest, Instant)>,
    /// Requests taken and not yet handled.
    handling: usize,
    dropped: u64,
    /// Acknowledgements that ended without their request: released by a
    /// `req-`, or lapsed.
    released: u64,
}

impl RepState {
    /// A free replier that keeps at most `capacity` pre-requests waiting.
    pub(crate) fn new(capacity: usize) -> RepState {
        RepState {
            waiting: VecDeque::new(),
            capacity: capacity.max(1),
            acknowledged: None,
            handling: 0,
            dropped: 0,
            released: 0,
        }
    }

    /// A pre-request package (`word`) from `requester` with `dest_seq`,
    /// at `now`; the pre-request to acknowledge now, if any.
    ///
    /// A word replaces what waits for the same request (a resent `req?`
    /// waits once); `req-` also frees the replier if it had acknowledged
    /// that request. A `req?` beyond the bound is dropped and counted: the
    /// requester asks again.
    pub(crate) fn on_pre_request(
        &mut self,
        requester: u64,
        dest_seq: u64,
        word: &[u8],
        now: Instant,
    ) -> Option<PreRequest> {
        let this = PreRequest {
            requester,
            dest_seq,
        };
        self.waiting.retain(|p| *p != this);
        if word == DONE {
            if matches!(self.acknowledged, Some((p, _)) if p == this) {
                self.acknowledged = None;
                self.released += 1;
            }
        } else if word == ASK {
            if self.waiting.len() < self.capacity {
                self.waiting.push_back(this);
            } else {
                self.dropped += 1;
            }
        }
        self.next(now)
    }

    /// A request arrived: the replier is busy until it is handled.
    pub(crate) fn on_request(&mut self) {
        self.acknowledged = None;
        self.handling += 1;
    }

    /// A request was handled (or dropped); the pre-request to acknowledge
    /// now, if any.
    pub(crate) fn on_handled(&mut self, now: Instant) -> Option<PreRequest> {
        self.handling = self.handling.saturating_sub(1);
        self.next(now)
    }

    /// Time passed: an acknowledgement older than [`ACK_LAPSES`] lapses,
    /// and the next pre-request is acknowledged, if any.
    pub(crate) fn tick(&mut self, now: Instant) -> Option<PreRequest> {
        self.next(now)
    }

    /// Whether an acknowledgement is out: its request (or `req-`) is due.
    pub(crate) fn is_acknowledged(&self) -> bool {
        self.acknowledged.is_some()
    }

    /// When [`tick`](RepState::tick) may have something to do.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        match self.acknowledged {
            Some((_, at)) if !self.waiting.is_empty() => Some(at + ACK_LAPSES),
            _ => None,
        }
    }

    /// How many acknowledgements ended without their request: a `req-`
    /// released them (another replier took the call) or they lapsed. A
    /// serving loop that looks for the request of its acknowledgement
    /// stops when this changes.
    pub(crate) fn released(&self) -> u64 {
        self.released
    }

    /// How many `req?` were dropped because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How many pre-requests wait.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn next(&mut self, now: Instant) -> Option<PreRequest> {
        if let Some((_, at)) = self.acknowledged {
            if now.saturating_duration_since(at) >= ACK_LAPSES {
                self.acknowledged = None;
                self.released += 1;
            }
        }
        if self.acknowledged.is_some() || self.handling > 0 {
            return None;
        }
        let next = self.waiting.pop_front()?;
        self.acknowledged = Some((next, now));
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::req_table::ACK;

    fn pre(requester: u64, id: u64) -> PreRequest {
        PreRequest {
            requester,
            dest_seq: OFFSET + id,
        }
    }

    #[test]
    fn packages_are_told_apart_by_dest_seq() {
        assert_eq!(kind(OFFSET + 1), Kind::PreRequest);
        assert_eq!(kind(OFFSET), Kind::Request(OFFSET));
        assert_eq!(kind(1), Kind::Request(1));
        assert_eq!(kind(0), Kind::Neither);
    }

    #[test]
    fn a_free_replier_acknowledges_at_once_and_then_is_busy() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        assert_eq!(rep.on_pre_request(1, OFFSET + 1, ASK, t0), Some(pre(1, 1)));
        assert_eq!(rep.on_pre_request(2, OFFSET + 1, ASK, t0), None);
        assert_eq!(rep.waiting(), 1);
    }

    #[test]
    fn the_next_is_acknowledged_once_the_request_is_handled() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(1, OFFSET + 1, ASK, t0);
        rep.on_pre_request(2, OFFSET + 5, ASK, t0);
        rep.on_request();
        assert_eq!(rep.tick(t0), None, "busy while handling");
        assert_eq!(rep.on_handled(t0), Some(pre(2, 5)));
    }

    #[test]
    fn req_done_frees_the_replier_or_removes_a_waiting_one() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(1, OFFSET + 1, ASK, t0);
        rep.on_pre_request(2, OFFSET + 1, ASK, t0);
        rep.on_pre_request(3, OFFSET + 1, ASK, t0);
        // Requester 2 went to another replier: its pre-request leaves.
        assert_eq!(rep.on_pre_request(2, OFFSET + 1, DONE, t0), None);
        assert_eq!(rep.waiting(), 1);
        // Requester 1 chose another replier: this one is free for 3.
        assert_eq!(rep.on_pre_request(1, OFFSET + 1, DONE, t0), Some(pre(3, 1)));
    }

    #[test]
    fn a_done_word_for_another_request_does_not_free_the_replier() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(1, OFFSET + 1, ASK, t0);
        rep.on_pre_request(2, OFFSET + 1, ASK, t0);
        assert_eq!(rep.on_pre_request(1, OFFSET + 2, DONE, t0), None);
        assert_eq!(rep.on_pre_request(3, OFFSET + 1, DONE, t0), None);
    }

    #[test]
    fn an_acknowledgement_ended_without_its_request_counts_as_released() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(1, OFFSET + 1, ASK, t0);
        rep.on_pre_request(2, OFFSET + 1, ASK, t0);
        // Words that do not end the acknowledgement release nothing.
        rep.on_pre_request(2, OFFSET + 1, DONE, t0);
        rep.on_pre_request(1, OFFSET + 2, DONE, t0);
        assert_eq!(rep.released(), 0);
        // The requester took another replier: released, and free again.
        rep.on_pre_request(3, OFFSET + 1, ASK, t0);
        assert_eq!(rep.on_pre_request(1, OFFSET + 1, DONE, t0), Some(pre(3, 1)));
        assert_eq!(rep.released(), 1);
        // Its request came: that one was not released.
        rep.on_request();
        assert_eq!(rep.on_handled(t0), None);
        assert_eq!(rep.released(), 1);
        // One that lapses is.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(rep.on_pre_request(4, OFFSET + 1, ASK, t1), Some(pre(4, 1)));
        assert_eq!(rep.tick(t1 + ACK_LAPSES - Duration::from_millis(1)), None);
        assert_eq!(rep.released(), 1, "not lapsed yet");
        assert_eq!(rep.tick(t1 + ACK_LAPSES), None);
        assert!(!rep.is_acknowledged());
        assert_eq!(rep.released(), 2);
    }

    #[test]
    fn a_resent_ask_waits_once() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(9, OFFSET + 1, ASK, t0);
        for _ in 0..5 {
            rep.on_pre_request(1, OFFSET + 7, ASK, t0);
        }
        assert_eq!(rep.waiting(), 1);
    }

    #[test]
    fn an_acknowledgement_lapses_after_ten_seconds() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(1, OFFSET + 1, ASK, t0);
        rep.on_pre_request(2, OFFSET + 1, ASK, t0);
        assert_eq!(rep.next_due(), Some(t0 + ACK_LAPSES));
        assert_eq!(rep.tick(t0 + ACK_LAPSES - Duration::from_millis(1)), None);
        assert_eq!(rep.tick(t0 + ACK_LAPSES), Some(pre(2, 1)));
        assert_eq!(rep.next_due(), None);
    }

    #[test]
    fn a_flood_of_pre_requests_is_bounded_and_counted() {
        let t0 = Instant::now();
        let mut rep = RepState::new(4);
        rep.on_pre_request(0, OFFSET + 1, ASK, t0);
        for id in 1..=100 {
            rep.on_pre_request(1, OFFSET + id, ASK, t0);
        }
        assert_eq!(rep.waiting(), 4);
        assert_eq!(rep.dropped(), 96);
    }

    #[test]
    fn other_words_only_remove_what_waits() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_pre_request(0, OFFSET + 1, ASK, t0);
        rep.on_pre_request(1, OFFSET + 1, ASK, t0);
        assert_eq!(rep.on_pre_request(1, OFFSET + 1, ACK, t0), None);
        assert_eq!(rep.waiting(), 0);
    }

    #[test]
    fn an_unasked_request_still_makes_the_replier_busy() {
        let t0 = Instant::now();
        let mut rep = RepState::new(8);
        rep.on_request();
        assert_eq!(rep.on_pre_request(1, OFFSET + 1, ASK, t0), None);
        assert_eq!(rep.on_handled(t0), Some(pre(1, 1)));
    }
}
