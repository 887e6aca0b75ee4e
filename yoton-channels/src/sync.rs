//! Sync mode: the rules by which a sub channel tells its pub channels to
//! slow down (`full`) and go on (`ok`), and by which a pub channel obeys.
//!
//! The rules are plain code fed instants, so they are tested without
//! waiting; the channels apply them, a sub channel through its queue's
//! watch and a thread of its own (`yoton-sync`). The numbers are the reference's:
//!
//! ```
//! # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
//! use std::time::Duration;
//! use yoton::channels::sync;
//!
//! assert_eq!((sync::HIGH_WATER_MARK, sync::LOW_WATER_MARK), (32, 16));
//! assert_eq!(sync::REPEAT_INTERVAL, Duration::from_secs(4));
//! assert_eq!(sync::SEND_BLOCK, Duration::from_secs(1));
//! assert_eq!(sync::FULL_LAPSES_AFTER, Duration::from_secs(10));
//! assert_eq!((sync::WORD_FULL, sync::WORD_OK), ("full", "ok"));
//! ```

use std::collections::HashSet;
use std::sync::Weak;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use yoton_core::{Context, Slot};

use crate::queue::QueueWatch;
use crate::sub_channel::SubCore;

/// A sub channel in sync mode says `full` when more than this many messages
/// wait in its queue.
pub const HIGH_WATER_MARK: usize = 32;
/// A sub channel that said `full` says `ok` when fewer than this many
/// messages wait.
pub const LOW_WATER_MARK: usize = 16;
/// A sub channel in sync mode repeats its current word this often.
pub const REPEAT_INTERVAL: Duration = Duration::from_secs(4);
/// A pub channel holds each send for at most this long while a source says
/// `full`.
pub const SEND_BLOCK: Duration = Duration::from_secs(1);
/// A pub channel forgets a `full` after this long without news.
pub const FULL_LAPSES_AFTER: Duration = Duration::from_secs(10);

/// The word a sub channel sends when its queue is over the high-water mark.
pub const WORD_FULL: &str = "full";
/// The word a sub channel sends when its queue is back under the low-water
/// mark (and, repeated, while it stays there).
pub const WORD_OK: &str = "ok";

/// The queue status of a sub channel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueueStatus {
    /// Not in sync mode.
    Off,
    /// In sync mode, senders may send.
    Ok,
    /// In sync mode, senders should hold back.
    Full,
}

impl QueueStatus {
    /// The status after the queue length became `pending`: `Some` if it
    /// changed (a word is due).
    pub(crate) fn next(self, pending: usize) -> Option<QueueStatus> {
        match self {
            QueueStatus::Ok if pending > HIGH_WATER_MARK => Some(QueueStatus::Full),
            QueueStatus::Full if pending < LOW_WATER_MARK => Some(QueueStatus::Ok),
            _ => None,
        }
    }

    /// The word for this status (none when sync mode is off).
    pub(crate) fn word(self) -> Option<&'static str> {
        match self {
            QueueStatus::Off => None,
            QueueStatus::Ok => Some(WORD_OK),
            QueueStatus::Full => Some(WORD_FULL),
        }
    }
}

/// A pub channel's view of its sources: which say `full`, and until when
/// that holds without news.
#[derive(Debug, Default)]
pub(crate) struct SendLock {
    full: HashSet<u64>,
    until: Option<Instant>,
}

impl SendLock {
    /// A word arrived from `source`: `full` adds it, anything else removes
    /// it. While any source is full, the lock runs for another
    /// [`FULL_LAPSES_AFTER`]. Returns whether sends are blocked now.
    pub(crate) fn on_word(&mut self, source: u64, word: &[u8], now: Instant) -> bool {
        if word == WORD_FULL.as_bytes() {
            self.full.insert(source);
        } else {
            self.full.remove(&source);
        }
        self.until = if self.full.is_empty() {
            None
        } else {
            Some(now + FULL_LAPSES_AFTER)
        };
        self.until.is_some()
    }

    /// Whether a send at `now` must wait; a lock that ran out is dropped
    /// (the sources stay known, so their next `full` locks again).
    pub(crate) fn is_blocked(&mut self, now: Instant) -> bool {
        match self.until {
            Some(until) if now <= until => true,
            Some(_) => {
                self.until = None;
                false
            }
            None => false,
        }
    }
}

