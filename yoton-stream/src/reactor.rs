//! The reactor: one thread per process does the I/O of every connected
//! stream socket, whatever the number of connections. It waits on all of
//! them at once (`mio`: epoll, kqueue), reads what arrives and hands it to
//! the contexts, writes what producers queued when they ask it to (an idle
//! connection's producer writes itself), sends heartbeats, watches for
//! timeouts, and lingers after a close package.
//!
//! Nothing on its thread may wait for it. A forward or a send from a
//! delivery that finds a stream connection's queue full does not block:
//! the connection being read from pauses until the full ones have room
//! again, which is the same backpressure a thread of its own would get.
//! A flush or a close from a delivery writes on this thread, waiting on
//! the socket itself.
//!
//! The timers are plain code ([`scan_at`], [`poll_timeout`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use socket2::Socket;
use yoton_core::ConnectionCore;
use yoton_core::link::{FullBacklog, take_found_full};

use crate::busy_poll::Empty;
use crate::connection::{StreamConnection, lock};
use crate::io::LINGER;
use crate::receive::{Discarded, ReadBuffers, Received, Receiving, discard};
use crate::send::{Flushed, WriteBuffers};

/// The waker's token; connections count from 1.
const WAKER: Token = Token(0);

/// The next connection's token (never reused, so a late wake-up for a
/// connection that is gone finds nothing).
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);

/// The timers are looked at no more often than this: heartbeats go out
/// after a quarter second of silence, and a timeout is at least half a
/// second.
pub(crate) const TIMER_SPACING: Duration = Duration::from_millis(10);

/// How often a connection whose delivery found a queue full looks
/// whether it has room, at the longest.
const RETRY_FULL: Duration = Duration::from_millis(1);

/// The longest between two looks at a connection's timeout.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// The name of the reactor's thread.
pub(crate) const THREAD_NAME: &str = "yoton-stream-io";

/// What the reactor's thread notes while it delivers.
#[derive(Default)]
struct Notes {
    /// The connections a delivery queued packages on: they are written
    /// at the end of the reactor's round, or before the next connection
    /// is read once [`WRITE_EARLY`] bytes were queued, so that what a
    /// forwarding hub holds stays bounded while small packages to many
    /// connections still leave in few writes.
    flush: Vec<Token>,
    /// The bytes queued by deliveries since the noted connections were
    /// last written.
    queued: usize,
    /// Direct writes left to deliveries in this round.
    direct_left: usize,
}

/// How many packages deliveries may write directly in one round of the
/// reactor (an acknowledgement, a request after it); the rest are queued
/// and written at the end of the round, one write per connection.
pub(crate) const DIRECT_PER_ROUND: usize = 4;

/// What deliveries may queue before the noted connections are written in
/// the middle of a round.
pub(crate) const WRITE_EARLY: usize = 1024 * 1024;

thread_local! {
    /// On the reactor's thread: its notes (elsewhere `None`).
    static NOTES: RefCell<Option<Notes>> = const { RefCell::new(None) };
}

fn with_notes<R>(f: impl FnOnce(&mut Notes) -> R) -> Option<R> {
    NOTES.with(|notes| notes.borrow_mut().as_mut().map(f))
}

/// Whether this is the reactor's thread, which must never wait for it.
pub(crate) fn on_reactor_thread() -> bool {
    NOTES.with(|notes| notes.borrow().is_some())
}

/// Asks for a write of the connection at `token`: noted on the reactor's
/// thread (false elsewhere, where the reactor must be woken).
pub(crate) fn note_flush(token: Token) -> bool {
    with_notes(|notes| notes.flush.push(token)).is_some()
}

/// Whether a producer may write directly now: always, except on the
/// reactor's thread past [`DIRECT_PER_ROUND`] in a round.
pub(crate) fn may_write_directly() -> bool {
    with_notes(|notes| {
        let left = notes.direct_left > 0;
        notes.direct_left = notes.direct_left.saturating_sub(1);
        left
    })
    .unwrap_or(true)
}

fn new_round() {
    with_notes(|notes| notes.direct_left = DIRECT_PER_ROUND);
}

/// On the reactor's thread: a delivery queued `bytes`.
pub(crate) fn note_queued(bytes: usize) {
    with_notes(|notes| notes.queued += bytes);
}

