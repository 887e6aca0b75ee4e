//! A `received` handler that panics on the transport's receiving thread:
//! the signal catches it, the messages are still queued in order, later
//! `received` events still come, and the connection goes on.

use std::sync::Arc;
use std::time::Duration;

use yoton_channels::{PubChannel, SubChannel};
use yoton_core::Context;
use yoton_tcp::TcpTransport;

const SOON: Duration = Duration::from_secs(20);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

#[test]
fn a_panicking_received_handler_stops_nothing() {
    let (a, b) = (context(), context());
    let bound = a.bind("localhost:0").unwrap();
    let conn = b
        .connect(&format!("localhost:{}", bound.local_port()))
        .unwrap();
    bound.wait_connected(SOON).unwrap();
    let out = PubChannel::<String>::new(&b, "unlucky").unwrap();
    let sub = SubChannel::<String>::new(&a, "unlucky").unwrap();
    let _bad = sub
        .received()
        .connect(|_: &usize| panic!("a received handler that panics"));
    let events = sub.received().subscribe();
    for i in 0..100 {
        out.send(&format!("m{i}")).unwrap();
    }
    let mut counted = 0;
    while counted < 100 {
        counted += events.recv_timeout(SOON).expect("a received event");
    }
    let got: Vec<String> = (0..100).map(|_| sub.recv_timeout(SOON).unwrap()).collect();
    let expected: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected);
    assert!(bound.is_connected() && conn.is_connected());
    // And the other way round, over the same link.
    let back = SubChannel::<String>::new(&b, "back").unwrap();
    PubChannel::<String>::new(&a, "back")
        .unwrap()
        .send("still here")
        .unwrap();
    assert_eq!(back.recv_timeout(SOON).unwrap(), "still here");
}
