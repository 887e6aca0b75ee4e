//! [`Object`], the value type of the format, and [`Dict`], its dict with
//! keys in insertion order.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};

use crate::{Error, wire};

/// A value that OBJECT data can carry: one of Python's `None`, `bool`,
/// `int` (as i64), `float`, `str`, `list`, `tuple` and `dict`.
///
/// Equality (`==`) is structural, as for any Rust enum: `Int(1)` is not
/// `Float(1.0)`, and two dicts are equal when they hold equal pairs in the
/// same order. Dict *lookups* ([`Dict::get`]) follow Python instead, where
/// `1`, `1.0` and `True` are the same key.
///
/// `Display` and `Debug` both print what Python's `repr` would.
///
/// ```
/// use yoton_object::Object;
///
/// let request = Object::tuple(["signature".into(), Object::tuple(["f".into()]), Object::dict()]);
/// assert_eq!(request.to_string(), "('signature', ('f',), {})");
/// assert_eq!(Object::from_bytes(&request.to_bytes()?)?, request);
/// # Ok::<(), yoton_object::Error>(())
/// ```
#[derive(Clone, PartialEq, Default)]
pub enum Object {
    /// Python's `None` (tag `n`).
    #[default]
    None,
    /// A `bool` (tag `b`).
    Bool(bool),
    /// An `int` (tag `i`, i64 little-endian).
    Int(i64),
    /// A `float` (tag `f`, f64 little-endian).
    Float(f64),
    /// A `str` (tag `s`, UTF-8).
    Str(String),
    /// A `list` (tag `l`).
    List(Vec<Object>),
    /// A `tuple` (tag `t`).
    Tuple(Vec<Object>),
    /// A `dict` (tag `d`), keys in insertion order.
    Dict(Dict),
}

impl Object {
    /// Encodes this value as the reference's `Packer` would.
    ///
    /// # Errors
    /// [`Error::UnhashableKey`] for a list or dict (or a tuple holding one)
    /// used as a dict key, and [`Error::TooDeep`] when containers nest
    /// deeper than [`MAX_DEPTH`](crate::MAX_DEPTH) (which the decoder would
    /// refuse).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends the encoding of this value to `out`. On error, `out` may
    /// hold part of it.
    ///
    /// # Errors
    /// As [`to_bytes`](Object::to_bytes).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        wire::encode(self, out, 0, false)
    }

    /// Decodes OBJECT data as the reference's `Unpacker` would, and as
    /// leniently: empty data is `None`, and bytes after the first value are
    /// ignored. A dict that repeats a key (Python-equal: `1`, `1.0` and
    /// `True` are one key) keeps the first key and the last value, as a
    /// Python dict does.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the data ends inside a value,
    /// [`Error::CountTooLarge`] for a container that announces more items
    /// than the data could hold, [`Error::UnknownTag`],
    /// [`Error::InvalidUtf8`], [`Error::UnhashableKey`] for a list or dict
    /// as a dict key, and [`Error::TooDeep`] past
    /// [`MAX_DEPTH`](crate::MAX_DEPTH) nested containers.
    pub fn from_bytes(data: &[u8]) -> Result<Object, Error> {
        if data.is_empty() {
            return Ok(Object::None);
        }
        wire::decode(&mut wire::Reader::new(data), 0, false)
    }

    /// A tuple of these items.
    pub fn tuple(items: impl IntoIterator<Item = Object>) -> Object {
        Object::Tuple(items.into_iter().collect())
    }

    /// A list of these items.
    pub fn list(items: impl IntoIterator<Item = Object>) -> Object {
        Object::List(items.into_iter().collect())
    }

    /// An empty dict.
    pub fn dict() -> Object {
        Object::Dict(Dict::new())
    }

    /// The Python type name of this value: `NoneType`, `bool`, `int`,
    /// `float`, `str`, `list`, `tuple` or `dict`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::None => "NoneType",
            Object::Bool(_) => "bool",
            Object::Int(_) => "int",
            Object::Float(_) => "float",
            Object::Str(_) => "str",
            Object::List(_) => "list",
            Object::Tuple(_) => "tuple",
            Object::Dict(_) => "dict",
        }
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Object::None)
    }

    /// The bool, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Object::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The int, if this is one (a bool is not).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is one, or an int as a float (as Python code
    /// that wants a number would take it).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Object::Float(f) => Some(*f),
            Object::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The str, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Object::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list or a tuple.
    pub fn as_slice(&self) -> Option<&[Object]> {
        match self {
            Object::List(items) | Object::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The dict, if this is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The value under the str key `key`, if this is a dict that has it.
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.as_dict().and_then(|d| d.get_str(key))
    }

    /// Whether this value can be a dict key: not a list or dict, nor a
    /// tuple holding one (Python could not hash it).
    pub fn is_hashable(&self) -> bool {
        match self {
            Object::List(_) | Object::Dict(_) => false,
            Object::Tuple(items) => items.iter().all(Object::is_hashable),
            _ => true,
        }
    }
}

