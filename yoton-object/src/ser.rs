//! The serde serializer: any `Serialize` value to OBJECT bytes, and
//! `Serialize` for [`Object`].

use serde::ser::{self, Serialize};

use crate::Error;
use crate::object::Object;
use crate::wire::{self, TAG_BOOL, TAG_DICT, TAG_LIST, TAG_NONE, TAG_TUPLE};

/// Encodes any `Serialize` value as OBJECT bytes (see the crate
/// documentation for how Rust types map to Python's).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// let bytes = yoton_object::to_bytes(&Point { x: 1, y: 2 })?;
/// assert_eq!(yoton_object::Object::from_bytes(&bytes)?.to_string(), "{'x': 1, 'y': 2}");
/// # Ok::<(), yoton_object::Error>(())
/// ```
///
/// # Errors
/// [`Error::IntOutOfRange`] for an integer outside i64,
/// [`Error::UnhashableKey`] for a map key that serializes as a list or dict,
/// [`Error::TooDeep`] past [`MAX_DEPTH`](crate::MAX_DEPTH) nested containers, and
/// [`Error::Message`] for an error of the value's `Serialize`.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    to_writer(&mut out, value)?;
    Ok(out)
}

/// Appends the OBJECT encoding of `value` to `out`. On error, `out` may
/// hold part of it.
///
/// # Errors
/// As [`to_bytes`].
pub fn to_writer<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    let mut encoder = Encoder {
        out,
        depth: 0,
        key_depth: 0,
    };
    value.serialize(&mut encoder)
}

/// Converts any `Serialize` value to an [`Object`] (through its bytes).
///
/// # Errors
/// As [`to_bytes`].
pub fn to_object<T: Serialize + ?Sized>(value: &T) -> Result<Object, Error> {
    Object::from_bytes(&to_bytes(value)?)
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
    /// Above zero while a dict key is being written: lists and dicts are
    /// refused there.
    key_depth: usize,
}

impl<'a> Encoder<'a> {
    /// Opens a container: checks the key and depth rules, writes the tag
    /// and the count (`len` if known, else a placeholder that `end` fixes).
    fn open<'e>(&'e mut self, tag: u8, len: Option<usize>) -> Result<Compound<'e, 'a>, Error> {
        self.check_in_key(tag)?;
        self.depth = wire::deeper(self.depth)?;
        self.out.push(tag);
        let header = self.out.len();
        let declared = len.unwrap_or(0) as u64;
        wire::write_count(self.out, declared);
        Ok(Compound {
            enc: self,
            header,
            declared,
            count: 0,
            levels: 1,
        })
    }

    fn check_in_key(&self, tag: u8) -> Result<(), Error> {
        if self.key_depth == 0 {
            return Ok(());
        }
        match tag {
            TAG_LIST => Err(Error::UnhashableKey { kind: "list" }),
            TAG_DICT => Err(Error::UnhashableKey { kind: "dict" }),
            _ => Ok(()),
        }
    }

    /// Writes the head of an enum variant's one-key dict `{variant: ...}`.
    fn variant_head(&mut self, variant: &str) -> Result<(), Error> {
        self.check_in_key(TAG_DICT)?;
        self.depth = wire::deeper(self.depth)?;
        self.out.push(TAG_DICT);
        wire::write_count(self.out, 1);
        wire::write_str(self.out, variant);
        Ok(())
    }

    fn int<T: TryInto<i64> + ToString + Copy>(&mut self, v: T) -> Result<(), Error> {
        let i = v.try_into().map_err(|_| Error::IntOutOfRange {
            value: v.to_string(),
        })?;
        wire::write_int(self.out, i);
        Ok(())
    }
}

/// A list, tuple or dict being written.
struct Compound<'e, 'a> {
    enc: &'e mut Encoder<'a>,
    /// Where the count starts.
    header: usize,
    /// The count written there.
    declared: u64,
    /// The items (or pairs) written so far.
    count: u64,
    /// The nesting levels to leave at the end (2 inside a variant dict).
    levels: usize,
}

impl Compound<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.enc)?;
        self.count += 1;
        Ok(())
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.enc.key_depth += 1;
        let result = key.serialize(&mut *self.enc);
        self.enc.key_depth -= 1;
        result
    }

    fn end(self) -> Result<(), Error> {
        if self.count != self.declared {
            // The length was unknown (or wrong): write the true count.
            let mut fixed = Vec::with_capacity(9);
            wire::write_count(&mut fixed, self.count);
            let old = self.header..self.header + wire::count_len(self.declared);
            self.enc.out.splice(old, fixed);
        }
        self.enc.depth -= self.levels;
        Ok(())
    }
}

impl<'e, 'a> ser::Serializer for &'e mut Encoder<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'e, 'a>;
    type SerializeTuple = Compound<'e, 'a>;
    type SerializeTupleStruct = Compound<'e, 'a>;
    type SerializeTupleVariant = Compound<'e, 'a>;
    type SerializeMap = Compound<'e, 'a>;
    type SerializeStruct = Compound<'e, 'a>;
    type SerializeStructVariant = Compound<'e, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push(TAG_BOOL);
        self.out.push(u8::from(v));
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.int(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        wire::write_float(self.out, f64::from(v));
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        wire::write_float(self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        wire::write_str(self.out, v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        wire::write_str(self.out, v);
        Ok(())
    }

    /// Bytes go as a list of ints: Python's OBJECT has no bytes type.
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut list = self.open(TAG_LIST, Some(v.len()))?;
        for b in v {
            list.item(b)?;
        }
        ser::SerializeSeq::end(list)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.push(TAG_NONE);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push(TAG_NONE);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant_head(variant)?;
        value.serialize(&mut *self)?;
        self.depth -= 1;
        Ok(())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'e, 'a>, Error> {
        self.open(TAG_LIST, len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'e, 'a>, Error> {
        self.open(TAG_TUPLE, Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'e, 'a>, Error> {
        self.open(TAG_TUPLE, Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'e, 'a>, Error> {
        self.variant_head(variant)?;
        let mut compound = self.open(TAG_TUPLE, Some(len))?;
        compound.levels = 2;
        Ok(compound)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'e, 'a>, Error> {
        self.open(TAG_DICT, len)
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'e, 'a>, Error> {
        self.open(TAG_DICT, Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'e, 'a>, Error> {
        self.variant_head(variant)?;
        let mut compound = self.open(TAG_DICT, Some(len))?;
        compound.levels = 2;
        Ok(compound)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        // A pair counts once, when its value is written.
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        wire::write_str(self.enc.out, key);
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        wire::write_str(self.enc.out, key);
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl Serialize for Object {
    /// `None` as a unit, tuples as tuples, lists as sequences and dicts as
    /// maps; in OBJECT bytes this is the value's own encoding.
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq, SerializeTuple};
        match self {
            Object::None => serializer.serialize_unit(),
            Object::Bool(b) => serializer.serialize_bool(*b),
            Object::Int(i) => serializer.serialize_i64(*i),
            Object::Float(f) => serializer.serialize_f64(*f),
            Object::Str(s) => serializer.serialize_str(s),
            Object::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Object::Tuple(items) => {
                let mut tuple = serializer.serialize_tuple(items.len())?;
                for item in items {
                    tuple.serialize_element(item)?;
                }
                tuple.end()
            }
            Object::Dict(dict) => {
                let mut map = serializer.serialize_map(Some(dict.len()))?;
                for (k, v) in dict {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}
