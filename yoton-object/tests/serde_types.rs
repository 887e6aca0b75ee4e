//! How Rust types map to Python values through serde, as the crate
//! documentation's table says, checked on the decoded `Object`'s repr and
//! by a round trip.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yoton_object::{Object, from_bytes, from_object, to_bytes, to_object};

/// Encodes `value`, checks Python would see `repr`, and decodes it back.
fn check<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T, repr: &str) {
    let bytes = to_bytes(value).unwrap();
    let object = Object::from_bytes(&bytes).unwrap();
    assert_eq!(object.to_string(), repr);
    assert_eq!(to_object(value).unwrap(), object);
    assert_eq!(&from_bytes::<T>(&bytes).unwrap(), value);
    assert_eq!(&from_object::<T>(&object).unwrap(), value);
    // The Object re-encodes to the same bytes.
    assert_eq!(object.to_bytes().unwrap(), bytes);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(i32, i32),
    Named { name: String, sides: u8 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pair(i32, String);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Marker;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Startup {
    cwd: String,
    path: Vec<String>,
    timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    extra: Option<i64>,
    shape: Shape,
    anything: Object,
}

#[test]
fn scalars_and_options() {
    check(&true, "True");
    check(&-3i8, "-3");
    check(&u32::MAX, "4294967295");
    check(&1.5f32, "1.5");
    check(&'é', "'é'");
    check(&"it's".to_owned(), "\"it's\"");
    check(&Some(4), "4");
    check(&None::<i32>, "None");
    check(&(), "None");
    check(&Marker, "None");
    check(&Meters(2.0), "2.0");
}

#[test]
fn sequences_are_lists_and_tuples_are_tuples() {
    check(&vec![1, 2, 3], "[1, 2, 3]");
    check(&Vec::<String>::new(), "[]");
    check(&(1, "a".to_owned(), None::<bool>), "(1, 'a', None)");
    check(&(7,), "(7,)");
    check(&Pair(1, "x".into()), "(1, 'x')");
    check(&[[1u8, 2], [3, 4]], "((1, 2), (3, 4))");
    // Bytes without serde_bytes are a sequence too.
    check(&b"ab".to_vec(), "[97, 98]");
    // Python may send a tuple where Rust wants a Vec, and the reverse.
    let tuple = Object::tuple([Object::Int(1), Object::Int(2)]);
    assert_eq!(from_object::<Vec<i64>>(&tuple).unwrap(), vec![1, 2]);
    let list = Object::list([Object::Int(1), Object::from("b")]);
    assert_eq!(
        from_object::<(i64, String)>(&list).unwrap(),
        (1, "b".to_owned())
    );
}

#[test]
fn a_sequence_of_unknown_length_gets_its_count_afterwards() {
    struct Odd(u32);
    impl Serialize for Odd {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            // filter() gives no exact size hint: the count is fixed up.
            s.collect_seq((0..self.0).filter(|i| i % 2 == 1))
        }
    }
    for n in [0, 3, 508, 509, 510, 2000] {
        let bytes = to_bytes(&Odd(n)).unwrap();
        let want: Vec<u32> = (0..n).filter(|i| i % 2 == 1).collect();
        assert_eq!(bytes, to_bytes(&want).unwrap(), "n = {n}");
        assert_eq!(from_bytes::<Vec<u32>>(&bytes).unwrap(), want);
    }
}

#[test]
fn maps_and_structs_are_dicts() {
    let mut map = BTreeMap::new();
    map.insert(2, "two".to_owned());
    map.insert(1, "one".to_owned());
    check(&map, "{1: 'one', 2: 'two'}");
    let mut by_tuple = HashMap::new();
    by_tuple.insert((1, 2), vec![0.5]);
    check(&by_tuple, "{(1, 2): [0.5]}");

    let startup = Startup {
        cwd: "/tmp".into(),
        path: vec!["a".into()],
        timeout: None,
        extra: None,
        shape: Shape::Empty,
        anything: Object::tuple([Object::None, Object::list([])]),
    };
    check(
        &startup,
        "{'cwd': '/tmp', 'path': ['a'], 'timeout': None, 'shape': 'Empty', 'anything': (None, [])}",
    );
    let full = Startup {
        extra: Some(5),
        timeout: Some(0.5),
        ..startup
    };
    check(
        &full,
        "{'cwd': '/tmp', 'path': ['a'], 'timeout': 0.5, 'extra': 5, 'shape': 'Empty', 'anything': (None, [])}",
    );
}

#[test]
fn python_dicts_fill_structs_in_any_key_order_and_ignore_unknown_keys() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Small {
        b: i64,
        a: f64,
    }
    let mut dict = yoton_object::Dict::new();
    dict.insert("z", Object::list([Object::dict()]));
    dict.insert("a", 3); // an int where a float is wanted
    dict.insert("b", 4);
    assert_eq!(
        from_object::<Small>(&Object::Dict(dict)).unwrap(),
        Small { b: 4, a: 3.0 }
    );
}

