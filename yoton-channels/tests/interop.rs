//! Channels against the Python reference (yoton from `pyzo==4.22.0`) over
//! TCP, both ways round: text and binary pub/sub, state (including the
//! re-send when a context joins) and sync mode (a sub in sync mode slows
//! the pub of the other language down, and no message is lost).
//!
//! The Python side is `tests/python/channels_peer.py`, run by `yoton-pyref`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use yoton_channels::{PubChannel, SlotName, StateChannel, SubChannel};
use yoton_core::{Connection, Context, Delivery};
use yoton_pyref::PyPeer;
use yoton_tcp::TcpTransport;
use yoton_testkit::wait::wait_until;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/channels_peer.py");

/// A generous bound for anything that should happen at once.
const SOON: Duration = Duration::from_secs(20);

/// How long a Python peer may live.
const PEER_LIFE: Duration = Duration::from_secs(90);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// A Python peer that connects to `ctx`, which binds.
fn python_connects(ctx: &Context, channels: &[&str]) -> (PyPeer, Arc<dyn Connection>) {
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut args = vec!["--role", "connect", "--address", &address];
    for c in channels {
        args.extend(["--channel", c]);
    }
    let mut peer = PyPeer::spawn(SCRIPT, &args, PEER_LIFE).unwrap();
    peer.expect("CONNECTED", SOON).unwrap();
    wait_until("the Python peer connects", || bound.is_connected());
    (peer, bound)
}

/// A Python peer that binds; `ctx` connects to it.
fn python_binds(ctx: &Context, channels: &[&str]) -> (PyPeer, Arc<dyn Connection>) {
    let mut args = vec!["--role", "bind", "--address", "localhost:0"];
    for c in channels {
        args.extend(["--channel", c]);
    }
    let mut peer = PyPeer::spawn(SCRIPT, &args, PEER_LIFE).unwrap();
    let port = peer.expect("BOUND", SOON).unwrap().remove(0);
    let conn = ctx.connect(&format!("localhost:{port}")).unwrap();
    peer.expect("CONNECTED", SOON).unwrap();
    (peer, conn)
}

/// Sends a command and waits for its `OK`.
fn command(peer: &mut PyPeer, line: &str) {
    peer.send_line(line).unwrap();
    let op = line.split(' ').next().unwrap();
    assert_eq!(peer.expect("OK", SOON).unwrap(), [op]);
}

/// The next `n` messages the Python sub channel `name` reports.
fn python_received(peer: &mut PyPeer, name: &str, n: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    while got.len() < n {
        let words = peer.expect("RECV", SOON).unwrap();
        if words[0] == name {
            got.push(unhex(&words[1]));
        }
    }
    got
}

