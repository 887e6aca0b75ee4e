//! The context over the transport: the startup queue, routing through
//! several contexts, destinations, order, sizes and concurrency.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use crossbeam_channel::Sender;
use yoton_core::{Connection, Context, Delivery, Direction, Endpoint, Package, Slot};

use crate::cases::quiet::{expect_marker_next, expect_nothing_waiting};
use crate::harness::{
    SLOT, bind, context, expect_numbered, expect_texts, join, listen, next, pair, texts,
};
use crate::{STEP_DEADLINE, TransportUnderTest};

/// What is sent while a context has no connection waits in its startup
/// queue, and goes to its first connection before anything sent later.
pub fn startup_queue_goes_to_the_first_connection_in_order(ut: &dyn TransportUnderTest) {
    let early = context(ut);
    for text in ["one", "two"] {
        early.send(SLOT, text).expect("send");
    }
    assert_eq!(early.startup_queued(), 2);
    let host = context(ut);
    let rx = listen(&host, SLOT);
    let bound = bind(ut, &host);
    early
        .connect(&ut.connect_address(&*bound))
        .expect("connect");
    early.send(SLOT, "three").expect("send");
    early.send(SLOT, "four").expect("send");
    expect_texts(&rx, &["one", "two", "three", "four"]);
    assert_eq!(early.startup_queued(), 0);
    assert_eq!(early.startup_dropped(), 0);
}

/// What is sent while the only connection waits for its peer is kept on
/// it and delivered once the peer comes.
pub fn a_waiting_connection_keeps_what_is_sent_until_a_peer_comes(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    for i in 0..10 {
        host.send(SLOT, format!("w{i}")).expect("send");
    }
    assert_eq!(host.startup_queued(), 0, "handed to the waiting connection");
    let client = context(ut);
    let rx = listen(&client, SLOT);
    client
        .connect(&ut.connect_address(&*bound))
        .expect("connect");
    expect_numbered(&rx, "w", 10);
}

#[derive(Debug)]
struct Announced(Mutex<Sender<()>>);

impl Endpoint for Announced {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        deliveries.clear();
    }

    fn on_new_connection(&self) {
        let _ = self.0.lock().unwrap_or_else(|e| e.into_inner()).send(());
    }
}

/// A connecting context announces itself (`NEW_CONNECTION`), and the
/// outgoing endpoints of the host are asked to resend their state.
pub fn new_connection_reaches_outgoing_endpoints(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let (tx, rx) = crossbeam_channel::unbounded();
    host.register_endpoint(
        Direction::Outgoing,
        SLOT,
        "state",
        Arc::new(Announced(Mutex::new(tx))),
    )
    .expect("a free slot");
    let marks = listen(&host, Slot::from_name("marker"));
    let client = context(ut);
    let _link = join(ut, &host, &client);
    rx.recv_timeout(STEP_DEADLINE)
        .expect("the host heard NEW_CONNECTION");
    // The client's next message comes after its announcement on the link,
    // and the host handles both in order.
    client
        .send(Slot::from_name("marker"), "after")
        .expect("send");
    expect_marker_next(&marks, "after", "message");
    expect_nothing_waiting(&rx, "second announcement");
}

/// a - b - c in a line: what a sends reaches b and c once, in order, and
/// what c sends reaches a through b.
pub fn routing_in_a_line(ut: &dyn TransportUnderTest) {
    let (a, b, c) = (context(ut), context(ut), context(ut));
    let _ab = join(ut, &a, &b);
    let _bc = join(ut, &b, &c);
    let (at_a, at_b, at_c) = (listen(&a, SLOT), listen(&b, SLOT), listen(&c, SLOT));
    for i in 0..100 {
        a.send(SLOT, format!("a{i}")).expect("send");
    }
    expect_numbered(&at_b, "a", 100);
    expect_numbered(&at_c, "a", 100);
    c.send(SLOT, "c0").expect("send");
    expect_numbered(&at_a, "c", 1);
    expect_numbered(&at_b, "c", 1);
    // Sent once everyone has c0: an echo of c0 to c, or a second c0 at a,
    // would be queued ahead of these on the same links.
    a.send(SLOT, "from a, after").expect("send");
    c.send(SLOT, "from c, after").expect("send");
    expect_marker_next(
        &at_c,
        "from a, after",
        "a context's own message delivered back to it",
    );
    expect_marker_next(&at_a, "from c, after", "duplicate");
}

