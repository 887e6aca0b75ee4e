//! Channels over each transport (in-process and TCP): pub/sub with each
//! message type, order, empty messages, slot names against the reference's
//! hashes, taken slots, closing, queue bounds, sync mode (words on the wire
//! and a pub held back by a full sub), reading several sub channels in
//! order, and state.
//!
//! The cases that connect contexts are written once, in
//! `channels/connected.rs`, and included in a module per transport, so that
//! they run as `inproc::name` and `tcp::name`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::Receiver;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use yoton_channels::{
    Error, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, SendError, SlotName,
    StateChannel, SubChannel, SubOptions, TryRecvError, select, select_deadline,
    select_sub_channel, select_timeout,
};
use yoton_core::{Context, Delivery, Direction, Slot};
use yoton_inproc::InprocTransport;
use yoton_testkit::collect;
use yoton_testkit::wait::wait_until;

const DEADLINE: Duration = Duration::from_secs(10);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(InprocTransport::new()));
    ctx
}

/// What goes over the wire on a slot, delivery by delivery.
fn listen(ctx: &Context, slot: Slot) -> Receiver<Delivery> {
    collect::listen(ctx, slot, "raw").unwrap()
}

fn text_of(d: &Delivery) -> String {
    String::from_utf8(d.package.data.to_vec()).unwrap()
}

fn recv_n<M: yoton_channels::MessageType>(sub: &SubChannel<M>, n: usize) -> Vec<M::Message> {
    (0..n)
        .map(|_| sub.recv_timeout(DEADLINE).expect("a message in time"))
        .collect()
}

