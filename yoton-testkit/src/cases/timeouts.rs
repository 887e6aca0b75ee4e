//! Timeouts, `timedout` and heartbeats. These cases are about time passing:
//! they let a peer stay silent on purpose, and wait on events otherwise.

use std::time::{Duration, Instant};

use yoton_core::{ContextId, Error, Package, TimedOutEvent, package::PackageKind};

use crate::harness::{bind, context, pair, wait_connected};
use crate::{STEP_DEADLINE, TransportUnderTest};

const MIN_TIMEOUT: Duration = Duration::from_millis(500);

fn next_timedout(events: &crossbeam_channel::Receiver<TimedOutEvent>, what: &str) -> bool {
    events
        .recv_timeout(STEP_DEADLINE)
        .unwrap_or_else(|e| panic!("no timedout event in time ({what}): {e}"))
        .timed_out
}

/// Every end, waiting or connected, starts with the minimum timeout, 0.5 s.
pub fn timeout_defaults_to_half_a_second_on_every_end(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let waiting = bind(ut, &host);
    assert_eq!(waiting.timeout(), MIN_TIMEOUT);
    let p = pair(ut);
    assert_eq!(p.bound.timeout(), MIN_TIMEOUT);
    assert_eq!(p.conn.timeout(), MIN_TIMEOUT);
}

/// A timeout below 0.5 s is refused and changes nothing; 0.5 s and more
/// are taken, on both ends.
pub fn timeout_below_the_minimum_is_refused(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    for c in [&p.bound, &p.conn] {
        match c.set_timeout(Duration::from_millis(499)) {
            Err(Error::InvalidTimeout { given }) => {
                assert_eq!(given, Duration::from_millis(499));
            }
            other => panic!("a 499 ms timeout: {other:?}"),
        }
        assert_eq!(c.timeout(), MIN_TIMEOUT);
        c.set_timeout(Duration::from_secs(3)).expect("3 s");
        assert_eq!(c.timeout(), Duration::from_secs(3));
        c.set_timeout(MIN_TIMEOUT).expect("0.5 s");
        assert_eq!(c.timeout(), MIN_TIMEOUT);
    }
}

/// A silent peer makes the connection emit `timedout(true)`, carrying the
/// connection; when the peer speaks again, `timedout(false)`.
pub fn timedout_true_when_the_peer_is_silent_then_false_when_it_speaks(
    ut: &dyn TransportUnderTest,
) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let events = bound.timedout().subscribe();
    let id = ContextId::new(0x7173_0000_0000_0001).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    let event = events.recv_timeout(STEP_DEADLINE).expect("timedout(true)");
    assert!(event.timed_out, "the first event says timed out");
    assert_eq!(event.connection.key(), bound.key());
    assert!(bound.is_connected(), "a timeout does not close");
    assert!(peer.send(&Package::heartbeat()));
    let event = events.recv_timeout(STEP_DEADLINE).expect("timedout(false)");
    assert!(!event.timed_out, "the peer spoke again");
    assert_eq!(event.connection.peer_id(), Some(id));
}

/// `timedout` follows each silence and each recovery, once each.
pub fn timedout_follows_every_silence_and_recovery(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let events = bound.timedout().subscribe();
    let id = ContextId::new(0x7173_0000_0000_0002).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    for round in 0..2 {
        assert!(next_timedout(&events, "silence"), "round {round}: silence");
        assert!(peer.send(&Package::heartbeat()));
        assert!(
            !next_timedout(&events, "recovery"),
            "round {round}: recovery"
        );
    }
    assert!(bound.is_connected());
}

/// With a longer timeout, `timedout(true)` does not come before it passed.
pub fn timedout_waits_for_a_longer_timeout(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let timeout = Duration::from_millis(1500);
    bound.set_timeout(timeout).expect("1.5 s");
    let events = bound.timedout().subscribe();
    let id = ContextId::new(0x7173_0000_0000_0003).expect("non-zero");
    let started = Instant::now();
    let _peer = ut.scripted_peer(&*bound, id);
    assert!(next_timedout(&events, "silence"));
    let took = started.elapsed();
    assert!(
        took >= timeout,
        "timed out after {took:?}, before {timeout:?}"
    );
}

/// Two live ends keep each other alive with heartbeats: with nothing sent
/// by the user for longer than the timeout, neither times out.
///
/// The timeout is 2 s rather than the minimum: heartbeats come every
/// 0.25 s, so only a stall of well over a second on a loaded machine could
/// fail this, while a link without heartbeats fails it after 2 s. The exact
/// rule (0.5 s of silence) is the simulated-time tests' to check.
pub fn a_live_link_never_times_out(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let timeout = Duration::from_secs(2);
    for c in [&p.bound, &p.conn] {
        c.set_timeout(timeout).expect("2 s");
    }
    let here = p.conn.timedout().subscribe();
    let there = p.bound.timedout().subscribe();
    // One and a half timeouts of silence from the user's side.
    let until = Instant::now() + timeout * 3 / 2;
    crossbeam_channel::select! {
        recv(here) -> e => panic!("the connecting end timed out: {e:?}"),
        recv(there) -> e => panic!("the bound end timed out: {e:?}"),
        default(until.saturating_duration_since(Instant::now())) => {}
    }
    assert!(p.bound.is_connected() && p.conn.is_connected());
}

/// A connection that has nothing to send sends heartbeats, so that its
/// peer does not time out.
pub fn a_connection_sends_heartbeats_to_a_silent_peer(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let id = ContextId::new(0x7173_0000_0000_0004).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    wait_connected("hosting", &bound);
    for n in 0..2 {
        let started = Instant::now();
        let package = peer
            .recv_timeout(STEP_DEADLINE)
            .unwrap_or_else(|| panic!("heartbeat {n} did not come"));
        assert_eq!(package.kind(), PackageKind::Heartbeat, "{package:?}");
        assert_eq!(package, Package::heartbeat());
        // Due after 0.25 s of silence. The bound only catches a transport
        // that stopped sending them; the schedule itself is checked with
        // simulated time, where a loaded machine cannot stretch it.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "heartbeat {n} came after {:?}",
            started.elapsed()
        );
    }
}