/// a, b and c all joined: every message arrives once at each other
/// context, never twice through the other path, and nothing loops.
pub fn routing_in_a_triangle_without_duplicates_or_loops(ut: &dyn TransportUnderTest) {
    let (a, b, c) = (context(ut), context(ut), context(ut));
    let _ab = join(ut, &a, &b);
    let _bc = join(ut, &b, &c);
    let _ca = join(ut, &c, &a);
    let rx = [listen(&a, SLOT), listen(&b, SLOT), listen(&c, SLOT)];
    for (i, ctx) in [&a, &b, &c].iter().enumerate() {
        for k in 0..50 {
            ctx.send(SLOT, format!("{i}:{k}")).expect("send");
        }
    }
    for (i, rx) in rx.iter().enumerate() {
        let mut got = texts(rx, 100);
        got.sort();
        let mut expected: Vec<String> = (0..3)
            .filter(|&j| j != i)
            .flat_map(|j| (0..50).map(move |k| format!("{j}:{k}")))
            .collect();
        expected.sort();
        assert_eq!(got, expected, "at context {i}");
    }
    // Each context has every message now, and passed each on before it
    // took it: a duplicate or a loop through it would be queued ahead of
    // what it sends next. So each inbox must hold exactly the two markers
    // of the others next.
    for (i, ctx) in [&a, &b, &c].iter().enumerate() {
        ctx.send(SLOT, format!("marker {i}")).expect("send");
    }
    for (i, rx) in rx.iter().enumerate() {
        let mut got = texts(rx, 2);
        got.sort();
        let expected: Vec<String> = (0..3)
            .filter(|&j| j != i)
            .map(|j| format!("marker {j}"))
            .collect();
        assert_eq!(got, expected, "duplicate or looping message at context {i}");
    }
}

/// Two links between the same two contexts: b passes what a sends back
/// to a over the other link, every time, and a must not take its own
/// packages back.
pub fn a_context_never_takes_back_its_own_packages(ut: &dyn TransportUnderTest) {
    let (a, b) = (context(ut), context(ut));
    let (first, _) = join(ut, &a, &b);
    let _second = join(ut, &a, &b);
    let (at_a, at_b) = (listen(&a, SLOT), listen(&b, SLOT));
    for k in 0..20 {
        a.send(SLOT, format!("a{k}")).expect("send");
    }
    // b has passed each on before it took it, so the copies back to a are
    // queued on the second link by now.
    expect_numbered(&at_b, "a", 20);
    // With the first link closed, b's marker goes over the second link
    // only, behind those copies: a sees the marker first or it took one.
    first.close(Some("done"));
    crate::wait::wait_until("the first link closed on both ends", || {
        a.connection_count() == 1 && b.connection_count() == 1
    });
    b.send(SLOT, "from b, after").expect("send");
    expect_marker_next(&at_a, "from b, after", "a context's own package taken back");
}

/// A package with a destination is delivered only there; contexts on the
/// way pass it on without delivering it.
pub fn dest_id_is_respected(ut: &dyn TransportUnderTest) {
    let (a, b, c) = (context(ut), context(ut), context(ut));
    let _ab = join(ut, &a, &b);
    let _bc = join(ut, &b, &c);
    let (at_b, at_c) = (listen(&b, SLOT), listen(&c, SLOT));
    for (dest, text) in [(c.id(), "for c"), (b.id(), "for b")] {
        let mut package = Package::new(SLOT, text);
        package.dest_id = dest.get();
        a.send_package(package).expect("send");
    }
    a.send(SLOT, "for all, after").expect("send");
    assert_eq!(texts(&at_c, 1), ["for c"]);
    assert_eq!(texts(&at_b, 1), ["for b"]);
    expect_marker_next(
        &at_b,
        "for all, after",
        "delivery of a package for another context",
    );
    expect_marker_next(
        &at_c,
        "for all, after",
        "delivery of a package for another context",
    );
}

