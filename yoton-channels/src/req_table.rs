//! The requester's rules of req/rep as plain code: which requests wait
//! for a replier, which run, when a pre-request is sent again and when a
//! call gives up. [`ReqChannel`](crate::ReqChannel) feeds it packages and
//! instants and does what it answers; nothing here touches a socket or a
//! clock.
//!
//! The protocol, as the reference speaks it (PROTOCOL.md, "Req/rep"):
//! 1. the requester broadcasts `req?` with `dest_seq` = [`OFFSET`] + id;
//! 2. a free replier answers `req!`, directed, with the same `dest_seq`;
//! 3. on the first `req!` the requester sends the request to that replier
//!    (`dest_seq` = id) and broadcasts `req-`;
//! 4. the replier sends the reply, directed, with `dest_seq` = id.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use yoton_core::sync::later;

/// Request ids of pre-request packages are offset by 2^63 in `dest_seq`.
pub(crate) const OFFSET: u64 = 1 << 63;

/// The first item of an error reply: `("yoton_ERROR_HANDLING_REQUEST",
/// message)`.
pub(crate) const ERROR_OBJECT: &str = "yoton_ERROR_HANDLING_REQUEST";

/// The pre-request words, as raw ASCII.
pub(crate) const ASK: &[u8] = b"req?";
pub(crate) const ACK: &[u8] = b"req!";
pub(crate) const DONE: &[u8] = b"req-";

/// How often an unacknowledged `req?` goes out again.
pub(crate) const RESEND_EVERY: Duration = Duration::from_millis(500);

/// Why the table ended a call by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// No replier acknowledged within the call's timeout (a `req-` goes
    /// out).
    NoReplier,
    /// A replier acknowledged, but its reply did not come within the
    /// reply timeout.
    NoReply,
}

/// What the channel must do after a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Broadcast `word` (`req?` or `req-`) for request `id`.
    Broadcast { id: u64, word: &'static [u8] },
    /// End call `id` with this reason.
    Expire { id: u64, why: Expiry },
}

/// What a directed package on the reply slot means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// The first acknowledgement of a waiting request: send the request to
    /// `replier`, then broadcast `req-`.
    Acknowledged { id: u64, replier: u64 },
    /// The reply to request `id`, which leaves the table.
    Reply { id: u64 },
    /// Nothing to do: a later acknowledgement, or a reply to a request
    /// that ended (cancelled, expired or forgotten).
    Ignored,
}

/// What [`ReqTable::cancel`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// The request was waiting and is cancelled: broadcast `req-`.
    Cancelled,
    /// A replier runs it: it cannot be cancelled.
    Running,
    /// Not in the table (done already).
    Unknown,
}

#[derive(Clone, Copy, Debug)]
enum Status {
    Waiting {
        give_up_at: Instant,
        next_resend: Instant,
    },
    Running {
        give_up_at: Option<Instant>,
    },
}

/// The requests of one request channel that have not ended.
#[derive(Debug)]
pub(crate) struct ReqTable {
    last_id: u64,
    reply_timeout: Option<Duration>,
    entries: BTreeMap<u64, Status>,
}

impl ReqTable {
    /// An empty table whose calls wait at most `reply_timeout` for a reply
    /// once acknowledged (forever if `None`).
    pub(crate) fn new(reply_timeout: Option<Duration>) -> ReqTable {
        ReqTable {
            last_id: 0,
            reply_timeout,
            entries: BTreeMap::new(),
        }
    }

    /// Sets the reply timeout of calls acknowledged from now on.
    pub(crate) fn set_reply_timeout(&mut self, timeout: Option<Duration>) {
        self.reply_timeout = timeout;
    }

    /// A new request at `now`, given up when no replier acknowledges within
    /// `timeout`; its id (counted from 1). The caller broadcasts `req?`.
    pub(crate) fn start(&mut self, now: Instant, timeout: Duration) -> u64 {
        self.last_id += 1;
        let id = self.last_id;
        self.entries.insert(
            id,
            Status::Waiting {
                give_up_at: later(now, timeout),
                next_resend: now + RESEND_EVERY,
            },
        );
        id
    }

