//! The serde deserializer: OBJECT bytes to any `Deserialize` type, and
//! `Deserialize` for [`Object`] and [`Dict`].

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, U128Deserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer as _, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::Error;
use crate::object::{Dict, Object};
use crate::wire::{
    self, Reader, TAG_BOOL, TAG_DICT, TAG_FLOAT, TAG_INT, TAG_LIST, TAG_NONE, TAG_STR, TAG_TUPLE,
};

/// The newtype name under which [`Object`] asks the deserializer for a
/// value; ours then tells its tuples from its lists (see [`TUPLE_TOKEN`]).
const OBJECT_TOKEN: &str = "$yoton_object::Object";

/// The one key of the map under which our deserializer hands a tuple to
/// [`Object`]'s visitor (serde has no "tuple" in its data model on the way
/// in, only sequences). It is a u128, which OBJECT data cannot hold, so no
/// real dict can pass for a tuple.
const TUPLE_TOKEN: u128 = u128::from_be_bytes(*b"yoton-obj-tuple!");

/// Decodes OBJECT bytes into any `Deserialize` type, as leniently as the
/// reference: empty data reads as `None`, and bytes after the first value
/// are ignored. Strings are borrowed from `data` where the type allows.
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Point { x: i32, y: i32 }
///
/// // {'y': 2, 'x': 1} from Python: fields may come in any order.
/// let bytes = b"d\x02s\x01yi\x02\0\0\0\0\0\0\0s\x01xi\x01\0\0\0\0\0\0\0";
/// assert_eq!(yoton_object::from_bytes::<Point>(bytes)?, Point { x: 1, y: 2 });
/// # Ok::<(), yoton_object::Error>(())
/// ```
///
/// # Errors
/// The decoding errors of [`Object::from_bytes`], and
/// [`Error::Message`] when the value does not have the shape `T` wants (a
/// missing field, a str for an int, an int out of the range of `T`, a
/// sequence longer than a tuple...).
pub fn from_bytes<'de, T: Deserialize<'de>>(data: &'de [u8]) -> Result<T, Error> {
    let data: &'de [u8] = if data.is_empty() { b"n" } else { data };
    let mut decoder = Decoder {
        r: Reader::new(data),
        depth: 0,
        key_depth: 0,
    };
    T::deserialize(&mut decoder)
}

/// Converts an [`Object`] into any `Deserialize` type (through its bytes).
///
/// # Errors
/// The encoding errors of [`Object::to_bytes`] and the errors of
/// [`from_bytes`].
pub fn from_object<T: DeserializeOwned>(value: &Object) -> Result<T, Error> {
    from_bytes(&value.to_bytes()?)
}

struct Decoder<'de> {
    r: Reader<'de>,
    depth: usize,
    /// Above zero while a dict key is being read: lists and dicts are
    /// refused there.
    key_depth: usize,
}

impl<'de> Decoder<'de> {
    fn open(&mut self, tag: u8) -> Result<(), Error> {
        if self.key_depth > 0 {
            match tag {
                TAG_LIST => return Err(Error::UnhashableKey { kind: "list" }),
                TAG_DICT => return Err(Error::UnhashableKey { kind: "dict" }),
                _ => {}
            }
        }
        self.depth = wire::deeper(self.depth)?;
        Ok(())
    }

    fn value<V: Visitor<'de>>(&mut self, visitor: V, mark_tuples: bool) -> Result<V::Value, Error> {
        let offset = self.r.pos();
        let tag = self.r.byte()?;
        match tag {
            TAG_NONE => visitor.visit_unit(),
            TAG_BOOL => visitor.visit_bool(self.r.bool_byte()?),
            TAG_INT => visitor.visit_i64(self.r.i64()?),
            TAG_FLOAT => visitor.visit_f64(self.r.f64()?),
            TAG_STR => visitor.visit_borrowed_str(self.r.str_body(offset)?),
            TAG_LIST | TAG_TUPLE => {
                self.open(tag)?;
                let count = self.r.container_count(offset, 1)?;
                let value = if tag == TAG_TUPLE && mark_tuples {
                    visitor.visit_map(TupleMarker {
                        de: self,
                        count,
                        given: false,
                    })?
                } else {
                    visit_seq(self, count, visitor)?
                };
                self.depth -= 1;
                Ok(value)
            }
            TAG_DICT => {
                self.open(tag)?;
                let count = self.r.container_count(offset, 2)?;
                let mut map = Map {
                    de: self,
                    left: count,
                };
                let value = visitor.visit_map(&mut map)?;
                if map.left > 0 {
                    return Err(Error::Message(format!(
                        "a dict of {count} keys where {} were read",
                        count - map.left
                    )));
                }
                self.depth -= 1;
                Ok(value)
            }
            tag => Err(Error::UnknownTag { tag, offset }),
        }
    }
}

