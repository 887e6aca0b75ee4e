//! Clients that are not yoton, over real sockets: each gets the
//! reference's answer or is dropped within a bounded time, and the bound
//! connection still takes a real peer afterwards; one that stalls does not
//! delay a real peer.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton::{ConnectOptions, Connection, Context, TcpOptions, TcpTransport};
use yoton_core::handshake::{MAX_LINE_LEN, REPLY_BAD_ID, REPLY_NOT_YOTON};
use yoton_reliability::SOON;

/// The host's handshake wait where a client must be answered or dropped
/// at once: long, so that "at once" is told from "when the wait ran out"
/// by a bound that a loaded machine still meets.
const HANDSHAKE: Duration = Duration::from_secs(6);

/// The host's handshake wait where a client is dropped only when the wait
/// runs out: short, so that those tests are quick. Only lower bounds are
/// asserted against it.
const SHORT_HANDSHAKE: Duration = Duration::from_millis(800);

fn host() -> (Context, Arc<dyn Connection>) {
    host_waiting(HANDSHAKE)
}

fn host_waiting(wait: Duration) -> (Context, Arc<dyn Connection>) {
    let ctx = Context::new();
    let options = TcpOptions::new().with_handshake_timeout(wait);
    ctx.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    let bound = ctx.bind("localhost:0").unwrap();
    (ctx, bound)
}

fn raw(bound: &Arc<dyn Connection>) -> TcpStream {
    TcpStream::connect(("127.0.0.1", bound.local_port())).unwrap()
}

/// Everything the host still sends until it drops the client, and how
/// long that took. A reset counts as dropped.
fn until_dropped(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    stream.set_read_timeout(Some(SOON)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("not dropped: {e} after {:?}", start.elapsed()),
        }
    }
    (got, start.elapsed())
}

/// A real yoton peer still gets through. How soon is not measured here:
/// where clients stall, the tests check that they are still held when the
/// peer is connected.
fn real_peer_gets_through(host: &Context, bound: &Arc<dyn Connection>) {
    let client = yoton::context();
    let conn = client
        .connect_with(
            &format!("localhost:{}", bound.local_port()),
            &ConnectOptions::new().timeout(SOON),
        )
        .unwrap();
    assert_eq!(conn.peer_id(), Some(host.id()));
}