fn vectors() -> Value {
    let path = format!(
        "{}/../yoton-core/tests/data/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn reference_slot(name: &str) -> u64 {
    let v = vectors();
    let entry = v["slot_hash"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no vector for {name}"));
    entry["hash"].as_u64().unwrap()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    values: Vec<f64>,
    ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Other {
    sensor: String,
}

yoton_channels::type_name!(Reading = "reading", Other = "other");

// ---------------------------------------------------------------------------
// Slots

#[test]
fn slot_numbers_are_the_reference_hashes() {
    let ctx = context();
    let chat_pub = PubChannel::<String>::new(&ctx, "chat").unwrap();
    assert_eq!(
        chat_pub.slot_outgoing().slot().get(),
        reference_slot("chat.txt.pub-sub")
    );
    assert_eq!(
        chat_pub.slot_incoming().slot().get(),
        reference_slot("chat.txt.sub-pub")
    );
    let other = context();
    let chat_sub = SubChannel::<String>::new(&other, "chat").unwrap();
    assert_eq!(chat_sub.slot_incoming(), chat_pub.slot_outgoing());
    assert_eq!(chat_sub.slot_outgoing(), chat_pub.slot_incoming());
    let bin = PubChannel::<Vec<u8>>::new(&ctx, "chat").unwrap();
    assert_eq!(
        bin.slot_outgoing().slot().get(),
        reference_slot("chat.bin.pub-sub")
    );
    // Names are stripped and lower-cased before hashing, as the reference
    // does (the name itself is kept as given).
    let shouty = PubChannel::<String>::new(&other, "  CHAT").unwrap();
    assert_eq!(shouty.slot_outgoing().name(), "  CHAT.txt.pub-sub");
    assert_eq!(
        shouty.slot_outgoing().slot().get(),
        reference_slot("chat.txt.pub-sub")
    );
    // Patterns of the other channel kinds, as the reference builds them.
    assert_eq!(
        SlotName::new("status", "obj", "state").slot().get(),
        reference_slot("status.obj.state")
    );
    assert_eq!(
        SlotName::new("reqrep", "obj", "req-rep").slot().get(),
        reference_slot("reqrep.obj.req-rep")
    );
}

#[test]
fn the_recorded_session_slots_match() {
    let path = format!(
        "{}/../yoton-core/tests/data/transcript.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let t: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ctx = context();
    let chat = SubChannel::<String>::new(&ctx, "chat").unwrap();
    let status = StateChannel::<String>::new(&ctx, "status").unwrap();
    let mut seen = 0;
    for direction in ["A->B", "B->A"] {
        for p in t[direction].as_array().unwrap() {
            let Some(name) = p["slot_name"].as_str() else {
                continue;
            };
            let expected = match name {
                "chat.txt.pub-sub" => chat.slot_incoming().slot(),
                "chat.txt.sub-pub" => chat.slot_outgoing().slot(),
                "status.txt.state" => status.slot().slot(),
                _ => continue,
            };
            assert_eq!(p["slot"].as_u64().unwrap(), expected.get(), "{name}");
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} packages checked");
}

#[test]
fn a_taken_slot_is_an_error_naming_it() {
    let ctx = context();
    let _sub = SubChannel::<String>::new(&ctx, "taken").unwrap();
    let err = SubChannel::<String>::new(&ctx, "taken").unwrap_err();
    match &err {
        Error::SlotTaken { name, slot } => {
            assert_eq!(name, "taken.txt.sub-pub");
            assert_eq!(*slot, Slot::from_name("taken.txt.sub-pub"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("taken.txt.sub-pub"), "{err}");
    // A refused channel leaves nothing registered: the pub and state slots
    // are still free, and a pub and a sub of one name live side by side.
    let _pub = PubChannel::<String>::new(&ctx, "taken").unwrap();
    let _state = StateChannel::<String>::new(&ctx, "taken").unwrap();
    assert!(StateChannel::<String>::new(&ctx, "taken").is_err());
}

#[test]
fn a_failed_registration_leaves_the_other_slot_free() {
    let ctx = context();
    // Take only the incoming slot of a future sub channel.
    let _raw = listen(&ctx, SlotName::new("half", "txt", "pub-sub").slot());
    assert!(SubChannel::<String>::new(&ctx, "half").is_err());
    // Its outgoing slot (sub-pub) was released: a raw endpoint can take it.
    let (raw, _rx) = collect::Collect::deliveries();
    ctx.register_endpoint(
        Direction::Outgoing,
        SlotName::new("half", "txt", "sub-pub").slot(),
        "raw",
        raw,
    )
    .unwrap();
}

#[test]
fn dropping_a_channel_frees_its_slots() {
    let ctx = context();
    let sub = SubChannel::<String>::new(&ctx, "dropped").unwrap();
    drop(sub);
    let _again = SubChannel::<String>::new(&ctx, "dropped").unwrap();
}

// ---------------------------------------------------------------------------
// Every case that connects contexts, over each transport

mod inproc {
    use super::*;
    use yoton_core::Connection;

    const BIND_ADDRESS: &str = "inproc://";

    fn connect_address(bound: &Arc<dyn Connection>) -> String {
        format!("inproc://{}", bound.local_host())
    }

    include!("channels/connected.rs");

    #[test]
    fn state_received_from_others_is_re_sent_too() {
        // As in the reference, the last value is re-sent whether it was set
        // here or received.
        let (a, b) = pair();
        let on_a = StateChannel::<String>::new(&a, "relay").unwrap();
        let on_b = StateChannel::<String>::new(&b, "relay").unwrap();
        let on_a_changes = on_a.received().subscribe();
        on_b.send("from-b").unwrap();
        on_a_changes.recv_timeout(DEADLINE).unwrap();
        // A raw peer stands in for a new context: it announces itself with
        // NEW_CONNECTION and watches the state slot.
        let bound = a.bind("inproc://").unwrap();
        let id = yoton_core::ContextId::new(0x5eed).unwrap();
        let peer = yoton_inproc::RawPeer::connect(&bound.local_host(), id, DEADLINE).unwrap();
        let mut hello = yoton_core::Package::new(Slot::CONTEXT, yoton_core::NEW_CONNECTION);
        hello.source_id = id.get();
        hello.source_seq = 1;
        peer.send(hello).unwrap();
        let deadline = Instant::now() + DEADLINE;
        let mut sources = Vec::new();
        while sources.len() < 2 {
            assert!(Instant::now() < deadline, "state not re-sent");
            let Some(p) = peer.recv_timeout(DEADLINE) else {
                continue;
            };
            if p.slot == on_a.slot().slot() {
                assert_eq!(&p.data[..], b"from-b");
                sources.push(p.source_id);
            }
        }
        // Both re-sent: a's (received from b) and b's own, forwarded by a.
        sources.sort_unstable();
        let mut expected = vec![a.id().get(), b.id().get()];
        expected.sort_unstable();
        assert_eq!(sources, expected, "who re-sent the state");
    }
}

mod tcp {
    use super::*;
    use yoton_core::Connection;
    use yoton_tcp::TcpTransport;

    const BIND_ADDRESS: &str = "localhost:0";

    fn context() -> Context {
        let ctx = Context::new();
        ctx.register_transport(Arc::new(TcpTransport::new()));
        ctx
    }

    fn connect_address(bound: &Arc<dyn Connection>) -> String {
        format!("localhost:{}", bound.local_port())
    }

    include!("channels/connected.rs");
}
