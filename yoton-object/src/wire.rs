//! The bytes of the format: tags, counts, the bounds-checked reader that
//! both decoders share, and the direct (serde-free) codec of [`Object`].

use crate::object::{Dict, Object};
use crate::{Error, MAX_DEPTH};

pub(crate) const TAG_NONE: u8 = b'n';
pub(crate) const TAG_BOOL: u8 = b'b';
pub(crate) const TAG_INT: u8 = b'i';
pub(crate) const TAG_FLOAT: u8 = b'f';
pub(crate) const TAG_STR: u8 = b's';
pub(crate) const TAG_LIST: u8 = b'l';
pub(crate) const TAG_TUPLE: u8 = b't';
pub(crate) const TAG_DICT: u8 = b'd';

/// Containers never reserve room for more items than this up front: a
/// count is only a promise, and the items themselves pay for the rest as
/// they arrive.
const MAX_PREALLOC: usize = 1024;

/// Appends a length or count as the reference writes it: one byte below
/// 255, else 0xff and a u64 little-endian.
pub(crate) fn write_count(out: &mut Vec<u8>, n: u64) {
    if n < 255 {
        out.push(n as u8);
    } else {
        out.push(0xff);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

/// The bytes `write_count` appends for `n`.
pub(crate) fn count_len(n: u64) -> usize {
    if n < 255 { 1 } else { 9 }
}

/// Appends a str value (tag, length, UTF-8).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(TAG_STR);
    write_count(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Appends an int value.
pub(crate) fn write_int(out: &mut Vec<u8>, i: i64) {
    out.push(TAG_INT);
    out.extend_from_slice(&i.to_le_bytes());
}

/// Appends a float value.
pub(crate) fn write_float(out: &mut Vec<u8>, f: f64) {
    out.push(TAG_FLOAT);
    out.extend_from_slice(&f.to_le_bytes());
}

/// A cursor over OBJECT data that never reads past the end.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let remaining = self.remaining();
        if n > remaining as u64 {
            return Err(Error::Truncated {
                offset: self.pos,
                needed: n,
                remaining,
            });
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.data[start..self.pos])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N as u64)?);
        Ok(out)
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn bool_byte(&mut self) -> Result<bool, Error> {
        // The reference reads any non-zero byte as True.
        Ok(self.byte()? != 0)
    }

    pub(crate) fn i64(&mut self) -> Result<i64, Error> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn f64(&mut self) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    pub(crate) fn count(&mut self) -> Result<u64, Error> {
        let n = self.byte()?;
        if n == 0xff {
            // A long form is accepted for any count, as the reference does.
            Ok(u64::from_le_bytes(self.array()?))
        } else {
            Ok(u64::from(n))
        }
    }

    /// Reads the count of a container whose tag is at `tag_offset`, each
    /// item of which takes at least `item_bytes` bytes, and refuses counts
    /// the rest of the data cannot hold.
    pub(crate) fn container_count(
        &mut self,
        tag_offset: usize,
        item_bytes: u64,
    ) -> Result<usize, Error> {
        let count = self.count()?;
        let min_bytes = count.saturating_mul(item_bytes);
        let remaining = self.remaining();
        if min_bytes > remaining as u64 {
            return Err(Error::CountTooLarge {
                offset: tag_offset,
                count,
                min_bytes,
                remaining,
            });
        }
        // It fits in the data, so it fits in usize.
        Ok(count as usize)
    }

    /// Reads a str's length and bytes (after its tag at `tag_offset`).
    pub(crate) fn str_body(&mut self, tag_offset: usize) -> Result<&'a str, Error> {
        let n = self.count()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).map_err(|source| Error::InvalidUtf8 {
            offset: tag_offset,
            source,
        })
    }
}

/// The capacity to reserve for a container that announces `count` items.
pub(crate) fn prealloc(count: usize) -> usize {
    count.min(MAX_PREALLOC)
}

/// Enters one more level of nesting, refusing to go past [`MAX_DEPTH`].
pub(crate) fn deeper(depth: usize) -> Result<usize, Error> {
    if depth >= MAX_DEPTH {
        Err(Error::TooDeep { limit: MAX_DEPTH })
    } else {
        Ok(depth + 1)
    }
}

pub(crate) fn encode(
    value: &Object,
    out: &mut Vec<u8>,
    depth: usize,
    in_key: bool,
) -> Result<(), Error> {
    match value {
        Object::None => out.push(TAG_NONE),
        Object::Bool(b) => {
            out.push(TAG_BOOL);
            out.push(u8::from(*b));
        }
        Object::Int(i) => write_int(out, *i),
        Object::Float(f) => write_float(out, *f),
        Object::Str(s) => write_str(out, s),
        Object::List(items) | Object::Tuple(items) => {
            let list = matches!(value, Object::List(_));
            if list && in_key {
                return Err(Error::UnhashableKey { kind: "list" });
            }
            let depth = deeper(depth)?;
            out.push(if list { TAG_LIST } else { TAG_TUPLE });
            write_count(out, items.len() as u64);
            for item in items {
                encode(item, out, depth, in_key)?;
            }
        }
        Object::Dict(dict) => {
            if in_key {
                return Err(Error::UnhashableKey { kind: "dict" });
            }
            let depth = deeper(depth)?;
            out.push(TAG_DICT);
            write_count(out, dict.len() as u64);
            for (key, value) in dict {
                encode(key, out, depth, true)?;
                encode(value, out, depth, false)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn decode(r: &mut Reader<'_>, depth: usize, in_key: bool) -> Result<Object, Error> {
    let offset = r.pos();
    let tag = r.byte()?;
    Ok(match tag {
        TAG_NONE => Object::None,
        TAG_BOOL => Object::Bool(r.bool_byte()?),
        TAG_INT => Object::Int(r.i64()?),
        TAG_FLOAT => Object::Float(r.f64()?),
        TAG_STR => Object::Str(r.str_body(offset)?.to_owned()),
        TAG_LIST | TAG_TUPLE => {
            if tag == TAG_LIST && in_key {
                return Err(Error::UnhashableKey { kind: "list" });
            }
            let depth = deeper(depth)?;
            let count = r.container_count(offset, 1)?;
            let mut items = Vec::with_capacity(prealloc(count));
            for _ in 0..count {
                items.push(decode(r, depth, in_key)?);
            }
            if tag == TAG_LIST {
                Object::List(items)
            } else {
                Object::Tuple(items)
            }
        }
        TAG_DICT => {
            if in_key {
                return Err(Error::UnhashableKey { kind: "dict" });
            }
            let depth = deeper(depth)?;
            let count = r.container_count(offset, 2)?;
            let mut pairs = Vec::with_capacity(prealloc(count));
            for _ in 0..count {
                let key = decode(r, depth, true)?;
                let value = decode(r, depth, false)?;
                pairs.push((key, value));
            }
            Object::Dict(Dict::from_pairs(pairs))
        }
        tag => return Err(Error::UnknownTag { tag, offset }),
    })
}
