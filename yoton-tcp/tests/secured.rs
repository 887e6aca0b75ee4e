//! Secured TCP links over real sockets: who is refused and what each side
//! is told, what happens to bytes changed in transit, and what a stalled
//! or hostile client can do to the host. The conformance suite shows that
//! peers with the right secret work as plain ones do
//! (`yoton-testkit/tests/conformance.rs`, module `tcp_secured`).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{SOON, context, pub_slot, subscribe};
use yoton_core::{ConnectOptions, Connection, Context, Error};
use yoton_pyref::PyPeer;
use yoton_stream::secure::{
    ClientHandshake, PREAMBLE, REPLY_NOT_SECURED, REPLY_WRONG_SECRET, Secret, SecureError,
};
use yoton_tcp::{TcpOptions, TcpTransport};
use yoton_testkit::wait::wait_until;

/// How long a Python peer may live.
const PEER_LIFE: Duration = Duration::from_secs(60);

fn secret(byte: u8) -> Secret {
    Secret::from_bytes([byte; 32])
}

/// A context whose TCP transport secures every link with `secret`.
fn secured_context(secret: Secret) -> Context {
    secured_context_with(TcpOptions::new().with_secret(secret))
}

fn secured_context_with(options: TcpOptions) -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(
        TcpTransport::with_options(options).expect("valid options"),
    ));
    ctx
}

fn addr(port: u16) -> String {
    format!("tcp://127.0.0.1:{port}")
}

/// The reason a connect failed in its handshake.
fn handshake_reason(result: yoton_core::Result<Arc<dyn Connection>>) -> String {
    match result {
        Err(Error::Handshake { reason }) => reason,
        Err(e) => panic!("not a handshake failure: {e}"),
        Ok(conn) => panic!("connected to {}", conn.peer_port()),
    }
}

/// Everything a raw client reads until the host ends the stream.
fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(SOON)).expect("timeout");
    let mut all = Vec::new();
    match stream.read_to_end(&mut all) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the host did not end the stream: {e}"),
    }
    all
}

/// A plain yoton line, as Python yoton's client sends it.
const PLAIN_LINE: &[u8] = b"YOTON!00000000000000ab.4242\r\n";

#[test]
fn the_right_secret_connects_and_delivers() {
    let host = secured_context(secret(1));
    let bound = host.bind("localhost:0").expect("bind");
    let client = secured_context(secret(1));
    let conn = client.connect(&addr(bound.local_port())).expect("connect");
    assert_eq!(conn.peer_id(), Some(host.id()));
    let rx = subscribe(&host, "secured", "txt");
    client
        .send(pub_slot("secured", "txt"), "over a secured link")
        .expect("send");
    assert_eq!(
        rx.recv_timeout(SOON).expect("delivered"),
        b"over a secured link"
    );
}

#[test]
fn a_wrong_secret_is_refused_and_the_host_keeps_waiting_for_the_right_one() {
    let host = secured_context(secret(1));
    let bound = host.bind("localhost:0").expect("bind");
    let rx = subscribe(&host, "secured", "txt");
    let intruder = secured_context(secret(2));
    let reason = handshake_reason(intruder.connect(&addr(bound.local_port())));
    assert_eq!(reason, SecureError::WrongSecret.to_string());
    assert!(reason.contains("secret does not match"), "{reason}");
    assert!(bound.is_waiting(), "a wrong secret took the host's place");
    // The host's side of the refusal, as a raw client reads it.
    let mut raw = TcpStream::connect(("127.0.0.1", bound.local_port())).expect("connect");
    let (_, hello) = ClientHandshake::start(&secret(3)).expect("hello");
    raw.write_all(&hello).expect("hello sent");
    assert_eq!(read_to_end(&mut raw), REPLY_WRONG_SECRET.as_bytes());

    let friend = secured_context(secret(1));
    let conn = friend
        .connect(&addr(bound.local_port()))
        .expect("the right secret still gets in");
    assert_eq!(conn.peer_id(), Some(host.id()));
    friend
        .send(pub_slot("secured", "txt"), "first")
        .expect("send");
    assert_eq!(rx.recv_timeout(SOON).expect("delivered"), b"first");
    assert!(
        rx.try_recv().is_err(),
        "the intruder had something delivered"
    );
}

