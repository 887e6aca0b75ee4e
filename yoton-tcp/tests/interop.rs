//! The TCP transport against the Python reference (yoton from
//! `pyzo==4.22.0`), both ways round: Rust binds and Python connects, and
//! the reverse. The Python side uses the real yoton channels; the Rust side
//! the smallest pub/sub the context allows (a send on the channel's slot,
//! an endpoint on it).

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{SOON, context, pub_slot, subscribe};
use yoton_core::{Address, BindOptions, Connection, Context, Error, reason};
use yoton_pyref::{PyPeer, crc32, make_message};

/// Message sizes sent each way: 1 byte (or code point) to 16 MiB.
const SIZES: &[usize] = &[1, 2, 10, 100, 1000, 10_000, 65_536, 1 << 20, 16 << 20];

/// How many small messages follow.
const SMALL_COUNT: usize = 10_000;
const SMALL_SIZE: usize = 24;

/// How long a Python peer may live.
const PEER_LIFE: Duration = Duration::from_secs(90);

fn unique_name(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("yoton-interop-{tag}-{}-{nanos}", std::process::id())
}

fn wait_connected(conn: &Arc<dyn Connection>) {
    conn.wait_connected(SOON).expect("the Python peer arrives");
}

/// A Python peer with one pub or sub channel, binding or connecting.
fn channel_peer(role: &str, address: &str, name: &str, kind: &str, mode: &str) -> PyPeer {
    PyPeer::peer(
        &[
            "--role",
            role,
            "--address",
            address,
            "--channel",
            name,
            "--type",
            kind,
            "--mode",
            mode,
        ],
        PEER_LIFE,
    )
    .unwrap()
}

/// Checks the Python peer's CONNECTED line against the Rust side.
fn check_connected(words: &[String], ctx: &Context, conn: &Arc<dyn Connection>, peer: &PyPeer) {
    let [id1, pid1, id2, pid2, _host1, port1, _host2, port2] = words else {
        panic!("bad CONNECTED line {words:?}");
    };
    // Python names us, and we name Python.
    assert_eq!(id2, &ctx.id().to_string());
    assert_eq!(pid2, &std::process::id().to_string());
    assert_eq!(pid1, &peer.pid().to_string());
    assert_eq!(
        conn.peer_id().map(|id| id.to_string()).as_deref(),
        Some(id1.as_str())
    );
    assert_eq!(conn.peer_pid(), Some(peer.pid()));
    // Both sides agree on the ports of the one socket.
    assert_eq!(port1, &conn.peer_port().to_string());
    assert_eq!(port2, &conn.local_port().to_string());
}

/// Python publishes, Rust receives: Rust compares each message with what
/// Python reports it sent.
fn python_publishes(peer: &mut PyPeer, rx: &crossbeam_channel::Receiver<Vec<u8>>) {
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    peer.send_line(&format!("send {}", sizes.join(",")))
        .unwrap();
    peer.send_line(&format!("bulk {SMALL_COUNT} {SMALL_SIZE}"))
        .unwrap();
    for i in 0..SIZES.len() + SMALL_COUNT {
        let sent = peer.expect("SENT", SOON).unwrap();
        let got = rx
            .recv_timeout(SOON)
            .unwrap_or_else(|_| panic!("message {i} not received"));
        assert_eq!(sent[0], i.to_string());
        assert_eq!(sent[1], got.len().to_string(), "message {i} length");
        assert_eq!(sent[2], crc32(&got).to_string(), "message {i} content");
    }
    peer.expect("SENT_DONE", SOON).unwrap();
}

/// Rust publishes, Python receives and reports each message.
fn rust_publishes(ctx: &Context, peer: &mut PyPeer, name: &str, kind: &str) {
    let slot = pub_slot(name, kind);
    let mut expected = Vec::new();
    let sizes = SIZES
        .iter()
        .copied()
        .chain(std::iter::repeat_n(SMALL_SIZE, SMALL_COUNT));
    for (i, size) in sizes.enumerate() {
        let data = make_message(i, size, kind);
        expected.push((data.len(), crc32(&data)));
        ctx.send(slot, data).unwrap();
    }
    for (i, (len, crc)) in expected.iter().enumerate() {
        let got = peer.expect("RECV", SOON).unwrap();
        assert_eq!(
            got,
            [i.to_string(), len.to_string(), crc.to_string()],
            "message {i}"
        );
    }
}

#[test]
fn rust_binds_python_connects_and_publishes_text() {
    let ctx = context();
    let name = unique_name("pub-txt");
    let rx = subscribe(&ctx, &name, "txt");
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut peer = channel_peer("connect", &address, &name, "txt", "pub");
    let words = peer.expect("CONNECTED", SOON).unwrap();
    wait_connected(&bound);
    check_connected(&words, &ctx, &bound, &peer);
    python_publishes(&mut peer, &rx);
}

