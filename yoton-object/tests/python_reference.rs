//! Live against the Python reference (pyzo 4.22.0's yoton, found or made
//! by yoton-pyref): random values packed in Python decode here to what
//! Python printed and re-encode to the same bytes; values made here decode
//! in Python to what we print; bad and lenient inputs are judged alike.

use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde::Serialize;
use yoton_object::{Dict, Error, Object, from_bytes, to_bytes};
use yoton_pyref::PyPeer;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/object_peer.py");
const WAIT: Duration = Duration::from_secs(30);

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

fn peer() -> PyPeer {
    let mut peer = PyPeer::spawn(SCRIPT, &[], Duration::from_secs(120)).unwrap();
    peer.expect("READY", WAIT).unwrap();
    peer
}

/// What Python makes of `bytes`: `Ok((repr, repacked))` or `Err(exception)`.
fn python_decode(peer: &mut PyPeer, bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
    peer.send_line(&format!("DECODE {}", hex(bytes))).unwrap();
    let line = peer.next_line(WAIT).unwrap();
    let words: Vec<&str> = line.split(' ').collect();
    match words.as_slice() {
        ["DECODED", repr, repacked] => {
            Ok((String::from_utf8(unhex(repr)).unwrap(), unhex(repacked)))
        }
        ["FAILED", kind] => Err((*kind).to_owned()),
        _ => panic!("unexpected line from the Python peer: {line}"),
    }
}

#[test]
fn values_packed_in_python_decode_here() {
    let mut peer = peer();
    peer.send_line("GEN 20240607 400").unwrap();
    let mut seen = 0;
    loop {
        let line = peer.next_line(WAIT).unwrap();
        if line == "DONE" {
            break;
        }
        let words: Vec<&str> = line.split(' ').collect();
        let ["VALUE", packed, repr] = words.as_slice() else {
            panic!("unexpected line from the Python peer: {line}");
        };
        let packed = unhex(packed);
        let repr = String::from_utf8(unhex(repr)).unwrap();
        let direct = Object::from_bytes(&packed).unwrap();
        assert_eq!(direct.to_string(), repr);
        assert_eq!(direct.to_bytes().unwrap(), packed, "{repr}");
        let via_serde: Object = from_bytes(&packed).unwrap();
        assert_eq!(to_bytes(&via_serde).unwrap(), packed, "{repr}");
        seen += 1;
    }
    assert_eq!(seen, 400);
    peer.send_line("QUIT").unwrap();
}

/// Values whose strings Python's repr prints as ours does.
fn live_object() -> impl Strategy<Value = Object> {
    let text = || proptest::string::string_regex("[a-z '\"\\\\\n\t\u{1}é€😀中]{0,12}").unwrap();
    let key = proptest::prop_oneof![
        proptest::prelude::any::<i64>().prop_map(Object::Int),
        text().prop_map(Object::Str),
        (proptest::prelude::any::<bool>(), -1e3f64..1e3).prop_map(|(b, f)| Object::from((b, f))),
    ];
    let leaf = proptest::prop_oneof![
        proptest::strategy::Just(Object::None),
        proptest::prelude::any::<bool>().prop_map(Object::Bool),
        proptest::prelude::any::<i64>().prop_map(Object::Int),
        proptest::num::f64::ANY.prop_map(|f| Object::Float(if f.is_nan() { 0.25 } else { f })),
        text().prop_map(Object::Str),
        "y{250,260}".prop_map(Object::Str),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        proptest::prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Object::List),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Object::Tuple),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Object::Dict(pairs.into_iter().collect::<Dict>())),
        ]
    })
}

#[derive(Serialize)]
struct Startup {
    cwd: String,
    argv: Vec<String>,
    timeout: Option<f64>,
    version: (u8, u8, u8),
}

#[test]
fn values_encoded_here_decode_in_python() {
    let mut peer = peer();
    let mut runner = TestRunner::deterministic();
    let strategy = live_object();
    for _ in 0..300 {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        let bytes = value.to_bytes().unwrap();
        let (repr, repacked) = python_decode(&mut peer, &bytes).unwrap();
        assert_eq!(repr, value.to_string());
        assert_eq!(repacked, bytes, "{value}");
    }

    let startup = Startup {
        cwd: "/home/me".into(),
        argv: vec!["-c".into(), "print(1)".into()],
        timeout: None,
        version: (4, 22, 0),
    };
    let (repr, repacked) = python_decode(&mut peer, &to_bytes(&startup).unwrap()).unwrap();
    assert_eq!(
        repr,
        "{'cwd': '/home/me', 'argv': ['-c', 'print(1)'], 'timeout': None, 'version': (4, 22, 0)}"
    );
    assert_eq!(repacked, to_bytes(&startup).unwrap());
    peer.send_line("QUIT").unwrap();
}

#[test]
fn bad_and_lenient_input_is_judged_as_by_python() {
    let mut peer = peer();
    let mut huge_count = b"d\xff".to_vec();
    huge_count.extend_from_slice(&(1u64 << 62).to_le_bytes());
    let mut long_form = b"t\xff".to_vec();
    long_form.extend_from_slice(&1u64.to_le_bytes());
    long_form.push(b'n');
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("trailing bytes", b"i\x05\0\0\0\0\0\0\0rest".to_vec()),
        ("bool byte 2", b"b\x02".to_vec()),
        ("long-form count", long_form),
        (
            "repeated keys",
            b"d\x03i\x01\0\0\0\0\0\0\0s\x01ab\x01s\x01bf\0\0\0\0\0\0\xf0?n".to_vec(),
        ),
        ("truncated float", b"f\0\0".to_vec()),
        ("huge count", huge_count),
        ("string past the end", b"s\x09abc".to_vec()),
        // (A count larger than the data is refused before its items are
        // read, where Python would first stumble on what follows: both
        // fail, on different grounds. The cases here keep counts honest.)
        ("unknown tag", b"l\x02nx".to_vec()),
        ("invalid UTF-8", b"s\x03a\xc3(".to_vec()),
        ("list key", b"d\x01l\x00n".to_vec()),
        ("dict key", b"d\x01d\x00n".to_vec()),
        (
            "tuple holding a list as a key",
            b"d\x01t\x01l\x00n".to_vec(),
        ),
    ];
    for (what, bytes) in cases {
        let ours = Object::from_bytes(&bytes);
        match (python_decode(&mut peer, &bytes), ours) {
            (Ok((repr, _)), Ok(value)) => assert_eq!(value.to_string(), repr, "{what}"),
            (Err(kind), Err(error)) => {
                let same = match kind.as_str() {
                    "EOFError" => {
                        matches!(error, Error::Truncated { .. } | Error::CountTooLarge { .. })
                    }
                    "ValueError" => matches!(error, Error::UnknownTag { .. }),
                    "UnicodeDecodeError" => matches!(error, Error::InvalidUtf8 { .. }),
                    "TypeError" => matches!(error, Error::UnhashableKey { .. }),
                    _ => false,
                };
                assert!(same, "{what}: Python raised {kind}, we said {error:?}");
            }
            (python, ours) => panic!("{what}: Python gave {python:?}, we gave {ours:?}"),
        }
    }
    peer.send_line("QUIT").unwrap();
}