/// Takes the noted connections: all of them when `all`, else only once
/// deliveries queued [`WRITE_EARLY`] bytes.
fn take_flush(into: &mut Vec<Token>, all: bool) {
    with_notes(|notes| {
        if all || notes.queued >= WRITE_EARLY {
            notes.queued = 0;
            into.append(&mut notes.flush);
        }
    });
}

/// When the reactor looks at the timers next: at the earliest one, but
/// not sooner than [`TIMER_SPACING`] from `now`; never without timers.
pub(crate) fn scan_at(now: Instant, earliest: Option<Instant>) -> Option<Instant> {
    earliest.map(|at| at.max(now + TIMER_SPACING))
}

/// How long the reactor may wait for readiness: not at all while it has
/// work left or polls busily, else until its timers (forever without).
pub(crate) fn poll_timeout(now: Instant, scan: Option<Instant>, busy: bool) -> Option<Duration> {
    if busy {
        Some(Duration::ZERO)
    } else {
        scan.map(|at| at.saturating_duration_since(now))
    }
}

/// The handle through which other threads reach the reactor.
pub(crate) struct Reactor {
    waker: Waker,
    inbox: Mutex<Inbox>,
}

#[derive(Default)]
struct Inbox {
    added: Vec<Entry>,
    woken: Vec<Token>,
    /// The waker was called since the reactor last emptied the inbox.
    signalled: bool,
}

impl Reactor {
    /// The process's reactor, started on first use.
    ///
    /// # Errors
    ///
    /// Why it could not start (no poll, or no thread), each time.
    pub(crate) fn get() -> io::Result<&'static Reactor> {
        static REACTOR: OnceLock<Result<Arc<Reactor>, String>> = OnceLock::new();
        REACTOR
            .get_or_init(|| Reactor::start().map_err(|e| e.to_string()))
            .as_deref()
            .map_err(|e| io::Error::other(format!("no reactor: {e}")))
    }

    fn start() -> io::Result<Arc<Reactor>> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let reactor = Arc::new(Reactor {
            waker,
            inbox: Mutex::new(Inbox::default()),
        });
        let shared = Arc::clone(&reactor);
        thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || run(poll, &shared))?;
        Ok(reactor)
    }

    /// A token for a new connection.
    pub(crate) fn token() -> Token {
        Token(NEXT_TOKEN.fetch_add(1, Ordering::Relaxed))
    }

    /// Hands a connected socket to the reactor.
    pub(crate) fn add(&self, entry: Entry) {
        let mut inbox = lock(&self.inbox);
        inbox.added.push(entry);
        self.signal(inbox);
    }

    /// Asks the reactor to look at a connection: it has something to
    /// write, or it shut down.
    pub(crate) fn wake(&self, token: Token) {
        let mut inbox = lock(&self.inbox);
        inbox.woken.push(token);
        self.signal(inbox);
    }

    fn signal(&self, mut inbox: std::sync::MutexGuard<'_, Inbox>) {
        if !inbox.signalled {
            inbox.signalled = true;
            drop(inbox);
            if let Err(e) = self.waker.wake() {
                tracing::error!(error = %e, "the stream reactor cannot be woken");
                lock(&self.inbox).signalled = false;
            }
        }
    }

    fn take_inbox(&self) -> (Vec<Entry>, Vec<Token>) {
        let mut inbox = lock(&self.inbox);
        inbox.signalled = false;
        (
            std::mem::take(&mut inbox.added),
            std::mem::take(&mut inbox.woken),
        )
    }
}

/// One connected socket, as the reactor holds it.
pub(crate) struct Entry {
    token: Token,
    link: Arc<StreamConnection>,
    /// The connection lives at least as long as its entry: the entry goes
    /// once the connection shut its link down.
    core: Arc<ConnectionCore>,
    socket: Arc<Socket>,
    receiving: Receiving,
    /// Readiness not yet used up (edge-triggered).
    readable: bool,
    /// The peer closed its end, or the socket failed: read until a read
    /// says so (a short read may come before the end).
    hung_up: bool,
    writable: bool,
    /// A producer asked for a write.
    flush: bool,
    /// The full queues this one's delivery waits for: it reads again once
    /// they all have room.
    paused_on: Vec<FullBacklog>,
    /// After the close package (or a failure): until when it takes in and
    /// drops what the peer still sends.
    lingering: Option<Instant>,
    /// When the connection's timeout is looked at next.
    next_check: Instant,
    /// In the reactor's list of connections that poll busily.
    polling: bool,
    /// What came with the handshake was handed over.
    started: bool,
}

