//! The properties of both ends of a connection in every state, and how
//! binding and connecting fail.

use std::time::{Duration, Instant};

use yoton_core::{ConnectOptions, ContextId, Error, State, reason};

use crate::harness::{bind, connect, context, pair, wait_connected};
use crate::{STEP_DEADLINE, TransportUnderTest, has_ports};

/// A bound connection waits for a peer: alive, not connected, no peer
/// properties yet; its id is its context's and its port is the real one
/// where ports apply.
pub fn waiting_end_properties(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    assert_eq!(bound.state(), State::Waiting);
    assert!(bound.is_waiting());
    assert!(bound.is_alive());
    assert!(!bound.is_connected());
    assert_eq!(bound.local_id(), host.id());
    assert_eq!(bound.local_pid(), std::process::id());
    assert_eq!(bound.peer_id(), None);
    assert_eq!(bound.peer_pid(), None);
    assert_eq!(bound.peer_host(), "");
    assert_eq!(bound.peer_port(), 0);
    assert!(!bound.local_host().is_empty(), "a waiting end has a host");
    if has_ports(ut) {
        assert_ne!(bound.local_port(), 0, "port 0 binds a real port");
    } else {
        assert_eq!(bound.local_port(), 0, "no ports, so port1 is 0");
    }
    assert_eq!(bound.close_reason(), None);
}

/// The connecting end is connected at once and knows the host's id and pid.
pub fn connecting_end_properties(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let conn = &p.conn;
    assert_eq!(conn.state(), State::Connected);
    assert!(conn.is_alive());
    assert!(conn.is_connected());
    assert!(!conn.is_waiting());
    assert_eq!(conn.local_id(), p.client.id());
    assert_eq!(conn.peer_id(), Some(p.host.id()));
    assert_eq!(conn.local_pid(), std::process::id());
    assert_eq!(conn.peer_pid(), Some(std::process::id()));
    assert_eq!(conn.close_reason(), None);
}

/// The bound end hosts its peer and knows the client's id and pid.
pub fn hosting_end_properties(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let bound = &p.bound;
    assert_eq!(bound.state(), State::Hosting);
    assert!(bound.is_alive());
    assert!(bound.is_connected());
    assert!(!bound.is_waiting());
    assert_eq!(bound.local_id(), p.host.id());
    assert_eq!(bound.peer_id(), Some(p.client.id()));
    assert_eq!(bound.local_pid(), std::process::id());
    assert_eq!(bound.peer_pid(), Some(std::process::id()));
    assert_eq!(bound.close_reason(), None);
}

/// Each end's host and port are the other end's peer host and port; ports
/// are real where the transport has them and 0 where it does not.
pub fn hostnames_and_ports_agree_across_the_link(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    for c in [&p.bound, &p.conn] {
        assert!(!c.local_host().is_empty());
        assert!(!c.peer_host().is_empty());
    }
    assert_eq!(p.conn.peer_host(), p.bound.local_host());
    assert_eq!(p.bound.peer_host(), p.conn.local_host());
    assert_eq!(p.conn.peer_port(), p.bound.local_port());
    assert_eq!(p.bound.peer_port(), p.conn.local_port());
    if has_ports(ut) {
        for c in [&p.bound, &p.conn] {
            assert_ne!(c.local_port(), 0);
            assert_ne!(c.peer_port(), 0);
        }
        assert_ne!(
            p.conn.local_port(),
            p.bound.local_port(),
            "the client has its own port"
        );
    } else {
        for c in [&p.bound, &p.conn] {
            assert_eq!((c.local_port(), c.peer_port()), (0, 0));
        }
    }
}

/// The host and port a bound end waits at are the ones it keeps once its
/// peer arrives: what a user printed while waiting stays true.
pub fn bound_address_stays_when_a_peer_arrives(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let waiting_at = (bound.local_host(), bound.local_port());
    let address = ut.connect_address(&*bound);
    let client = context(ut);
    let _conn = connect(ut, &client, &bound);
    assert_eq!((bound.local_host(), bound.local_port()), waiting_at);
    assert_eq!(ut.connect_address(&*bound), address);
}

