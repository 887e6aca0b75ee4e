//! Per-source order in a triangle: what one context publishes reaches
//! another over two links (directly and through a third), on two receiving
//! threads, and is still delivered once each and in the order it was sent.
use std::sync::Arc;
use std::time::Duration;
use yoton_channels::{PubChannel, SubChannel};
use yoton_core::Context;
use yoton_tcp::TcpTransport;

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

fn join(x: &Context, y: &Context) {
    let bound = x.bind("localhost:0").unwrap();
    y.connect(&format!("localhost:{}", bound.local_port()))
        .unwrap();
    bound.wait_connected(Duration::from_secs(20)).unwrap();
}

#[test]
fn a_source_reaching_a_context_over_two_links_keeps_its_order() {
    let (a, b, c) = (context(), context(), context());
    join(&a, &b);
    join(&b, &c);
    join(&c, &a);
    let out = PubChannel::<String>::new(&a, "order").unwrap();
    let sub = SubChannel::<String>::new(&c, "order").unwrap();
    for i in 0..5_000 {
        out.send(&format!("{i}")).unwrap();
    }
    let mut last = -1i64;
    for k in 0..5_000 {
        let got: i64 = sub
            .recv_timeout(Duration::from_secs(20))
            .unwrap()
            .parse()
            .unwrap();
        assert!(got > last, "message {k}: {got} after {last}");
        last = got;
    }
}
