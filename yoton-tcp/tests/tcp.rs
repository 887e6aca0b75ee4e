//! The TCP transport against itself and against raw sockets that play a
//! misbehaving peer.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{SOON, close_wire, context, pub_slot, subscribe};
use yoton_core::address::port_candidates;
use yoton_core::decoder::Decoder;
use yoton_core::package::{Package, PackageKind, Slot};
use yoton_core::{BindOptions, ConnectOptions, Connection, ContextId, Error, reason};
use yoton_tcp::{TcpOptions, TcpTransport};

fn addr(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

/// Reads up to and including CRLF, one byte at a time (as the reference).
fn read_line(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(SOON)).unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8];
    while !line.ends_with(b"\r\n") {
        match stream.read(&mut byte).unwrap() {
            0 => break,
            _ => line.push(byte[0]),
        }
    }
    String::from_utf8(line).unwrap()
}

/// A raw socket host: accepts one client, answers its handshake line with
/// a made-up context, and hands over the stream.
fn raw_host() -> (u16, thread::JoinHandle<(TcpStream, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let line = read_line(&mut stream);
        stream
            .write_all(format!("YOTON!00000000000000ab.{}\r\n", std::process::id()).as_bytes())
            .unwrap();
        (stream, line)
    });
    (port, handle)
}

/// A Rust context connected to a raw host.
fn connect_to_raw() -> (yoton_core::Context, Arc<dyn Connection>, TcpStream) {
    let (port, host) = raw_host();
    let ctx = context();
    let conn = ctx.connect(&addr(port)).unwrap();
    let (stream, line) = host.join().unwrap();
    assert_eq!(
        line,
        format!("YOTON!{}.{}\r\n", ctx.id(), std::process::id())
    );
    assert_eq!(conn.peer_id(), ContextId::new(0xab));
    (ctx, conn, stream)
}

fn wait_closed(
    conn: &Arc<dyn Connection>,
    rx: &crossbeam_channel::Receiver<yoton_core::ClosedEvent>,
) -> String {
    let event = rx.recv_timeout(SOON).expect("no closed event");
    assert!(!conn.is_alive());
    event.reason.into()
}

#[test]
fn connected_pair_knows_both_ends() {
    let host = context();
    let client = context();
    let bound = host.bind("localhost:0").unwrap();
    assert!(bound.is_waiting());
    assert_eq!(bound.local_host(), "127.0.0.1");
    let port = bound.local_port();
    assert_ne!(port, 0);
    let conn = client.connect(&addr(port)).unwrap();
    assert!(conn.is_connected());
    assert_eq!(conn.peer_id(), Some(host.id()));
    assert_eq!(conn.peer_pid(), Some(std::process::id()));
    assert_eq!(conn.peer_port(), port);
    assert_eq!(conn.peer_host(), "127.0.0.1");
    let deadline = Instant::now() + SOON;
    while !bound.is_connected() {
        assert!(Instant::now() < deadline, "host never saw the peer");
        thread::yield_now();
    }
    assert_eq!(bound.peer_id(), Some(client.id()));
    assert_eq!(bound.local_port(), port);
    assert_eq!(bound.peer_port(), conn.local_port());

    let rx = subscribe(&host, "pair", "txt");
    client.send(pub_slot("pair", "txt"), "hello").unwrap();
    assert_eq!(rx.recv_timeout(SOON).unwrap(), b"hello");
}

#[test]
fn http_client_gets_the_reference_answer_and_the_port_keeps_waiting() {
    let host = context();
    let bound = host.bind("localhost:0").unwrap();
    let mut http = TcpStream::connect(("127.0.0.1", bound.local_port())).unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_line(&mut http), "ERROR: this is Yoton.\r\n");
    assert!(bound.is_waiting());

    let mut bad = TcpStream::connect(("127.0.0.1", bound.local_port())).unwrap();
    bad.write_all(b"YOTON!xyz.12\r\n").unwrap();
    assert_eq!(read_line(&mut bad), "ERROR: could not parse id.\r\n");
    assert!(bound.is_waiting());

    let client = context();
    let conn = client.connect(&addr(bound.local_port())).unwrap();
    assert_eq!(conn.peer_id(), Some(host.id()));
}