    /// A package directed at this requester, with its `dest_seq` and the
    /// `source_id` of whoever sent it, at `now`.
    pub(crate) fn on_directed(&mut self, dest_seq: u64, source_id: u64, now: Instant) -> Incoming {
        if dest_seq > OFFSET {
            let id = dest_seq - OFFSET;
            if let Some(status @ Status::Waiting { .. }) = self.entries.get_mut(&id) {
                *status = Status::Running {
                    give_up_at: self.reply_timeout.map(|t| later(now, t)),
                };
                return Incoming::Acknowledged {
                    id,
                    replier: source_id,
                };
            }
            Incoming::Ignored
        } else if dest_seq > 0 && self.entries.remove(&dest_seq).is_some() {
            Incoming::Reply { id: dest_seq }
        } else {
            Incoming::Ignored
        }
    }

    /// Cancels request `id` if no replier runs it yet.
    pub(crate) fn cancel(&mut self, id: u64) -> Cancel {
        match self.entries.get(&id) {
            None => Cancel::Unknown,
            Some(Status::Running { .. }) => Cancel::Running,
            Some(Status::Waiting { .. }) => {
                self.entries.remove(&id);
                Cancel::Cancelled
            }
        }
    }

    /// Forgets request `id`, whatever its state (its future is gone); true
    /// if it was waiting, so that the caller broadcasts `req-`.
    pub(crate) fn forget(&mut self, id: u64) -> bool {
        matches!(self.entries.remove(&id), Some(Status::Waiting { .. }))
    }

    /// Ends request `id` (the channel failed it); true if it was there.
    pub(crate) fn remove(&mut self, id: u64) -> bool {
        self.entries.remove(&id).is_some()
    }

    /// What is due at `now`: `req?` again for requests waiting for
    /// [`RESEND_EVERY`], and the end of those past their timeouts (a
    /// request given up without a replier broadcasts `req-`).
    pub(crate) fn tick(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let mut ended = Vec::new();
        for (&id, status) in self.entries.iter_mut() {
            match status {
                Status::Waiting {
                    give_up_at,
                    next_resend,
                } => {
                    if now >= *give_up_at {
                        ended.push(id);
                        actions.push(Action::Broadcast { id, word: DONE });
                        actions.push(Action::Expire {
                            id,
                            why: Expiry::NoReplier,
                        });
                    } else if now >= *next_resend {
                        *next_resend = now + RESEND_EVERY;
                        actions.push(Action::Broadcast { id, word: ASK });
                    }
                }
                Status::Running {
                    give_up_at: Some(at),
                } if now >= *at => {
                    ended.push(id);
                    actions.push(Action::Expire {
                        id,
                        why: Expiry::NoReply,
                    });
                }
                Status::Running { .. } => {}
            }
        }
        for id in ended {
            self.entries.remove(&id);
        }
    }

    /// The earliest instant at which [`tick`](ReqTable::tick) has something
    /// to do, if any.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|status| match *status {
                Status::Waiting {
                    give_up_at,
                    next_resend,
                } => Some(give_up_at.min(next_resend)),
                Status::Running { give_up_at, .. } => give_up_at,
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLIER: u64 = 77;
    const TEN_S: Duration = Duration::from_secs(10);

    fn ticks(table: &mut ReqTable, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        table.tick(now, &mut actions);
        actions
    }

