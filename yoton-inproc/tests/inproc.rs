//! The connection and the context over the in-process transport: every
//! property and signal on both ends, close reasons, timeouts, the startup
//! queue, and routing in a line and a triangle of contexts.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use yoton_core::{
    Connection, Context, ContextId, Delivery, Direction, Endpoint, Error, Package, Slot, State,
    reason,
};
use yoton_inproc::{InprocTransport, RawPeer};

const DEADLINE: Duration = Duration::from_secs(10);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(InprocTransport::new()));
    ctx
}

/// A bound and a connected end, each in its own context.
fn pair() -> (Context, Arc<dyn Connection>, Context, Arc<dyn Connection>) {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    let client = context();
    let conn = client
        .connect(&format!("inproc://{}", bound.hostname1()))
        .unwrap();
    bound.wait_connected(DEADLINE).unwrap();
    (host, bound, client, conn)
}

#[derive(Debug)]
struct Collect(Mutex<Sender<Delivery>>);

impl Endpoint for Collect {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        let tx = self.0.lock().unwrap();
        for d in deliveries.drain(..) {
            let _ = tx.send(d);
        }
    }
}

fn listen(ctx: &Context, slot: Slot) -> Receiver<Delivery> {
    let (tx, rx) = crossbeam_channel::unbounded();
    ctx.register_endpoint(
        Direction::Incoming,
        slot,
        "test",
        Arc::new(Collect(Mutex::new(tx))),
    )
    .unwrap();
    rx
}

fn texts(rx: &Receiver<Delivery>, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let d = rx.recv_timeout(DEADLINE).expect("a message in time");
            String::from_utf8(d.package.data.to_vec()).unwrap()
        })
        .collect()
}

const SLOT: Slot = Slot::new(1234);

#[test]
fn properties_on_both_ends() {
    let (host, bound, client, conn) = pair();
    assert_eq!(bound.id1(), host.id());
    assert_eq!(bound.id2(), Some(client.id()));
    assert_eq!(conn.id1(), client.id());
    assert_eq!(conn.id2(), Some(host.id()));
    for c in [&bound, &conn] {
        assert_eq!(c.pid1(), std::process::id());
        assert_eq!(c.pid2(), Some(std::process::id()));
        assert!(c.is_alive() && c.is_connected() && !c.is_waiting());
        assert_eq!(c.port1(), 0);
        assert_eq!(c.port2(), 0);
        assert_eq!(c.timeout(), Duration::from_millis(500));
    }
    assert_eq!(bound.state(), State::Hosting);
    assert_eq!(conn.state(), State::Connected);
    assert_eq!(bound.hostname1(), conn.hostname2());
}

#[test]
fn waiting_connection_properties_and_close_while_waiting() {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    assert!(bound.is_waiting() && bound.is_alive() && !bound.is_connected());
    assert_eq!(bound.id2(), None);
    assert_eq!(bound.pid2(), None);
    assert_eq!(bound.hostname2(), "");
    assert_eq!(host.connections_all().len(), 1);
    assert_eq!(host.connections().len(), 0);
    let closed = bound.closed().subscribe();
    bound.close(None);
    let event = closed.recv_timeout(DEADLINE).unwrap();
    assert_eq!(event.reason, reason::CLOSED_ON_COMMAND);
    assert_eq!(bound.state(), State::Closed);
    // The name is free again, and nobody can connect to the closed one.
    let again = host
        .bind(&format!("inproc://{}", bound.hostname1()))
        .unwrap();
    assert!(again.is_waiting());
}

#[test]
fn names_and_lookup_through_the_context() {
    let host = context();
    let bound = host
        .bind_with("inproc://", &yoton_core::BindOptions::new().name("kernel"))
        .unwrap();
    assert_eq!(bound.name(), "kernel");
    assert!(host.connection("kernel").is_some());
    bound.set_name("editor");
    assert!(host.connection("kernel").is_none());
    assert_eq!(host.connection("editor").unwrap().name(), "editor");
}

#[test]
fn timeout_below_minimum_is_an_error() {
    let (_h, bound, _c, _conn) = pair();
    assert!(matches!(
        bound.set_timeout(Duration::from_millis(499)),
        Err(Error::InvalidTimeout { .. })
    ));
    bound.set_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(bound.timeout(), Duration::from_secs(2));
}

#[test]
fn close_is_seen_on_both_ends_once_with_the_right_reason() {
    let (_h, bound, _c, conn) = pair();
    let here = conn.closed().subscribe();
    let there = bound.closed().subscribe();
    conn.close(Some("bye"));
    conn.close(Some("twice"));
    assert_eq!(here.recv_timeout(DEADLINE).unwrap().reason, "bye");
    assert_eq!(
        there.recv_timeout(DEADLINE).unwrap().reason,
        reason::CLOSED_FROM_OTHER_END
    );
    assert!(here.recv_timeout(Duration::from_millis(100)).is_err());
    assert!(!bound.is_alive() && !conn.is_alive());
    assert_eq!(conn.close_reason().as_deref(), Some("bye"));
    assert!(matches!(
        conn.flush(Duration::from_secs(1)),
        Err(Error::Closed { .. })
    ));
}

