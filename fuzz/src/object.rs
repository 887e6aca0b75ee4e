//! The OBJECT decoder on arbitrary bytes: it never panics, the direct and
//! serde decoders agree (on the value or on the error), and what decodes
//! encodes again, to bytes no longer than the input that decode to the
//! same bytes (a canonical form).
use yoton_object::{Object, from_bytes};

/// Runs one input; panics on a broken property.
pub fn run(input: &[u8]) {
    let direct = Object::from_bytes(input);
    let via_serde = from_bytes::<Object>(input);
    match (direct, via_serde) {
        (Ok(value), Ok(other)) => {
            let bytes = value.to_bytes().expect("a decoded value encodes");
            assert_eq!(other.to_bytes().expect("a decoded value encodes"), bytes);
            // Repeated keys, long-form counts and trailing bytes only
            // shrink; an empty input is the one-byte None.
            assert!(bytes.len() <= input.len().max(1));
            let again = Object::from_bytes(&bytes).expect("an encoding decodes");
            assert_eq!(again.to_bytes().expect("a decoded value encodes"), bytes);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("the decoders disagree: direct {a:?}, serde {b:?}"),
    }
}
