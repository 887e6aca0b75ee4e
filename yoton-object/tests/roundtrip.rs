//! Property tests: any value survives encode and decode (directly and
//! through serde), the two decoders agree on arbitrary bytes, and a value
//! cut short is always an error.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use yoton_object::{Dict, Object, from_bytes, to_bytes, to_object};

fn hashable() -> impl Strategy<Value = Object> {
    let leaf = prop_oneof![
        Just(Object::None),
        any::<bool>().prop_map(Object::Bool),
        any::<i64>().prop_map(Object::Int),
        (-1e6f64..1e6).prop_map(Object::Float),
        "[a-z]{0,6}".prop_map(Object::Str),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(Object::Tuple)
    })
}

/// Any value; floats include the special ones when `nan` is set.
fn object(nan: bool) -> impl Strategy<Value = Object> {
    let float = if nan {
        any::<f64>().boxed()
    } else {
        any::<f64>().prop_filter("not NaN", |f| !f.is_nan()).boxed()
    };
    let leaf = prop_oneof![
        Just(Object::None),
        any::<bool>().prop_map(Object::Bool),
        any::<i64>().prop_map(Object::Int),
        float.prop_map(Object::Float),
        any::<String>().prop_map(Object::Str),
        // Long enough for the 9-byte length form.
        "x{250,300}".prop_map(Object::Str),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Object::List),
            prop::collection::vec(inner.clone(), 0..8).prop_map(Object::Tuple),
            prop::collection::vec((hashable(), inner), 0..8)
                .prop_map(|pairs| Object::Dict(pairs.into_iter().collect::<Dict>())),
        ]
    })
}

proptest! {
    #[test]
    fn objects_round_trip(value in object(false)) {
        let bytes = value.to_bytes().unwrap();
        prop_assert_eq!(&Object::from_bytes(&bytes).unwrap(), &value);
        prop_assert_eq!(&from_bytes::<Object>(&bytes).unwrap(), &value);
        prop_assert_eq!(&to_bytes(&value).unwrap(), &bytes);
        prop_assert_eq!(&to_object(&value).unwrap(), &value);
    }

    #[test]
    fn objects_with_any_float_round_trip_to_the_same_bytes(value in object(true)) {
        let bytes = value.to_bytes().unwrap();
        let back = Object::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn a_value_cut_short_is_an_error(value in object(true), cut in any::<prop::sample::Index>()) {
        let bytes = value.to_bytes().unwrap();
        let at = 1 + cut.index(bytes.len());
        if at < bytes.len() {
            prop_assert!(Object::from_bytes(&bytes[..at]).is_err());
            prop_assert!(from_bytes::<Object>(&bytes[..at]).is_err());
        }
    }

    #[test]
    fn both_decoders_agree_on_any_bytes(bytes in prop::collection::vec(
        prop_oneof![
            // Mostly tags and small counts, so that values go deep.
            prop::sample::select(b"nbifsltd\x00\x01\x02\x03\xff".to_vec()),
            any::<u8>(),
        ],
        0..64,
    )) {
        let direct = Object::from_bytes(&bytes);
        let via_serde = from_bytes::<Object>(&bytes);
        match (direct, via_serde) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap()),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "direct {:?}, serde {:?}", a, b),
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Kind {
    Plain,
    Count(u16),
    Span(i64, i64),
    Labelled { label: String, weight: f32 },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Record {
    id: u32,
    name: String,
    tags: Vec<String>,
    score: Option<f64>,
    pair: (i64, bool),
    kind: Kind,
    counts: BTreeMap<String, Vec<i8>>,
    nested: Option<Box<Record>>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Plain),
        any::<u16>().prop_map(Kind::Count),
        (any::<i64>(), any::<i64>()).prop_map(|(a, b)| Kind::Span(a, b)),
        (any::<String>(), -1e3f32..1e3)
            .prop_map(|(label, weight)| Kind::Labelled { label, weight }),
    ]
}

fn flat_record() -> impl Strategy<Value = Record> {
    (
        any::<u32>(),
        any::<String>(),
        prop::collection::vec("[a-z]{0,4}", 0..4),
        prop::option::of(-1e9f64..1e9),
        (any::<i64>(), any::<bool>()),
        kind(),
        prop::collection::btree_map("[a-z]{1,3}", prop::collection::vec(any::<i8>(), 0..4), 0..4),
    )
        .prop_map(|(id, name, tags, score, pair, kind, counts)| Record {
            id,
            name,
            tags,
            score,
            pair,
            kind,
            counts,
            nested: None,
        })
}

fn record() -> impl Strategy<Value = Record> {
    (flat_record(), prop::option::of(flat_record())).prop_map(|(mut outer, inner)| {
        outer.nested = inner.map(Box::new);
        outer
    })
}

proptest! {
    #[test]
    fn derived_types_round_trip(value in record()) {
        let bytes = to_bytes(&value).unwrap();
        prop_assert_eq!(&from_bytes::<Record>(&bytes).unwrap(), &value);
        // As a Python value: a dict keyed by the field names.
        let object = Object::from_bytes(&bytes).unwrap();
        prop_assert_eq!(object.get("id"), Some(&Object::Int(i64::from(value.id))));
        prop_assert_eq!(object.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn vectors_of_tuples_round_trip(value in prop::collection::vec((any::<i32>(), any::<String>(), any::<Option<bool>>()), 0..300)) {
        let bytes = to_bytes(&value).unwrap();
        prop_assert_eq!(&from_bytes::<Vec<(i32, String, Option<bool>)>>(&bytes).unwrap(), &value);
    }
}
