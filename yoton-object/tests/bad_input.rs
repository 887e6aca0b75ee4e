//! Bad input is an error with a useful message, never a panic or a large
//! allocation; lenient input is taken as the reference takes it.

use std::collections::BTreeMap;

use yoton_object::{Dict, Error, MAX_DEPTH, Object, from_bytes, to_bytes};

/// Both decoders on the same bytes; they must agree on success.
fn decode_both(bytes: &[u8]) -> (Result<Object, Error>, Result<Object, Error>) {
    (Object::from_bytes(bytes), from_bytes::<Object>(bytes))
}

fn both_fail(bytes: &[u8]) -> (Error, Error) {
    let (direct, serde) = decode_both(bytes);
    (direct.unwrap_err(), serde.unwrap_err())
}

#[test]
fn a_truncated_value_says_where_and_how_much() {
    let (direct, serde) = both_fail(b"i\x01");
    let want = Error::Truncated {
        offset: 1,
        needed: 8,
        remaining: 1,
    };
    assert_eq!(direct, want);
    assert_eq!(serde, want);
    assert_eq!(
        direct.to_string(),
        "OBJECT data ends at offset 1: 8 more bytes needed, 1 left"
    );
    // A string whose length is far beyond the data.
    let mut huge = vec![b's', 0xff];
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    let (direct, serde) = both_fail(&huge);
    assert!(
        matches!(
            direct,
            Error::Truncated {
                needed: u64::MAX,
                ..
            }
        ),
        "{direct:?}"
    );
    assert!(
        matches!(
            serde,
            Error::Truncated {
                needed: u64::MAX,
                ..
            }
        ),
        "{serde:?}"
    );
}

#[test]
fn a_count_beyond_the_data_is_refused_before_allocating() {
    for tag in [b'l', b't', b'd'] {
        let mut bytes = vec![tag, 0xff];
        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
        bytes.extend_from_slice(b"nnnn");
        let (direct, serde) = both_fail(&bytes);
        let want = Error::CountTooLarge {
            offset: 0,
            count: u64::MAX,
            min_bytes: u64::MAX,
            remaining: 4,
        };
        assert_eq!(direct, want);
        assert_eq!(serde, want);
    }
    // A dict of 3 pairs needs at least 6 bytes; 5 are there.
    let (direct, _) = both_fail(b"d\x03nnnnn");
    assert_eq!(
        direct,
        Error::CountTooLarge {
            offset: 0,
            count: 3,
            min_bytes: 6,
            remaining: 5
        }
    );
    // The same count of a list fits the bytes and decodes.
    assert_eq!(
        Object::from_bytes(b"l\x03nnnnn").unwrap().to_string(),
        "[None, None, None]"
    );
}

#[test]
fn a_count_in_long_form_is_accepted_below_255() {
    let mut bytes = vec![b'l', 0xff];
    bytes.extend_from_slice(&2u64.to_le_bytes());
    bytes.extend_from_slice(b"nb\x01");
    assert_eq!(
        Object::from_bytes(&bytes).unwrap().to_string(),
        "[None, True]"
    );
}

fn nested_lists(depth: usize) -> Vec<u8> {
    let mut bytes = b"l\x01".repeat(depth);
    bytes.push(b'n');
    bytes
}

fn nested_object(depth: usize) -> Object {
    (0..depth).fold(Object::None, |inner, _| Object::List(vec![inner]))
}

#[test]
fn nesting_stops_at_the_limit_on_decode_and_encode() {
    let ok = nested_lists(MAX_DEPTH);
    let (direct, serde) = decode_both(&ok);
    assert_eq!(direct.unwrap(), nested_object(MAX_DEPTH));
    assert_eq!(serde.unwrap(), nested_object(MAX_DEPTH));

    let want = Error::TooDeep { limit: MAX_DEPTH };
    let (direct, serde) = both_fail(&nested_lists(MAX_DEPTH + 1));
    assert_eq!(direct, want);
    assert_eq!(serde, want);
    // Far deeper than any stack could recurse: still just an error.
    let (direct, serde) = both_fail(&b"t\x01".repeat(1_000_000));
    assert_eq!(direct, want);
    assert_eq!(serde, want);
    let (direct, serde) = both_fail(&b"d\x01n".repeat(100_000));
    assert_eq!(direct, want);
    assert_eq!(serde, want);

    assert_eq!(nested_object(MAX_DEPTH).to_bytes().unwrap(), ok);
    assert_eq!(to_bytes(&nested_object(MAX_DEPTH)).unwrap(), ok);
    assert_eq!(nested_object(MAX_DEPTH + 1).to_bytes(), Err(want.clone()));
    assert_eq!(to_bytes(&nested_object(MAX_DEPTH + 1)), Err(want));
}

