//! Ports and liveness end to end, with the Python reference where it has
//! a say: named ports with an offset, collisions on a named port and the
//! `max_tries` search (the same step rule and the same failure text on both
//! sides, also at the top of the port range), IPv6 loopback, and
//! heartbeats and `timedout` against a Python peer.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{SOON, context, pub_slot, subscribe};
use yoton_core::address::port_candidates;
use yoton_core::{Address, BindOptions, Connection, Context, Error};
use yoton_pyref::PyPeer;

/// How long a Python peer may live.
const PEER_LIFE: Duration = Duration::from_secs(90);

/// Whether this process can bind `port` on 127.0.0.1 right now.
fn is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A port name, unique to this run, whose first `span` candidates are
/// free and below 65536 after `offset` (a named port is a fixed port:
/// another program may hold it, so look for one that is free).
fn free_name(tag: &str, offset: u16, span: u32) -> (String, u16) {
    for attempt in 0..50 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("yoton-{tag}-{}-{attempt}-{nanos}", std::process::id());
        let base = Address::parse(&format!("localhost:{name}")).unwrap().port();
        let Some(start) = base.checked_add(offset) else {
            continue;
        };
        let ports: Vec<u16> = port_candidates(start, span).collect();
        if ports.len() == span as usize && ports.iter().all(|&p| is_free(p)) {
            return (name, start);
        }
    }
    panic!("no free named port found");
}

/// Binds `ctx` at a fresh name (plus `offset`) whose first four
/// candidates were free: the address, its port and the connection. The
/// port may be taken between the look and the bind by another program:
/// then another name is tried.
fn bind_named(ctx: &Context, tag: &str, offset: u16) -> (String, u16, Arc<dyn Connection>) {
    for _ in 0..10 {
        let (name, port) = free_name(tag, offset, 4);
        let address = if offset == 0 {
            format!("localhost:{name}")
        } else {
            format!("localhost:{name}+{offset}")
        };
        match ctx.bind_with(&address, &BindOptions::new().max_tries(1)) {
            Ok(bound) => {
                assert_eq!(bound.local_port(), port);
                return (address, port, bound);
            }
            Err(Error::Bind { source, .. }) if source.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => panic!("{e}"),
        }
    }
    panic!("every named port was taken");
}

fn peer_binds(address: &str, max_tries: u32) -> PyPeer {
    let tries = max_tries.to_string();
    PyPeer::peer(
        &[
            "--role",
            "bind",
            "--address",
            address,
            "--max-tries",
            &tries,
        ],
        PEER_LIFE,
    )
    .unwrap()
}

/// The text of the Python peer's `ERROR` line.
fn python_error(peer: &mut PyPeer) -> String {
    loop {
        let line = peer.next_line(SOON).unwrap();
        if let Some(text) = line.strip_prefix("ERROR ") {
            return text.to_owned();
        }
        assert!(!line.starts_with("BOUND"), "bound after all: {line}");
    }
}

#[test]
fn a_name_with_an_offset_is_the_same_port_on_both_sides() {
    let host = context();
    let (address, port, bound) = bind_named(&host, "offset", 3);
    // Python works the name and offset out to the same port.
    let mut python =
        PyPeer::peer(&["--role", "connect", "--address", &address], PEER_LIFE).unwrap();
    python.expect("CONNECTED", SOON).unwrap();
    bound.wait_connected(SOON).unwrap();
    assert_eq!(bound.peer_pid(), Some(python.pid()));
    // Once hosting, the port binds again for a Rust peer.
    let again = host.bind(&address).unwrap();
    let client = context();
    let rx = subscribe(&host, "offset", "txt");
    let conn = client.connect(&address).unwrap();
    assert_eq!(conn.peer_port(), port);
    client.send(pub_slot("offset", "txt"), "by name").unwrap();
    assert_eq!(rx.recv_timeout(SOON).unwrap(), b"by name");
    assert!(again.is_connected());
}

