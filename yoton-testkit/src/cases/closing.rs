//! Closing: reasons on both ends, `closed` exactly once, closing while
//! waiting, and one-time use of a connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::Receiver;
use yoton_core::{ClosedEvent, ConnectOptions, Connection, Error, State, reason};

use yoton_core::CloseReason;

use crate::STEP_DEADLINE;
use crate::TransportUnderTest;
use crate::cases::quiet::expect_end_of;
use crate::harness::{SLOT, bind, connect, context, join, listen, pair, texts};

fn closed_reason(events: &Receiver<ClosedEvent>, what: &str) -> CloseReason {
    events
        .recv_timeout(STEP_DEADLINE)
        .unwrap_or_else(|e| panic!("{what} did not close in time: {e}"))
        .reason
}

fn connect_fails_quickly(ctx: &yoton_core::Context, address: &str) {
    let options = ConnectOptions::new().timeout(Duration::from_millis(300));
    if let Ok(conn) = ctx.connect_with(address, &options) {
        panic!("connected to {address}, where nobody waits: {conn:?}");
    }
}

/// `close` with a reason: this end reports that reason, the other end
/// `Closed from other end.`
pub fn close_is_seen_on_both_ends_with_its_reason(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let here = p.conn.closed().subscribe();
    let there = p.bound.closed().subscribe();
    p.conn.close(Some("bye"));
    assert_eq!(closed_reason(&here, "the closing end"), "bye");
    assert_eq!(p.conn.close_reason().as_deref(), Some("bye"));
    assert_eq!(
        closed_reason(&there, "the other end"),
        reason::CLOSED_FROM_OTHER_END
    );
    assert_eq!(
        p.bound.close_reason().as_deref(),
        Some(reason::CLOSED_FROM_OTHER_END)
    );
}

/// `close` on the bound end without a reason: `Closed on command.` there,
/// `Closed from other end.` at the connecting end.
pub fn close_by_the_bound_end_is_seen_by_the_connecting_end(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let here = p.bound.closed().subscribe();
    let there = p.conn.closed().subscribe();
    p.bound.close(None);
    assert_eq!(
        closed_reason(&here, "the bound end"),
        reason::CLOSED_ON_COMMAND
    );
    assert_eq!(
        closed_reason(&there, "the connecting end"),
        reason::CLOSED_FROM_OTHER_END
    );
    assert!(!p.conn.is_alive());
}

/// Closing again, or closing on a problem afterwards, emits nothing more
/// and keeps the first reason, on both ends.
pub fn closed_is_emitted_exactly_once(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let here = p.conn.closed().subscribe();
    let there = p.bound.closed().subscribe();
    p.conn.close(Some("first"));
    p.conn.close(Some("second"));
    p.conn.close_on_problem(Some("third"));
    assert_eq!(closed_reason(&here, "the closing end"), "first");
    assert_eq!(
        closed_reason(&there, "the other end"),
        reason::CLOSED_FROM_OTHER_END
    );
    p.bound.close(Some("late"));
    p.bound.close_on_problem(Some("later"));
    assert_eq!(p.conn.close_reason().as_deref(), Some("first"));
    assert_eq!(
        p.bound.close_reason().as_deref(),
        Some(reason::CLOSED_FROM_OTHER_END)
    );
    // Once both ends and their threads are gone, their signals are too:
    // any second event would have come before the end of the channel.
    drop(p);
    expect_end_of(here, "second closed event");
    expect_end_of(there, "second closed event at the other end");
}