#[test]
fn close_on_problem_does_not_tell_the_other_end() {
    let (_h, bound, _c, conn) = pair();
    let here = conn.closed().subscribe();
    let there = bound.closed().subscribe();
    conn.close_on_problem(None);
    assert_eq!(
        here.recv_timeout(DEADLINE).unwrap().reason,
        reason::UNSPECIFIED_PROBLEM
    );
    assert_eq!(
        there.recv_timeout(DEADLINE).unwrap().reason,
        reason::OTHER_END_DROPPED
    );
}

#[test]
fn connect_to_nobody_fails_clearly_and_to_self_is_refused() {
    let client = context();
    let started = Instant::now();
    let err = client
        .connect_with(
            "inproc://nobody-is-here",
            &yoton_core::ConnectOptions::new().timeout(Duration::from_millis(200)),
        )
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(err.to_string().contains("nobody-is-here"), "{err}");

    let ctx = context();
    let bound = ctx.bind("inproc://").unwrap();
    let err = ctx
        .connect(&format!("inproc://{}", bound.hostname1()))
        .unwrap_err();
    assert!(err.to_string().contains(reason::HANDSHAKE_SELF), "{err}");
    assert!(bound.is_waiting());
}

#[test]
fn a_bound_name_hosts_one_peer_and_is_not_bound_twice() {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    let address = format!("inproc://{}", bound.hostname1());
    assert!(matches!(host.bind(&address), Err(Error::Bind { .. })));
    let _c1 = context().connect(&address).unwrap();
    let late = context().connect_with(
        &address,
        &yoton_core::ConnectOptions::new().timeout(Duration::from_millis(100)),
    );
    assert!(late.is_err());
    // Once hosting, the name can be bound again for the next peer.
    assert!(host.bind(&address).unwrap().is_waiting());
}

#[test]
fn timedout_true_then_false_when_the_peer_goes_silent_and_comes_back() {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    let events = bound.timedout().subscribe();
    let peer = RawPeer::connect(
        &bound.hostname1(),
        ContextId::new(99).unwrap(),
        Duration::from_secs(1),
    )
    .unwrap();
    let event = events.recv_timeout(DEADLINE).unwrap();
    assert!(event.timed_out);
    peer.send(Package::heartbeat()).unwrap();
    let event = events.recv_timeout(DEADLINE).unwrap();
    assert!(!event.timed_out);
    assert_eq!(event.connection.id2(), ContextId::new(99));
}

#[test]
fn a_live_peer_sends_heartbeats() {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    let peer = RawPeer::connect(
        &bound.hostname1(),
        ContextId::new(98).unwrap(),
        Duration::from_secs(1),
    )
    .unwrap();
    let package = peer.recv_timeout(DEADLINE).expect("a heartbeat");
    assert_eq!(package, Package::heartbeat());
}

#[test]
fn a_close_package_closes_and_later_packages_are_ignored() {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    let rx = listen(&host, SLOT);
    let closed = bound.closed().subscribe();
    let peer = RawPeer::connect(
        &bound.hostname1(),
        ContextId::new(97).unwrap(),
        Duration::from_secs(1),
    )
    .unwrap();
    let mut before = Package::new(SLOT, "before");
    before.source_id = 97;
    before.source_seq = 1;
    let mut after = before.clone();
    after.source_seq = 2;
    after.data = "after".into();
    peer.send(before).unwrap();
    peer.send(Package::close_notice()).unwrap();
    let _ = peer.send(after);
    assert_eq!(texts(&rx, 1), ["before"]);
    assert_eq!(
        closed.recv_timeout(DEADLINE).unwrap().reason,
        reason::CLOSED_FROM_OTHER_END
    );
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
}

#[test]
fn flush_then_close_loses_nothing() {
    let (host, _bound, client, conn) = pair();
    let rx = listen(&host, SLOT);
    for i in 0..20_000 {
        client.send(SLOT, format!("{i}")).unwrap();
    }
    conn.flush(DEADLINE).unwrap();
    conn.close(None);
    let got = texts(&rx, 20_000);
    for (i, text) in got.iter().enumerate() {
        assert_eq!(text, &i.to_string());
    }
}

#[test]
fn the_startup_queue_goes_to_the_first_connection_in_order() {
    let early = context();
    early.send(SLOT, "one").unwrap();
    early.send(SLOT, "two").unwrap();
    assert_eq!(early.startup_queued(), 2);
    let host = context();
    let rx = listen(&host, SLOT);
    let bound = host.bind("inproc://").unwrap();
    early
        .connect(&format!("inproc://{}", bound.hostname1()))
        .unwrap();
    early.send(SLOT, "three").unwrap();
    assert_eq!(texts(&rx, 3), ["one", "two", "three"]);
    assert_eq!(early.startup_queued(), 0);
}