/// Slot, source, sequence numbers, destination fields and data cross the
/// link unchanged; the receiving context numbers what it accepts.
pub fn package_fields_survive_the_link(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.client, SLOT);
    let mut package = Package::new(SLOT, &b"\x00\x01fields\xff"[..]);
    package.dest_id = p.client.id().get();
    package.dest_seq = 77;
    p.host.send_package(package).expect("send");
    p.host.send(SLOT, "second").expect("send");
    let first = next(&rx, "the first package");
    let second = next(&rx, "the second package");
    assert_eq!(first.package.slot, SLOT);
    assert_eq!(first.package.source_id, p.host.id().get());
    assert_eq!(first.package.dest_id, p.client.id().get());
    assert_eq!(first.package.dest_seq, 77);
    assert_eq!(&first.package.data[..], b"\x00\x01fields\xff");
    assert_eq!(second.package.source_id, p.host.id().get());
    assert_eq!(second.package.source_seq, first.package.source_seq + 1);
    assert_eq!((second.package.dest_id, second.package.dest_seq), (0, 0));
    assert!(second.recv_seq > first.recv_seq);
}

/// 30 000 messages arrive complete and in order.
pub fn many_messages_arrive_in_order(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.host, SLOT);
    for i in 0..30_000 {
        p.client.send(SLOT, format!("n{i}")).expect("send");
    }
    expect_numbered(&rx, "n", 30_000);
}

/// Both ends send at the same time; each receives everything in order.
pub fn both_directions_carry_messages_at_once(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let (at_host, at_client) = (listen(&p.host, SLOT), listen(&p.client, SLOT));
    let host = p.host.clone();
    let sender = std::thread::spawn(move || {
        for i in 0..10_000 {
            host.send(SLOT, format!("h{i}")).expect("send");
        }
    });
    for i in 0..10_000 {
        p.client.send(SLOT, format!("c{i}")).expect("send");
    }
    expect_numbered(&at_host, "c", 10_000);
    expect_numbered(&at_client, "h", 10_000);
    sender.join().expect("the host's sender");
}

fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 13) as u8))
        .collect::<Vec<u8>>()
        .into()
}

/// A 16 MiB message arrives intact, followed by a small one.
pub fn large_messages_arrive_intact(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.host, SLOT);
    let big = pattern(16 * 1024 * 1024, 7);
    p.client.send(SLOT, big.clone()).expect("send");
    p.client.send(SLOT, "small").expect("send");
    let got = next(&rx, "the 16 MiB message");
    assert_eq!(got.package.data.len(), big.len());
    assert!(got.package.data == big, "16 MiB message corrupted");
    assert_eq!(texts(&rx, 1), ["small"]);
}

/// Messages of every size from 1 to 300 bytes and around 64 KiB arrive
/// intact and in order.
pub fn messages_of_many_sizes_arrive_intact(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.host, SLOT);
    let sizes: Vec<usize> = (1..=300).chain([65_535, 65_536, 65_537, 200_001]).collect();
    for (n, &size) in sizes.iter().enumerate() {
        p.client.send(SLOT, pattern(size, n as u8)).expect("send");
    }
    for (n, &size) in sizes.iter().enumerate() {
        let got = next(&rx, &format!("the message of {size} bytes"));
        assert!(
            got.package.data == pattern(size, n as u8),
            "message of {size} bytes corrupted or out of order"
        );
    }
}