#[test]
fn enums_are_tagged_as_serde_json_tags_them() {
    check(&Shape::Empty, "'Empty'");
    check(&Shape::Circle(1.0), "{'Circle': 1.0}");
    check(&Shape::Rect(2, 3), "{'Rect': (2, 3)}");
    check(
        &Shape::Named {
            name: "tri".into(),
            sides: 3,
        },
        "{'Named': {'name': 'tri', 'sides': 3}}",
    );
    check(
        &vec![Shape::Empty, Shape::Circle(0.0)],
        "['Empty', {'Circle': 0.0}]",
    );
    let err = from_bytes::<Shape>(&to_bytes(&"Hexagon").unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `Hexagon`"),
        "{err}"
    );
    assert!(from_bytes::<Shape>(&to_bytes(&3).unwrap()).is_err());

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "kind")]
    enum Tagged {
        A { x: i32 },
    }
    check(&Tagged::A { x: 1 }, "{'kind': 'A', 'x': 1}");
}

#[test]
fn no_dict_passes_for_a_tuple() {
    // However its first key looks, a dict inside a typed value stays one.
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Holder {
        value: Object,
    }
    for key in ["$yoton_object::Tuple", "yoton-obj-tuple!", ""] {
        let mut dict = yoton_object::Dict::new();
        dict.insert(key, Object::list([Object::Int(1)]));
        let holder = Holder {
            value: Object::Dict(dict),
        };
        let bytes = to_bytes(&holder).unwrap();
        assert_eq!(from_bytes::<Holder>(&bytes).unwrap(), holder);
    }
    let holder = Holder {
        value: Object::tuple([Object::Int(1)]),
    };
    check(&holder, "{'value': (1,)}");
}

#[test]
fn strings_borrow_from_the_data() {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        #[serde(borrow)]
        name: &'a str,
    }
    let bytes = to_bytes(&BTreeMap::from([("name", "yoton")])).unwrap();
    let borrowed: Borrowed<'_> = from_bytes(&bytes).unwrap();
    assert_eq!(borrowed.name, "yoton");
    assert!(bytes.as_ptr_range().contains(&borrowed.name.as_ptr()));
}

#[test]
fn objects_also_travel_through_other_serde_formats() {
    let value = Object::from((1, "a", vec![Object::None], 2.5));
    let json = serde_json::to_string(&value).unwrap();
    assert_eq!(json, r#"[1,"a",[null],2.5]"#);
    let back: Object = serde_json::from_str(r#"{"k": [1, true, null, "s"]}"#).unwrap();
    assert_eq!(back.to_string(), "{'k': [1, True, None, 's']}");
    let err = serde_json::from_str::<Object>("18446744073709551615").unwrap_err();
    assert!(err.to_string().contains("outside the i64 range"), "{err}");
}