/// A dict: keys in insertion order, no two keys equal in Python's sense
/// (`1`, `1.0` and `True` are one key; NaN is never equal to anything).
///
/// Kept as a vector of pairs: yoton's dicts (keyword arguments, a kernel's
/// startup state) hold a few entries, for which a scan beats hashing; the
/// pairs stay in wire order; and floats can be keys without a `Hash` of
/// `f64`. Building one from many pairs at once ([`FromIterator`], the
/// decoder) hashes, so it stays linear; [`insert`](Dict::insert) scans.
///
/// A list or dict can be stored as a key here, but encoding it fails with
/// [`Error::UnhashableKey`].
#[derive(Clone, PartialEq, Default)]
pub struct Dict {
    pairs: Vec<(Object, Object)>,
}

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict::default()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Sets `key` to `value`, as Python's `d[key] = value`: an equal key
    /// keeps its place (and its own form) and the old value is returned;
    /// a new key goes last. Takes time linear in the dict's length.
    pub fn insert(&mut self, key: impl Into<Object>, value: impl Into<Object>) -> Option<Object> {
        let key = key.into();
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| py_eq(k, &key)) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.pairs.push((key, value));
                None
            }
        }
    }

    /// The value under a key equal to `key` in Python's sense.
    pub fn get(&self, key: &Object) -> Option<&Object> {
        self.pairs
            .iter()
            .find(|(k, _)| py_eq(k, key))
            .map(|(_, v)| v)
    }

    /// The value under the str key `key`.
    pub fn get_str(&self, key: &str) -> Option<&Object> {
        self.pairs
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Removes `key` (Python-equal) and returns its value; later keys move
    /// up one place.
    pub fn remove(&mut self, key: &Object) -> Option<Object> {
        let index = self.pairs.iter().position(|(k, _)| py_eq(k, key))?;
        Some(self.pairs.remove(index).1)
    }

    /// The pairs in order.
    pub fn iter(&self) -> std::slice::Iter<'_, (Object, Object)> {
        self.pairs.iter()
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &Object> {
        self.pairs.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl Iterator<Item = &Object> {
        self.pairs.iter().map(|(_, v)| v)
    }

    /// The pairs as a slice, in order.
    pub fn as_pairs(&self) -> &[(Object, Object)] {
        &self.pairs
    }

    /// The pairs, in order.
    pub fn into_pairs(self) -> Vec<(Object, Object)> {
        self.pairs
    }

    /// Builds a dict as Python's `dict(pairs)` does: a repeated key keeps
    /// its first place and form and takes the last value.
    pub(crate) fn from_pairs(pairs: Vec<(Object, Object)>) -> Dict {
        Dict {
            pairs: dedup(pairs),
        }
    }
}

/// Under this many pairs a scan finds repeated keys faster than hashing.
const SCAN_LIMIT: usize = 16;

fn dedup(mut pairs: Vec<(Object, Object)>) -> Vec<(Object, Object)> {
    if pairs.len() < 2 {
        return pairs;
    }
    // For each pair, the index of the first pair with an equal key.
    let mut first: Vec<usize> = Vec::with_capacity(pairs.len());
    if pairs.len() <= SCAN_LIMIT {
        for (i, (key, _)) in pairs.iter().enumerate() {
            let at = pairs[..i]
                .iter()
                .position(|(k, _)| py_eq(k, key))
                .unwrap_or(i);
            first.push(at);
        }
    } else {
        let mut seen: HashMap<PyKey<'_>, usize> = HashMap::with_capacity(pairs.len());
        for (i, (key, _)) in pairs.iter().enumerate() {
            first.push(*seen.entry(PyKey(key)).or_insert(i));
        }
    }
    if first.iter().enumerate().all(|(i, &at)| at == i) {
        return pairs;
    }
    // Move each repeated key's value to its first place, then drop the
    // repeats. Later values overwrite earlier ones, as in Python.
    for i in 0..pairs.len() {
        let at = first[i];
        if at != i {
            let value = std::mem::take(&mut pairs[i].1);
            pairs[at].1 = value;
        }
    }
    let mut index = 0;
    pairs.retain(|_| {
        let keep = first[index] == index;
        index += 1;
        keep
    });
    pairs
}

/// A key hashed and compared as Python does, for [`dedup`].
#[derive(Debug)]
struct PyKey<'a>(&'a Object);