/// What the reactor does with a connection after a turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    /// Wait for readiness.
    Wait,
    /// It has more to read: another turn soon.
    Again,
    /// Its delivery waits for full connections.
    Paused,
    /// It is done: close the socket and forget it.
    Closed,
}

impl Entry {
    pub(crate) fn new(
        token: Token,
        link: Arc<StreamConnection>,
        core: Arc<ConnectionCore>,
        socket: Arc<Socket>,
        receiving: Receiving,
    ) -> Entry {
        Entry {
            token,
            link,
            core,
            socket,
            receiving,
            readable: true,
            hung_up: false,
            writable: false,
            flush: true,
            paused_on: Vec::new(),
            lingering: None,
            next_check: Instant::now(),
            polling: false,
            started: false,
        }
    }

    /// Writes, reads and lingers as far as the socket allows now.
    fn turn(&mut self, reads: &mut ReadBuffers, writes: &mut WriteBuffers, now: Instant) -> After {
        let link = Arc::clone(&self.link);
        let _span = link.span.enter();
        if std::mem::take(&mut self.writable) | std::mem::take(&mut self.flush) {
            // A failed write shuts the link down, which the rest sees.
            let _ = link.flush_now(&self.socket, writes);
        }
        if link.is_shut() && self.lingering.is_none() {
            self.lingering = Some(now + LINGER);
        }
        if let Some(until) = self.lingering {
            self.readable = false;
            return match discard(&self.socket, reads) {
                Discarded::Ended => After::Closed,
                _ if now >= until => After::Closed,
                Discarded::More => After::Again,
                Discarded::Drained => After::Wait,
            };
        }
        let received = if self.started {
            if !self.readable {
                return After::Wait;
            }
            if !self.paused_on.is_empty() {
                return After::Paused;
            }
            // What was noted outside a read is not this connection's.
            drop(take_found_full());
            let drained_by_short_read = !self.hung_up;
            self.receiving.read(
                &link,
                &self.core,
                &self.socket,
                reads,
                drained_by_short_read,
            )
        } else {
            self.started = true;
            if self.receiving.start(&link, &self.core, reads) {
                // Read next turn.
                Received::More
            } else {
                Received::Stopped
            }
        };
        let full = take_found_full();
        match received {
            Received::Drained => self.readable = false,
            Received::More => {}
            Received::Ended => return After::Closed,
            Received::Stopped => {
                self.lingering = Some(now + LINGER);
                return After::Again;
            }
        }
        if !full.is_empty() {
            self.paused_on = full;
            return After::Paused;
        }
        if received == Received::More {
            After::Again
        } else {
            After::Wait
        }
    }

    /// Looks at the timers: the timeout, the heartbeat, the end of the
    /// linger. Returns when to look again, or `None` when the entry is
    /// done.
    fn on_timers(&mut self, now: Instant) -> Option<Instant> {
        if let Some(until) = self.lingering {
            return (now < until).then_some(until);
        }
        if self.link.is_shut() {
            self.lingering = Some(now + LINGER);
            return Some(now);
        }
        if now >= self.next_check {
            // At least every CHECK_EVERY, so that a timeout made shorter
            // takes effect soon.
            self.next_check = self.core.check_timeout(now).min(now + CHECK_EVERY);
        }
        let beat = self.link.heartbeat_if_due(&self.socket, now);
        Some(self.next_check.min(beat))
    }

    /// Whether the full queues it waits for have room now.
    fn may_go_on(&self) -> bool {
        self.paused_on.iter().all(FullBacklog::has_room)
    }

    fn close(self, poll: &Poll) {
        let fd = self.socket.as_raw_fd();
        let _ = poll.registry().deregister(&mut SourceFd(&fd));
        let _ = self.socket.shutdown(Shutdown::Both);
        self.link.receiving_ended();
        tracing::trace!(parent: &self.link.span, "socket done");
    }
}

