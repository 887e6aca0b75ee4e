//! A context that bridges TCP and an in-process link, in front of a TCP
//! peer that does not read: the whole chain fills up, and the process's
//! other TCP connections must keep working meanwhile (the one I/O thread
//! of the stream transport never waits for a full in-process queue).
//! Once the peer reads, everything sent arrives.

use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton::{TcpOptions, TcpTransport};
use yoton_core::decoder::Decoder;
use yoton_core::{Context, Error, Slot};
use yoton_reliability::SOON;
use yoton_testkit::collect::listen_data;
use yoton_testkit::wait::wait_until_within;

const SIZE: usize = 60_000;

fn slot(name: &str) -> Slot {
    Slot::from_name(&format!("{name}.bin.pub-sub"))
}

fn tcp_context(queue_bytes: usize) -> Context {
    let ctx = Context::new();
    let options = TcpOptions::new().with_send_queue_bytes(queue_bytes);
    ctx.register_transport(Arc::new(
        TcpTransport::with_options(options).expect("options"),
    ));
    ctx
}

#[test]
fn a_blocked_in_process_bridge_does_not_stop_the_other_connections() {
    let inproc = Arc::new(yoton::InprocTransport::new());
    let publisher = tcp_context(1 << 20);
    let hub = tcp_context(1 << 20);
    hub.register_transport(Arc::clone(&inproc) as _);
    let bridge = tcp_context(16 * 1024);
    bridge.register_transport(Arc::clone(&inproc) as _);
    let hub_tcp = hub.bind("127.0.0.1:0").expect("bind the hub");
    let _hub_inproc = hub.bind("inproc://bridge-test").expect("bind in-process");
    bridge
        .connect("inproc://bridge-test")
        .expect("connect in-process");
    let bridge_tcp = bridge.bind("127.0.0.1:0").expect("bind the bridge");

    // The peer at the end: a plain socket that says the handshake line and
    // then reads nothing until told.
    let mut peer = TcpStream::connect(("127.0.0.1", bridge_tcp.local_port())).expect("connect");
    let line = format!("YOTON!00000000000000cd.{}\r\n", std::process::id());
    std::io::Write::write_all(&mut peer, line.as_bytes()).expect("handshake line");
    wait_until_within(SOON, "the bridge took the peer", || {
        bridge_tcp.is_connected()
    });
    publisher
        .connect(&format!("127.0.0.1:{}", hub_tcp.local_port()))
        .expect("connect the publisher");

    // Send until backpressure reaches the publisher: the chain is full.
    let mut sent = 0usize;
    loop {
        match publisher.send_timeout(slot("big"), vec![7u8; SIZE], Duration::from_secs(1)) {
            Ok(()) => sent += 1,
            Err(Error::Timeout { .. }) => break,
            Err(e) => panic!("send failed: {e}"),
        }
        assert!(sent < 10_000, "no backpressure after {sent} messages");
    }

    // Two other contexts of this process, over TCP: they still talk.
    let a = tcp_context(1 << 20);
    let c = tcp_context(1 << 20);
    let a_bound = a.bind("127.0.0.1:0").expect("bind a");
    c.connect(&format!("127.0.0.1:{}", a_bound.local_port()))
        .expect("connect c");
    let probes = listen_data(&c, slot("probe"), "probe").expect("listen");
    for n in 0..3u8 {
        a.send(slot("probe"), vec![n; 10]).expect("probe sent");
        let got = probes
            .recv_timeout(SOON)
            .expect("the other pair still delivers");
        assert_eq!(&got[..], &[n; 10]);
    }

    // The peer reads: everything that was sent arrives.
    peer.set_read_timeout(Some(SOON)).expect("timeout");
    let mut line = Vec::new();
    let mut byte = [0u8];
    while !line.ends_with(b"\r\n") {
        peer.read_exact(&mut byte)
            .expect("the bridge's handshake line");
        line.push(byte[0]);
    }
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut arrived = 0usize;
    let deadline = Instant::now() + SOON * 3;
    while arrived < sent {
        assert!(Instant::now() < deadline, "{arrived} of {sent} arrived");
        let n = peer.read(&mut buf).expect("read from the bridge");
        assert!(n > 0, "the bridge closed after {arrived} of {sent}");
        decoder.feed(&buf[..n]);
        while let Some(package) = decoder.next_package().expect("packages") {
            if package.data.len() == SIZE {
                assert!(package.data.iter().all(|&b| b == 7));
                arrived += 1;
            }
        }
    }
    assert_eq!(arrived, sent);
}
