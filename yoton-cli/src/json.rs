//! JSON on the command line, OBJECT on the wire: how `yoton call` reads its
//! arguments and prints a result.
//!
//! JSON to OBJECT: `null` is None, `true`/`false` a bool, an integer an int
//! (it must fit in 64 signed bits), any other number a float, a string a
//! str, an array a list and an object a dict with str keys, in the order
//! written.
//!
//! OBJECT to JSON, one compact line: None is `null`, an int an integer, a
//! float a number that reads back as a float (`1.0`, `1e300`), with NaN
//! and the infinities as the strings `"NaN"`, `"Infinity"` and
//! `"-Infinity"` (JSON has no such numbers); lists and tuples are arrays;
//! a dict whose keys are all str is an object (in the dict's order), any
//! other dict an array of `[key, value]` pairs, keys converted the same
//! way.
//!
//! The mapping is a contract with scripts; `yoton call --help` states it.

use std::fmt::{self, Write};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use yoton::{Dict, Object};

/// Why a text cannot be an argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JsonError {
    /// Not JSON at all; serde_json's words, with line and column.
    #[error("not JSON ({0})")]
    Syntax(String),
    /// An integer that does not fit in an int.
    #[error(
        "the integer {0} is out of range: an int is 64 bits, from -9223372036854775808 to \
         9223372036854775807 (write {0}.0 to send a float)"
    )]
    OutOfRange(String),
    /// Keyword arguments that are not a JSON object.
    #[error("--kwargs must be a JSON object, not {0}")]
    NotAnObject(&'static str),
}

/// Reads one JSON value as an [`Object`].
pub(crate) fn parse(text: &str) -> Result<Object, JsonError> {
    // serde_json reads an integer beyond 64 bits as a float without a
    // word: look at the literals themselves first.
    check_integers(text)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let Json(object) =
        Json::deserialize(&mut deserializer).map_err(|e| JsonError::Syntax(e.to_string()))?;
    deserializer
        .end()
        .map_err(|e| JsonError::Syntax(e.to_string()))?;
    Ok(object)
}

/// Reads keyword arguments: a JSON object, as a dict.
pub(crate) fn parse_kwargs(text: &str) -> Result<Dict, JsonError> {
    match parse(text)? {
        Object::Dict(dict) => Ok(dict),
        other => Err(JsonError::NotAnObject(json_kind(&other))),
    }
}

/// What JSON calls the value that `object` came from.
fn json_kind(object: &Object) -> &'static str {
    match object {
        Object::None => "null",
        Object::Bool(_) => "a boolean",
        Object::Int(_) | Object::Float(_) => "a number",
        Object::Str(_) => "a string",
        Object::List(_) | Object::Tuple(_) => "an array",
        Object::Dict(_) => "an object",
    }
}