/// An empty message reaches no endpoint and closes nothing, even as the
/// very first package a context sends (where its number would make an
/// empty package look like a close package).
pub fn empty_messages_never_reach_an_endpoint(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.client, SLOT);
    p.host.send(SLOT, Bytes::new()).expect("send empty");
    p.host.send(SLOT, "").expect("send empty");
    p.host.send(SLOT, "not empty").expect("send");
    p.host.send(SLOT, Bytes::new()).expect("send empty");
    p.host.send(SLOT, "after").expect("send");
    assert_eq!(texts(&rx, 1), ["not empty"]);
    expect_marker_next(&rx, "after", "an empty message");
    assert!(p.conn.is_connected(), "an empty message closed the link");
    assert!(p.bound.is_connected());
}

/// Packages on a slot nobody listens to are dropped without harm.
pub fn packages_for_unregistered_slots_are_dropped_quietly(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.host, SLOT);
    for i in 0..100 {
        p.client
            .send(Slot::from_name("nobody.txt.pub-sub"), format!("{i}"))
            .expect("send");
    }
    p.client.send(SLOT, "heard").expect("send");
    assert_eq!(texts(&rx, 1), ["heard"]);
    assert!(p.conn.is_connected() && p.bound.is_connected());
    assert_eq!(p.host.unrouted_packages(), 100);
    assert_eq!(p.client.unrouted_packages(), 0);
}

/// Four threads send through one context at once: everything arrives,
/// and each thread's messages in its order.
pub fn many_concurrent_senders(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.host, SLOT);
    const THREADS: usize = 4;
    const EACH: usize = 5_000;
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = p.client.clone();
            std::thread::spawn(move || {
                for i in 0..EACH {
                    client.send(SLOT, format!("{t}:{i}")).expect("send");
                }
            })
        })
        .collect();
    let mut next_of = [0usize; THREADS];
    for n in 0..THREADS * EACH {
        let d = next(&rx, &format!("message {n}"));
        let text = std::str::from_utf8(&d.package.data).expect("UTF-8 text");
        let (t, i) = text.split_once(':').expect("t:i");
        let t: usize = t.parse().expect("thread number");
        let i: usize = i.parse().expect("message number");
        assert_eq!(i, next_of[t], "thread {t}: lost or out of order");
        next_of[t] += 1;
    }
    for t in threads {
        t.join().expect("a sender");
    }
    assert_eq!(next_of, [EACH; THREADS]);
}

/// One context binds once per peer and hosts five: what it sends reaches
/// all of them, and what one peer sends reaches the host and, through it,
/// every other peer.
pub fn one_context_hosts_many_peers(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let at_host = listen(&host, SLOT);
    let peers: Vec<Context> = (0..5).map(|_| context(ut)).collect();
    let links: Vec<(Arc<dyn Connection>, Arc<dyn Connection>)> =
        peers.iter().map(|peer| join(ut, &host, peer)).collect();
    assert_eq!(host.connection_count(), 5);
    let inboxes: Vec<_> = peers.iter().map(|peer| listen(peer, SLOT)).collect();
    host.send(SLOT, "to all").expect("send");
    for rx in &inboxes {
        assert_eq!(texts(rx, 1), ["to all"]);
    }
    peers[2].send(SLOT, "from 2").expect("send");
    assert_eq!(texts(&at_host, 1), ["from 2"]);
    for (i, rx) in inboxes.iter().enumerate() {
        if i != 2 {
            assert_eq!(texts(rx, 1), ["from 2"], "peer {i}");
        }
    }
    // The host passed "from 2" on before it took it: a duplicate, or
    // "from 2" back to its sender, would be queued ahead of this.
    host.send(SLOT, "after").expect("send");
    for (i, rx) in inboxes.iter().enumerate() {
        expect_marker_next(rx, "after", &format!("duplicate at peer {i}"));
    }
    for (bound, _) in &links {
        assert_eq!(bound.local_id(), host.id());
    }
}
