//! Two ends of a connection joined in memory, in simulated time, in the
//! manner of quinn-proto's `Pair`: each end is made of the same plain rules
//! the transports use (the decoder, [`HeartbeatClock`], [`Liveness`],
//! [`Lifecycle`] and [`take_until_close`]), and [`Pair::run_for`] moves
//! bytes between them while a made-up clock advances. Heartbeats, the
//! timeout's `timedout(true)` and `(false)`, and the close protocol are
//! checked here in microseconds, without sockets or sleeping.

use std::time::{Duration, Instant};

use yoton_core::decoder::Decoder;
use yoton_core::lifecycle::{Lifecycle, take_until_close};
use yoton_core::liveness::{HEARTBEAT_INTERVAL, HeartbeatClock, Liveness, MIN_TIMEOUT};
use yoton_core::{Package, Slot, State, reason};

/// What an end observed, as its user would through signals and channels.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    TimedOut(bool),
    Data(Vec<u8>),
    Closed(String),
}

/// One end: the send side's heartbeat clock, the receive side's decoder
/// and liveness, and the connection's lifecycle.
struct End {
    life: Lifecycle,
    live: Liveness,
    beat: HeartbeatClock,
    decoder: Decoder,
    outbox: Vec<u8>,
    seen: Vec<Seen>,
    heartbeats_sent: usize,
}

impl End {
    fn new(hosting: bool, now: Instant) -> End {
        let mut life = Lifecycle::new();
        if hosting {
            life.waiting();
        }
        assert!(life.connected(hosting));
        End {
            life,
            live: Liveness::new(MIN_TIMEOUT, now),
            beat: HeartbeatClock::new(now),
            decoder: Decoder::new(),
            outbox: Vec::new(),
            seen: Vec::new(),
            heartbeats_sent: 0,
        }
    }

    fn is_open(&self) -> bool {
        self.life.state() >= State::Hosting
    }

    fn send(&mut self, data: &'static str, now: Instant) {
        if self.is_open() {
            Package::new(Slot::new(9), data).encode_into(&mut self.outbox);
            self.beat.on_send(now);
        }
    }

    /// What the sending thread does when it wakes: a heartbeat when due.
    /// What the receiving thread does when its read times out: check the
    /// silence.
    fn tick(&mut self, now: Instant) {
        if !self.is_open() {
            return;
        }
        if self.beat.is_due(now) {
            Package::heartbeat().encode_into(&mut self.outbox);
            self.beat.on_send(now);
            self.heartbeats_sent += 1;
        }
        if let Some(timed_out) = self.live.poll(now) {
            self.seen.push(Seen::TimedOut(timed_out));
        }
    }

    /// What the receiving thread does with bytes that arrived.
    fn receive(&mut self, bytes: &[u8], now: Instant) {
        if bytes.is_empty() || !self.is_open() {
            return;
        }
        if let Some(timed_out) = self.live.on_receive(now) {
            self.seen.push(Seen::TimedOut(timed_out));
        }
        self.decoder.feed(bytes);
        let mut batch = Vec::new();
        while let Ok(Some(package)) = self.decoder.next_package() {
            batch.push(package);
        }
        let closing = take_until_close(&mut batch);
        for package in batch {
            self.seen.push(Seen::Data(package.data.to_vec()));
        }
        if closing {
            self.close_on_problem(reason::CLOSED_FROM_OTHER_END);
        }
    }

    /// `close`: tell the peer if there is one, then close.
    fn close(&mut self) {
        if let Some(previous) = self.life.begin_close() {
            if previous >= State::Hosting {
                Package::close_notice().encode_into(&mut self.outbox);
            }
            self.finish(reason::CLOSED_ON_COMMAND);
        }
    }

    /// `close_on_problem`: close without telling the peer.
    fn close_on_problem(&mut self, why: &str) {
        if self.life.begin_close().is_some() {
            self.finish(why);
        }
    }

    fn finish(&mut self, why: &str) {
        if self.life.finish_close(why) {
            self.seen.push(Seen::Closed(why.to_owned()));
        }
    }
}

/// Two ends and a simulated clock; either direction can be cut (the bytes
/// then wait, as on a stalled link).
struct Pair {
    now: Instant,
    client: End,
    host: End,
    client_to_host_stalled: bool,
    host_to_client_stalled: bool,
}

/// How far the clock moves per step: finer than any rule's resolution.
const STEP: Duration = Duration::from_millis(1);

impl Pair {
    fn new() -> Pair {
        let now = Instant::now();
        Pair {
            now,
            client: End::new(false, now),
            host: End::new(true, now),
            client_to_host_stalled: false,
            host_to_client_stalled: false,
        }
    }

    /// Delivers what is in flight, then lets both ends act on the time.
    fn drive(&mut self) {
        if !self.client_to_host_stalled {
            let bytes = std::mem::take(&mut self.client.outbox);
            self.host.receive(&bytes, self.now);
        }
        if !self.host_to_client_stalled {
            let bytes = std::mem::take(&mut self.host.outbox);
            self.client.receive(&bytes, self.now);
        }
        self.client.tick(self.now);
        self.host.tick(self.now);
    }

