//! Channel names as the reference treats them: the full slot name
//! (`base.type.pattern`) is stripped of surrounding white space and
//! lower-cased (Python's `strip().lower()`) before it is hashed. Checked at
//! channel level, slot for slot against the reference's own functions,
//! and end to end with a Python peer.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use yoton_channels::{PubChannel, SlotName, SubChannel};
use yoton_core::Context;
use yoton_inproc::InprocTransport;
use yoton_pyref::{MESH_SCRIPT, PyPeer};
use yoton_tcp::TcpTransport;

const SOON: Duration = Duration::from_secs(20);

/// Names that differ only in case and surrounding white space, with
/// letters outside ASCII.
const SAME: [&str; 4] = [
    "Ünïcödé Chat ΑΣ",
    "  ünïcödé chat ασ",
    "\u{3000}ÜNÏCÖDÉ CHAT ΑΣ",
    "\t\u{a0}Ünïcödé CHAT Ασ",
];

/// Names whose normalized forms are worth comparing with the reference:
/// special lower-casings (final sigma, dotted I, sharp s), scripts without
/// case, and Unicode white space at the ends.
const TRICKY: [&str; 16] = [
    "Chat",
    "  Chat",
    "CHAT\u{2003}",
    "ΟΔΟΣ",
    "ΑΣ",
    "İstanbul",
    "Straße",
    "ẞig",
    "日本語",
    "emoji \u{1f600}",
    "\u{3000}wide",
    "\u{85}next line",
    "\u{a0}no break",
    "\u{200b}zero width",
    "\u{1f}unit separator",
    "\u{1c}file separator",
];

#[test]
fn names_that_differ_in_case_and_outer_space_meet_at_channel_level() {
    let (a, b) = (Context::new(), Context::new());
    for ctx in [&a, &b] {
        ctx.register_transport(Arc::new(InprocTransport::new()));
    }
    let bound = a.bind("inproc://").unwrap();
    b.connect(&format!("inproc://{}", bound.local_host()))
        .unwrap();
    bound.wait_connected(SOON).unwrap();
    let subs: Vec<SubChannel<String>> = SAME
        .iter()
        .map(|name| {
            let ctx = Context::new();
            ctx.register_transport(Arc::new(InprocTransport::new()));
            let link = b.bind("inproc://").unwrap();
            ctx.connect(&format!("inproc://{}", link.local_host()))
                .unwrap();
            link.wait_connected(SOON).unwrap();
            SubChannel::new(&ctx, name).unwrap()
        })
        .collect();
    let out = PubChannel::<String>::new(&a, SAME[0]).unwrap();
    for sub in &subs {
        assert_eq!(sub.slot_incoming().slot(), out.slot_outgoing().slot());
    }
    // The name as given is kept for display.
    assert!(
        subs[1]
            .slot_incoming()
            .name()
            .starts_with("  ünïcödé chat ασ.")
    );
    out.send("to every spelling").unwrap();
    for (sub, name) in subs.iter().zip(SAME) {
        assert_eq!(
            sub.recv_timeout(SOON).unwrap(),
            "to every spelling",
            "{name:?}"
        );
    }
}

/// The reference's slot number for each full name, from its own
/// `strip().lower()` and `slot_hash`.
fn reference_slots(full_names: &[String]) -> Vec<u64> {
    let script = r#"
import importlib.util, json, sys
spec = importlib.util.find_spec("pyzo")
sys.path.insert(0, list(spec.submodule_search_locations)[0])
from yoton.misc import slot_hash
for name in json.loads(sys.argv[1]):
    print(slot_hash(name.strip().lower()))
"#;
    let python = yoton_pyref::python().unwrap();
    let names = serde_json::to_string(full_names).unwrap();
    let output = Command::new(python)
        .args(["-c", script, &names])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn slot_numbers_of_unicode_names_are_the_references() {
    let names: Vec<&str> = SAME.iter().chain(TRICKY.iter()).copied().collect();
    let ours: Vec<SlotName> = names
        .iter()
        .map(|n| SlotName::new(n, "txt", "pub-sub"))
        .collect();
    let full: Vec<String> = ours.iter().map(|s| s.name().to_owned()).collect();
    let theirs = reference_slots(&full);
    assert_eq!(theirs.len(), names.len());
    for ((name, slot), reference) in names.iter().zip(&ours).zip(theirs) {
        assert_eq!(slot.slot().get(), reference, "{name:?}");
    }
}

#[test]
fn a_python_peer_meets_a_differently_spelled_name() {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    let sub = SubChannel::<String>::new(&ctx, SAME[1]).unwrap();
    let out = PubChannel::<String>::new(&ctx, SAME[2]).unwrap();
    let mut python = PyPeer::spawn(
        MESH_SCRIPT,
        &["--bind", "1", "--channel", SAME[3]],
        Duration::from_secs(60),
    )
    .unwrap();
    python.expect("ID", SOON).unwrap();
    let port = python.expect("BOUND", SOON).unwrap().remove(0);
    ctx.connect(&format!("localhost:{port}")).unwrap();
    python.expect("HOSTING", SOON).unwrap();
    python.send_line("send from Python: ünï ΑΣ").unwrap();
    python.expect("SENT", SOON).unwrap();
    assert_eq!(sub.recv_timeout(SOON).unwrap(), "from Python: ünï ΑΣ");
    out.send("from Rust: ünï ΑΣ").unwrap();
    assert_eq!(
        python.expect_text("RECV", SOON).unwrap(),
        "from Rust: ünï ΑΣ"
    );
}