/// A peer that does the handshake by hand is seen with the id and pid it
/// presented.
pub fn a_scripted_peer_is_seen_with_its_id_and_pid(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let id = ContextId::new(0x5c1b_7ed0_0000_0001).expect("non-zero");
    let _peer = ut.scripted_peer(&*bound, id);
    wait_connected("the bound end hosts the peer", &bound);
    assert_eq!(bound.state(), State::Hosting);
    assert_eq!(bound.peer_id(), Some(id));
    assert_eq!(bound.peer_pid(), Some(std::process::id()));
}

/// `wait_connected` times out while nobody comes, returns once a peer
/// arrives (at once on the connecting end), and fails with the reason once
/// the connection is closed.
pub fn wait_connected_follows_the_peer_and_the_close(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    assert!(matches!(
        bound.wait_connected(Duration::from_millis(50)),
        Err(Error::Timeout { .. })
    ));
    let waiter = {
        let bound = bound.clone();
        std::thread::spawn(move || bound.wait_connected(STEP_DEADLINE))
    };
    let client = context(ut);
    let conn = connect(ut, &client, &bound);
    conn.wait_connected(Duration::ZERO)
        .expect("a connecting end is connected when connect returns");
    waiter
        .join()
        .expect("the waiting thread ends")
        .expect("the bound end sees its peer");
    conn.close(Some("done here"));
    match conn.wait_connected(STEP_DEADLINE) {
        Err(Error::Closed { reason }) => assert_eq!(reason, "done here"),
        other => panic!("expected Closed, got {other:?}"),
    }
}

/// Once closed, both ends are neither alive, connected nor waiting, keep
/// their ids, and say why they closed.
pub fn closed_end_properties(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let there = p.bound.closed().subscribe();
    p.conn.close(None);
    there
        .recv_timeout(STEP_DEADLINE)
        .expect("the bound end closes");
    for c in [&p.bound, &p.conn] {
        assert_eq!(c.state(), State::Closed);
        assert!(!c.is_alive());
        assert!(!c.is_connected());
        assert!(!c.is_waiting());
        assert!(c.close_reason().is_some());
        assert_eq!(c.local_pid(), std::process::id());
    }
    assert_eq!(p.conn.local_id(), p.client.id());
    assert_eq!(p.conn.peer_id(), Some(p.host.id()));
    assert_eq!(p.bound.local_id(), p.host.id());
    assert_eq!(p.bound.peer_id(), Some(p.client.id()));
}

/// Binding where a connection already waits fails with a bind error.
pub fn binding_a_taken_address_fails(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let address = ut.connect_address(&*bound);
    match context(ut).bind(&address) {
        Err(Error::Bind { .. }) => {}
        other => panic!("binding {address} twice: {other:?}"),
    }
    assert!(bound.is_waiting(), "the first binding still waits");
}

/// Connecting where nobody is bound keeps trying for the connect timeout,
/// then fails with a connect error.
pub fn connecting_to_nobody_fails_after_its_timeout(ut: &dyn TransportUnderTest) {
    let client = context(ut);
    let address = ut.unbound_address();
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let result = client.connect_with(&address, &ConnectOptions::new().timeout(timeout));
    let took = started.elapsed();
    match result {
        Err(Error::Connect { .. }) => {}
        other => panic!("connecting to {address}: {other:?}"),
    }
    assert!(
        took >= timeout,
        "gave up after {took:?}, before {timeout:?}"
    );
    assert!(took < STEP_DEADLINE, "took {took:?}");
    assert_eq!(client.connections_all().len(), 0);
}

/// A context cannot connect to its own bound connection; that connection
/// goes on waiting and hosts the next real peer.
pub fn connecting_to_self_is_refused_and_the_host_keeps_waiting(ut: &dyn TransportUnderTest) {
    let ctx = context(ut);
    let bound = bind(ut, &ctx);
    let address = ut.connect_address(&*bound);
    match ctx.connect(&address) {
        Err(Error::Handshake { reason: r }) => assert_eq!(r, reason::HANDSHAKE_SELF),
        other => panic!("connecting to self: {other:?}"),
    }
    assert!(bound.is_waiting(), "still waiting after the refused peer");
    let other = context(ut);
    let conn = connect(ut, &other, &bound);
    assert_eq!(conn.peer_id(), Some(ctx.id()));
    assert_eq!(bound.peer_id(), Some(other.id()));
}