#[test]
fn unknown_tags_and_invalid_utf8_are_refused() {
    for tag in [0u8, b'x', b'B', 0xff] {
        let (direct, serde) = both_fail(&[b'l', 1, tag]);
        let want = Error::UnknownTag { tag, offset: 2 };
        assert_eq!(direct, want);
        assert_eq!(serde, want);
    }
    let (direct, serde) = both_fail(b"l\x01s\x02\xff\xfe");
    assert!(
        matches!(direct, Error::InvalidUtf8 { offset: 2, .. }),
        "{direct:?}"
    );
    assert!(
        matches!(serde, Error::InvalidUtf8 { offset: 2, .. }),
        "{serde:?}"
    );
    assert!(matches!(
        from_bytes::<&str>(b"s\x01\x80"),
        Err(Error::InvalidUtf8 { .. })
    ));
}

#[test]
fn lists_and_dicts_are_never_keys() {
    // Decode: a list, a dict, and a tuple holding a list as the key.
    for (bytes, kind) in [
        (&b"d\x01l\x00n"[..], "list"),
        (b"d\x01d\x00n", "dict"),
        (b"d\x01t\x02nl\x00n", "list"),
        (b"d\x01t\x01t\x01d\x00n", "dict"),
    ] {
        let (direct, serde) = both_fail(bytes);
        assert_eq!(direct, Error::UnhashableKey { kind });
        assert_eq!(serde, Error::UnhashableKey { kind });
        // Also when the value is skipped unread.
        assert_eq!(
            from_bytes::<serde::de::IgnoredAny>(bytes).map(|_| ()),
            Err(Error::UnhashableKey { kind })
        );
    }
    // A tuple of hashables is a fine key.
    assert_eq!(
        Object::from_bytes(b"d\x01t\x02nb\x01n")
            .unwrap()
            .to_string(),
        "{(None, True): None}"
    );

    // Encode, directly and through serde.
    for key in [
        Object::List(vec![]),
        Object::dict(),
        Object::tuple([Object::None, Object::List(vec![Object::Int(1)])]),
    ] {
        let mut dict = Dict::new();
        dict.insert(key.clone(), 1);
        let value = Object::Dict(dict);
        assert!(
            matches!(value.to_bytes(), Err(Error::UnhashableKey { .. })),
            "{key}"
        );
        assert!(
            matches!(to_bytes(&value), Err(Error::UnhashableKey { .. })),
            "{key}"
        );
        assert!(!key.is_hashable());
    }
    let mut typed = BTreeMap::new();
    typed.insert(vec![1], "one");
    assert_eq!(to_bytes(&typed), Err(Error::UnhashableKey { kind: "list" }));
    let mut typed = BTreeMap::new();
    typed.insert((1, "a"), "tuple keys are fine");
    assert!(to_bytes(&typed).is_ok());
}