/// Many threads closing at once still make one `closed` event, whose
/// reason is the one the connection keeps.
pub fn concurrent_closes_emit_closed_once(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let here = p.conn.closed().subscribe();
    let there = p.bound.closed().subscribe();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let conn = Arc::clone(&p.conn);
            std::thread::spawn(move || {
                if i % 2 == 0 {
                    conn.close(Some(&format!("closer {i}")));
                } else {
                    conn.close_on_problem(Some(&format!("closer {i}")));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a closing thread");
    }
    let first = closed_reason(&here, "the closing end");
    assert!(first.starts_with("closer "), "{first}");
    assert_eq!(p.conn.close_reason(), Some(first));
    closed_reason(&there, "the other end");
    drop(p);
    expect_end_of(here, "second closed event");
    expect_end_of(there, "second closed event at the other end");
}

/// Handlers connected to `closed` run once, with the connection and the
/// reason.
pub fn closed_handlers_run_with_the_connection(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = crossbeam_channel::unbounded();
    let counted = Arc::clone(&calls);
    let _handler = p.bound.closed().connect(move |event: &ClosedEvent| {
        counted.fetch_add(1, Ordering::SeqCst);
        let _ = tx.send((event.connection.key(), event.reason.clone()));
    });
    p.conn.close(None);
    let (key, why) = rx.recv_timeout(STEP_DEADLINE).expect("the handler ran");
    assert_eq!(key, p.bound.key());
    assert_eq!(why, reason::CLOSED_FROM_OTHER_END);
    // The handler (and its sender) goes with the connection's signal.
    drop(p);
    expect_end_of(rx, "second handler call");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// `close_on_problem` does not tell the other end: this end says
/// `Unspecified problem`, the other end sees its peer drop.
pub fn close_on_problem_does_not_tell_the_other_end(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let here = p.conn.closed().subscribe();
    let there = p.bound.closed().subscribe();
    p.conn.close_on_problem(None);
    assert_eq!(
        closed_reason(&here, "the failing end"),
        reason::UNSPECIFIED_PROBLEM
    );
    assert_eq!(
        closed_reason(&there, "the other end"),
        reason::OTHER_END_DROPPED
    );
}

/// `close_on_problem` with a reason reports that reason, from either end.
pub fn close_on_problem_keeps_its_reason(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let here = p.bound.closed().subscribe();
    let there = p.conn.closed().subscribe();
    p.bound.close_on_problem(Some("the link broke"));
    assert_eq!(closed_reason(&here, "the failing end"), "the link broke");
    assert_eq!(
        closed_reason(&there, "the other end"),
        reason::OTHER_END_DROPPED
    );
}

/// Closing a waiting connection stops the waiting: it closes with its
/// reason and nobody can connect to it any more.
pub fn closing_while_waiting_stops_waiting(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let address = ut.connect_address(&*bound);
    let closed = bound.closed().subscribe();
    bound.close(None);
    assert_eq!(
        closed_reason(&closed, "the waiting end"),
        reason::CLOSED_ON_COMMAND
    );
    assert_eq!(bound.state(), State::Closed);
    assert!(!bound.is_waiting());
    assert_eq!(host.connections_all().len(), 0);
    connect_fails_quickly(&context(ut), &address);
}

/// `close_on_problem` on a waiting connection closes it with its reason.
pub fn close_on_problem_while_waiting(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let address = ut.connect_address(&*bound);
    let closed = bound.closed().subscribe();
    bound.close_on_problem(None);
    assert_eq!(
        closed_reason(&closed, "the waiting end"),
        reason::UNSPECIFIED_PROBLEM
    );
    assert_eq!(bound.state(), State::Closed);
    connect_fails_quickly(&context(ut), &address);
    drop(bound);
    drop(host);
    expect_end_of(closed, "second closed event");
}

/// The address of a waiting connection that was closed can be bound
/// again, and the new connection hosts a peer.
pub fn a_closed_waiting_address_binds_again(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let address = ut.connect_address(&*bound);
    bound.close(None);
    let again = host.bind(&address).expect("bind the freed address again");
    assert!(again.is_waiting());
    assert_eq!(ut.connect_address(&*again), address);
    let client = context(ut);
    let _conn = connect(ut, &client, &again);
    assert!(again.is_connected());
    assert_eq!(bound.state(), State::Closed, "the old one stays closed");
}

/// A bound connection hosts one peer: a second peer cannot connect to it,
/// and once it hosts, its address can be bound again for the next peer.
pub fn a_bound_connection_hosts_exactly_one_peer(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    let address = ut.connect_address(&*bound);
    let first = context(ut);
    let _c1 = connect(ut, &first, &bound);
    connect_fails_quickly(&context(ut), &address);
    assert_eq!(bound.peer_id(), Some(first.id()), "still the first peer");
    let next = host.bind(&address).expect("bind the address again");
    assert!(next.is_waiting());
    let second = context(ut);
    let _c2 = connect(ut, &second, &next);
    assert_eq!(next.peer_id(), Some(second.id()));
    assert_eq!(host.connection_count(), 2);
}

/// A closed connection stays closed: flushing it fails with its reason,
/// closing it again does nothing, and its context no longer sends on it.
pub fn a_closed_connection_stays_closed(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let at_client = listen(&p.client, SLOT);
    let there = p.conn.closed().subscribe();
    p.bound.close(Some("done"));
    closed_reason(&there, "the connecting end");
    match p.bound.flush(Duration::from_secs(1)) {
        Err(Error::Closed { reason: r }) => assert_eq!(r, "done"),
        other => panic!("flush after close: {other:?}"),
    }
    match p.conn.flush(Duration::from_secs(1)) {
        Err(Error::Closed { reason: r }) => assert_eq!(r, reason::CLOSED_FROM_OTHER_END),
        other => panic!("flush after the other end closed: {other:?}"),
    }
    p.bound.close(None);
    assert_eq!(p.bound.close_reason().as_deref(), Some("done"));
    assert_eq!(p.host.connection_count(), 0);
    p.host.send(SLOT, "after close").expect("send");
    assert_eq!(p.host.startup_queued(), 1, "kept for a future connection");
    // The client's inbox ends with its context: a delivery over the closed
    // link would come before that.
    drop(p);
    expect_end_of(at_client, "delivery over a closed connection");
}

/// Once a hosting connection closed, nobody reaches it again: connecting to
/// its address fails.
pub fn a_closed_connection_is_not_reached_again(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let address = ut.connect_address(&*p.bound);
    p.bound.close(None);
    connect_fails_quickly(&context(ut), &address);
    assert_eq!(p.bound.state(), State::Closed);
    assert_eq!(p.bound.peer_id(), Some(p.client.id()));
}

/// Connections are used once, but contexts are not: the same two contexts
/// connect again with new connections, and messages flow on them.
pub fn the_same_contexts_connect_again_after_closing(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let there = p.bound.closed().subscribe();
    p.conn.close(None);
    closed_reason(&there, "the first bound end");
    let at_host = listen(&p.host, SLOT);
    let (bound, conn) = join(ut, &p.host, &p.client);
    assert!(bound.is_connected() && conn.is_connected());
    p.client.send(SLOT, "again").expect("send");
    assert_eq!(texts(&at_host, 1), ["again"]);
    assert_eq!(p.conn.state(), State::Closed);
    assert_eq!(p.bound.state(), State::Closed);
}

/// `Context::close` closes every connection (`Closed by the context.`),
/// the peers see it, and the context can bind again.
pub fn context_close_closes_every_connection_and_stays_usable(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let waiting = bind(ut, &host);
    let client = context(ut);
    let (bound, conn) = join(ut, &host, &client);
    let there = conn.closed().subscribe();
    host.close();
    assert_eq!(
        bound.close_reason().as_deref(),
        Some(reason::CLOSED_BY_CONTEXT)
    );
    assert_eq!(
        waiting.close_reason().as_deref(),
        Some(reason::CLOSED_BY_CONTEXT)
    );
    assert_eq!(
        closed_reason(&there, "the peer"),
        reason::CLOSED_FROM_OTHER_END
    );
    assert_eq!(host.connections_all().len(), 0);
    assert!(bind(ut, &host).is_waiting());
}

/// Dropping the last handle of a context closes its connections, and the
/// peers are told.
pub fn dropping_a_context_closes_its_connections(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let there = p.conn.closed().subscribe();
    let here = p.bound.closed().subscribe();
    drop(p.host);
    // A transport thread may hold the context for a moment (while it
    // delivers a package), so the last handle can be let go there, a
    // little later: wait for the close rather than look at once.
    assert_eq!(
        closed_reason(&here, "the dropped context's connection"),
        reason::CLOSED_BY_CONTEXT
    );
    assert_eq!(
        closed_reason(&there, "the peer"),
        reason::CLOSED_FROM_OTHER_END
    );
}

/// Watches `conn` until it is closed, recording each state it passes.
fn watch_states(conn: &Arc<dyn Connection>) -> std::thread::JoinHandle<Vec<State>> {
    let conn = Arc::clone(conn);
    let mut seen = vec![conn.state()];
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + STEP_DEADLINE;
        while seen.last() != Some(&State::Closed) {
            assert!(
                std::time::Instant::now() < deadline,
                "never closed: {seen:?}"
            );
            let state = conn.state();
            if seen.last() != Some(&state) {
                seen.push(state);
            }
            std::thread::yield_now();
        }
        seen
    })
}

/// While the ends of a link close, their states only go down (connected
/// or hosting, perhaps closing, then closed, never alive again), and
/// `closed` is emitted once the state is closed.
pub fn states_only_go_down_while_closing(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let (tx, rx) = crossbeam_channel::unbounded();
    for c in [&p.conn, &p.bound] {
        let tx = tx.clone();
        let _handler = c.closed().connect(move |event: &ClosedEvent| {
            let _ = tx.send(event.connection.state());
        });
    }
    let watchers = [watch_states(&p.conn), watch_states(&p.bound)];
    p.conn.close(None);
    for (watcher, first) in watchers.into_iter().zip([State::Connected, State::Hosting]) {
        let seen = watcher.join().expect("the watcher");
        let allowed = [first, State::Closing, State::Closed];
        let mut rest = allowed.iter();
        for state in &seen {
            assert!(
                rest.any(|a| a == state),
                "states went {seen:?}, not down through {allowed:?}"
            );
        }
        assert_eq!(seen.first(), Some(&first));
    }
    for end in ["closing end", "other end"] {
        let state = rx.recv_timeout(STEP_DEADLINE).expect(end);
        assert_eq!(state, State::Closed, "closed emitted in state {state:?}");
    }
}