/// Sync mode's view of the queue: the status its length gives, and the
/// thread that says it.
#[derive(Debug)]
pub(crate) struct SyncWatch {
    pub(crate) status: QueueStatus,
    /// Wakes the sync thread when the status changes; dropping it stops
    /// the thread.
    pub(crate) wake: Option<Sender<()>>,
}

impl QueueWatch for SyncWatch {
    fn on_len(&mut self, len: usize) {
        if let Some(next) = self.status.next(len) {
            self.status = next;
            if let Some(wake) = &self.wake {
                let _ = wake.try_send(());
            }
        }
    }

    fn on_close(&mut self) {
        self.status = QueueStatus::Off;
        self.wake = None;
    }
}

/// Sends a sync word on a sub channel's outgoing slot, if connected (as the
/// reference: a word sent to nobody would only wait in the startup queue).
fn send_word(context: &Context, slot: Slot, word: &'static str) {
    if context.connection_count() == 0 {
        return;
    }
    if let Err(e) = context.send(slot, Bytes::from_static(word.as_bytes())) {
        tracing::debug!(error = %e, word, "sync word not sent");
    }
}

/// The sync thread of a sub channel: sends the current word when the
/// status changes and repeats it every 4 s; on the way out (sync mode off,
/// channel closed), releases the pub channels if it last said `full`.
pub(crate) fn run_sync_thread(
    core: Weak<SubCore>,
    context: Context,
    slot: Slot,
    wake: Receiver<()>,
) {
    let mut last: Option<(QueueStatus, Instant)> = None;
    loop {
        let wait = match last {
            None => Duration::ZERO,
            Some((_, at)) => (at + REPEAT_INTERVAL).saturating_duration_since(Instant::now()),
        };
        let stopped = crossbeam_channel::select! {
            recv(wake) -> message => message.is_err(),
            default(wait) => false,
        };
        let status = match core.upgrade() {
            Some(core) if !stopped => core.queue.with_watch(|watch, _| watch.status),
            _ => QueueStatus::Off,
        };
        let Some(word) = status.word() else {
            if matches!(last, Some((QueueStatus::Full, _))) {
                send_word(&context, slot, WORD_OK);
            }
            return;
        };
        let now = Instant::now();
        let due = match last {
            None => true,
            Some((said, at)) => said != status || now >= at + REPEAT_INTERVAL,
        };
        if due {
            send_word(&context, slot, word);
            last = Some((status, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_status_follows_the_reference_thresholds() {
        assert_eq!(QueueStatus::Off.next(1000), None);
        assert_eq!(QueueStatus::Ok.next(32), None);
        assert_eq!(QueueStatus::Ok.next(33), Some(QueueStatus::Full));
        assert_eq!(QueueStatus::Full.next(16), None);
        assert_eq!(QueueStatus::Full.next(15), Some(QueueStatus::Ok));
        assert_eq!(QueueStatus::Full.word(), Some("full"));
        assert_eq!(QueueStatus::Ok.word(), Some("ok"));
        assert_eq!(QueueStatus::Off.word(), None);
    }

    #[test]
    fn full_blocks_until_every_source_says_ok() {
        let t0 = Instant::now();
        let mut lock = SendLock::default();
        assert!(!lock.is_blocked(t0));
        assert!(lock.on_word(1, b"full", t0));
        assert!(lock.on_word(2, b"full", t0));
        assert!(lock.is_blocked(t0));
        assert!(lock.on_word(1, b"ok", t0));
        assert!(lock.is_blocked(t0));
        assert!(!lock.on_word(2, b"ok", t0));
        assert!(!lock.is_blocked(t0));
    }

    #[test]
    fn full_lapses_after_ten_seconds_without_news_and_news_renews_it() {
        let t0 = Instant::now();
        let mut lock = SendLock::default();
        lock.on_word(7, b"full", t0);
        assert!(lock.is_blocked(t0 + Duration::from_secs(9)));
        // Repeated news (even from another source) renews the lock.
        lock.on_word(8, b"ok", t0 + Duration::from_secs(9));
        assert!(lock.is_blocked(t0 + Duration::from_secs(18)));
        assert!(!lock.is_blocked(t0 + Duration::from_secs(20)));
        // Lapsed; the source is still known as full, its next word locks.
        assert!(!lock.is_blocked(t0 + Duration::from_secs(21)));
        assert!(lock.on_word(7, b"full", t0 + Duration::from_secs(22)));
        assert!(lock.is_blocked(t0 + Duration::from_secs(22)));
    }
}