#[test]
fn rust_binds_python_connects_and_subscribes_binary() {
    let ctx = context();
    let name = unique_name("sub-bin");
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut peer = channel_peer("connect", &address, &name, "bin", "sub");
    let words = peer.expect("CONNECTED", SOON).unwrap();
    wait_connected(&bound);
    check_connected(&words, &ctx, &bound, &peer);
    rust_publishes(&ctx, &mut peer, &name, "bin");
}

#[test]
fn python_binds_rust_connects_and_python_publishes_binary() {
    let ctx = context();
    let name = unique_name("pub-bin");
    let rx = subscribe(&ctx, &name, "bin");
    let mut peer = channel_peer("bind", "localhost:0", &name, "bin", "pub");
    let port = &peer.expect("BOUND", SOON).unwrap()[0];
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    let words = peer.expect("CONNECTED", SOON).unwrap();
    check_connected(&words, &ctx, &conn, &peer);
    python_publishes(&mut peer, &rx);
}

#[test]
fn python_binds_rust_connects_and_publishes_text() {
    let ctx = context();
    let name = unique_name("sub-txt");
    let mut peer = channel_peer("bind", "localhost:0", &name, "txt", "sub");
    let port = &peer.expect("BOUND", SOON).unwrap()[0];
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    let words = peer.expect("CONNECTED", SOON).unwrap();
    check_connected(&words, &ctx, &conn, &peer);
    rust_publishes(&ctx, &mut peer, &name, "txt");
}

#[test]
fn rust_closing_is_seen_by_python_as_closed_from_other_end() {
    let ctx = context();
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut peer = PyPeer::peer(&["--role", "connect", "--address", &address], PEER_LIFE).unwrap();
    peer.expect("CONNECTED", SOON).unwrap();
    wait_connected(&bound);
    bound.close(None);
    assert_eq!(
        bound.close_reason().as_deref(),
        Some(reason::CLOSED_ON_COMMAND)
    );
    assert_eq!(
        peer.expect_text("CLOSED", SOON).unwrap(),
        reason::CLOSED_FROM_OTHER_END
    );
}

#[test]
fn python_closing_is_seen_by_rust_as_a_dropped_connection() {
    let ctx = context();
    let mut peer =
        PyPeer::peer(&["--role", "bind", "--address", "localhost:0"], PEER_LIFE).unwrap();
    let port = &peer.expect("BOUND", SOON).unwrap()[0];
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    let closed = conn.closed().subscribe();
    peer.expect("CONNECTED", SOON).unwrap();
    peer.send_line("close").unwrap();
    let event = closed.recv_timeout(SOON).unwrap();
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);
    assert!(!conn.is_alive());
}

#[test]
fn named_ports_meet_on_both_sides() {
    // Python binds a name, Rust connects to the same name. A name may
    // collide with a port in use: then try another.
    let ctx = context();
    let mut met = false;
    for attempt in 0..5 {
        let name = unique_name(&format!("py{attempt}"));
        let address = format!("localhost:{name}");
        let mut peer = PyPeer::peer(&["--role", "bind", "--address", &address], PEER_LIFE).unwrap();
        let Ok(bound) = peer.expect("BOUND", SOON) else {
            continue;
        };
        let expected = Address::parse(&address).unwrap().port();
        assert_eq!(bound[0], expected.to_string());
        let conn = ctx.connect(&address).unwrap();
        assert_eq!(conn.peer_port(), expected);
        let words = peer.expect("CONNECTED", SOON).unwrap();
        check_connected(&words, &ctx, &conn, &peer);
        met = true;
        break;
    }
    assert!(met, "every name collided");

    // Rust binds a name, Python connects to it.
    let mut met = false;
    for attempt in 0..5 {
        let name = unique_name(&format!("rs{attempt}"));
        let address = format!("localhost:{name}");
        let bound = match ctx.bind_with(&address, &BindOptions::new().max_tries(1)) {
            Ok(bound) => bound,
            Err(Error::Bind { .. }) => continue,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(bound.local_port(), Address::parse(&address).unwrap().port());
        let mut peer =
            PyPeer::peer(&["--role", "connect", "--address", &address], PEER_LIFE).unwrap();
        let words = peer.expect("CONNECTED", SOON).unwrap();
        wait_connected(&bound);
        check_connected(&words, &ctx, &bound, &peer);
        met = true;
        break;
    }
    assert!(met, "every name collided");
}