#[test]
fn a_plain_rust_client_at_a_secured_host_is_told_the_host_is_secured() {
    let host = secured_context(secret(1));
    let bound = host.bind("localhost:0").expect("bind");
    let plain = context();
    let reason = handshake_reason(plain.connect(&addr(bound.local_port())));
    assert!(reason.contains("the host is secured"), "{reason}");
    assert!(bound.is_waiting());
    // What the plain client read: the refusal line and nothing more.
    let mut raw = TcpStream::connect(("127.0.0.1", bound.local_port())).expect("connect");
    raw.write_all(PLAIN_LINE).expect("line sent");
    assert_eq!(read_to_end(&mut raw), REPLY_NOT_SECURED.as_bytes());
    assert!(REPLY_NOT_SECURED.starts_with("ERROR: "));
    assert!(bound.is_waiting());
}

#[test]
fn a_secured_client_at_a_plain_rust_host_says_the_host_is_not_secured() {
    let host = context();
    let bound = host.bind("localhost:0").expect("bind");
    let client = secured_context(secret(1));
    let reason = handshake_reason(client.connect(&addr(bound.local_port())));
    assert_eq!(reason, SecureError::HostNotSecured.to_string());
    assert!(reason.contains("host is not secured"), "{reason}");
    // The plain host refused it as any non-yoton client, and waits on.
    assert!(bound.is_waiting());
    let plain = context();
    plain
        .connect(&addr(bound.local_port()))
        .expect("a plain peer still gets in");
}

#[test]
fn a_raw_client_gets_one_error_line_and_never_a_package() {
    let host = secured_context(secret(1));
    let bound = host.bind("localhost:0").expect("bind");
    let mut http = TcpStream::connect(("127.0.0.1", bound.local_port())).expect("connect");
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request sent");
    assert_eq!(read_to_end(&mut http), REPLY_NOT_SECURED.as_bytes());
    assert!(bound.is_waiting());
}

#[test]
fn a_python_client_at_a_secured_host_is_refused_with_an_error_line() {
    let host = secured_context(secret(1));
    let bound = host.bind("localhost:0").expect("bind");
    let rx = subscribe(&host, "secured", "txt");
    let address = format!("localhost:{}", bound.local_port());
    let mut peer = PyPeer::peer(
        &[
            "--role",
            "connect",
            "--address",
            &address,
            "--channel",
            "secured",
            "--mode",
            "pub",
        ],
        PEER_LIFE,
    )
    .expect("python peer");
    let line = peer.next_line(SOON).expect("the peer reports");
    // The reference reads the host's `ERROR:` line and gives up as it
    // does with any host that does not answer `YOTON!`.
    assert!(line.starts_with("ERROR Could not connect"), "{line}");
    assert!(!peer.wait(SOON).expect("the peer exits").success());
    assert!(bound.is_waiting());
    assert!(rx.try_recv().is_err());
}

#[test]
fn a_secured_client_at_a_python_host_says_the_host_is_not_secured() {
    let mut peer = PyPeer::peer(&["--role", "bind", "--address", "localhost:0"], PEER_LIFE)
        .expect("python peer");
    let port = peer.expect("BOUND", SOON).expect("bound")[0].clone();
    let client = secured_context(secret(1));
    let reason = handshake_reason(client.connect(&format!("localhost:{port}")));
    assert_eq!(reason, SecureError::HostNotSecured.to_string());
    // The Python host refused the preamble as it refuses any non-yoton
    // client, and still waits for a peer.
    let plain = context();
    plain
        .connect(&format!("localhost:{port}"))
        .expect("a plain peer still gets in");
    peer.expect("CONNECTED", SOON)
        .expect("the Python host connected");
}

