//! Batches through contexts and channels: `PubChannel::send_bytes_batch`
//! (and `Context::send_batch` below it) interleaved with single sends
//! arrive complete and in order, read with `SubChannel::recv_batch`, over
//! inproc and over TCP; a batch sent before any connection waits in the
//! startup queue like single messages.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use yoton_channels::{PubChannel, SubChannel, SubOptions};
use yoton_core::Context;
use yoton_inproc::InprocTransport;
use yoton_tcp::TcpTransport;

const DEADLINE: Duration = Duration::from_secs(20);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(InprocTransport::new()));
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

/// Links `a` (bound) and `b` over `protocol`.
fn link(a: &Context, b: &Context, protocol: &str) {
    if protocol == "inproc" {
        let bound = a.bind("inproc://").unwrap();
        b.connect(&format!("inproc://{}", bound.local_host()))
            .unwrap();
    } else {
        let bound = a.bind("tcp://127.0.0.1:0").unwrap();
        b.connect(&format!("tcp://127.0.0.1:{}", bound.local_port()))
            .unwrap();
        bound.wait_connected(DEADLINE).unwrap();
    }
}

fn numbered(range: std::ops::Range<u64>) -> impl Iterator<Item = Bytes> {
    range.map(|i| Bytes::from(i.to_le_bytes().to_vec()))
}

fn receive_in_order(sub: &SubChannel<Bytes>, count: u64) {
    let mut got = Vec::new();
    while (got.len() as u64) < count {
        sub.recv_batch(&mut got, DEADLINE).unwrap();
    }
    assert_eq!(got.len() as u64, count);
    for (i, data) in got.iter().enumerate() {
        assert_eq!(data[..], (i as u64).to_le_bytes(), "message {i}");
    }
}

fn batches_and_single_sends_arrive_in_order(protocol: &str) {
    let (a, b) = (context(), context());
    let out = PubChannel::<Bytes>::new(&a, "batches").unwrap();
    let options = SubOptions::new().capacity(100_000);
    let sub = SubChannel::<Bytes>::with_options(&b, "batches", options).unwrap();
    link(&a, &b, protocol);
    out.send_bytes_batch(numbered(0..1000)).unwrap();
    out.send_bytes(Bytes::from(1000u64.to_le_bytes().to_vec()))
        .unwrap();
    // Empty messages in a batch are skipped, as single ones are.
    out.send_bytes_batch([Bytes::new()]).unwrap();
    out.send_bytes_batch(numbered(1001..5000)).unwrap();
    receive_in_order(&sub, 5000);
    assert_eq!(sub.dropped(), 0);
    assert_eq!(sub.pending(), 0);
}

#[test]
fn batches_arrive_in_order_over_inproc() {
    batches_and_single_sends_arrive_in_order("inproc");
}

#[test]
fn batches_arrive_in_order_over_tcp() {
    batches_and_single_sends_arrive_in_order("tcp");
}

#[test]
fn a_batch_sent_before_connecting_waits_in_the_startup_queue() {
    for protocol in ["inproc", "tcp"] {
        let (a, b) = (context(), context());
        let out = PubChannel::<Bytes>::new(&a, "early").unwrap();
        let sub = SubChannel::<Bytes>::new(&b, "early").unwrap();
        out.send_bytes_batch(numbered(0..100)).unwrap();
        assert_eq!(a.startup_queued(), 100, "{protocol}");
        link(&a, &b, protocol);
        receive_in_order(&sub, 100);
    }
}

#[test]
fn recv_batch_times_out_and_reports_closing() {
    let ctx = context();
    let sub = SubChannel::<Bytes>::new(&ctx, "idle").unwrap();
    let mut got = Vec::new();
    let err = sub
        .recv_batch(&mut got, Duration::from_millis(10))
        .unwrap_err();
    assert!(
        matches!(err, yoton_channels::RecvTimeoutError::Timeout),
        "{err}"
    );
    sub.close();
    let err = sub.recv_batch(&mut got, DEADLINE).unwrap_err();
    assert!(
        matches!(err, yoton_channels::RecvTimeoutError::Closed),
        "{err}"
    );
    assert!(got.is_empty());
}