#[test]
fn a_stalled_client_does_not_delay_a_real_peer() {
    // A long handshake wait on the host, so that "the real peer got through
    // first" is an ordering the test can see: the stalled client is still
    // held when the peer is connected. The reference would make the peer
    // wait out the stalled client instead.
    let wait = Duration::from_secs(6);
    let host = yoton_core::Context::new();
    let options = TcpOptions::new().with_handshake_timeout(wait);
    host.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    let bound = host.bind("localhost:0").unwrap();
    let mut stalled = TcpStream::connect(("127.0.0.1", bound.local_port())).unwrap();
    stalled.write_all(b"YOTON!12").unwrap();
    let client = context();
    let start = Instant::now();
    let conn = client
        .connect_with(
            &addr(bound.local_port()),
            &ConnectOptions::new().timeout(SOON),
        )
        .unwrap();
    assert_eq!(conn.peer_id(), Some(host.id()));
    let connected_after = start.elapsed();
    stalled.set_nonblocking(true).unwrap();
    let mut byte = [0u8];
    match stalled.read(&mut byte) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => {
            // Only a machine stalled for the whole wait gets here honestly.
            assert!(
                connected_after >= wait,
                "the stalled client was let go before the peer connected: {other:?}"
            );
        }
    }
    // Once its time is up, the stalled client is dropped without a reply:
    // end of stream or a reset, not a read that times out.
    stalled.set_nonblocking(false).unwrap();
    stalled.set_read_timeout(Some(SOON)).unwrap();
    let mut rest = Vec::new();
    match stalled.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the stalled client was not dropped: {e}"),
    }
    assert!(rest.is_empty(), "{rest:?}");
    assert!(start.elapsed() >= wait, "dropped before its wait ran out");
}

#[test]
fn a_context_cannot_connect_to_itself() {
    let ctx = context();
    let bound = ctx.bind("localhost:0").unwrap();
    match ctx.connect(&addr(bound.local_port())) {
        Err(Error::Handshake { reason }) => assert_eq!(reason, reason::HANDSHAKE_SELF),
        other => panic!("unexpected {other:?}"),
    }
    assert!(bound.is_waiting());
    let other = context();
    other.connect(&addr(bound.local_port())).unwrap();
}

/// Holds every port in `ports` on 127.0.0.1 for `ctx`, as far as it is
/// free; a port something else holds is just as taken.
fn occupy(ctx: &yoton_core::Context, ports: &[u16]) -> Vec<(u16, Arc<dyn Connection>)> {
    let mut held = Vec::new();
    for &port in ports {
        match ctx.bind(&addr(port)) {
            Ok(bound) => held.push((port, bound)),
            Err(Error::Bind { source, .. }) if source.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => panic!("bind {port}: {e}"),
        }
    }
    held
}

#[test]
fn max_tries_steps_over_taken_ports() {
    let ctx = context();
    let first = ctx.bind("localhost:0").unwrap();
    let port = first.local_port();
    match ctx.bind(&addr(port)) {
        Err(Error::Bind { address, source }) => {
            assert!(address.contains(&port.to_string()), "{address}");
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("unexpected {other:?}"),
    }
    let second = ctx
        .bind_with(&addr(port), &BindOptions::new().max_tries(5))
        .unwrap();
    let candidates: Vec<u16> = port_candidates(port, 5).collect();
    assert!(second.local_port() != port && candidates.contains(&second.local_port()));
    // With every port that the search tries taken (by the documented step
    // rule: +1, +1, +1, +2, +2, ...), it finds nothing.
    let candidates: Vec<u16> = port_candidates(port, 6).collect();
    let mut held = occupy(&ctx, &candidates);
    match ctx.bind_with(&addr(port), &BindOptions::new().max_tries(6)) {
        Err(Error::NoFreePort { tries, start }) => assert_eq!((tries, start), (6, port)),
        other => panic!("unexpected {other:?}"),
    }
    // Free the last candidate only: the search lands exactly there.
    if let Some(at) = held.iter().position(|(p, _)| *p == candidates[5]) {
        let (last, bound) = held.swap_remove(at);
        bound.close(None);
        let found = ctx
            .bind_with(&addr(port), &BindOptions::new().max_tries(6))
            .unwrap();
        assert_eq!(found.local_port(), last);
    }
}

#[test]
fn max_tries_stops_at_the_last_port() {
    // Above the ephemeral range (61000 and up on Linux by default), so no
    // outgoing connection takes these ports by chance.
    let ctx = context();
    let tail = [65533u16, 65534, 65535];
    let mut held = occupy(&ctx, &tail);
    // 100 tries from 65533 reach only three ports before 65535 ends them.
    match ctx.bind_with(&addr(65533), &BindOptions::new().max_tries(100)) {
        Err(Error::NoFreePort { start, .. }) => assert_eq!(start, 65533),
        other => panic!("unexpected {other:?}"),
    }
    if let Some(at) = held.iter().position(|(p, _)| *p == 65535) {
        let (_, bound) = held.swap_remove(at);
        bound.close(None);
        let found = ctx
            .bind_with(&addr(65533), &BindOptions::new().max_tries(100))
            .unwrap();
        assert_eq!(found.local_port(), 65535);
    } else {
        println!("65535 is held by something else: the landing check is left out");
    }
}

#[test]
fn the_port_is_free_again_once_hosting_and_once_closed() {
    let host = context();
    let bound = host.bind("localhost:0").unwrap();
    let port = bound.local_port();
    let client = context();
    let _conn = client.connect(&addr(port)).unwrap();
    let again = host.bind(&addr(port)).unwrap();
    assert_eq!(again.local_port(), port);

    // Closing a waiting connection has nothing to linger for. The bound
    // only catches a close that hangs; how soon the accept loop stops is
    // a matter of its poll interval, not of what this test shows.
    let start = Instant::now();
    again.close(None);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        again.close_reason().as_deref(),
        Some(reason::CLOSED_ON_COMMAND)
    );
    let third = host.bind(&addr(port)).unwrap();
    assert!(third.is_waiting());
}