/// The reactor's thread.
fn run(mut poll: Poll, reactor: &Reactor) {
    NOTES.with(|notes| *notes.borrow_mut() = Some(Notes::default()));
    yoton_core::link::never_wait_for_room_on_this_thread();
    let mut entries: HashMap<Token, Entry> = HashMap::new();
    let mut events = Events::with_capacity(1024);
    let mut reads = ReadBuffers::default();
    let mut writes = WriteBuffers::default();
    let mut turn: Vec<Token> = Vec::new();
    let mut again: Vec<Token> = Vec::new();
    let mut paused: Vec<Token> = Vec::new();
    let mut polling: Vec<Token> = Vec::new();
    let mut flush: Vec<Token> = Vec::new();
    let mut rotation: usize = 0;
    let mut scan: Option<Instant> = None;
    loop {
        let busy = !turn.is_empty() || !polling.is_empty();
        // Queues of other links (in-process) drain on threads of their own,
        // which do not wake the reactor: while a connection waits for one,
        // it looks every RETRY_FULL.
        let now = Instant::now();
        let wake_at = match (scan, paused.is_empty()) {
            (scan, true) => scan,
            (Some(at), false) => Some(at.min(now + RETRY_FULL)),
            (None, false) => Some(now + RETRY_FULL),
        };
        let timeout = poll_timeout(now, wake_at, busy);
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                tracing::error!(error = %e, "the stream reactor cannot poll");
                thread::sleep(TIMER_SPACING);
            }
            continue;
        }
        let now = Instant::now();
        new_round();
        let mut woke = false;
        for event in &events {
            let token = event.token();
            if token == WAKER {
                woke = true;
                continue;
            }
            if let Some(entry) = entries.get_mut(&token) {
                entry.hung_up |= event.is_read_closed() || event.is_error();
                entry.readable |= event.is_readable() || entry.hung_up;
                entry.writable |=
                    event.is_writable() || event.is_write_closed() || event.is_error();
                turn.push(token);
            }
        }
        if woke {
            let (added, woken) = reactor.take_inbox();
            for entry in added {
                let fd = entry.socket.as_raw_fd();
                let interest = Interest::READABLE | Interest::WRITABLE;
                if let Err(e) = poll
                    .registry()
                    .register(&mut SourceFd(&fd), entry.token, interest)
                {
                    entry
                        .link
                        .fail_with(&format!("{} {e}", yoton_core::reason::SOCKET_ERROR));
                    entry.close(&poll);
                    continue;
                }
                turn.push(entry.token);
                entries.insert(entry.token, entry);
                scan = Some(now);
            }
            for token in woken {
                if let Some(entry) = entries.get_mut(&token) {
                    entry.flush = true;
                    turn.push(token);
                }
            }
        }
        if events.is_empty() && !polling.is_empty() {
            polling.retain(|token| {
                entries.get_mut(token).is_some_and(|entry| {
                    entry.polling = entry.receiving.poll.on_empty(now) == Empty::PollAgain;
                    entry.polling
                })
            });
            if !polling.is_empty() {
                thread::yield_now();
            }
        }
        resume(&mut entries, &mut paused, &mut turn);
        turn.sort_unstable();
        turn.dedup();
        // Each connection is first as often as the others: with several
        // repliers on one slot, none always loses the race to acknowledge.
        if !turn.is_empty() {
            let first = rotation % turn.len();
            turn.rotate_left(first);
            rotation = rotation.wrapping_add(1);
        }
        for token in turn.drain(..) {
            let Some(entry) = entries.get_mut(&token) else {
                continue;
            };
            match entry.turn(&mut reads, &mut writes, now) {
                After::Wait => {}
                After::Again => again.push(token),
                After::Paused => paused.push(token),
                After::Closed => {
                    if let Some(entry) = entries.remove(&token) {
                        entry.close(&poll);
                    }
                    continue;
                }
            }
            if !entry.polling && entry.receiving.poll.is_polling() {
                entry.polling = true;
                polling.push(token);
            }
            take_flush(&mut flush, false);
            write_noted(&mut entries, &mut flush, &mut writes, &mut again);
        }
        take_flush(&mut flush, true);
        write_noted(&mut entries, &mut flush, &mut writes, &mut again);
        std::mem::swap(&mut turn, &mut again);
        paused.sort_unstable();
        paused.dedup();
        // The writes of this round may have made the room they wait for.
        resume(&mut entries, &mut paused, &mut turn);
        if scan.is_some_and(|at| now >= at) {
            let mut earliest: Option<Instant> = None;
            let mut done = Vec::new();
            for (token, entry) in &mut entries {
                match entry.on_timers(now) {
                    Some(at) => {
                        if at <= now {
                            turn.push(*token);
                        }
                        earliest = Some(earliest.map_or(at, |e| e.min(at)));
                    }
                    None => done.push(*token),
                }
            }
            for token in done {
                if let Some(entry) = entries.remove(&token) {
                    entry.close(&poll);
                }
            }
            scan = scan_at(now, earliest);
            take_flush(&mut flush, true);
            for token in flush.drain(..) {
                if let Some(entry) = entries.get_mut(&token) {
                    entry.flush = true;
                    turn.push(token);
                }
            }
        }
    }
}

