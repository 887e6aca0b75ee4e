//! Peers that misbehave: dying without a close package, sending after
//! their close package, sending empty packages.

use bytes::Bytes;
use yoton_core::{ContextId, Package, reason};

use crate::cases::quiet::{expect_marker_next, expect_nothing_waiting};
use crate::harness::{SLOT, bind, context, expect_texts, listen, texts, wait_connected};
use crate::{STEP_DEADLINE, TransportUnderTest};

fn data(id: ContextId, seq: u64, text: &'static str) -> Package {
    let mut package = Package::new(SLOT, text);
    package.source_id = id.get();
    package.source_seq = seq;
    package
}

/// A peer that goes away without a close package (its thread or process
/// died) is reported as `Other end dropped the connection.`
pub fn a_peer_that_dies_without_closing_is_reported(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let closed = bound.closed().subscribe();
    let id = ContextId::new(0xdead_0000_0000_0001).expect("non-zero");
    let peer = ut.scripted_peer(&*bound, id);
    wait_connected("hosting", &bound);
    drop(peer);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);
    assert_eq!(event.connection.key(), bound.key());
    assert!(!bound.is_alive());
    assert_eq!(host.connection_count(), 0);
}

/// What a peer sent right before it died is still delivered, in order,
/// before the connection reports the drop.
pub fn what_a_dying_peer_sent_before_is_delivered(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let rx = listen(&host, SLOT);
    let closed = bound.closed().subscribe();
    let id = ContextId::new(0xdead_0000_0000_0002).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    for (seq, text) in [(1, "last"), (2, "words"), (3, "before dying")] {
        assert!(peer.send(&data(id, seq, text)));
    }
    drop(peer);
    expect_texts(&rx, &["last", "words", "before dying"]);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);
}

/// A peer that dies in the middle of a package (where the transport
/// carries bytes; otherwise right after a whole one) is reported as
/// `Other end dropped the connection.`, and the cut package is not
/// delivered.
pub fn a_peer_that_dies_mid_package_is_reported(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let rx = listen(&host, SLOT);
    let closed = bound.closed().subscribe();
    let id = ContextId::new(0xdead_0000_0000_0003).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    assert!(peer.send(&data(id, 1, "whole")));
    let cut = data(id, 2, "cut short by the death of its sender").to_bytes();
    let carries_bytes = match peer.send_raw(&cut[..cut.len() - 5]) {
        Some(sent) => {
            assert!(sent, "the first part of the package was not sent");
            true
        }
        None => false,
    };
    drop(peer);
    expect_texts(&rx, &["whole"]);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);
    // The receiving side delivers what it decoded before it reports the
    // end of the stream, so `closed` is the marker.
    if carries_bytes {
        expect_nothing_waiting(&rx, "delivery of a cut package");
    }
}

/// A close package closes the connection with `Closed from other end.`
/// after what came before it is delivered; what follows it is ignored.
pub fn a_close_package_closes_and_what_follows_is_ignored(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let rx = listen(&host, SLOT);
    let closed = bound.closed().subscribe();
    let id = ContextId::new(0xc105_0000_0000_0001).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    assert!(peer.send(&data(id, 1, "before")));
    assert!(peer.send(&Package::close_notice()));
    // The link may already be gone; either way "after" must not arrive.
    let _ = peer.send(&data(id, 2, "after"));
    assert_eq!(texts(&rx, 1), ["before"]);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
    // `closed` comes from handling the close package, after what came
    // before it was delivered and instead of anything after it.
    expect_nothing_waiting(&rx, "delivery after the close package");
}

/// Empty packages that are neither heartbeats nor close packages are
/// discarded: they reach no endpoint and close nothing.
pub fn empty_packages_from_a_peer_are_discarded(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let rx = listen(&host, SLOT);
    let id = ContextId::new(0xe3b7_0000_0000_0001).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    let mut empty = Package::new(SLOT, Bytes::new());
    empty.source_id = id.get();
    for seq in [2, 3, 17] {
        empty.source_seq = seq;
        assert!(peer.send(&empty));
    }
    assert!(peer.send(&Package::heartbeat()));
    assert!(peer.send(&data(id, 20, "after the empty ones")));
    empty.source_seq = 21;
    assert!(peer.send(&empty));
    assert!(peer.send(&data(id, 22, "marker")));
    let got = rx.recv_timeout(STEP_DEADLINE).expect("the data package");
    assert_eq!(&got.package.data[..], b"after the empty ones");
    assert_eq!(got.package.source_seq, 20);
    expect_marker_next(&rx, "marker", "delivery of an empty package");
    assert!(bound.is_connected(), "empty packages close nothing");
}

/// Every package a context sends crosses the link exactly once, in the
/// order it was numbered, with its data intact, as the peer sees it on
/// the wire: nothing lost, doubled, swapped or damaged before the
/// receiving context's de-duplication could hide it.
pub fn each_package_crosses_the_link_once(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let id = ContextId::new(0xdead_0000_0000_0005).expect("non-zero");
    let mut peer = ut.scripted_peer(&*bound, id);
    wait_connected("hosting", &bound);
    const COUNT: u64 = 200;
    for i in 1..=COUNT {
        host.send(SLOT, format!("package {i}")).expect("send");
    }
    let mut seen = Vec::new();
    while (seen.len() as u64) < COUNT {
        let package = peer
            .recv_timeout(STEP_DEADLINE)
            .unwrap_or_else(|| panic!("only {} of {COUNT} packages came", seen.len()));
        if package.data.is_empty() {
            continue; // a heartbeat
        }
        assert_eq!(package.source_id, host.id().get());
        seen.push((package.source_seq, package.data));
    }
    for (i, (seq, data)) in seen.iter().enumerate() {
        let n = i as u64 + 1;
        assert_eq!(*seq, n, "package {n} arrived as number {seq}");
        assert_eq!(data, &Bytes::from(format!("package {n}")), "package {n}");
    }
}
