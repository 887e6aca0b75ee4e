//! The connecting side's handshake against servers that are not a yoton
//! host: a silent one, one that hangs up, and ones that answer with
//! something else. Each connect fails with the reference's reason text
//! (`Handshake timed out.` when nothing came back, `Handshake failed.`
//! for a wrong answer), leaves no connection behind, and the context can
//! still connect to a real host afterwards.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{SOON, context};
use yoton_core::{ConnectOptions, Context, Error, reason};
use yoton_tcp::{TcpOptions, TcpTransport};

/// The client's handshake wait in these tests.
const HANDSHAKE: Duration = Duration::from_secs(1);

/// What a fake server does once a client connected and sent its line.
#[derive(Clone, Copy, Debug)]
enum Server {
    Silent,
    HangsUp,
    Answers(&'static [u8]),
}

/// A fake server on a fresh port that plays `how` for one client. It
/// reads the client's line first, as a host would.
fn fake_server(how: Server) -> (u16, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(SOON)).unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while !line.ends_with(b"\r\n") && stream.read(&mut byte).unwrap() == 1 {
            line.push(byte[0]);
        }
        match how {
            Server::Silent => {
                // Hold the socket until the client gives up on it.
                let mut rest = Vec::new();
                let _ = stream.read_to_end(&mut rest);
            }
            Server::HangsUp => {}
            Server::Answers(reply) => {
                let _ = stream.write_all(reply);
            }
        }
        line
    });
    (port, handle)
}

fn client() -> Context {
    let ctx = Context::new();
    let options = TcpOptions::new().with_handshake_timeout(HANDSHAKE);
    ctx.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    ctx
}

/// Connects `ctx` to a fake server playing `how`: the reason it fails
/// with, and how long that took.
fn fails_with(ctx: &Context, how: Server) -> (String, Duration) {
    let (port, server) = fake_server(how);
    let start = Instant::now();
    let result = ctx.connect_with(
        &format!("tcp://127.0.0.1:{port}"),
        &ConnectOptions::new().timeout(SOON),
    );
    let took = start.elapsed();
    let line = server.join().unwrap();
    assert!(line.starts_with(b"YOTON!"), "the client's line: {line:?}");
    match result {
        Err(Error::Handshake { reason }) => (reason, took),
        other => panic!("{how:?}: unexpected {other:?}"),
    }
}

/// After a failed handshake the context holds no connection and still
/// connects to a real host.
fn still_connects(ctx: &Context) {
    assert_eq!(ctx.connections_all().len(), 0, "a failed connection stays");
    let host = context();
    let bound = host.bind("localhost:0").unwrap();
    let conn = ctx
        .connect(&format!("tcp://127.0.0.1:{}", bound.local_port()))
        .unwrap();
    assert_eq!(conn.peer_id(), Some(host.id()));
}

#[test]
fn a_silent_server_times_the_handshake_out() {
    let ctx = client();
    let (why, took) = fails_with(&ctx, Server::Silent);
    assert_eq!(why, reason::HANDSHAKE_TIMED_OUT);
    // Not before the wait ran out; how soon after is not this test's.
    assert!(took >= HANDSHAKE, "gave up after {took:?}");
    still_connects(&ctx);
}

#[test]
fn a_server_that_hangs_up_without_a_word_is_a_timed_out_handshake() {
    // As the reference: no answer at all reads as a timed-out handshake.
    let ctx = client();
    let (why, _) = fails_with(&ctx, Server::HangsUp);
    assert_eq!(why, reason::HANDSHAKE_TIMED_OUT);
    still_connects(&ctx);
}

#[test]
fn a_non_yoton_answer_fails_the_handshake() {
    let ctx = client();
    let answers: [&'static [u8]; 5] = [
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        b"ERROR: this is Yoton.\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"yoton!00000000000000ab.12\r\n",
        b"\x00\xff\xfe garbage \x80\r\n",
    ];
    for answer in answers {
        // Decided on the answer: a wait that ran out would say "timed out".
        let (why, _) = fails_with(&ctx, Server::Answers(answer));
        assert_eq!(why, reason::HANDSHAKE_FAILED, "{answer:?}");
    }
    still_connects(&ctx);
}

#[test]
fn a_yoton_answer_with_a_bad_id_or_pid_fails_the_handshake() {
    let ctx = client();
    let answers: [&'static [u8]; 5] = [
        b"YOTON!xyz.12\r\n",
        b"YOTON!00000000000000ab\r\n",
        b"YOTON!00000000000000ab.notapid\r\n",
        b"YOTON!10000000000000000.1\r\n",
        // Half a line, then the server hangs up.
        b"YOTON!00000000000000ab",
    ];
    for answer in answers {
        let (why, _) = fails_with(&ctx, Server::Answers(answer));
        assert_eq!(why, reason::HANDSHAKE_FAILED, "{answer:?}");
    }
    still_connects(&ctx);
}

#[test]
fn an_endless_answer_fails_the_handshake() {
    let ctx = client();
    let long: &'static [u8] = Box::leak(vec![b'Y'; 64 * 1024].into_boxed_slice());
    let (why, _) = fails_with(&ctx, Server::Answers(long));
    assert_eq!(why, reason::HANDSHAKE_FAILED);
    still_connects(&ctx);
}