/// Whether the host still holds `client`: nothing to read yet, and no end
/// of stream.
fn still_held(client: &TcpStream) -> bool {
    client.set_nonblocking(true).unwrap();
    let mut byte = [0u8];
    let held = matches!((&*client).read(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
    client.set_nonblocking(false).unwrap();
    held
}

#[test]
fn an_http_request_gets_the_reference_answer() {
    let (ctx, bound) = host();
    let mut http = raw(&bound);
    http.write_all(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n")
        .unwrap();
    let (got, took) = until_dropped(&mut http);
    assert_eq!(got, REPLY_NOT_YOTON.as_bytes());
    assert!(took < HANDSHAKE, "{took:?}");
    assert!(bound.is_waiting());
    real_peer_gets_through(&ctx, &bound);
}

#[test]
fn random_bytes_get_the_answer_or_are_dropped() {
    // Clients that must be answered or dropped at once go to a host with a
    // long wait; those dropped when the wait runs out, to a short one.
    let (ctx, prompt) = host();
    let (slow_ctx, slow) = host_waiting(SHORT_HANDSHAKE);
    for seed in 0..8u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let len = rng.usize(1..3 * MAX_LINE_LEN);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        if seed % 2 == 0 {
            // Half of them with a line end somewhere.
            let at = rng.usize(0..len);
            bytes.splice(at..at, *b"\r\n");
        }
        let crlf = bytes.windows(2).position(|w| w == b"\r\n");
        let at_once =
            matches!(crlf, Some(pos) if pos + 2 <= MAX_LINE_LEN) || bytes.len() >= MAX_LINE_LEN;
        let bound = if at_once { &prompt } else { &slow };
        let mut client = raw(bound);
        // The host may drop the client before it has taken everything.
        let _ = client.write_all(&bytes);
        let (got, took) = until_dropped(&mut client);
        match crlf {
            Some(pos) if pos + 2 <= MAX_LINE_LEN => {
                assert_eq!(got, REPLY_NOT_YOTON.as_bytes(), "seed {seed}");
                assert!(took < HANDSHAKE, "seed {seed}: {took:?}");
            }
            _ if bytes.len() >= MAX_LINE_LEN => {
                // Too long a line: dropped at once, without an answer.
                assert!(got.is_empty(), "seed {seed}: {got:?}");
                assert!(took < HANDSHAKE, "seed {seed}: {took:?}");
            }
            _ => {
                // Part of a line and silence: dropped when the wait ends
                // (until_dropped fails if it never is).
                assert!(got.is_empty(), "seed {seed}: {got:?}");
                assert!(
                    took >= SHORT_HANDSHAKE - Duration::from_millis(100),
                    "seed {seed}: {took:?}"
                );
            }
        }
        assert!(bound.is_waiting(), "seed {seed}");
    }
    real_peer_gets_through(&ctx, &prompt);
    real_peer_gets_through(&slow_ctx, &slow);
}

#[test]
fn an_endless_line_is_cut_at_the_limit() {
    let (ctx, bound) = host();
    let mut client = raw(&bound);
    let start = Instant::now();
    let chunk = vec![b'a'; 64 * 1024];
    let mut written = 0usize;
    // Writing stops with an error once the host drops the client; in any
    // case a few MiB is far beyond the limit.
    while written < 16 << 20 {
        match client.write(&chunk) {
            Ok(n) => written += n,
            Err(_) => break,
        }
    }
    let (got, _) = until_dropped(&mut client);
    assert!(got.is_empty(), "{got:?}");
    assert!(start.elapsed() < HANDSHAKE, "{:?}", start.elapsed());
    assert!(bound.is_waiting());
    real_peer_gets_through(&ctx, &bound);
}

#[test]
fn the_handshake_line_limit_counts_the_line_end() {
    let (ctx, bound) = host();
    // The longest line allowed: answered (its id does not parse).
    let mut line = b"YOTON!".to_vec();
    line.resize(MAX_LINE_LEN - 2, b'0');
    line.extend_from_slice(b"\r\n");
    let mut client = raw(&bound);
    client.write_all(&line).unwrap();
    assert_eq!(until_dropped(&mut client).0, REPLY_BAD_ID.as_bytes());
    // One byte more: dropped without an answer.
    line.insert(6, b'0');
    assert_eq!(line.len(), MAX_LINE_LEN + 1);
    let mut client = raw(&bound);
    let _ = client.write_all(&line);
    let (got, took) = until_dropped(&mut client);
    assert!(got.is_empty(), "{got:?}");
    assert!(took < HANDSHAKE, "{took:?}");
    real_peer_gets_through(&ctx, &bound);
}

#[test]
fn half_a_line_then_silence_is_dropped_after_the_wait() {
    let (ctx, bound) = host_waiting(SHORT_HANDSHAKE);
    let mut client = raw(&bound);
    client.write_all(b"YOTON!0123456789").unwrap();
    // Dropped (until_dropped fails if it is not within SOON), and not
    // before the wait ran out.
    let (got, took) = until_dropped(&mut client);
    assert!(got.is_empty(), "{got:?}");
    assert!(
        took >= SHORT_HANDSHAKE - Duration::from_millis(100),
        "{took:?}"
    );
    real_peer_gets_through(&ctx, &bound);
}

#[test]
fn stalled_clients_do_not_delay_a_real_peer() {
    // A handshake wait longer than the test: the real peers must be
    // connected while every stalled client is still held. A host that
    // served clients one after the other would make them wait out the
    // stalled ones (and the reference's client gives up after 2 s).
    let (host, bound) = host_waiting(SOON);
    let mut stalled = Vec::new();
    for i in 0..16 {
        let mut client = raw(&bound);
        match i % 3 {
            0 => client.write_all(b"YOTON!12").unwrap(),
            1 => client.write_all(b"GET / HT").unwrap(),
            _ => {} // connects and says nothing
        }
        stalled.push(client);
    }
    let start = Instant::now();
    for _ in 0..3 {
        // Each real peer takes the bound connection, so bind again.
        let bound = host.bind("localhost:0").unwrap();
        for _ in 0..4 {
            stalled.push(raw(&bound));
        }
        let client = yoton::context();
        let conn = client
            .connect_with(
                &format!("localhost:{}", bound.local_port()),
                &ConnectOptions::new().timeout(SOON),
            )
            .unwrap();
        assert_eq!(conn.peer_id(), Some(host.id()));
    }
    real_peer_gets_through(&host, &bound);
    let elapsed = start.elapsed();
    let released: Vec<usize> = (0..stalled.len())
        .filter(|&i| !still_held(&stalled[i]))
        .collect();
    assert!(
        released.is_empty() || elapsed >= SOON,
        "stalled clients {released:?} were let go before the real peers were connected"
    );
}