    #[test]
    fn ids_count_from_one_and_acknowledgements_use_the_offset() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        assert_eq!(table.start(t0, TEN_S), 1);
        assert_eq!(table.start(t0, TEN_S), 2);
        assert_eq!(
            table.on_directed(OFFSET + 2, REPLIER, t0),
            Incoming::Acknowledged {
                id: 2,
                replier: REPLIER
            }
        );
        assert_eq!(table.cancel(2), Cancel::Running);
        assert_eq!(table.cancel(1), Cancel::Cancelled);
    }

    #[test]
    fn only_the_first_acknowledgement_counts() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let id = table.start(t0, TEN_S);
        assert!(matches!(
            table.on_directed(OFFSET + id, REPLIER, t0),
            Incoming::Acknowledged { .. }
        ));
        assert_eq!(
            table.on_directed(OFFSET + id, REPLIER + 1, t0),
            Incoming::Ignored
        );
        assert_eq!(table.cancel(id), Cancel::Running);
    }

    #[test]
    fn a_reply_ends_the_request_once() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let id = table.start(t0, TEN_S);
        table.on_directed(OFFSET + id, REPLIER, t0);
        assert_eq!(table.on_directed(id, REPLIER, t0), Incoming::Reply { id });
        assert_eq!(table.on_directed(id, REPLIER, t0), Incoming::Ignored);
        assert_eq!(table.on_directed(0, REPLIER, t0), Incoming::Ignored);
        assert_eq!(table.cancel(id), Cancel::Unknown);
    }

    #[test]
    fn an_unacknowledged_request_is_asked_again_every_half_second() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let id = table.start(t0, TEN_S);
        assert_eq!(table.next_due(), Some(t0 + RESEND_EVERY));
        assert!(ticks(&mut table, t0 + Duration::from_millis(499)).is_empty());
        let at = t0 + RESEND_EVERY;
        assert_eq!(ticks(&mut table, at), [Action::Broadcast { id, word: ASK }]);
        assert!(ticks(&mut table, at + Duration::from_millis(499)).is_empty());
        assert_eq!(
            ticks(&mut table, at + RESEND_EVERY),
            [Action::Broadcast { id, word: ASK }]
        );
    }

    #[test]
    fn an_unacknowledged_request_gives_up_at_its_timeout_and_says_so() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let id = table.start(t0, Duration::from_millis(1200));
        ticks(&mut table, t0 + Duration::from_millis(600));
        assert_eq!(
            ticks(&mut table, t0 + Duration::from_millis(1200)),
            [
                Action::Broadcast { id, word: DONE },
                Action::Expire {
                    id,
                    why: Expiry::NoReplier
                }
            ]
        );
        assert_eq!(table.cancel(id), Cancel::Unknown);
        assert_eq!(table.next_due(), None);
        // A late acknowledgement finds nothing.
        assert_eq!(
            table.on_directed(OFFSET + id, REPLIER, t0 + TEN_S),
            Incoming::Ignored
        );
    }

    #[test]
    fn an_acknowledged_request_is_neither_asked_again_nor_given_up_without_a_reply_timeout() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let id = table.start(t0, Duration::from_secs(1));
        table.on_directed(OFFSET + id, REPLIER, t0);
        assert_eq!(table.next_due(), None);
        assert!(ticks(&mut table, t0 + Duration::from_secs(3600)).is_empty());
        assert_eq!(table.cancel(id), Cancel::Running);
    }

    #[test]
    fn a_reply_timeout_ends_an_acknowledged_request() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(Some(Duration::from_secs(2)));
        let id = table.start(t0, TEN_S);
        let acked = t0 + Duration::from_secs(1);
        table.on_directed(OFFSET + id, REPLIER, acked);
        assert_eq!(table.next_due(), Some(acked + Duration::from_secs(2)));
        assert!(ticks(&mut table, acked + Duration::from_millis(1999)).is_empty());
        assert_eq!(
            ticks(&mut table, acked + Duration::from_secs(2)),
            [Action::Expire {
                id,
                why: Expiry::NoReply
            }]
        );
        assert_eq!(table.on_directed(id, REPLIER, acked), Incoming::Ignored);
    }

    #[test]
    fn cancel_works_only_before_a_replier_runs_it() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let (a, b) = (table.start(t0, TEN_S), table.start(t0, TEN_S));
        table.on_directed(OFFSET + b, REPLIER, t0);
        assert_eq!(table.cancel(a), Cancel::Cancelled);
        assert_eq!(table.cancel(a), Cancel::Unknown);
        assert_eq!(table.cancel(b), Cancel::Running);
        assert_eq!(
            table.on_directed(OFFSET + a, REPLIER, t0),
            Incoming::Ignored
        );
    }

    #[test]
    fn forgetting_says_whether_a_done_word_is_owed() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(None);
        let (a, b) = (table.start(t0, TEN_S), table.start(t0, TEN_S));
        table.on_directed(OFFSET + b, REPLIER, t0);
        assert!(table.forget(a));
        assert!(!table.forget(b));
        assert!(!table.forget(b));
        assert_eq!(table.next_due(), None);
    }

    #[test]
    fn the_next_due_instant_is_the_earliest_of_all() {
        let t0 = Instant::now();
        let mut table = ReqTable::new(Some(Duration::from_millis(100)));
        let a = table.start(t0, TEN_S);
        table.start(t0 + Duration::from_millis(200), TEN_S);
        assert_eq!(table.next_due(), Some(t0 + RESEND_EVERY));
        table.on_directed(OFFSET + a, REPLIER, t0);
        assert_eq!(table.next_due(), Some(t0 + Duration::from_millis(100)));
        assert!(table.remove(a));
        assert_eq!(
            table.next_due(),
            Some(t0 + Duration::from_millis(200) + RESEND_EVERY)
        );
    }
}
