//! Flushing: what was sent before a flush or a close is never lost.

use std::time::{Duration, Instant};

use yoton_core::{Error, reason};

use crate::harness::{SLOT, bind, context, expect_numbered, join, listen, pair};
use crate::{STEP_DEADLINE, TransportUnderTest};

/// 20 000 messages, a flush, then a close: every message arrives, in
/// order, before the other end sees the close.
pub fn flush_then_close_loses_nothing(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.host, SLOT);
    let closed = p.bound.closed().subscribe();
    for i in 0..20_000 {
        p.client.send(SLOT, format!("m{i}")).expect("send");
    }
    p.conn.flush(STEP_DEADLINE).expect("flush in time");
    p.conn.close(None);
    expect_numbered(&rx, "m", 20_000);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
}

/// `close` alone sends what was queued before its close package.
pub fn close_alone_delivers_everything_sent_before(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    let rx = listen(&p.client, SLOT);
    let closed = p.conn.closed().subscribe();
    for i in 0..2_000 {
        p.host.send(SLOT, format!("c{i}")).expect("send");
    }
    p.bound.close(None);
    expect_numbered(&rx, "c", 2_000);
    let event = closed.recv_timeout(STEP_DEADLINE).expect("closed in time");
    assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
}

/// `flush` on a connected end returns, with nothing sent and after sends.
pub fn flush_on_a_connected_end_returns(ut: &dyn TransportUnderTest) {
    let p = pair(ut);
    p.conn
        .flush(STEP_DEADLINE)
        .expect("flush with nothing sent");
    p.bound
        .flush(STEP_DEADLINE)
        .expect("flush with nothing sent");
    for i in 0..100 {
        p.host.send(SLOT, format!("{i}")).expect("send");
    }
    p.bound.flush(STEP_DEADLINE).expect("flush after sends");
    assert!(p.bound.is_connected() && p.conn.is_connected());
}

/// A waiting connection cannot write what was queued on it, so `flush`
/// fails with a timeout once the timeout passed.
pub fn flush_while_waiting_with_something_queued_times_out(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let bound = bind(ut, &host);
    host.send(SLOT, "queued while waiting").expect("send");
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    match bound.flush(timeout) {
        Err(Error::Timeout { .. }) => {}
        other => panic!("flush while waiting: {other:?}"),
    }
    let took = started.elapsed();
    assert!(took >= timeout, "gave up after {took:?}");
    assert!(bound.is_waiting(), "a failed flush closes nothing");
}

/// `Context::flush` waits for every connected connection, and what was
/// flushed reaches every peer.
pub fn context_flush_covers_every_connection(ut: &dyn TransportUnderTest) {
    let host = context(ut);
    let (a, b) = (context(ut), context(ut));
    let _ab = join(ut, &host, &a);
    let _bb = join(ut, &host, &b);
    let (rx_a, rx_b) = (listen(&a, SLOT), listen(&b, SLOT));
    for i in 0..2_000 {
        host.send(SLOT, format!("f{i}")).expect("send");
    }
    host.flush(STEP_DEADLINE).expect("flush in time");
    expect_numbered(&rx_a, "f", 2_000);
    expect_numbered(&rx_b, "f", 2_000);
}