    fn run_for(&mut self, span: Duration) {
        let end = self.now + span;
        while self.now < end {
            self.now += STEP;
            self.drive();
        }
    }
}

#[test]
fn a_quiet_live_link_sends_heartbeats_and_never_times_out() {
    let mut pair = Pair::new();
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.client.seen, []);
    assert_eq!(pair.host.seen, []);
    // One heartbeat per interval of silence, on each end.
    let expected = (60_000 / HEARTBEAT_INTERVAL.as_millis()) as usize;
    for end in [&pair.client, &pair.host] {
        assert!(
            end.heartbeats_sent.abs_diff(expected) <= 1,
            "{} heartbeats in 60 s",
            end.heartbeats_sent
        );
    }
}

#[test]
fn messages_keep_the_heartbeat_away() {
    let mut pair = Pair::new();
    for _ in 0..100 {
        pair.client.send("x", pair.now);
        pair.run_for(Duration::from_millis(100));
    }
    assert_eq!(pair.client.heartbeats_sent, 0);
    assert!(pair.host.heartbeats_sent > 0, "the host was silent");
    assert_eq!(pair.host.seen.len(), 100);
}

#[test]
fn silence_times_out_after_the_timeout_and_recovers_when_bytes_come() {
    let mut pair = Pair::new();
    pair.run_for(Duration::from_secs(1));
    pair.client_to_host_stalled = true;
    let stalled_at = pair.now;
    // Nothing before the timeout (the last heartbeat came at most one
    // interval before the stall)...
    pair.run_for(MIN_TIMEOUT - HEARTBEAT_INTERVAL - STEP);
    assert_eq!(pair.host.seen, []);
    // ...timed out once the timeout passed since the last byte...
    pair.run_for(HEARTBEAT_INTERVAL + 2 * STEP);
    assert_eq!(pair.host.seen, [Seen::TimedOut(true)]);
    // ...said once only, however long the silence...
    pair.run_for(Duration::from_secs(30));
    assert_eq!(pair.host.seen, [Seen::TimedOut(true)]);
    assert_eq!(pair.client.seen, [], "the other direction still flows");
    // ...and back with the first byte, the heartbeats that waited.
    pair.client_to_host_stalled = false;
    pair.run_for(STEP);
    assert_eq!(
        pair.host.seen,
        [Seen::TimedOut(true), Seen::TimedOut(false)]
    );
    assert!(pair.now - stalled_at > Duration::from_secs(30));
}

#[test]
fn a_longer_timeout_waits_longer() {
    let mut pair = Pair::new();
    pair.host.live.set_timeout(Duration::from_secs(10));
    pair.client_to_host_stalled = true;
    pair.run_for(Duration::from_millis(9_990));
    assert_eq!(pair.host.seen, []);
    pair.run_for(Duration::from_millis(20));
    assert_eq!(pair.host.seen, [Seen::TimedOut(true)]);
}

#[test]
fn close_tells_the_peer_after_what_was_sent_before() {
    let mut pair = Pair::new();
    pair.client.send("one", pair.now);
    pair.client.send("two", pair.now);
    pair.client.close();
    pair.client.send("after the close", pair.now);
    pair.run_for(STEP);
    assert_eq!(
        pair.host.seen,
        [
            Seen::Data(b"one".to_vec()),
            Seen::Data(b"two".to_vec()),
            Seen::Closed(reason::CLOSED_FROM_OTHER_END.to_owned()),
        ]
    );
    assert_eq!(
        pair.client.seen,
        [Seen::Closed(reason::CLOSED_ON_COMMAND.to_owned())]
    );
    // Both ends are closed for good: no heartbeats, no timeouts.
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.host.seen.len(), 3);
    assert_eq!(pair.client.seen.len(), 1);
    assert_eq!(pair.host.life.state(), State::Closed);
}

#[test]
fn bytes_after_the_close_package_are_ignored() {
    let mut pair = Pair::new();
    Package::close_notice().encode_into(&mut pair.client.outbox);
    Package::new(Slot::new(9), "late").encode_into(&mut pair.client.outbox);
    pair.run_for(STEP);
    assert_eq!(
        pair.host.seen,
        [Seen::Closed(reason::CLOSED_FROM_OTHER_END.to_owned())]
    );
}

#[test]
fn close_on_problem_does_not_tell_the_peer_which_then_times_out() {
    let mut pair = Pair::new();
    pair.client.close_on_problem(reason::UNSPECIFIED_PROBLEM);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.host.seen, [Seen::TimedOut(true)]);
    assert_eq!(
        pair.client.seen,
        [Seen::Closed(reason::UNSPECIFIED_PROBLEM.to_owned())]
    );
}

#[test]
fn closing_twice_or_from_both_ends_reports_once_each() {
    let mut pair = Pair::new();
    pair.client.close();
    pair.host.close();
    pair.client.close();
    pair.run_for(Duration::from_secs(1));
    assert_eq!(
        pair.client.seen,
        [Seen::Closed(reason::CLOSED_ON_COMMAND.to_owned())]
    );
    assert_eq!(
        pair.host.seen,
        [Seen::Closed(reason::CLOSED_ON_COMMAND.to_owned())]
    );
}
