//! The reference's own bytes (tests/data/object_vectors.json, made with
//! pyzo 4.22.0): every value decodes to what Python printed, encodes back to
//! the same bytes on both the direct and the serde path, and every bad
//! input the reference refuses is refused here too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yoton_object::{Dict, Error, Object, from_bytes, to_bytes};

fn vectors() -> Value {
    let text = include_str!("data/object_vectors.json");
    serde_json::from_str(text).unwrap()
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("bad hex {text}: {e}"))
}

fn hex_of(v: &Value, key: &str) -> Vec<u8> {
    unhex(v[key].as_str().unwrap())
}

#[test]
fn every_encoding_decodes_to_the_python_value_and_back_to_its_bytes() {
    let vectors = vectors();
    let cases = vectors["object_encode"].as_array().unwrap();
    assert_eq!(cases.len(), 30);
    for case in cases {
        let bytes = hex_of(case, "hex");
        let repr = case["repr"].as_str().unwrap();
        let direct = Object::from_bytes(&bytes).unwrap();
        assert_eq!(direct.to_string(), repr, "{}", case["python"]);
        assert_eq!(format!("{direct:?}"), repr);
        assert_eq!(direct.to_bytes().unwrap(), bytes, "{}", case["python"]);

        let via_serde: Object = from_bytes(&bytes).unwrap();
        assert_eq!(via_serde.to_string(), repr, "serde: {}", case["python"]);
        assert_eq!(
            to_bytes(&via_serde).unwrap(),
            bytes,
            "serde: {}",
            case["python"]
        );
    }
}

#[test]
fn nan_encodes_as_the_reference_does() {
    let nan = hex_of(&vectors(), "object_nan_hex");
    assert_eq!(Object::Float(f64::NAN).to_bytes().unwrap(), nan);
    assert_eq!(to_bytes(&f64::NAN).unwrap(), nan);
    let back = Object::from_bytes(&nan).unwrap();
    assert!(back.as_f64().unwrap().is_nan());
    assert_eq!(back.to_string(), "nan");
}

fn check_error_kind(python: &str, error: &Error, note: &str) {
    let ok = match python {
        "EOFError" => matches!(error, Error::Truncated { .. } | Error::CountTooLarge { .. }),
        "ValueError" => matches!(error, Error::UnknownTag { .. }),
        "TypeError" => matches!(error, Error::UnhashableKey { .. }),
        "UnicodeDecodeError" => matches!(error, Error::InvalidUtf8 { .. }),
        other => panic!("unexpected reference error {other}"),
    };
    assert!(
        ok,
        "{note}: the reference raised {python}, we said {error:?}"
    );
}

#[test]
fn decoder_cases_are_accepted_and_refused_as_by_the_reference() {
    let vectors = vectors();
    let cases = vectors["object_decode"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let bytes = hex_of(case, "hex");
        let note = case["note"].as_str().unwrap();
        let direct = Object::from_bytes(&bytes);
        let via_serde = from_bytes::<Object>(&bytes);
        match case["reference"].as_str().unwrap() {
            "ok" => {
                let value = case["value"].as_str().unwrap();
                assert_eq!(direct.unwrap().to_string(), value, "{note}");
                assert_eq!(via_serde.unwrap().to_string(), value, "serde: {note}");
            }
            "error" => {
                let python = case["error"].as_str().unwrap();
                check_error_kind(python, &direct.unwrap_err(), note);
                check_error_kind(python, &via_serde.unwrap_err(), note);
            }
            other => panic!("unexpected case kind {other}"),
        }
    }
}

#[test]
fn the_signature_call_of_a_real_kernel_decodes_typed() {
    let vectors = vectors();
    let packages = vectors["reqrep_signature_call"].as_array().unwrap();
    let request = hex_of(&packages[2], "data_hex");
    let reply = hex_of(&packages[4], "data_hex");

    // Built in Rust, the request is the IDE's bytes.
    let built = Object::from(("signature", ("f",), Dict::new()));
    assert_eq!(built.to_bytes().unwrap(), request);
    let typed = ("signature", ("f",), BTreeMap::<String, Object>::new());
    assert_eq!(to_bytes(&typed).unwrap(), request);

    let (name, args, kwargs): (&str, Vec<Object>, BTreeMap<String, Object>) =
        from_bytes(&request).unwrap();
    assert_eq!(name, "signature");
    assert_eq!(args, vec![Object::from("f")]);
    assert!(kwargs.is_empty());
    assert_eq!(from_bytes::<String>(&reply).unwrap(), "f(n)");

    let error = hex_of(&vectors, "reqrep_error_reply_hex");
    let (marker, message): (String, String) = from_bytes(&error).unwrap();
    assert_eq!(marker, "yoton_ERROR_HANDLING_REQUEST");
    assert_eq!(message, "deliberate failure (1,)\n");
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct CodeBlock {
    source: String,
    fname: String,
    lineno: u32,
}

#[test]
fn a_rust_struct_is_the_python_dict() {
    // {'source': 'x', 'fname': '<f>', 'lineno': 0} from the reference.
    let bytes = unhex(
        "64037306736f757263657301787305666e616d6573033c663e73066c696e656e6f690000000000000000",
    );
    let block = CodeBlock {
        source: "x".into(),
        fname: "<f>".into(),
        lineno: 0,
    };
    assert_eq!(to_bytes(&block).unwrap(), bytes);
    assert_eq!(from_bytes::<CodeBlock>(&bytes).unwrap(), block);
}

#[test]
fn mixed_keys_build_as_the_reference_encodes_them() {
    // {1: 'x', 'k': (True, 2.5)} and {(1, 2): [None]} from the reference.
    let mut dict = Dict::new();
    dict.insert(1, "x");
    dict.insert("k", (true, 2.5));
    assert_eq!(
        Object::from(dict).to_bytes().unwrap(),
        unhex("640269010000000000000073017873016b74026201660000000000000440")
    );
    let dict: Dict = [(Object::from((1, 2)), Object::from(vec![Object::None]))]
        .into_iter()
        .collect();
    assert_eq!(
        Object::from(dict).to_bytes().unwrap(),
        unhex("640174026901000000000000006902000000000000006c016e")
    );
}
