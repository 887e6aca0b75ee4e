//! Context messages and misbehaving user code: `CLOSE_CONNECTION` from a
//! peer, the startup queue's bound, and signal handlers and endpoints that
//! panic on the transport's thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use yoton_core::{ClosedEvent, ContextId, Delivery, Direction, Endpoint, Package, Slot, reason};

use crate::cases::quiet::expect_marker_next;
use crate::harness::{SLOT, bind, context, expect_numbered, listen, next, pair, wait_connected};
use crate::{STEP_DEADLINE, TransportUnderTest};

/// How many packages the startup queue keeps, as the reference.
const STARTUP_QUEUE_BOUND: usize = 10_000;

fn from(id: ContextId, seq: u64, slot: Slot, text: &'static str) -> Package {
    let mut package = Package::new(slot, text);
    package.source_id = id.get();
    package.source_seq = seq;
    package
}

/// A peer's `CLOSE_CONNECTION` context message closes the connection to
/// that peer with `Closed from other end.`, as the reference does.
pub fn close_connection_from_the_peer_closes_its_link(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let closed = bound.closed().subscribe();
    let id = ContextId::new(0xc1c1_0000_0000_0001).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    wait_connected("hosting", &bound);
    assert!(peer.send(&from(id, 1, Slot::CONTEXT, "CLOSE_CONNECTION")));
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
    assert!(!bound.is_alive());
}

/// `CLOSE_CONNECTION` closes only connections whose peer sent it: one that
/// comes from another context (passed on by the peer) leaves the link
/// open.
pub fn close_connection_from_another_context_leaves_the_link_open(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let rx = listen(&host, SLOT);
    let id = ContextId::new(0xc1c1_0000_0000_0002).expect("non-zero");
    let other = ContextId::new(0xc1c1_0000_0000_0003).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    wait_connected("hosting", &bound);
    assert!(peer.send(&from(other, 1, Slot::CONTEXT, "CLOSE_CONNECTION")));
    assert!(peer.send(&from(id, 1, SLOT, "still open")));
    // Handled in order: the link was still open when the message came.
    expect_marker_next(&rx, "still open", "message");
    assert!(bound.is_connected(), "closed by another context's message");
}

/// Without a connection, the startup queue keeps the newest 10 000
/// packages: older ones are dropped and counted, and the rest go to the
/// first connection in order.
pub fn the_startup_queue_drops_the_oldest_beyond_its_bound(ut: &dyn TransportUnderTest) {
    let early = context(ut);
    let extra = 7;
    for i in 0..STARTUP_QUEUE_BOUND + extra {
        early.send(SLOT, format!("q{i}")).expect("send");
    }
    assert_eq!(early.startup_queued(), STARTUP_QUEUE_BOUND);
    assert_eq!(early.startup_dropped(), extra as u64);
    let host = context(ut);
    let rx = listen(&host, SLOT);
    let bound = bind(ut, &host);
    early
        .connect(&ut.connect_address(&*bound))
        .expect("connect");
    for i in extra..STARTUP_QUEUE_BOUND + extra {
        let d = next(&rx, &format!("q{i}"));
        assert_eq!(
            std::str::from_utf8(&d.package.data).expect("UTF-8 text"),
            format!("q{i}"),
            "the oldest are dropped, the rest kept in order"
        );
    }
    early.send(SLOT, "after").expect("send");
    expect_marker_next(&rx, "after", "message");
    assert_eq!(early.startup_queued(), 0);
    assert_eq!(early.startup_dropped(), extra as u64);
}

/// `timedout` and `closed` handlers that panic on the transport's thread
/// are caught: the subscribers still hear every event, the connection
/// recovers from its silence, and the context's other links go on.
pub fn panicking_handlers_do_not_stop_the_transport(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let _t = bound.timedout().connect(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        panic!("a timedout handler that panics");
    });
    let c = Arc::clone(&calls);
    let _c = bound.closed().connect(move |_: &ClosedEvent| {
        c.fetch_add(1, Ordering::SeqCst);
        panic!("a closed handler that panics");
    });
    let timedout = bound.timedout().subscribe();
    let closed = bound.closed().subscribe();
    let id = ContextId::new(0x9a9c_0000_0000_0001).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    assert!(
        timedout
            .recv_timeout(STEP_DEADLINE)
            .expect("timedout")
            .timed_out
    );
    assert!(peer.send(&Package::heartbeat()));
    assert!(
        !timedout
            .recv_timeout(STEP_DEADLINE)
            .expect("recovery")
            .timed_out
    );
    // A second link of the same context, to see the context go on.
    let other = context(ut);
    let (_b2, _c2) = crate::harness::join(ut, &host, &other);
    let rx = listen(&other, SLOT);
    drop(peer);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed");
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);
    assert!(calls.load(Ordering::SeqCst) >= 3, "the handlers ran");
    host.send(SLOT, "still going").expect("send");
    expect_marker_next(&rx, "still going", "message");
}

#[derive(Debug)]
struct Panicking(AtomicUsize);

impl Endpoint for Panicking {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        self.0.fetch_add(deliveries.len(), Ordering::SeqCst);
        deliveries.clear();
        panic!("an endpoint that panics");
    }
}

/// An endpoint that panics on the receiving thread harms neither the
/// link nor the other endpoints: what follows is still delivered.
pub fn a_panicking_endpoint_does_not_stop_the_link(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let bad_slot = Slot::new(0xbad_5107);
    let bad = Arc::new(Panicking(AtomicUsize::new(0)));
    p.host
        .register_endpoint(Direction::Incoming, bad_slot, "panics", bad.clone())
        .expect("a free slot");
    let rx = listen(&p.host, SLOT);
    for i in 0..3 {
        p.client.send(bad_slot, "to the bad one").expect("send");
        p.client.send(SLOT, format!("m{i}")).expect("send");
    }
    expect_numbered(&rx, "m", 3);
    assert!(
        bad.0.load(Ordering::SeqCst) >= 1,
        "the bad endpoint was called"
    );
    assert!(p.conn.is_connected() && p.bound.is_connected());
    // The other direction goes on too.
    let back = listen(&p.client, SLOT);
    p.host.send(SLOT, "back").expect("send");
    expect_marker_next(&back, "back", "message");
}