/// Moves the paused connections that may go on to `turn`.
fn resume(entries: &mut HashMap<Token, Entry>, paused: &mut Vec<Token>, turn: &mut Vec<Token>) {
    paused.retain(|token| match entries.get_mut(token) {
        Some(entry) if entry.may_go_on() => {
            entry.paused_on.clear();
            turn.push(*token);
            false
        }
        Some(_) => true,
        None => false,
    });
}

/// Writes the connections deliveries queued packages on; those that
/// failed or shut get a turn next round.
fn write_noted(
    entries: &mut HashMap<Token, Entry>,
    noted: &mut Vec<Token>,
    writes: &mut WriteBuffers,
    again: &mut Vec<Token>,
) {
    for token in noted.drain(..) {
        if let Some(entry) = entries.get_mut(&token) {
            let flushed = entry.link.flush_now(&entry.socket, writes);
            if flushed == Flushed::Failed || entry.link.is_shut() {
                again.push(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_are_looked_at_when_due_but_not_more_often_than_the_spacing() {
        let now = Instant::now();
        assert_eq!(scan_at(now, None), None);
        let later = now + Duration::from_millis(250);
        assert_eq!(scan_at(now, Some(later)), Some(later));
        assert_eq!(scan_at(now, Some(now)), Some(now + TIMER_SPACING));
        assert_eq!(
            scan_at(now, Some(now - Duration::from_secs(1))),
            Some(now + TIMER_SPACING),
            "a timer already due waits the spacing, not a busy loop"
        );
    }

    #[test]
    fn the_reactor_waits_for_its_timers_unless_it_has_work_or_polls() {
        let now = Instant::now();
        let scan = now + Duration::from_millis(40);
        assert_eq!(poll_timeout(now, None, false), None);
        assert_eq!(
            poll_timeout(now, Some(scan), false),
            Some(Duration::from_millis(40))
        );
        assert_eq!(poll_timeout(now, Some(scan), true), Some(Duration::ZERO));
        assert_eq!(poll_timeout(now, None, true), Some(Duration::ZERO));
        assert_eq!(
            poll_timeout(scan + Duration::from_millis(1), Some(scan), false),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn only_the_reactor_thread_notes_full_connections() {
        assert!(!on_reactor_thread());
        assert!(!note_flush(Token(7)));
        assert!((0..2 * DIRECT_PER_ROUND).all(|_| may_write_directly()));
        thread::spawn(|| {
            NOTES.with(|notes| *notes.borrow_mut() = Some(Notes::default()));
            assert!(on_reactor_thread());
            assert!(note_flush(Token(7)));
            let mut noted = Vec::new();
            take_flush(&mut noted, false);
            assert!(
                noted.is_empty(),
                "small packages wait for the end of the round"
            );
            note_queued(WRITE_EARLY);
            take_flush(&mut noted, false);
            assert_eq!(noted, [Token(7)]);
            assert!(note_flush(Token(8)));
            take_flush(&mut noted, true);
            assert_eq!(noted, [Token(7), Token(8)]);
            new_round();
            let direct: Vec<bool> = (0..=DIRECT_PER_ROUND)
                .map(|_| may_write_directly())
                .collect();
            assert_eq!(direct.iter().filter(|&&d| d).count(), DIRECT_PER_ROUND);
            assert!(!direct[DIRECT_PER_ROUND]);
        })
        .join()
        .unwrap();
        assert!(!on_reactor_thread());
    }
}
