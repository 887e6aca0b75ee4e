//! The one error type of this crate: what can go wrong encoding or decoding
//! OBJECT data, directly or through serde.

use std::fmt::Display;

/// An OBJECT encoding or decoding failure.
///
/// Offsets count bytes from the start of the data given to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data ends inside a value (the reference raises `EOFError`).
    #[error("OBJECT data ends at offset {offset}: {needed} more bytes needed, {remaining} left")]
    Truncated {
        /// Where the missing bytes should start.
        offset: usize,
        /// How many bytes the value needs there.
        needed: u64,
        /// How many bytes are left.
        remaining: usize,
    },
    /// A list, tuple or dict announces more items than the bytes left could
    /// hold (each item takes at least one byte). Refused before anything is
    /// allocated.
    #[error(
        "OBJECT count {count} at offset {offset} needs at least {min_bytes} more bytes, {remaining} left"
    )]
    CountTooLarge {
        /// Where the container's tag is.
        offset: usize,
        /// The count it announces.
        count: u64,
        /// The fewest bytes that many items take.
        min_bytes: u64,
        /// How many bytes are left after the count.
        remaining: usize,
    },
    /// A tag byte that is none of `n b i f s l t d` (the reference raises
    /// `ValueError`).
    #[error("unknown OBJECT tag {tag:#04x} at offset {offset}")]
    UnknownTag {
        /// The tag byte.
        tag: u8,
        /// Where it is.
        offset: usize,
    },
    /// A string that is not UTF-8 (the reference raises
    /// `UnicodeDecodeError`).
    #[error("invalid UTF-8 in the OBJECT string at offset {offset}: {source}")]
    InvalidUtf8 {
        /// Where the string's tag is.
        offset: usize,
        /// What is wrong with it.
        source: std::str::Utf8Error,
    },
    /// Lists, tuples and dicts nest deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    #[error("OBJECT values nest deeper than {limit} containers")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A list or dict (or a tuple holding one) as a dict key: Python cannot
    /// hash it (the reference raises `TypeError` on decode).
    #[error("a {kind} cannot be an OBJECT dict key: Python cannot hash it")]
    UnhashableKey {
        /// `"list"` or `"dict"`.
        kind: &'static str,
    },
    /// An integer outside i64: OBJECT carries ints as i64 (the reference
    /// fails to encode them with `struct.error`, so it never sends one).
    #[error("integer {value} is outside the i64 range that OBJECT carries")]
    IntOutOfRange {
        /// The integer, in decimal.
        value: String,
    },
    /// A value of a kind that OBJECT has no encoding for.
    #[error("OBJECT cannot carry {what}")]
    Unsupported {
        /// What it was.
        what: &'static str,
    },
    /// A serde `Serialize` or `Deserialize` implementation failed, or the
    /// data does not have the shape the target type wants.
    #[error("{0}")]
    Message(String),
}

impl serde::ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::Message(msg.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::Message(msg.to_string())
    }
}
