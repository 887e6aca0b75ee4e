//! Every value computed with the Python reference, checked against this
//! crate: hashes, addresses, package bytes and handshake lines, plus the
//! bytes of a recorded session between two Python contexts.

use serde_json::Value;
use yoton_core::address::Address;
use yoton_core::decoder::Decoder;
use yoton_core::handshake::{HandshakeLine, LineReader};
use yoton_core::hash::{port_hash, slot_hash};
use yoton_core::package::{CONTROL, Package, PackageKind, Slot};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn vectors() -> Value {
    load("vectors.json")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    let items = v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list"));
    assert!(!items.is_empty(), "{key} is empty");
    items
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("not hex ({e}): {s}"))
}

fn decode_all(wire: &[u8]) -> Vec<Package> {
    let mut decoder = Decoder::new();
    decoder.feed(wire);
    let mut out = Vec::new();
    while let Some(p) = decoder.next_package().unwrap() {
        out.push(p);
    }
    assert!(!decoder.is_mid_package(), "bytes left over");
    out
}

fn decode_one(wire: &[u8]) -> Package {
    let mut all = decode_all(wire);
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[test]
fn control_word() {
    let v = vectors();
    assert_eq!(CONTROL, u64_of(&v["control_bytes_u64"]));
    assert_eq!(
        CONTROL.to_le_bytes(),
        v["control_bytes_ascii"].as_str().unwrap().as_bytes()
    );
}

#[test]
fn slot_hashes() {
    let v = vectors();
    for item in list(&v, "slot_hash") {
        let name = item["name"].as_str().unwrap();
        let expected = u64_of(&item["hash"]);
        assert_eq!(slot_hash(name), expected, "slot_hash of {name:?}");
        assert_eq!(Slot::from_name(name).get(), expected);
    }
}

#[test]
fn port_hashes() {
    let v = vectors();
    for item in list(&v, "port_hash") {
        let name = item["name"].as_str().unwrap();
        let expected = u64_of(&item["port"]);
        assert_eq!(
            u64::from(port_hash(name)),
            expected,
            "port_hash of {name:?}"
        );
    }
}

#[test]
fn split_address() {
    let v = vectors();
    for item in list(&v, "split_address") {
        let text = item["address"].as_str().unwrap();
        let a = Address::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(a.protocol(), item["protocol"].as_str().unwrap(), "{text:?}");
        assert_eq!(a.host(), item["host"].as_str().unwrap(), "{text:?}");
        assert_eq!(u64::from(a.port()), u64_of(&item["port"]), "{text:?}");
        // Display gives an address that parses back to the same thing.
        assert_eq!(Address::parse(&a.to_string()), Ok(a));
    }
}

#[test]
fn split_address_errors() {
    let v = vectors();
    for item in list(&v, "split_address_errors") {
        let text = item.as_str().unwrap();
        let err = Address::parse(text).expect_err(text);
        assert!(err.to_string().contains(text), "{err} should name {text:?}");
    }
}

#[test]
fn packages_encode_and_decode() {
    let v = vectors();
    for item in list(&v, "packages") {
        let package = Package {
            slot: Slot::new(u64_of(&item["slot"])),
            source_id: u64_of(&item["source_id"]),
            source_seq: u64_of(&item["source_seq"]),
            dest_id: u64_of(&item["dest_id"]),
            dest_seq: u64_of(&item["dest_seq"]),
            data: unhex(item["data_hex"].as_str().unwrap()).into(),
        };
        let wire = unhex(item["wire_hex"].as_str().unwrap());
        assert_eq!(package.to_bytes(), wire);
        assert_eq!(package.encoded_len(), wire.len());
        assert_eq!(decode_one(&wire), package);
    }
}

#[test]
fn heartbeat_and_close() {
    let v = vectors();
    let heartbeat = unhex(v["heartbeat_wire_hex"].as_str().unwrap());
    assert_eq!(Package::heartbeat().to_bytes(), heartbeat);
    let decoded = decode_one(&heartbeat);
    assert_eq!(decoded, Package::heartbeat());
    assert_eq!(decoded.kind(), PackageKind::Heartbeat);

    let close = unhex(v["close_wire_hex"].as_str().unwrap());
    assert_eq!(Package::close_notice().to_bytes(), close);
    let decoded = decode_one(&close);
    assert_eq!(decoded, Package::close_notice());
    assert_eq!(decoded.kind(), PackageKind::Close);
}

#[test]
fn handshake_example() {
    let v = vectors();
    let text = v["handshake_example"].as_str().unwrap();
    let line = HandshakeLine::parse(text.as_bytes()).unwrap();
    assert_eq!(line.id.get(), 0x0123_4567_89ab_cdef);
    assert_eq!(line.pid, 4242);
    assert_eq!(line.encode(), text);
}

#[test]
fn every_vector_is_covered() {
    let v = vectors();
    let known = [
        "about",
        "control_bytes_u64",
        "control_bytes_ascii",
        "slot_hash",
        "port_hash",
        "split_address",
        "split_address_errors",
        "packages",
        "heartbeat_wire_hex",
        "close_wire_hex",
        "handshake_example",
    ];
    for key in v.as_object().unwrap().keys() {
        assert!(
            known.contains(&key.as_str()),
            "vector {key:?} is not tested"
        );
    }
}

#[test]
fn transcript_packages_decode() {
    let t = load("transcript.json");
    let ids = &t["context_ids"];
    for (direction, sender) in [("B->A", "B"), ("A->B", "A")] {
        let sender_id = u64::from_str_radix(ids[sender].as_str().unwrap(), 16).unwrap();
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for item in list(&t, direction) {
            if let Some(line) = item.get("handshake_line") {
                let line = line.as_str().unwrap();
                let parsed = HandshakeLine::parse(line.as_bytes()).unwrap();
                assert_eq!(parsed.id.get(), sender_id);
                assert_eq!(parsed.encode(), line);
                stream.extend_from_slice(line.as_bytes());
                continue;
            }
            let wire = unhex(item["wire_hex"].as_str().unwrap());
            let p = decode_one(&wire);
            assert_eq!(p.slot.get(), u64_of(&item["slot"]));
            let source_id = u64::from_str_radix(item["source_id"].as_str().unwrap(), 16).unwrap();
            assert_eq!(p.source_id, source_id);
            assert_eq!(p.source_id, sender_id);
            assert_eq!(p.source_seq, u64_of(&item["source_seq"]));
            assert_eq!(p.dest_id, u64_of(&item["dest_id"]));
            assert_eq!(p.dest_seq, u64_of(&item["dest_seq"]));
            assert_eq!(p.data, item["data"].as_str().unwrap().as_bytes());
            assert_eq!(p.kind(), PackageKind::Data);
            assert_eq!(p.to_bytes(), wire);
            let slot_name = item["slot_name"].as_str().unwrap();
            if !slot_name.starts_with('(') {
                assert_eq!(p.slot, Slot::from_name(slot_name));
            }
            stream.extend_from_slice(&wire);
            expected.push(p);
        }

        // The whole direction as one stream: the line, then the packages,
        // as a transport receives them.
        let mut reader = LineReader::new();
        let line = reader.feed(&stream).unwrap().unwrap();
        assert!(HandshakeLine::parse(&line).is_ok());
        assert_eq!(decode_all(&reader.take_rest()), expected);
    }
}
