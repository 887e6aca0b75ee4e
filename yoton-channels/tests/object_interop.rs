//! OBJECT channels against the Python reference (yoton from
//! `pyzo==4.22.0`) over TCP, both ways round: pub/sub and state channels
//! with every kind of value (compared exactly: Python's `repr` against our
//! `Display`, and the packed bytes), the `stat-startup` handshake of Pyzo's
//! kernel from a typed Rust state channel and back into a Rust struct, and
//! Python values that do not fit a typed channel, which are counted.
//!
//! The Python side is `tests/python/object_channels_peer.py`, run by
//! `yoton-pyref`; it connects, as Pyzo's kernel does, to the Rust side,
//! which binds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use yoton_channels::{Dict, Obj, Object, PubChannel, StateChannel, SubChannel};
use yoton_core::Context;
use yoton_pyref::PyPeer;
use yoton_tcp::TcpTransport;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/python/object_channels_peer.py"
);

/// A generous bound for anything that should happen at once.
const SOON: Duration = Duration::from_secs(20);

/// How long a Python peer may live.
const PEER_LIFE: Duration = Duration::from_secs(90);

fn context() -> Context {
    let ctx = Context::new();
    ctx.register_transport(Arc::new(TcpTransport::new()));
    ctx
}

fn hex(data: &[u8]) -> String {
    hex::encode(data)
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("not hex ({e}): {s}"))
}

fn unhex_text(s: &str) -> String {
    String::from_utf8(unhex(s)).unwrap()
}

/// Binds `ctx` and lets a Python peer connect to it (make the channels
/// first).
fn python_connects(ctx: &Context) -> PyPeer {
    let bound = ctx.bind("localhost:0").unwrap();
    let address = format!("localhost:{}", bound.local_port());
    let mut peer = PyPeer::spawn(SCRIPT, &["--address", &address], PEER_LIFE).unwrap();
    peer.expect("CONNECTED", SOON).unwrap();
    let deadline = Instant::now() + SOON;
    while !bound.is_connected() {
        assert!(Instant::now() < deadline, "Python did not connect");
        std::thread::yield_now();
    }
    peer
}

fn int(i: i64) -> Object {
    Object::Int(i)
}

fn list(items: Vec<Object>) -> Object {
    Object::List(items)
}

fn tuple(items: Vec<Object>) -> Object {
    Object::Tuple(items)
}

fn dict(pairs: Vec<(Object, Object)>) -> Object {
    let mut d = Dict::new();
    for (k, v) in pairs {
        d.insert(k, v);
    }
    Object::Dict(d)
}

/// `SAMPLES` of the Python script, built here on our own.
fn samples() -> Vec<Object> {
    vec![
        Object::None,
        Object::Bool(true),
        Object::Bool(false),
        int(0),
        int(1),
        int(-1),
        int(i64::MAX),
        int(i64::MIN),
        int(255),
        int(-129),
        Object::Float(0.0),
        Object::Float(-0.0),
        Object::Float(1.5),
        Object::Float(-2.25),
        Object::Float(f64::INFINITY),
        Object::Float(f64::NEG_INFINITY),
        Object::Float(f64::NAN),
        Object::Float(1e300),
        Object::Float(5e-324),
        Object::Float(0.1),
        "".into(),
        "a".into(),
        "h\u{e9}llo \u{20ac}uro \u{1f600} \u{4e2d}".into(),
        "'quoted' \"double\" \\ \n\t\u{1}".into(),
        "x".repeat(300).into(),
        "\u{e9}".repeat(300).into(),
        list(vec![]),
        tuple(vec![]),
        dict(vec![]),
        list(vec![
            int(1),
            "two".into(),
            Object::Float(3.0),
            Object::None,
            Object::Bool(true),
        ]),
        tuple(vec![int(1)]),
        tuple(vec![
            int(1),
            tuple(vec![int(2), tuple(vec![int(3), tuple(vec![])])]),
        ]),
        dict(vec![
            ("a".into(), int(1)),
            (int(2), "b".into()),
            (tuple(vec![int(3), "c".into()]), list(vec![int(4), int(5)])),
            (
                "nested".into(),
                dict(vec![("k".into(), tuple(vec![Object::None, list(vec![])]))]),
            ),
        ]),
        list(vec![
            list(vec![]),
            list(vec![list(vec![])]),
            dict(vec![]),
            tuple(vec![]),
        ]),
        dict(vec![
            (tuple(vec![]), tuple(vec![])),
            (tuple(vec![int(1), tuple(vec![int(2)])]), dict(vec![])),
            (int(-7), "minus seven".into()),
        ]),
        list((0..300).map(int).collect()),
    ]
}