impl PartialEq for PyKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        py_eq(self.0, other.0)
    }
}

// NaN is not equal to itself, as in Python, where each decoded NaN is a
// new object and so a new key. The map then simply never finds it again.
impl Eq for PyKey<'_> {}

impl Hash for PyKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        py_hash(self.0, state);
    }
}

/// The int equal to this number, if there is one in i64.
fn integral(value: &Object) -> Option<i64> {
    match value {
        Object::Bool(b) => Some(i64::from(*b)),
        Object::Int(i) => Some(*i),
        Object::Float(f) => {
            // -2^63 <= f < 2^63 holds exactly as f64 bounds.
            let in_range = *f >= -9_223_372_036_854_775_808.0 && *f < 9_223_372_036_854_775_808.0;
            (in_range && f.fract() == 0.0).then_some(*f as i64)
        }
        _ => None,
    }
}

fn is_number(value: &Object) -> bool {
    matches!(value, Object::Bool(_) | Object::Int(_) | Object::Float(_))
}

/// Python's `==` on values: numbers compare by value across bool, int and
/// float (exactly, not through a rounding cast).
fn py_eq(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Float(x), Object::Float(y)) => x == y,
        (x, y) if is_number(x) && is_number(y) => match (integral(x), integral(y)) {
            (Some(i), Some(j)) => i == j,
            // One side is a non-integral float (or beyond i64), the other
            // an int or bool: never equal.
            _ => false,
        },
        (Object::None, Object::None) => true,
        (Object::Str(x), Object::Str(y)) => x == y,
        (Object::List(x), Object::List(y)) | (Object::Tuple(x), Object::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(a, b))
        }
        (Object::Dict(x), Object::Dict(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => false,
    }
}

/// A hash consistent with [`py_eq`].
fn py_hash<H: Hasher>(value: &Object, state: &mut H) {
    if let Some(i) = integral(value) {
        state.write_u8(b'i');
        state.write_i64(i);
        return;
    }
    match value {
        Object::Float(f) => {
            state.write_u8(b'f');
            state.write_u64(f.to_bits());
        }
        Object::Str(s) => {
            state.write_u8(b's');
            s.hash(state);
        }
        Object::List(items) | Object::Tuple(items) => {
            state.write_u8(if matches!(value, Object::List(_)) {
                b'l'
            } else {
                b't'
            });
            state.write_usize(items.len());
            for item in items {
                py_hash(item, state);
            }
        }
        // Dicts compare regardless of order: hash only their size.
        Object::Dict(d) => {
            state.write_u8(b'd');
            state.write_usize(d.len());
        }
        _ => state.write_u8(b'n'),
    }
}

impl<K: Into<Object>, V: Into<Object>> FromIterator<(K, V)> for Dict {
    /// Collects pairs as Python's `dict(pairs)` does (see [`Dict::insert`]
    /// for repeated keys), in linear time.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Dict {
        Dict::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<Object>, V: Into<Object>> Extend<(K, V)> for Dict {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
        self.pairs = dedup(pairs);
    }
}

impl IntoIterator for Dict {
    type Item = (Object, Object);
    type IntoIter = std::vec::IntoIter<(Object, Object)>;
    fn into_iter(self) -> Self::IntoIter {
        self.pairs.into_iter()
    }
}

impl<'a> IntoIterator for &'a Dict {
    type Item = &'a (Object, Object);
    type IntoIter = std::slice::Iter<'a, (Object, Object)>;
    fn into_iter(self) -> Self::IntoIter {
        self.pairs.iter()
    }
}

impl From<Dict> for Object {
    fn from(d: Dict) -> Object {
        Object::Dict(d)
    }
}

