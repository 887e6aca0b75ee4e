//! yoton's OBJECT message format, byte for byte as Python yoton (pyzo
//! 4.22.0) writes and reads it: a value type, [`Object`], and a serde data
//! format, so that any `Serialize`/`Deserialize` type travels as OBJECT and
//! a Rust struct meets a Python dict.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use yoton_object::{Object, from_bytes, to_bytes};
//!
//! // A request as Pyzo's IDE sends it to a kernel: (name, args, kwargs).
//! let request = Object::from(("signature", ("f",), yoton_object::Dict::new()));
//! let bytes = request.to_bytes()?;
//! assert_eq!(bytes, b"t\x03s\x09signaturet\x01s\x01fd\x00");
//! assert_eq!(Object::from_bytes(&bytes)?.to_string(), "('signature', ('f',), {})");
//!
//! // The same bytes through serde, as a Rust tuple.
//! let typed: (String, (String,), std::collections::BTreeMap<String, i64>) = from_bytes(&bytes)?;
//! assert_eq!(typed.1.0, "f");
//!
//! // A struct is a dict with str keys.
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Startup { cwd: String, timeout: Option<f64> }
//! let startup = Startup { cwd: "/tmp".into(), timeout: None };
//! let bytes = to_bytes(&startup)?;
//! assert_eq!(Object::from_bytes(&bytes)?.to_string(), "{'cwd': '/tmp', 'timeout': None}");
//! assert_eq!(from_bytes::<Startup>(&bytes)?, startup);
//! # Ok::<(), yoton_object::Error>(())
//! ```
//!
//! # The format
//! One tag byte, then:
//!
//! | tag | value | then |
//! |---|---|---|
//! | `n` | None | nothing |
//! | `b` | bool | one byte, 0 or 1 |
//! | `i` | int | i64 little-endian |
//! | `f` | float | f64 little-endian |
//! | `s` | str | length, then UTF-8 bytes |
//! | `l` | list | count, then the items |
//! | `t` | tuple | count, then the items |
//! | `d` | dict | count, then key, value, key, value... in insertion order |
//!
//! A length or count is one byte below 255, else 0xff and a u64
//! little-endian (254 is `fe`, 255 is `ff ff 00 00 00 00 00 00 00`).
//! Nothing else (bytes, sets, ints beyond i64) can be encoded; the
//! reference fails on such ints, so it never sends one.
//!
//! # Decoding is as lenient as the reference
//! - Empty data is `None` (a channel never sends an empty message).
//! - Bytes after the first value are ignored.
//! - Any non-zero bool byte is `True`.
//! - A count may take the long form even below 255.
//! - A dict that repeats a key keeps the first key in its place, with the
//!   last value; keys compare as in Python, where `1`, `1.0` and `True` are
//!   one key.
//!
//! # And as strict where it matters
//! Bad input is an [`Error`], never a panic or a large allocation: a value
//! cut short, a count larger than the bytes left could hold, an unknown
//! tag, invalid UTF-8, a list or dict as a dict key (Python cannot hash
//! them; the check is also made on encode), and containers nested deeper
//! than [`MAX_DEPTH`] (also on encode, so whatever this crate encodes it
//! decodes). Containers reserve room for at most 1024 items ahead of the
//! items themselves.
//!
//! # Rust types in serde
//! | Rust | Python |
//! |---|---|
//! | `bool` | `bool` |
//! | integers | `int`; outside i64 an [`Error::IntOutOfRange`] on encode, and a decoded int that does not fit the target type an error naming it |
//! | `f32`, `f64` | `float` (an int is accepted for a float) |
//! | `char`, `String`, `&str` | `str` (`&str` borrows from the data) |
//! | `Option<T>` | `None` or the value |
//! | `()`, unit structs | `None` |
//! | `Vec<T>`, sets, other sequences | `list` (a tuple is accepted too) |
//! | tuples, tuple structs | `tuple` (a list is accepted too) |
//! | newtype structs | the inner value |
//! | maps | `dict` |
//! | structs | `dict` with the field names as str keys |
//! | bytes (`serde_bytes`) | `list` of ints |
//! | enum unit variant `E::A` | `'A'` |
//! | enum variant with data `E::B(x)`, `E::C(x, y)`, `E::D { f }` | `{'B': x}`, `{'C': (x, y)}`, `{'D': {'f': f}}` |
//!
//! Enums are thus tagged as serde_json tags them by default; the serde
//! attributes (`#[serde(tag = "...")]`, `untagged`, `rename`...) work as
//! usual. [`Object`] itself implements `Serialize` and `Deserialize`, so a
//! field of type `Object` takes any value, and keeps tuples apart from
//! lists.
#![forbid(unsafe_code)]

mod de;
mod error;
mod object;
mod ser;
mod wire;

pub use de::{from_bytes, from_object};
pub use error::Error;
pub use object::{Dict, Object};
pub use ser::{to_bytes, to_object, to_writer};

/// How deeply lists, tuples and dicts may nest, on decode and on encode.
/// `[[1]]` nests 2 deep. Python's own recursion limit (1000) would let the
/// reference go deeper; yoton's real messages nest a few levels.
pub const MAX_DEPTH: usize = 256;

// Values and errors cross threads freely.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Object>();
    assert_send_sync::<Dict>();
    assert_send_sync::<Error>();
};