/// The index of a sample in `samples()`.
fn sample_index(wanted: &Object) -> usize {
    let bytes = wanted.to_bytes().unwrap();
    samples()
        .iter()
        .position(|s| s.to_bytes().unwrap() == bytes)
        .unwrap()
}

/// The same value, bit for bit: the packed bytes tell -0.0 from 0.0, a
/// NaN from anything, 1 from 1.0 and True, a tuple from a list, and keep a
/// dict's order.
fn assert_exactly(got: &Object, expected: &Object, what: &str) {
    assert_eq!(got.to_string(), expected.to_string(), "{what}");
    assert_eq!(
        hex(&got.to_bytes().unwrap()),
        hex(&expected.to_bytes().unwrap()),
        "{what}"
    );
}

// ---------------------------------------------------------------------------
// Pub/sub

#[test]
fn rust_objects_reach_a_python_sub_channel_exactly() {
    let ctx = context();
    let out = PubChannel::<Object>::new(&ctx, "obj-rs").unwrap();
    let mut peer = python_connects(&ctx);
    let samples = samples();
    for s in &samples {
        out.send(s).unwrap();
    }
    peer.send_line(&format!("recvsamples {}", samples.len()))
        .unwrap();
    for (i, s) in samples.iter().enumerate() {
        let words = peer.expect("GOT", SOON).unwrap();
        assert_eq!(words[0], i.to_string());
        // Python's repr of what it decoded is our Display of what we sent,
        // it re-packs it into our bytes, and it is Python's own sample.
        assert_eq!(unhex_text(&words[1]), s.to_string(), "sample {i}");
        assert_eq!(words[2], hex(&s.to_bytes().unwrap()), "sample {i}");
        assert_eq!(words[3], "1", "sample {i} is not Python's: {s}");
    }
    peer.expect("RECEIVED", SOON).unwrap();
}

#[test]
fn python_objects_reach_a_rust_sub_channel_exactly() {
    let ctx = context();
    let sub = SubChannel::<Object>::new(&ctx, "obj-py").unwrap();
    let mut peer = python_connects(&ctx);
    peer.send_line("sendsamples").unwrap();
    let samples = samples();
    let mut python = Vec::new();
    for i in 0..samples.len() {
        let words = peer.expect("SAMPLE", SOON).unwrap();
        assert_eq!(words[0], i.to_string());
        python.push((unhex_text(&words[1]), words[2].clone()));
    }
    assert_eq!(
        peer.expect("SENT", SOON).unwrap(),
        [samples.len().to_string()]
    );
    for (i, (repr, packed)) in python.iter().enumerate() {
        let got = sub.recv_timeout(SOON).expect("a sample in time");
        assert_eq!(&got.to_string(), repr, "sample {i}");
        assert_eq!(&hex(&got.to_bytes().unwrap()), packed, "sample {i}");
        assert_exactly(&got, &samples[i], &format!("sample {i}"));
    }
    assert_eq!(sub.decode_errors(), 0);
    assert_eq!(sub.pending(), 0);
}

// ---------------------------------------------------------------------------
// State

#[test]
fn object_state_goes_both_ways() {
    let ctx = context();
    let state = StateChannel::<Object>::new(&ctx, "obj-state").unwrap();
    let mut peer = python_connects(&ctx);
    let samples = samples();

    // Ours, seen by Python: a nested dict, then a long str.
    for value in [&samples[32], &samples[25]] {
        state.send(value).unwrap();
        let line = format!("waitstate obj-state {}", hex(value.to_string().as_bytes()));
        peer.send_line(&line).unwrap();
        let words = peer.expect("STATE", SOON).unwrap();
        assert_eq!(words[0], "obj-state");
        assert_eq!(unhex_text(&words[1]), value.to_string());
        assert_eq!(words[2], hex(&value.to_bytes().unwrap()));
    }

    // Python's, seen here: a dict with tuple keys, then -0.0 (which a
    // state that compared as Python does would not tell from 0.0).
    for index in [34, 11] {
        peer.send_line(&format!("setstate obj-state {index}"))
            .unwrap();
        let words = peer.expect("SETSTATE", SOON).unwrap();
        let packed = unhex(&words[2]);
        let got = state
            .wait_for(|v| v.to_bytes().is_ok_and(|b| b == packed), SOON)
            .expect("Python's state in time");
        assert_eq!(got.to_string(), unhex_text(&words[1]));
        assert_exactly(&got, &samples[index], &format!("sample {index}"));
        assert_eq!(sample_index(&got), index);
    }
    assert_eq!(state.decode_errors(), 0);
}

/// The startup dict of Pyzo's IDE (PYZO_KERNEL.md), as a Rust struct: the
/// keys the kernel reads, all str; and what the kernel adds to it when it
/// sends it back (absent from ours, so not sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Startup {
    name: String,
    exe: String,
    gui: String,
    python_path: String,
    project_path: String,
    script_file: String,
    start_dir: String,
    startup_script: String,
    argv: String,
    environ: String,
    ipython: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    builtins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<(i64, i64, i64, String, i64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keywords: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    softkeywords: Option<Vec<String>>,
}