impl From<()> for Object {
    fn from((): ()) -> Object {
        Object::None
    }
}

impl From<bool> for Object {
    fn from(b: bool) -> Object {
        Object::Bool(b)
    }
}

macro_rules! from_int {
    ($($t:ty)*) => {$(
        impl From<$t> for Object {
            fn from(i: $t) -> Object {
                Object::Int(i64::from(i))
            }
        }
    )*};
}
from_int!(i8 i16 i32 i64 u8 u16 u32);

macro_rules! try_from_int {
    ($($t:ty)*) => {$(
        impl TryFrom<$t> for Object {
            type Error = Error;
            /// An int, or [`Error::IntOutOfRange`] outside i64.
            fn try_from(i: $t) -> Result<Object, Error> {
                i64::try_from(i)
                    .map(Object::Int)
                    .map_err(|_| Error::IntOutOfRange { value: i.to_string() })
            }
        }
    )*};
}
try_from_int!(u64 usize isize i128 u128);

impl From<f64> for Object {
    fn from(f: f64) -> Object {
        Object::Float(f)
    }
}

impl From<f32> for Object {
    fn from(f: f32) -> Object {
        Object::Float(f64::from(f))
    }
}

impl From<&str> for Object {
    fn from(s: &str) -> Object {
        Object::Str(s.to_owned())
    }
}

impl From<String> for Object {
    fn from(s: String) -> Object {
        Object::Str(s)
    }
}

impl From<char> for Object {
    fn from(c: char) -> Object {
        Object::Str(c.to_string())
    }
}

impl<T: Into<Object>> From<Option<T>> for Object {
    fn from(value: Option<T>) -> Object {
        value.map_or(Object::None, Into::into)
    }
}

impl<T: Into<Object>> From<Vec<T>> for Object {
    /// A list.
    fn from(items: Vec<T>) -> Object {
        Object::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Object>> FromIterator<T> for Object {
    /// A list.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Object {
        Object::List(iter.into_iter().map(Into::into).collect())
    }
}

macro_rules! from_tuple {
    ($($name:ident)+) => {
        impl<$($name: Into<Object>),+> From<($($name,)+)> for Object {
            /// A tuple.
            #[allow(non_snake_case)]
            fn from(($($name,)+): ($($name,)+)) -> Object {
                Object::Tuple(vec![$($name.into()),+])
            }
        }
    };
}
from_tuple!(A);
from_tuple!(A B);
from_tuple!(A B C);
from_tuple!(A B C D);
from_tuple!(A B C D E);
from_tuple!(A B C D E F);

/// Python's `repr` of a float: the shortest text that reads back the same,
/// with an exponent below 1e-4 and from 1e16 on.
fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("nan");
    }
    if x.is_infinite() {
        return f.write_str(if x < 0.0 { "-inf" } else { "inf" });
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // `{:e}` is the shortest round-trip digits as d.ddde[-]x.
        let text = format!("{x:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        write!(f, "{mantissa}e{sign}{digits:0>2}")
    } else {
        // `{:?}` is the shortest round-trip digits, with a `.0` when whole.
        write!(f, "{x:?}")
    }
}

/// Python's `repr` of a str: single quotes unless the text has a single
/// quote and no double quote; escapes for backslash, quotes and control
/// characters.
fn write_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    f.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => write!(f, "\\{c}")?,
            c if c.is_control() => match u32::from(c) {
                n if n <= 0xff => write!(f, "\\x{n:02x}")?,
                n => write!(f, "\\u{n:04x}")?,
            },
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[Object]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        fmt::Display::fmt(item, f)?;
    }
    Ok(())
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::None => f.write_str("None"),
            Object::Bool(true) => f.write_str("True"),
            Object::Bool(false) => f.write_str("False"),
            Object::Int(i) => write!(f, "{i}"),
            Object::Float(x) => write_float(f, *x),
            Object::Str(s) => write_str(f, s),
            Object::List(items) => {
                f.write_char('[')?;
                write_items(f, items)?;
                f.write_char(']')
            }
            Object::Tuple(items) => {
                f.write_char('(')?;
                write_items(f, items)?;
                if items.len() == 1 {
                    f.write_char(',')?;
                }
                f.write_char(')')
            }
            Object::Dict(d) => fmt::Display::fmt(d, f),
        }
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}: {v}")?;
        }
        f.write_char('}')
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