#[test]
fn a_stalled_secured_client_does_not_hold_up_a_real_peer() {
    let options = TcpOptions::new()
        .with_secret(secret(1))
        .with_handshake_timeout(Duration::from_secs(60));
    let host = secured_context_with(options);
    let bound = host.bind("localhost:0").expect("bind");
    // One stalls after the preamble, one inside its first frame.
    let mut stalled = TcpStream::connect(("127.0.0.1", bound.local_port())).expect("connect");
    stalled.write_all(PREAMBLE.as_bytes()).expect("sent");
    let mut inside = TcpStream::connect(("127.0.0.1", bound.local_port())).expect("connect");
    let (_, hello) = ClientHandshake::start(&secret(1)).expect("hello");
    inside.write_all(&hello[..hello.len() - 5]).expect("sent");
    let client = secured_context(secret(1));
    let conn = client
        .connect_with(
            &addr(bound.local_port()),
            &ConnectOptions::new().timeout(SOON),
        )
        .expect("the real peer gets in");
    assert_eq!(conn.peer_id(), Some(host.id()));
    // Both are still held: the peer did not wait them out.
    for held in [&mut stalled, &mut inside] {
        held.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8];
        match held.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("a stalled client was let go first: {other:?}"),
        }
    }
}

#[test]
fn a_handshake_frame_longer_than_the_limit_is_dropped_at_once() {
    let options = TcpOptions::new()
        .with_secret(secret(1))
        .with_handshake_timeout(Duration::from_secs(60));
    let host = secured_context_with(options);
    let bound = host.bind("localhost:0").expect("bind");
    let mut hostile = TcpStream::connect(("127.0.0.1", bound.local_port())).expect("connect");
    let started = Instant::now();
    hostile.write_all(PREAMBLE.as_bytes()).expect("sent");
    hostile.write_all(&[0xff, 0xff]).expect("sent");
    // Dropped without a reply and long before the handshake time is out:
    // the host did not wait for (or make room for) 64 KiB.
    assert!(read_to_end(&mut hostile).is_empty());
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(bound.is_waiting());
}

/// What a relay does to one frame in transit.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// Flips the bits of one byte of the frame's ciphertext (counted from
    /// its end when negative).
    Flip(isize),
    /// Leaves the frame out.
    Drop,
    /// Sends the frame twice.
    Replay,
    /// Sends half of the frame, then ends the stream.
    Truncate,
}

/// Which way the relay changes bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Way {
    ToHost,
    ToClient,
}

/// A relay between one client and `host_port` that passes the secured
/// stream on frame by frame and changes frame `at` (0 is the handshake
/// frame; 1 the yoton line; 2 and on carry packages) as `tamper` says, in
/// the direction `way`. Returns the port to connect to.
fn relay(host_port: u16, way: Way, at: usize, tamper: Tamper) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("relay bind");
    let port = listener.local_addr().expect("relay address").port();
    thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let Ok(host) = TcpStream::connect(("127.0.0.1", host_port)) else {
            return;
        };
        let (Ok(client2), Ok(host2)) = (client.try_clone(), host.try_clone()) else {
            return;
        };
        let (to_host, to_client) = match way {
            Way::ToHost => (Some(tamper), None),
            Way::ToClient => (None, Some(tamper)),
        };
        thread::spawn(move || pass_frames(host2, client2, at, to_client));
        pass_frames(client, host, at, to_host);
    });
    port
}