#[test]
fn a_waiting_connection_keeps_what_is_sent_until_a_peer_comes() {
    let host = context();
    let bound = host.bind("inproc://").unwrap();
    host.send(SLOT, "queued while waiting").unwrap();
    let client = context();
    let rx = listen(&client, SLOT);
    client
        .connect(&format!("inproc://{}", bound.hostname1()))
        .unwrap();
    assert_eq!(texts(&rx, 1), ["queued while waiting"]);
}

/// a - b - c: what a sends reaches c through b, once.
#[test]
fn routing_in_a_line() {
    let (a, b, c) = (context(), context(), context());
    let ab = a.bind("inproc://").unwrap();
    b.connect(&format!("inproc://{}", ab.hostname1())).unwrap();
    let bc = b.bind("inproc://").unwrap();
    c.connect(&format!("inproc://{}", bc.hostname1())).unwrap();
    let at_b = listen(&b, SLOT);
    let at_c = listen(&c, SLOT);
    let at_a = listen(&a, SLOT);
    for i in 0..100 {
        a.send(SLOT, format!("a{i}")).unwrap();
    }
    let expected: Vec<String> = (0..100).map(|i| format!("a{i}")).collect();
    assert_eq!(texts(&at_b, 100), expected);
    assert_eq!(texts(&at_c, 100), expected);
    c.send(SLOT, "from c").unwrap();
    assert_eq!(texts(&at_a, 1), ["from c"]);
    assert!(at_c.recv_timeout(Duration::from_millis(200)).is_err());
}

/// a, b and c all joined: every package arrives once everywhere, never
/// twice through the other path, and no package loops.
#[test]
fn routing_in_a_triangle_without_duplicates_or_loops() {
    let (a, b, c) = (context(), context(), context());
    let join = |x: &Context, y: &Context| {
        let bound = x.bind("inproc://").unwrap();
        y.connect(&format!("inproc://{}", bound.hostname1()))
            .unwrap();
        bound.wait_connected(DEADLINE).unwrap();
    };
    join(&a, &b);
    join(&b, &c);
    join(&c, &a);
    let rx = [listen(&a, SLOT), listen(&b, SLOT), listen(&c, SLOT)];
    for (i, ctx) in [&a, &b, &c].iter().enumerate() {
        for k in 0..50 {
            ctx.send(SLOT, format!("{i}:{k}")).unwrap();
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
        assert_eq!(got, expected);
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    }
}

/// A package for one context is delivered only there, and passed on by
/// the others without being delivered to them.
#[test]
fn dest_id_is_respected() {
    let (a, b, c) = (context(), context(), context());
    let ab = a.bind("inproc://").unwrap();
    b.connect(&format!("inproc://{}", ab.hostname1())).unwrap();
    let bc = b.bind("inproc://").unwrap();
    c.connect(&format!("inproc://{}", bc.hostname1())).unwrap();
    let at_b = listen(&b, SLOT);
    let at_c = listen(&c, SLOT);
    let mut package = Package::new(SLOT, "for c");
    package.dest_id = c.id().get();
    a.send_package(package).unwrap();
    let mut package = Package::new(SLOT, "for b");
    package.dest_id = b.id().get();
    a.send_package(package).unwrap();
    assert_eq!(texts(&at_c, 1), ["for c"]);
    assert_eq!(texts(&at_b, 1), ["for b"]);
    assert!(at_b.recv_timeout(Duration::from_millis(200)).is_err());
    assert!(at_c.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn context_close_closes_its_connections_and_stays_usable() {
    let (host, bound, _client, conn) = pair();
    let there = conn.closed().subscribe();
    host.close();
    assert_eq!(
        bound.close_reason().as_deref(),
        Some(reason::CLOSED_BY_CONTEXT)
    );
    assert_eq!(
        there.recv_timeout(DEADLINE).unwrap().reason,
        reason::CLOSED_FROM_OTHER_END
    );
    assert_eq!(host.connection_count(), 0);
    assert!(host.bind("inproc://").unwrap().is_waiting());
}

#[test]
fn many_concurrent_senders_arrive_complete_and_in_order_per_sender() {
    let (host, _bound, client, _conn) = pair();
    let rx = listen(&host, SLOT);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..5000 {
                    client.send(SLOT, format!("{t}:{i}")).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut next = [0usize; 4];
    for text in texts(&rx, 20_000) {
        let (t, i) = text.split_once(':').unwrap();
        let t: usize = t.parse().unwrap();
        assert_eq!(i.parse::<usize>().unwrap(), next[t]);
        next[t] += 1;
    }
}