#[test]
fn ints_outside_i64_are_refused_on_encode() {
    let err = to_bytes(&u64::MAX).unwrap_err();
    assert_eq!(
        err,
        Error::IntOutOfRange {
            value: "18446744073709551615".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "integer 18446744073709551615 is outside the i64 range that OBJECT carries"
    );
    assert!(to_bytes(&(i64::MAX as u64 + 1)).is_err());
    assert!(to_bytes(&(i64::MIN as i128 - 1)).is_err());
    assert!(to_bytes(&u128::MAX).is_err());
    assert_eq!(
        to_bytes(&(i64::MAX as u64)).unwrap(),
        Object::Int(i64::MAX).to_bytes().unwrap()
    );
    assert_eq!(
        to_bytes(&-1i128).unwrap(),
        Object::Int(-1).to_bytes().unwrap()
    );
    assert!(Object::try_from(u64::MAX).is_err());
    assert_eq!(Object::try_from(7usize).unwrap(), Object::Int(7));
}

#[test]
fn an_int_that_does_not_fit_the_target_type_is_an_error_naming_it() {
    let big = Object::Int(300).to_bytes().unwrap();
    let err = from_bytes::<u8>(&big).unwrap_err().to_string();
    assert!(err.contains("300") && err.contains("u8"), "{err}");
    let negative = Object::Int(-1).to_bytes().unwrap();
    let err = from_bytes::<u64>(&negative).unwrap_err().to_string();
    assert!(err.contains("-1") && err.contains("u64"), "{err}");
    assert_eq!(from_bytes::<u64>(&big).unwrap(), 300);
    let err = from_bytes::<i32>(b"s\x01x").unwrap_err().to_string();
    assert!(err.contains("string") && err.contains("i32"), "{err}");
}

#[test]
fn empty_data_is_none_and_trailing_bytes_are_ignored() {
    assert_eq!(Object::from_bytes(b"").unwrap(), Object::None);
    assert_eq!(from_bytes::<Option<i32>>(b"").unwrap(), None);
    from_bytes::<()>(b"").unwrap();
    assert_eq!(
        Object::from_bytes(b"b\x00garbage").unwrap(),
        Object::Bool(false)
    );
    assert!(from_bytes::<bool>(b"b\x07\xff").unwrap());
    assert_eq!(from_bytes::<Option<i32>>(b"nn").unwrap(), None);
}

#[test]
fn repeated_keys_collapse_as_in_a_python_dict() {
    // {'a': 1, 'a': 2} reads as {'a': 2}; {1: 'a', True: 'b'} as {1: 'b'}
    // (checked against the reference).
    let bytes = b"d\x02s\x01ai\x01\0\0\0\0\0\0\0s\x01ai\x02\0\0\0\0\0\0\0";
    let (direct, serde) = decode_both(bytes);
    assert_eq!(direct.unwrap().to_string(), "{'a': 2}");
    assert_eq!(serde.unwrap().to_string(), "{'a': 2}");
    let bytes = b"d\x02i\x01\0\0\0\0\0\0\0s\x01ab\x01s\x01b";
    assert_eq!(Object::from_bytes(bytes).unwrap().to_string(), "{1: 'b'}");

    // Many pairs (the hashed path): keys 0..20 as ints, then 0..20 as
    // floats, then 0.5: 21 keys, each int key with its float's value.
    let mut dict_bytes = vec![b'd', 41];
    for i in 0..20i64 {
        Object::Int(i).encode_into(&mut dict_bytes).unwrap();
        Object::Int(i).encode_into(&mut dict_bytes).unwrap();
    }
    for i in 0..20i64 {
        Object::Float(i as f64)
            .encode_into(&mut dict_bytes)
            .unwrap();
        Object::Str(format!("f{i}"))
            .encode_into(&mut dict_bytes)
            .unwrap();
    }
    Object::Float(0.5).encode_into(&mut dict_bytes).unwrap();
    Object::None.encode_into(&mut dict_bytes).unwrap();
    let dict = Object::from_bytes(&dict_bytes).unwrap();
    let dict = dict.as_dict().unwrap();
    assert_eq!(dict.len(), 21);
    for (i, (key, value)) in dict.iter().take(20).enumerate() {
        assert_eq!(key, &Object::Int(i as i64));
        assert_eq!(value, &Object::Str(format!("f{i}")));
    }
    assert_eq!(dict.get(&Object::Float(0.5)), Some(&Object::None));
    assert_eq!(dict.get(&Object::Bool(true)), Some(&Object::from("f1")));

    // Two NaN keys are two keys, as two decoded NaNs are in Python.
    let mut nan_bytes = vec![b'd', 2];
    for _ in 0..2 {
        Object::Float(f64::NAN).encode_into(&mut nan_bytes).unwrap();
        Object::None.encode_into(&mut nan_bytes).unwrap();
    }
    assert_eq!(
        Object::from_bytes(&nan_bytes)
            .unwrap()
            .as_dict()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn shapes_that_do_not_fit_the_type_are_errors() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Point {
        x: i32,
        y: i32,
    }
    let err = from_bytes::<Point>(b"d\x01s\x01xi\x01\0\0\0\0\0\0\0").unwrap_err();
    assert!(err.to_string().contains("missing field `y`"), "{err}");
    let twice = b"d\x02s\x01xi\x01\0\0\0\0\0\0\0s\x01xi\x01\0\0\0\0\0\0\0";
    let err = from_bytes::<Point>(twice).unwrap_err();
    assert!(err.to_string().contains("duplicate field `x`"), "{err}");
    let err =
        from_bytes::<(i32, i32)>(b"t\x03i\x01\0\0\0\0\0\0\0i\x01\0\0\0\0\0\0\0n").unwrap_err();
    assert!(err.to_string().contains("3 items where 2"), "{err}");
    assert!(from_bytes::<(i32, i32, i32)>(b"t\x02i\x01\0\0\0\0\0\0\0i\x01\0\0\0\0\0\0\0").is_err());
}