#[test]
fn connect_fails_after_its_timeout_naming_host_and_port() {
    let ctx = context();
    let bound = ctx.bind("localhost:0").unwrap();
    let port = bound.local_port();
    bound.close(None);
    let start = Instant::now();
    let result = ctx.connect_with(
        &addr(port),
        &ConnectOptions::new().timeout(Duration::from_millis(300)),
    );
    let elapsed = start.elapsed();
    match result {
        Err(e @ Error::Connect { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("127.0.0.1") && text.contains(&port.to_string()),
                "{text}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_wrong_control_word_loses_track() {
    let (_ctx, conn, mut stream) = connect_to_raw();
    let closed = conn.closed().subscribe();
    let mut bad = Package::new(Slot::new(9), &b"x"[..]).to_bytes();
    bad[..8].copy_from_slice(b"NOTYOTON");
    stream.write_all(&bad).unwrap();
    assert_eq!(wait_closed(&conn, &closed), reason::LOST_TRACK);
}

#[test]
fn a_huge_header_closes_cleanly() {
    let (_ctx, conn, mut stream) = connect_to_raw();
    let closed = conn.closed().subscribe();
    let mut header = Package::new(Slot::new(9), bytes::Bytes::new()).header();
    header[48..].copy_from_slice(&(1u64 << 62).to_le_bytes());
    stream.write_all(&header).unwrap();
    let why = wait_closed(&conn, &closed);
    assert!(
        why.contains("too large") || why.contains("Package too large"),
        "{why}"
    );
    assert!(why.contains(&(1u64 << 62).to_string()), "{why}");
}

#[test]
fn the_size_limit_is_configurable() {
    let (port, host) = raw_host();
    let ctx = yoton_core::Context::new();
    let options = TcpOptions::new().with_max_data_len(1000);
    ctx.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    let conn = ctx.connect(&addr(port)).unwrap();
    let (mut stream, _) = host.join().unwrap();
    let closed = conn.closed().subscribe();
    stream
        .write_all(&Package::new(Slot::new(9), vec![1u8; 1000]).to_bytes())
        .unwrap();
    stream
        .write_all(&Package::new(Slot::new(9), vec![1u8; 1001]).to_bytes())
        .unwrap();
    let why = wait_closed(&conn, &closed);
    assert!(why.contains("1001") && why.contains("1000"), "{why}");
}

#[test]
fn end_of_stream_mid_package_is_a_dropped_connection() {
    let (_ctx, conn, mut stream) = connect_to_raw();
    let closed = conn.closed().subscribe();
    let wire = Package::new(Slot::new(9), vec![7u8; 1000]).to_bytes();
    stream.write_all(&wire[..500]).unwrap();
    drop(stream);
    assert_eq!(wait_closed(&conn, &closed), reason::OTHER_END_DROPPED);
}

#[test]
fn timedout_goes_true_on_silence_and_false_when_bytes_come() {
    let (_ctx, conn, mut stream) = connect_to_raw();
    let timedout = conn.timedout().subscribe();
    let start = Instant::now();
    // The raw peer sends no heartbeats: silence.
    let event = timedout.recv_timeout(SOON).unwrap();
    let silent = start.elapsed();
    assert!(event.timed_out);
    // Not before the 0.5 s timeout (less a little for the clocks). How
    // soon after it is the simulated-time tests' to say: here the wait
    // above only catches a timeout that never comes.
    assert!(silent >= Duration::from_millis(400), "{silent:?}");
    // Half a header is enough: any byte counts.
    stream
        .write_all(&Package::heartbeat().header()[..20])
        .unwrap();
    let event = timedout.recv_timeout(SOON).unwrap();
    assert!(!event.timed_out);
    assert!(conn.is_connected());
}

#[test]
fn close_sends_the_close_package_after_the_data() {
    let (ctx, conn, mut stream) = connect_to_raw();
    ctx.send(pub_slot("last", "txt"), "last words").unwrap();
    conn.close(None);
    assert_eq!(
        conn.close_reason().as_deref(),
        Some(reason::CLOSED_ON_COMMAND)
    );
    stream.set_read_timeout(Some(SOON)).unwrap();
    let mut wire = Vec::new();
    stream.read_to_end(&mut wire).unwrap();
    let close = close_wire();
    assert!(
        wire.ends_with(&close),
        "the stream does not end with the close package"
    );
    let mut decoder = Decoder::new();
    decoder.feed(&wire);
    let mut data = Vec::new();
    let mut kinds = Vec::new();
    while let Some(p) = decoder.next_package().unwrap() {
        kinds.push(p.kind());
        if p.kind() == PackageKind::Data {
            data.push(p);
        }
    }
    assert_eq!(kinds.last(), Some(&PackageKind::Close));
    let words: Vec<&[u8]> = data.iter().map(|p| &p.data[..]).collect();
    assert_eq!(words, [&b"NEW_CONNECTION"[..], &b"last words"[..]]);
    assert_eq!(data[1].source_id, ctx.id().get());
}

#[test]
fn flush_then_close_delivers_everything_queued() {
    let host = context();
    let client = context();
    let bound = host.bind("localhost:0").unwrap();
    let closed = bound.closed().subscribe();
    let rx = subscribe(&host, "many", "bin");
    let conn = client.connect(&addr(bound.local_port())).unwrap();
    let count = 20_000u32;
    for i in 0..count {
        client
            .send(pub_slot("many", "bin"), i.to_le_bytes().to_vec())
            .unwrap();
    }
    conn.flush(SOON).unwrap();
    conn.close(None);
    for i in 0..count {
        let got = rx.recv_timeout(SOON).unwrap();
        assert_eq!(got, i.to_le_bytes(), "message {i}");
    }
    let event = closed.recv_timeout(SOON).unwrap();
    assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
}

#[test]
fn a_16_mib_package_arrives_whole() {
    let host = context();
    let client = context();
    let bound = host.bind("localhost:0").unwrap();
    let rx = subscribe(&host, "big", "bin");
    client.connect(&addr(bound.local_port())).unwrap();
    let data: Vec<u8> = (0..16 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    client.send(pub_slot("big", "bin"), data.clone()).unwrap();
    client.send(pub_slot("big", "bin"), &b"after"[..]).unwrap();
    let got = rx.recv_timeout(SOON).unwrap();
    assert!(got == data, "16 MiB package damaged");
    assert_eq!(rx.recv_timeout(SOON).unwrap(), b"after");
}

#[test]
fn a_small_send_queue_applies_backpressure_without_loss() {
    let host = context();
    let bound = host.bind("localhost:0").unwrap();
    let rx = subscribe(&host, "bp", "bin");
    let client = yoton_core::Context::new();
    let options = TcpOptions::new().with_send_queue_bytes(1024);
    client.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    client.connect(&addr(bound.local_port())).unwrap();
    let count = 2000u32;
    let sender = thread::spawn(move || {
        for i in 0..count {
            client
                .send(pub_slot("bp", "bin"), vec![(i % 256) as u8; 4000])
                .unwrap();
        }
        client
    });
    for i in 0..count {
        let got = rx.recv_timeout(SOON).unwrap();
        assert_eq!(got, vec![(i % 256) as u8; 4000]);
    }
    let client = sender.join().unwrap();
    drop(client);
}