fn texts(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

fn recv_n<M: yoton_channels::MessageType>(sub: &SubChannel<M>, n: usize) -> Vec<M::Message> {
    (0..n)
        .map(|i| {
            sub.recv_timeout(SOON)
                .unwrap_or_else(|e| panic!("message {i}: {e}"))
        })
        .collect()
}

/// Messages with every kind of character, and every byte value.
fn samples() -> (Vec<String>, Vec<Vec<u8>>) {
    let text = vec![
        "hello".to_owned(),
        "h\u{e9}llo \u{20ac} \u{1f600}".to_owned(),
        "x".repeat(70_000),
        " spaces and\nnew lines ".to_owned(),
    ];
    let bin = vec![
        vec![0],
        (0..=255).collect(),
        (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect(),
    ];
    (text, bin)
}

// ---------------------------------------------------------------------------
// Pub/sub

#[test]
fn python_publishes_text_and_binary_to_rust_sub_channels() {
    let ctx = context();
    let text_sub = SubChannel::<String>::new(&ctx, "interop-text").unwrap();
    let bin_sub = SubChannel::<Vec<u8>>::new(&ctx, "interop-bin").unwrap();
    let (mut peer, _conn) = python_connects(&ctx, &["pub:interop-text:txt", "pub:interop-bin:bin"]);
    let (text, bin) = samples();
    for t in &text {
        command(
            &mut peer,
            &format!("send interop-text {}", hex::encode(t.as_bytes())),
        );
    }
    for b in &bin {
        command(&mut peer, &format!("send interop-bin {}", hex::encode(b)));
    }
    peer.send_line("sendn interop-text 0 200").unwrap();
    peer.expect("SENT", SOON).unwrap();
    assert_eq!(recv_n(&text_sub, text.len()), text);
    assert_eq!(recv_n(&bin_sub, bin.len()), bin);
    assert_eq!(recv_n(&text_sub, 200), texts(0..200));
    assert_eq!(text_sub.decode_errors() + bin_sub.decode_errors(), 0);
}

#[test]
fn rust_publishes_text_and_binary_to_python_sub_channels() {
    let ctx = context();
    let text_pub = PubChannel::<String>::new(&ctx, "interop-out-text").unwrap();
    let bin_pub = PubChannel::<bytes::Bytes>::new(&ctx, "interop-out-bin").unwrap();
    let (mut peer, _conn) = python_binds(
        &ctx,
        &["sub:interop-out-text:txt", "sub:interop-out-bin:bin"],
    );
    command(&mut peer, "autorecv interop-out-text on");
    let (text, bin) = samples();
    for t in &text {
        text_pub.send(t).unwrap();
    }
    for i in 0..200 {
        text_pub.send(&i.to_string()).unwrap();
    }
    let got: Vec<String> = python_received(&mut peer, "interop-out-text", text.len() + 200)
        .into_iter()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    assert_eq!(got[..text.len()], text[..]);
    assert_eq!(got[text.len()..], texts(0..200)[..]);
    command(&mut peer, "autorecv interop-out-bin on");
    for b in &bin {
        bin_pub.send(b).unwrap();
    }
    assert_eq!(
        python_received(&mut peer, "interop-out-bin", bin.len()),
        bin
    );
}

// ---------------------------------------------------------------------------
// State

/// The next state package the Python state channel `name` reports.
fn python_state_package(peer: &mut PyPeer, name: &str) -> String {
    loop {
        let words = peer.expect("STATE_PKG", SOON).unwrap();
        if words[0] == name {
            return String::from_utf8(unhex(&words[1])).unwrap();
        }
    }
}

#[test]
fn rust_state_reaches_python_and_is_sent_again_when_python_joins() {
    let ctx = context();
    let status = StateChannel::<String>::new(&ctx, "interop-status").unwrap();
    // Set before anyone is connected: it waits in the context's queue, and
    // is sent again when Python announces itself (NEW_CONNECTION), as the
    // reference does (the recorded session shows `busy` twice too).
    status.send("busy").unwrap();
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let args = [
        "--role",
        "connect",
        "--address",
        &address,
        "--channel",
        "state:interop-status:txt",
    ];
    let mut peer = PyPeer::spawn(SCRIPT, &args, PEER_LIFE).unwrap();
    // The queued state may arrive before Python's connect() returns, so
    // before or after its CONNECTED line: read both, in any order.
    let mut connected = false;
    let mut states = Vec::new();
    while !connected || states.len() < 2 {
        let line = peer.next_line(SOON).unwrap();
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("CONNECTED"), _, _) => connected = true,
            (Some("STATE_PKG"), Some("interop-status"), Some(data)) => {
                states.push(String::from_utf8(unhex(data)).unwrap());
            }
            _ => {}
        }
    }
    assert_eq!(states, ["busy", "busy"]);
    // The same value is not sent again; a new one is.
    status.send("busy").unwrap();
    status.send("idle").unwrap();
    assert_eq!(python_state_package(&mut peer, "interop-status"), "idle");
    peer.send_line("getstate interop-status").unwrap();
    let words = peer.expect("STATE", SOON).unwrap();
    assert_eq!(words, ["interop-status", &hex::encode(b"idle")]);
}

/// Every delivery on a slot, to see who sent what.
fn listen(ctx: &Context, slot: SlotName) -> Receiver<Delivery> {
    yoton_testkit::collect::listen(ctx, slot.slot(), slot.name()).unwrap()
}