/// Copies a secured stream from `from` to `to` frame by frame.
fn pass_frames(mut from: TcpStream, mut to: TcpStream, at: usize, tamper: Option<Tamper>) {
    let mut preamble = vec![0u8; PREAMBLE.len()];
    if from.read_exact(&mut preamble).is_err() || to.write_all(&preamble).is_err() {
        let _ = to.shutdown(Shutdown::Write);
        return;
    }
    for index in 0.. {
        let mut len = [0u8; 2];
        if from.read_exact(&mut len).is_err() {
            break;
        }
        let mut frame = len.to_vec();
        frame.resize(2 + usize::from(u16::from_be_bytes(len)), 0);
        if from.read_exact(&mut frame[2..]).is_err() {
            break;
        }
        let out: Vec<u8> = match tamper {
            Some(tamper) if index == at => match tamper {
                Tamper::Flip(offset) => {
                    let body = frame.len() - 2;
                    let i = if offset < 0 {
                        body - offset.unsigned_abs()
                    } else {
                        offset.unsigned_abs()
                    };
                    frame[2 + i] ^= 0xff;
                    frame
                }
                Tamper::Drop => Vec::new(),
                Tamper::Replay => [frame.clone(), frame].concat(),
                Tamper::Truncate => {
                    let _ = to.write_all(&frame[..frame.len() / 2]);
                    break;
                }
            },
            _ => frame,
        };
        if to.write_all(&out).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Sends numbered messages from `client` to `host` through a relay that
/// changes one frame as `tamper` says, until the side that reads the
/// changed frame closes; checks its reason and that what was delivered on
/// either side is an unchanged prefix of what was sent.
fn tampered_in_transit(way: Way, at: usize, tamper: Tamper, expected: SecureError) {
    let host = secured_context(secret(1));
    let bound = host.bind("localhost:0").expect("bind");
    let port = relay(bound.local_port(), way, at, tamper);
    let client = secured_context(secret(1));
    let conn = client
        .connect(&addr(port))
        .expect("connect through the relay");
    let (sender, receiver, reader_side) = match way {
        Way::ToHost => (&client, &host, Arc::clone(&bound)),
        Way::ToClient => (&host, &client, Arc::clone(&conn)),
    };
    let rx = subscribe(receiver, "tampered", "txt");
    let started = Instant::now();
    let mut sent = 0usize;
    while reader_side.is_alive() {
        assert!(
            started.elapsed() < SOON,
            "{sent} messages and the changed frame was not noticed"
        );
        let message = format!("message {sent:06}");
        if sender
            .send(pub_slot("tampered", "txt"), message.into_bytes())
            .is_err()
        {
            break;
        }
        sent += 1;
        // One message in flight at a time, so that frames and messages
        // pair up and the changed frame carries one.
        let _ = sender.flush(Duration::from_secs(1));
        if sent % 64 == 0 {
            thread::yield_now();
        }
    }
    wait_until("the reading side closes", || {
        reader_side.close_reason().is_some()
    });
    let reason = reader_side.close_reason().expect("a close reason");
    assert_eq!(reason.as_str(), expected.to_string(), "{tamper:?} {way:?}");
    let delivered: Vec<Vec<u8>> = rx.try_iter().collect();
    assert!(delivered.len() < sent, "everything was delivered");
    for (i, got) in delivered.iter().enumerate() {
        assert_eq!(
            got,
            format!("message {i:06}").as_bytes(),
            "delivery {i} is not what was sent"
        );
    }
}

#[test]
fn a_flipped_ciphertext_byte_closes_the_link_and_nothing_damaged_is_delivered() {
    tampered_in_transit(Way::ToHost, 5, Tamper::Flip(0), SecureError::Tampered);
    tampered_in_transit(Way::ToClient, 5, Tamper::Flip(3), SecureError::Tampered);
}

#[test]
fn a_flipped_tag_byte_closes_the_link() {
    tampered_in_transit(Way::ToHost, 4, Tamper::Flip(-1), SecureError::Tampered);
}

#[test]
fn a_dropped_frame_closes_the_link() {
    tampered_in_transit(Way::ToHost, 4, Tamper::Drop, SecureError::Tampered);
    tampered_in_transit(Way::ToClient, 4, Tamper::Drop, SecureError::Tampered);
}

#[test]
fn a_replayed_frame_closes_the_link() {
    tampered_in_transit(Way::ToHost, 4, Tamper::Replay, SecureError::Tampered);
    tampered_in_transit(Way::ToClient, 4, Tamper::Replay, SecureError::Tampered);
}

#[test]
fn a_stream_cut_inside_a_frame_closes_the_link() {
    tampered_in_transit(Way::ToHost, 4, Tamper::Truncate, SecureError::Truncated);
}

#[test]
fn a_changed_handshake_frame_fails_the_handshake_on_both_sides() {
    for (way, at) in [(Way::ToHost, 0), (Way::ToClient, 0), (Way::ToHost, 1)] {
        let host = secured_context(secret(1));
        let bound = host.bind("localhost:0").expect("bind");
        let port = relay(bound.local_port(), way, at, Tamper::Flip(0));
        let client = secured_context(secret(1));
        let result = client.connect_with(&addr(port), &ConnectOptions::new().timeout(SOON));
        assert!(result.is_err(), "{way:?} {at}: connected");
        assert!(bound.is_waiting(), "{way:?} {at}: the host took the peer");
    }
}