fn visit_seq<'de, V: Visitor<'de>>(
    de: &mut Decoder<'de>,
    count: usize,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut seq = Seq { de, left: count };
    let value = visitor.visit_seq(&mut seq)?;
    if seq.left > 0 {
        return Err(Error::Message(format!(
            "a sequence of {count} items where {} were expected",
            count - seq.left
        )));
    }
    Ok(value)
}

impl<'de> de::Deserializer<'de> for &mut Decoder<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.value(visitor, false)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.r.peek() == Some(TAG_NONE) {
            self.r.byte()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == OBJECT_TOKEN {
            self.value(visitor, true)
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let offset = self.r.pos();
        match self.r.peek() {
            Some(TAG_STR) => {
                self.r.byte()?;
                let name = self.r.str_body(offset)?;
                visitor.visit_enum(BorrowedStrDeserializer::new(name))
            }
            Some(TAG_DICT) => {
                self.r.byte()?;
                self.open(TAG_DICT)?;
                let count = self.r.count()?;
                if count != 1 {
                    return Err(Error::Message(format!(
                        "an enum variant with data is a dict of one key, not of {count}"
                    )));
                }
                let value = visitor.visit_enum(Enum { de: &mut *self })?;
                self.depth -= 1;
                Ok(value)
            }
            // Let the visitor say what it expected instead.
            _ => self.value(visitor, false),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

struct Seq<'a, 'de> {
    de: &'a mut Decoder<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(wire::prealloc(self.left))
    }
}

struct Map<'a, 'de> {
    de: &'a mut Decoder<'de>,
    left: usize,
}

impl<'de> de::MapAccess<'de> for Map<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.de.key_depth += 1;
        let key = seed.deserialize(&mut *self.de);
        self.de.key_depth -= 1;
        key.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.left = self.left.saturating_sub(1);
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(wire::prealloc(self.left))
    }
}

/// A tuple handed to [`Object`]'s visitor as `{TUPLE_TOKEN: items}`.
struct TupleMarker<'a, 'de> {
    de: &'a mut Decoder<'de>,
    count: usize,
    given: bool,
}

impl<'de> de::MapAccess<'de> for TupleMarker<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.given {
            return Ok(None);
        }
        self.given = true;
        seed.deserialize(U128Deserializer::new(TUPLE_TOKEN))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(TupleItems {
            de: &mut *self.de,
            count: self.count,
        })
    }
}

/// The items of a marked tuple, as a sequence.
struct TupleItems<'a, 'de> {
    de: &'a mut Decoder<'de>,
    count: usize,
}