#[test]
fn the_kernel_startup_state_goes_from_a_typed_rust_state_and_comes_back_typed() {
    let ctx = context();
    let startup = StateChannel::<Obj<Startup>>::new(&ctx, "stat-startup").unwrap();
    assert_eq!(startup.slot().name(), "stat-startup.obj.state");
    let sent = Startup {
        name: "Python".into(),
        exe: "/usr/bin/python3".into(),
        gui: "none".into(),
        python_path: String::new(),
        project_path: String::new(),
        script_file: String::new(),
        start_dir: "/tmp/pr\u{f6}ject \u{20ac}".into(),
        startup_script: String::new(),
        argv: String::new(),
        environ: String::new(),
        ipython: "no".into(),
        builtins: None,
        version: None,
        keywords: None,
        softkeywords: None,
    };
    // As Pyzo: the state is set before the kernel connects, and reaches it
    // when it does.
    startup.send(&sent).unwrap();
    let mut peer = python_connects(&ctx);
    peer.send_line("kernelstartup").unwrap();

    // Python received a dict of str values, keys in our field order.
    let repr = unhex_text(&peer.expect("STARTUP", SOON).unwrap()[0]);
    assert_eq!(
        repr,
        "{'name': 'Python', 'exe': '/usr/bin/python3', 'gui': 'none', 'pythonPath': '', \
         'projectPath': '', 'scriptFile': '', 'startDir': '/tmp/pr\u{f6}ject \u{20ac}', \
         'startupScript': '', 'argv': '', 'environ': '', 'ipython': 'no'}"
    );
    assert_eq!(
        peer.expect("REQUIRED", SOON).unwrap(),
        [
            "scriptFile=str",
            "projectPath=str",
            "startDir=str",
            "startupScript=str",
            "gui=str"
        ]
    );

    // The kernel's dict comes back into the same struct, with its extras.
    let kernel = peer.expect("KERNEL", SOON).unwrap();
    let back = startup
        .wait_for(|s| s.version.is_some(), SOON)
        .expect("the kernel's startup state in time");
    let (major, minor, micro, level, serial) = back.version.clone().unwrap();
    assert_eq!(
        format!("({major}, {minor}, {micro}, '{level}', {serial})"),
        unhex_text(&kernel[0])
    );
    let builtins = back.builtins.clone().unwrap();
    assert_eq!(builtins.len().to_string(), kernel[1]);
    assert!(builtins.iter().any(|b| b == "print"), "{builtins:?}");
    assert_eq!(
        back.keywords.clone().unwrap().join(" "),
        unhex_text(&kernel[2])
    );
    assert_eq!(
        back.softkeywords.clone().unwrap().join(" "),
        unhex_text(&kernel[3])
    );
    assert!(
        back.keywords
            .as_ref()
            .unwrap()
            .iter()
            .any(|k| k == "lambda")
    );
    let mut plain = back.clone();
    plain.builtins = None;
    plain.version = None;
    plain.keywords = None;
    plain.softkeywords = None;
    assert_eq!(plain, sent);
    assert_eq!(startup.decode_errors(), 0);
}

// ---------------------------------------------------------------------------
// Values that do not fit

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[test]
fn python_values_that_do_not_fit_obj_t_are_counted_not_fatal() {
    let ctx = context();
    let sub = SubChannel::<Obj<Point>>::new(&ctx, "obj-typed").unwrap();
    let state = StateChannel::<Obj<Point>>::new(&ctx, "obj-typed-state").unwrap();
    let mut peer = python_connects(&ctx);

    // A str, a dict with a str for an int, a dict without `y`, and an int
    // beyond i32; then one that fits.
    peer.send_line("sendtyped").unwrap();
    assert_eq!(peer.expect("OK", SOON).unwrap(), ["sendtyped"]);
    let got = sub.recv_timeout(SOON).expect("the fitting value in time");
    assert_eq!(got, Point { x: 3, y: -4 });
    assert_eq!(sub.decode_errors(), 4);
    assert_eq!(sub.pending(), 0);

    // A state that does not fit is skipped: the channel keeps to what fits.
    peer.send_line("settypedstate").unwrap();
    assert_eq!(peer.expect("OK", SOON).unwrap(), ["settypedstate"]);
    let got = state
        .wait_for(|p| *p == Point { x: 5, y: 6 }, SOON)
        .expect("the fitting state in time");
    assert_eq!(got, Point { x: 5, y: 6 });
    assert_eq!(state.decode_errors(), 1);
    assert_eq!(state.get(), Some(Point { x: 5, y: 6 }));
}