#[test]
fn python_state_reaches_rust_and_python_sends_it_again_when_a_context_joins() {
    let rust = context();
    let status = StateChannel::<String>::new(&rust, "interop-pstate").unwrap();
    let changes = status.received().subscribe();
    let (mut peer, conn) = python_binds(&rust, &["state:interop-pstate:txt"]);
    let python_id = conn.peer_id().unwrap().get();
    command(
        &mut peer,
        &format!("setstate interop-pstate {}", hex::encode(b"ready")),
    );
    changes.recv_timeout(SOON).unwrap();
    assert_eq!(status.recv().as_deref(), Some("ready"));

    // A newcomer joins through the Rust context: its NEW_CONNECTION is
    // forwarded to Python, whose state channel sends its value again.
    let newcomer = context();
    let wire = listen(&newcomer, SlotName::new("interop-pstate", "txt", "state"));
    let bound = rust.bind("localhost:0").unwrap();
    newcomer
        .connect(&format!("localhost:{}", bound.local_port()))
        .unwrap();
    let deadline = Instant::now() + SOON;
    let mut from_python = 0;
    while from_python == 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        let d = wire
            .recv_timeout(left)
            .expect("Python's state was not sent again");
        assert_eq!(&d.package.data[..], b"ready");
        if d.package.source_id == python_id {
            from_python += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Sync mode

#[test]
fn a_python_sub_in_sync_mode_slows_a_rust_pub_and_nothing_is_lost() {
    const N: usize = 100;
    let ctx = context();
    let out = PubChannel::<String>::new(&ctx, "interop-psync").unwrap();
    let (mut peer, _conn) = python_binds(&ctx, &["sub:interop-psync:txt"]);
    command(&mut peer, "sync interop-psync on");
    // 33 waiting messages are more than 32: Python says `full`.
    for i in 0..33 {
        out.send(&i.to_string()).unwrap();
    }
    wait_until("the Rust pub held back", || out.is_blocked());
    // Nobody reads on the Python side: this send waits the reference's 1 s.
    let t = Instant::now();
    out.send("33").unwrap();
    let held = t.elapsed();
    assert!(held >= Duration::from_millis(900), "held only {held:?}");
    // Python reads, says `ok`, and the rest goes through.
    peer.send_line("drain interop-psync").unwrap();
    let mut got = Vec::new();
    loop {
        let line = peer.next_line(SOON).unwrap();
        let words: Vec<&str> = line.split(' ').collect();
        match words[0] {
            "RECV" => got.push(String::from_utf8(unhex(words[2])).unwrap()),
            "DRAINED" => break,
            "ERROR" => panic!("{line}"),
            _ => {}
        }
    }
    wait_until("the Rust pub released", || !out.is_blocked());
    command(&mut peer, "autorecv interop-psync on");
    for i in 34..N {
        out.send(&i.to_string()).unwrap();
    }
    let rest = python_received(&mut peer, "interop-psync", N - got.len());
    got.extend(rest.into_iter().map(|b| String::from_utf8(b).unwrap()));
    assert_eq!(got, texts(0..N));
}

#[test]
fn a_rust_sub_in_sync_mode_slows_a_python_pub_and_nothing_is_lost() {
    const N: usize = 100;
    let ctx = context();
    let sub = SubChannel::<String>::new(&ctx, "interop-rsync").unwrap();
    sub.set_sync_mode(true).unwrap();
    let (mut peer, _conn) = python_connects(&ctx, &["pub:interop-rsync:txt"]);
    peer.send_line("sendn interop-rsync 0 33").unwrap();
    peer.expect("SENT", SOON).unwrap();
    wait_until("33 messages waiting", || sub.pending() == 33);
    // Over 32 waiting: Rust says `full`, and the Python pub locks.
    let deadline = Instant::now() + SOON;
    loop {
        peer.send_line("locked interop-rsync").unwrap();
        let words = peer.expect("LOCKED", SOON).unwrap();
        if words[1] == "1" {
            break;
        }
        assert!(Instant::now() < deadline, "the Python pub never locked");
    }
    // Nobody reads on the Rust side: Python's next send waits 1 s.
    peer.send_line("sendn interop-rsync 33 1").unwrap();
    let sent = peer.expect("SENT", SOON).unwrap();
    let held: f64 = sent[2].parse().unwrap();
    assert!(held >= 0.9, "held only {held} s");
    // Reading makes Rust say `ok`, and Python goes on; Rust keeps reading
    // meanwhile (were it not to, it would say `full` again after 32).
    let sub = Arc::new(sub);
    let reader = {
        let sub = Arc::clone(&sub);
        std::thread::spawn(move || recv_n(&sub, N))
    };
    peer.send_line(&format!("sendn interop-rsync 34 {}", N - 34))
        .unwrap();
    peer.expect("SENT", SOON).unwrap();
    let got = reader.join().unwrap();
    assert_eq!(got, texts(0..N));
    assert_eq!(sub.dropped(), 0);
}
