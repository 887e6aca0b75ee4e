//! Helpers shared by the TCP test files.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use yoton_core::{Context, Direction, Slot};
use yoton_tcp::TcpTransport;
use yoton_testkit::collect::Collect;

/// A generous bound for anything that should happen at once.
pub const SOON: Duration = Duration::from_secs(20);

/// A context with the TCP transport.
pub fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

/// The slot a reference pub channel named `name` sends on.
pub fn pub_slot(name: &str, kind: &str) -> Slot {
    Slot::from_name(&format!("{name}.{kind}.pub-sub").to_lowercase())
}

/// Subscribes `ctx` to what pub channels named `name` send: the smallest
/// text subscriber the context allows.
pub fn subscribe(ctx: &Context, name: &str, kind: &str) -> Receiver<Vec<u8>> {
    let (inbox, rx) = Collect::with_map(|d| d.package.data.to_vec());
    ctx.register_endpoint(Direction::Incoming, pub_slot(name, kind), name, inbox)
        .unwrap();
    rx
}

/// The close package as the reference lays it out (`vectors.json`).
pub fn close_wire() -> Vec<u8> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../yoton-core/tests/data/vectors.json"
    ))
    .unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    hex::decode(vectors["close_wire_hex"].as_str().unwrap()).unwrap()
}
