//! Closing under load: `flush` then `close` on a sender with 100 000
//! messages queued delivers every one of them, in order, before the other
//! end sees the close.

use std::sync::Arc;
use std::time::Instant;

use yoton::{PubChannel, SubChannel, SubOptions, TcpOptions, TcpTransport, reason};
use yoton_reliability::SOON;

#[test]
fn flush_then_close_delivers_100_000_queued_messages_before_the_close() {
    let count = 100_000u64;
    let host = yoton::context();
    let inbox = Arc::new(
        SubChannel::<Vec<u8>>::with_options(
            &host,
            "load",
            SubOptions::new().capacity(2 * count as usize),
        )
        .unwrap(),
    );
    let bound = host.bind("localhost:0").unwrap();
    // What had arrived when the close was seen, counted by the handler
    // that runs as the close is reported.
    let (tx, seen) = crossbeam_channel::bounded(1);
    let counted = Arc::clone(&inbox);
    let _handler = bound.closed().connect(move |event| {
        let _ = tx.send((event.reason.clone(), counted.pending()));
    });

    // A send queue large enough that all 100 000 are queued at once,
    // without backpressure.
    let sender = yoton::Context::new();
    let options = TcpOptions::new().with_send_queue_bytes(64 << 20);
    sender.register_transport(Arc::new(TcpTransport::with_options(options).unwrap()));
    let out = PubChannel::<Vec<u8>>::new(&sender, "load").unwrap();
    let conn = sender
        .connect(&format!("localhost:{}", bound.local_port()))
        .unwrap();
    let start = Instant::now();
    for i in 0..count {
        let mut message = i.to_le_bytes().to_vec();
        message.resize(64, (i % 251) as u8);
        out.send(&message).unwrap();
    }
    let queued = start.elapsed();
    conn.flush(SOON).unwrap();
    conn.close(None);
    let closed = start.elapsed();

    let (why, pending) = seen.recv_timeout(SOON).unwrap();
    assert_eq!(why, reason::CLOSED_FROM_OTHER_END);
    assert_eq!(
        pending, count as usize,
        "not all delivered before the close"
    );
    for i in 0..count {
        let message = inbox.try_recv().unwrap();
        assert_eq!(message[..8], i.to_le_bytes(), "message {i}");
        assert_eq!(message.len(), 64);
    }
    assert_eq!(inbox.dropped(), 0);
    println!("queued {count} in {queued:?}, flushed and closed after {closed:?}");
}