#[test]
fn a_taken_named_port_fails_or_steps_the_same_way_in_both_languages() {
    let first = context();
    let (address, port, _a) = bind_named(&first, "collide", 0);
    let candidates: Vec<u16> = port_candidates(port, 4).collect();
    // The same name again, one try: the port is taken.
    let second = context();
    match second.bind_with(&address, &BindOptions::new().max_tries(1)) {
        Err(Error::Bind { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("unexpected {other:?}"),
    }
    // More tries: the next candidate.
    let b = second
        .bind_with(&address, &BindOptions::new().max_tries(4))
        .unwrap();
    assert_eq!(b.local_port(), candidates[1]);
    // Python, with the two first taken, lands on the third.
    let mut python = peer_binds(&address, 4);
    let bound = python.expect("BOUND", SOON).unwrap();
    assert_eq!(bound, [candidates[2].to_string()]);
    // With two tries, both languages give up with the same words.
    let rust_error = match context().bind_with(&address, &BindOptions::new().max_tries(2)) {
        Err(e @ Error::NoFreePort { .. }) => e.to_string(),
        other => panic!("unexpected {other:?}"),
    };
    let mut python_fails = peer_binds(&address, 2);
    assert_eq!(python_error(&mut python_fails), rust_error);
    // A peer connecting by name reaches the first host.
    let client = context();
    let conn = client.connect(&address).unwrap();
    assert_eq!(conn.peer_id(), Some(first.id()));
}

#[test]
fn the_search_ends_at_the_last_port_in_both_languages() {
    // Above the ephemeral range, so no outgoing connection takes these
    // ports by chance; held by this test (or by something else: taken
    // either way).
    let holder = context();
    let _held: Vec<Arc<dyn Connection>> = [65533u16, 65534, 65535]
        .iter()
        .filter_map(|p| holder.bind(&format!("tcp://127.0.0.1:{p}")).ok())
        .collect();
    let rust_error =
        match context().bind_with("tcp://127.0.0.1:65533", &BindOptions::new().max_tries(100)) {
            Err(e @ Error::NoFreePort { .. }) => e.to_string(),
            other => panic!("unexpected {other:?}"),
        };
    let mut python = peer_binds("127.0.0.1:65533", 100);
    assert_eq!(python_error(&mut python), rust_error);
}

#[test]
fn ipv6_loopback_end_to_end() {
    if TcpListener::bind("[::1]:0").is_err() {
        println!("this machine has no ::1; the IPv6 test has nothing to run on");
        return;
    }
    let host = context();
    let bound = host.bind("tcp://[::1]:0").unwrap();
    assert_eq!(bound.local_host(), "::1");
    let port = bound.local_port();
    let client = context();
    let rx = subscribe(&host, "six", "txt");
    let conn = client.connect(&format!("tcp://[::1]:{port}")).unwrap();
    bound.wait_connected(SOON).unwrap();
    assert_eq!(conn.peer_host(), "::1");
    assert_eq!(conn.peer_port(), port);
    assert_eq!(bound.peer_port(), conn.local_port());
    assert_eq!(conn.peer_id(), Some(host.id()));
    client.send(pub_slot("six", "txt"), "over ::1").unwrap();
    assert_eq!(rx.recv_timeout(SOON).unwrap(), b"over ::1");
    let back = subscribe(&client, "six-back", "txt");
    host.send(pub_slot("six-back", "txt"), "and back").unwrap();
    assert_eq!(back.recv_timeout(SOON).unwrap(), b"and back");
    let closed = bound.closed().subscribe();
    conn.close(None);
    assert_eq!(
        closed.recv_timeout(SOON).unwrap().reason,
        yoton_core::reason::CLOSED_FROM_OTHER_END
    );
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid}: {status:?}");
}

#[test]
fn a_python_peer_keeps_the_link_alive_and_times_out_when_stopped() {
    let ctx: Context = context();
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut python =
        PyPeer::peer(&["--role", "connect", "--address", &address], PEER_LIFE).unwrap();
    python.expect("CONNECTED", SOON).unwrap();
    bound.wait_connected(SOON).unwrap();
    // 2 s rather than the minimum 0.5 s: the reference's heartbeats are
    // due every 0.25 s or so (at the latest after 0.5 s of silence), so only
    // a long stall of a loaded machine could fail the first part.
    let timeout = Duration::from_secs(2);
    bound.set_timeout(timeout).unwrap();
    let timedout = bound.timedout().subscribe();
    // Nothing is sent by either user for one and a half timeouts: the
    // reference's heartbeats keep the link from timing out.
    match timedout.recv_timeout(timeout * 3 / 2) {
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
        other => panic!("timed out with a live Python peer: {other:?}"),
    }
    // Stopped, the peer says nothing: timedout(true), not before the
    // timeout; continued, its heartbeats bring timedout(false).
    let stopped = Instant::now();
    signal(python.pid(), "STOP");
    let event = timedout.recv_timeout(SOON);
    let silent = stopped.elapsed();
    signal(python.pid(), "CONT");
    assert!(event.expect("timedout(true)").timed_out);
    // The last heartbeat came at most a fraction of a timeout before.
    assert!(silent >= timeout / 2, "{silent:?}");
    assert!(
        !timedout
            .recv_timeout(SOON)
            .expect("timedout(false)")
            .timed_out
    );
    assert!(bound.is_connected(), "a timeout does not close");
}