/// Refuses integer literals (outside strings) that do not fit in an i64.
fn check_integers(text: &str) -> Result<(), JsonError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            match byte {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                // Only ASCII was taken: `start..i` are char boundaries.
                let token = &text[start..i];
                let digits = token.strip_prefix('-').unwrap_or(token);
                let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                if integer && token.parse::<i64>().is_err() {
                    return Err(JsonError::OutOfRange(token.to_owned()));
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// One JSON value read as an [`Object`], keeping the order of object keys.
struct Json(Object);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor).map(Json)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Object;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Object, E> {
        Ok(Object::None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Object, E> {
        Ok(Object::None)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Object, E> {
        Ok(Object::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Object, E> {
        Ok(Object::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Object, E> {
        // `check_integers` refuses these first; kept as a second guard.
        i64::try_from(v)
            .map(Object::Int)
            .map_err(|_| E::custom(format!("the integer {v} is out of range")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Object, E> {
        Ok(Object::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Object, E> {
        Ok(Object::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Object, E> {
        Ok(Object::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Json(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Object::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
        let mut dict = Dict::new();
        while let Some((key, Json(value))) = map.next_entry::<String, Json>()? {
            dict.insert(key, value);
        }
        Ok(Object::Dict(dict))
    }
}

/// `object` as one line of compact JSON.
pub(crate) fn render(object: &Object) -> String {
    let mut out = String::new();
    write_value(&mut out, object);
    out
}

fn write_value(out: &mut String, object: &Object) {
    match object {
        Object::None => out.push_str("null"),
        Object::Bool(true) => out.push_str("true"),
        Object::Bool(false) => out.push_str("false"),
        Object::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Object::Float(x) => write_float(out, *x),
        Object::Str(s) => write_string(out, s),
        Object::List(items) | Object::Tuple(items) => write_array(out, items),
        Object::Dict(dict) => {
            let pairs = dict.as_pairs();
            if pairs.iter().all(|(k, _)| matches!(k, Object::Str(_))) {
                out.push('{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_value(out, key);
                    out.push(':');
                    write_value(out, value);
                }
                out.push('}');
            } else {
                out.push('[');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('[');
                    write_value(out, key);
                    out.push(',');
                    write_value(out, value);
                    out.push(']');
                }
                out.push(']');
            }
        }
    }
}

fn write_array(out: &mut String, items: &[Object]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(out, item);
    }
    out.push(']');
}

/// A float that reads back as a float: Rust's shortest round-trip form
/// (`1.0`, `0.1`, `1e300`, `1e-7`), all valid JSON numbers.
fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("\"NaN\"");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
    } else {
        let _ = write!(out, "{x:?}");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_object_kind_by_kind() {
        assert_eq!(parse("null"), Ok(Object::None));
        assert_eq!(parse(" true "), Ok(Object::Bool(true)));
        assert_eq!(parse("-42"), Ok(Object::Int(-42)));
        assert_eq!(parse("2.5"), Ok(Object::Float(2.5)));
        assert_eq!(parse("1e3"), Ok(Object::Float(1000.0)));
        assert_eq!(parse("\"h\\u00e9\""), Ok(Object::from("hé")));
        assert_eq!(
            parse("[1, [\"a\"]]"),
            Ok(Object::List(vec![
                Object::Int(1),
                Object::List(vec![Object::from("a")])
            ]))
        );
        let Ok(Object::Dict(dict)) = parse(r#"{"z": 1, "a": null}"#) else {
            panic!("not a dict");
        };
        let keys: Vec<&Object> = dict.keys().collect();
        assert_eq!(keys, [&Object::from("z"), &Object::from("a")]);
    }

    #[test]
    fn integers_must_fit_in_64_bits() {
        assert_eq!(parse("9223372036854775807"), Ok(Object::Int(i64::MAX)));
        assert_eq!(parse("-9223372036854775808"), Ok(Object::Int(i64::MIN)));
        for text in [
            "9223372036854775808",
            "[1, -9223372036854775809]",
            r#"{"n": 100000000000000000000000}"#,
        ] {
            assert!(
                matches!(parse(text), Err(JsonError::OutOfRange(_))),
                "{text}"
            );
        }
        // Digits inside strings, and floats, are not integers.
        assert_eq!(
            parse(r#""99999999999999999999""#),
            Ok(Object::from("99999999999999999999"))
        );
        assert_eq!(parse("1e30"), Ok(Object::Float(1e30)));
        assert_eq!(
            parse(r#"["\"", 1]"#).map(|o| render(&o)).as_deref(),
            Ok(r#"["\"",1]"#)
        );
    }

    #[test]
    fn bad_json_and_bad_kwargs_are_refused() {
        for text in ["", "hello", "[1,", "1 2", "{'a': 1}", "NaN"] {
            assert!(matches!(parse(text), Err(JsonError::Syntax(_))), "{text:?}");
        }
        assert_eq!(parse_kwargs("[1]"), Err(JsonError::NotAnObject("an array")));
        assert_eq!(
            parse_kwargs("3").unwrap_err().to_string(),
            "--kwargs must be a JSON object, not a number"
        );
        assert_eq!(parse_kwargs("{}"), Ok(Dict::new()));
    }

    #[test]
    fn objects_become_compact_json() {
        let mut dict = Dict::new();
        dict.insert("b", 1.0);
        dict.insert("a", Object::None);
        let value = Object::tuple([
            Object::Int(-3),
            Object::Float(0.1),
            Object::Bool(false),
            Object::from("q\"\\\n\u{1}é"),
            Object::list([]),
            Object::Dict(dict),
        ]);
        assert_eq!(
            render(&value),
            r#"[-3,0.1,false,"q\"\\\n\u0001é",[],{"b":1.0,"a":null}]"#
        );
        // What we print, serde_json reads back.
        let back: serde_json::Value = serde_json::from_str(&render(&value)).unwrap();
        assert_eq!(back[3], "q\"\\\n\u{1}é");
    }

    #[test]
    fn other_dicts_become_pairs_and_odd_floats_strings() {
        let mut dict = Dict::new();
        dict.insert(1, "one");
        dict.insert(
            Object::tuple([Object::Int(2), Object::from("x")]),
            Object::None,
        );
        dict.insert("s", true);
        assert_eq!(
            render(&Object::Dict(dict)),
            r#"[[1,"one"],[[2,"x"],null],["s",true]]"#
        );
        assert_eq!(render(&Object::Float(f64::NAN)), r#""NaN""#);
        assert_eq!(render(&Object::Float(f64::INFINITY)), r#""Infinity""#);
        assert_eq!(render(&Object::Float(f64::NEG_INFINITY)), r#""-Infinity""#);
        assert_eq!(render(&Object::Float(1e300)), "1e300");
        assert_eq!(render(&Object::Float(-0.0)), "-0.0");
        assert_eq!(render(&Object::Float(3.0)), "3.0");
        let big: serde_json::Value = serde_json::from_str(&render(&Object::Float(1e-7))).unwrap();
        assert_eq!(big.as_f64(), Some(1e-7));
    }
}
