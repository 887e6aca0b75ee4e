//! A context's tap over a real transport: bounded, counted, and gone when
//! dropped.

use std::sync::Arc;
use std::time::Duration;

use yoton_channels::{PubChannel, SubChannel};
use yoton_core::Context;
use yoton_inproc::InprocTransport;

const WAIT: Duration = Duration::from_secs(20);

fn context() -> Context {
    let context = Context::new();
    context.register_transport(Arc::new(InprocTransport::new()));
    context
}

#[test]
fn a_full_tap_counts_what_it_misses_and_the_context_still_delivers() {
    let watcher = context();
    let inbox = SubChannel::<String>::new(&watcher, "tapped").unwrap();
    let tap = watcher.tap(2);
    let _bound = watcher.bind("inproc://tap-full").unwrap();
    let sender = context();
    let outbox = PubChannel::<String>::new(&sender, "tapped").unwrap();
    sender.connect("inproc://tap-full").unwrap();
    for n in 0..5 {
        outbox.send(&format!("m{n}")).unwrap();
    }
    for n in 0..5 {
        assert_eq!(inbox.recv_timeout(WAIT).unwrap(), format!("m{n}"));
    }
    // The connecting side's NEW_CONNECTION came first and filled a place.
    let first = tap.try_recv().expect("the tap holds its capacity");
    let second = tap.try_recv().expect("the tap holds its capacity");
    assert!(tap.try_recv().is_none());
    assert_eq!(first.source_id, sender.id().get());
    assert!(first.source_seq < second.source_seq);
    assert_eq!(tap.dropped(), 4);
}

#[test]
fn a_dropped_tap_is_forgotten() {
    let watcher = context();
    let inbox = SubChannel::<String>::new(&watcher, "untapped").unwrap();
    let tap = watcher.tap(10);
    let kept = watcher.tap(10);
    drop(tap);
    let _bound = watcher.bind("inproc://tap-dropped").unwrap();
    let sender = context();
    let outbox = PubChannel::<String>::new(&sender, "untapped").unwrap();
    sender.connect("inproc://tap-dropped").unwrap();
    outbox.send("one").unwrap();
    assert_eq!(inbox.recv_timeout(WAIT).unwrap(), "one");
    let mut seen = Vec::new();
    while let Some(package) = kept.try_recv() {
        seen.push(package.data);
    }
    assert_eq!(seen.last().map(|d| d.as_ref()), Some(&b"one"[..]));
    assert_eq!(kept.dropped(), 0);
}