impl<'de> de::Deserializer<'de> for TupleItems<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_seq(self.de, self.count, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// An enum variant with data: `{variant: data}`.
struct Enum<'a, 'de> {
    de: &'a mut Decoder<'de>,
}

impl<'de> de::EnumAccess<'de> for Enum<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        self.de.key_depth += 1;
        let variant = seed.deserialize(&mut *self.de);
        self.de.key_depth -= 1;
        Ok((variant?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        <()>::deserialize(&mut *self.de)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.de.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.de.deserialize_any(visitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("None, a bool, an int, a float, a str, a list, a tuple or a dict")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Object, E> {
        Ok(Object::None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Object, E> {
        Ok(Object::None)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Object, D::Error> {
        Object::deserialize(d)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Object, D::Error> {
        d.deserialize_any(ObjectVisitor)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Object, E> {
        Ok(Object::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Object, E> {
        Ok(Object::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Object, E> {
        Object::try_from(v).map_err(E::custom)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Object, E> {
        Object::try_from(v).map_err(E::custom)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Object, E> {
        Object::try_from(v).map_err(E::custom)
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

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Object, E> {
        Ok(v.iter().copied().collect())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Object, A::Error> {
        Ok(Object::List(collect_items(seq)?))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
        let first = match map.next_key_seed(FirstKeySeed)? {
            None => return Ok(Object::dict()),
            Some(FirstKey::Tuple) => {
                return Ok(Object::Tuple(map.next_value::<TupleItemsValue>()?.0));
            }
            Some(FirstKey::Key(key)) => key,
        };
        let mut pairs = Vec::with_capacity(wire::prealloc(map.size_hint().unwrap_or(0)));
        pairs.push((first, map.next_value()?));
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Ok(Object::Dict(Dict::from_pairs(pairs)))
    }
}

/// The first key of a map: a real key, or the mark of a tuple.
enum FirstKey {
    Tuple,
    Key(Object),
}

struct FirstKeySeed;

impl<'de> DeserializeSeed<'de> for FirstKeySeed {
    type Value = FirstKey;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<FirstKey, D::Error> {
        d.deserialize_newtype_struct(OBJECT_TOKEN, FirstKeyVisitor)
    }
}

struct FirstKeyVisitor;

/// Forwards visits to [`ObjectVisitor`], wrapping its value as a key.
macro_rules! forward_to_object_visitor {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<E: de::Error>(self, $($arg: $ty),*) -> Result<FirstKey, E> {
            ObjectVisitor.$method($($arg),*).map(FirstKey::Key)
        }
    )*};
}

impl<'de> Visitor<'de> for FirstKeyVisitor {
    type Value = FirstKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ObjectVisitor.expecting(f)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<FirstKey, E> {
        if v == TUPLE_TOKEN {
            Ok(FirstKey::Tuple)
        } else {
            ObjectVisitor.visit_u128(v).map(FirstKey::Key)
        }
    }

    forward_to_object_visitor! {
        visit_unit();
        visit_none();
        visit_bool(v: bool);
        visit_i64(v: i64);
        visit_u64(v: u64);
        visit_i128(v: i128);
        visit_f64(v: f64);
        visit_str(v: &str);
        visit_string(v: String);
        visit_bytes(v: &[u8]);
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<FirstKey, D::Error> {
        ObjectVisitor.visit_some(d).map(FirstKey::Key)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<FirstKey, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<FirstKey, A::Error> {
        ObjectVisitor.visit_seq(seq).map(FirstKey::Key)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<FirstKey, A::Error> {
        ObjectVisitor.visit_map(map).map(FirstKey::Key)
    }
}

fn collect_items<'de, A: de::SeqAccess<'de>>(mut seq: A) -> Result<Vec<Object>, A::Error> {
    let mut items = Vec::with_capacity(wire::prealloc(seq.size_hint().unwrap_or(0)));
    while let Some(item) = seq.next_element()? {
        items.push(item);
    }
    Ok(items)
}

/// The items of a tuple under [`TUPLE_TOKEN`].
struct TupleItemsValue(Vec<Object>);

impl<'de> Deserialize<'de> for TupleItemsValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = TupleItemsValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the items of a tuple")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                collect_items(seq).map(TupleItemsValue)
            }
        }
        d.deserialize_seq(ItemsVisitor)
    }
}

impl<'de> Deserialize<'de> for Object {
    /// Takes any value of the serde data model that fits: unit and none as
    /// `None`, sequences as lists, maps as dicts (tuples stay tuples when
    /// the data is OBJECT bytes), bytes as a list of ints, and integers only
    /// within i64.
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Object, D::Error> {
        d.deserialize_newtype_struct(OBJECT_TOKEN, ObjectVisitor)
    }
}

impl<'de> Deserialize<'de> for Dict {
    /// A dict, and nothing else.
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Dict, D::Error> {
        match Object::deserialize(d)? {
            Object::Dict(dict) => Ok(dict),
            other => Err(de::Error::invalid_type(
                de::Unexpected::Other(other.type_name()),
                &"a dict",
            )),
        }
    }
}

impl serde::Serialize for Dict {
    /// A map, in key order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, v)))
    }
}
