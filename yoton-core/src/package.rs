//! The unit yoton moves between contexts: a 56-byte header and the data,
//! laid out on the wire exactly as the reference lays it out.

use std::fmt;

use bytes::Bytes;

use crate::hash::slot_hash;

/// The size of a package header: seven little-endian `u64` values.
pub const HEADER_SIZE: usize = 56;

/// The first header word of every package: the ASCII bytes `YOTON   `
/// read as a little-endian `u64`.
pub const CONTROL: u64 = u64::from_le_bytes(*b"YOTON   ");

/// The slot a package is addressed to: which channel receives it.
///
/// Slots 0 to 7 are reserved; channel slots are hashes of their names
/// (see [`Slot::from_name`]), which are never below 8.
///
/// ```
/// # mod yoton { pub use yoton_core::{Context, Package, Slot}; }
/// use yoton::Slot;
///
/// assert_eq!(Slot::from_name("chat.txt.pub-sub").get(), 17460451874447);
/// assert_eq!(Slot::CONTEXT.to_string(), "2");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(u64);

impl Slot {
    /// Connection-level packages: heartbeats and the close notice.
    pub const CONNECTION: Slot = Slot(1);
    /// Context-to-context messages such as `NEW_CONNECTION`.
    pub const CONTEXT: Slot = Slot(2);

    /// Wraps a raw slot number.
    pub const fn new(value: u64) -> Slot {
        Slot(value)
    }

    /// The raw slot number, as it appears on the wire.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The slot of a name, hashed as given (see [`slot_hash`]).
    pub fn from_name(name: &str) -> Slot {
        Slot(slot_hash(name))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Slot> for u64 {
    fn from(slot: Slot) -> u64 {
        slot.0
    }
}

/// What a package means to the connection that receives it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PackageKind {
    /// A package with data, for the context to route.
    Data,
    /// No data and `source_seq` 0: the sender is alive.
    Heartbeat,
    /// No data and `source_seq` 1: the sender closes the connection.
    Close,
    /// No data and any other `source_seq`: meaningless, to be discarded.
    Empty,
}

/// A package: routing fields and data.
///
/// `data` is a [`Bytes`], so a decoded package shares the receive buffer
/// and a package sent to several connections shares one copy.
///
/// ```
/// # mod yoton { pub use yoton_core::{Context, Package, Slot}; }
/// use yoton::{Package, Slot};
///
/// let mut p = Package::new(Slot::from_name("chat.txt.pub-sub"), &b"hello"[..]);
/// p.source_id = 0x0123_4567_89ab_cdef;
/// p.source_seq = 7;
/// let wire = p.to_bytes();
/// // A 56-byte header (the magic, then six little-endian u64s), the data.
/// assert_eq!(wire.len(), 56 + 5);
/// assert_eq!(p.encoded_len(), wire.len());
/// assert_eq!(&wire[..8], b"YOTON   ");
/// assert_eq!(&wire[56..], b"hello");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// The slot the package is addressed to.
    pub slot: Slot,
    /// The id of the context that originated the package.
    pub source_id: u64,
    /// The originating context's sequence number for this package.
    pub source_seq: u64,
    /// The context the package is for, or 0 for every context.
    pub dest_id: u64,
    /// The sequence number of the package this one replies to, or 0.
    pub dest_seq: u64,
    /// The message itself.
    pub data: Bytes,
}

impl Package {
    /// A package for `slot` with the given data and every other field 0.
    pub fn new(slot: Slot, data: impl Into<Bytes>) -> Package {
        Package {
            slot,
            source_id: 0,
            source_seq: 0,
            dest_id: 0,
            dest_seq: 0,
            data: data.into(),
        }
    }

    /// The heartbeat: slot 1, no data, `source_seq` 0.
    pub fn heartbeat() -> Package {
        Package::new(Slot::CONNECTION, Bytes::new())
    }

    /// The close notice: slot 1, no data, `source_seq` 1.
    pub fn close_notice() -> Package {
        Package {
            source_seq: 1,
            ..Package::heartbeat()
        }
    }

    /// What the package means; only [`PackageKind::Data`] goes to a context.
    ///
    /// As in the reference, an empty package is a signal whatever its slot.
    pub fn kind(&self) -> PackageKind {
        if !self.data.is_empty() {
            return PackageKind::Data;
        }
        match self.source_seq {
            0 => PackageKind::Heartbeat,
            1 => PackageKind::Close,
            _ => PackageKind::Empty,
        }
    }

    /// The 56 header bytes.
    pub fn header(&self) -> [u8; HEADER_SIZE] {
        let words = [
            CONTROL,
            self.slot.get(),
            self.source_id,
            self.source_seq,
            self.dest_id,
            self.dest_seq,
            self.data.len() as u64,
        ];
        let mut out = [0u8; HEADER_SIZE];
        for (chunk, word) in out.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// The number of bytes the package takes on the wire.
    pub fn encoded_len(&self) -> usize {
        HEADER_SIZE + self.data.len()
    }

    /// Appends header and data to `out`, so that many packages can go out
    /// in one write.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.header());
        out.extend_from_slice(&self.data);
    }

    /// Header and data in one buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_word_is_the_ascii_text() {
        assert_eq!(CONTROL, 2314885729178898265);
        assert_eq!(&Package::heartbeat().header()[..8], b"YOTON   ");
    }

    #[test]
    fn a_slot_converts_to_its_wire_number() {
        for raw in [0, 1, 2, 8, 17460451874447, u64::MAX] {
            let slot = Slot::new(raw);
            assert_eq!(u64::from(slot), raw);
            assert_eq!(slot.get(), raw);
            assert_eq!(slot.to_string(), raw.to_string());
        }
        assert_eq!(u64::from(Slot::CONNECTION), 1);
        assert_eq!(u64::from(Slot::CONTEXT), 2);
        assert_eq!(
            u64::from(Slot::from_name("chat.txt.pub-sub")),
            17460451874447
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(Package::heartbeat().kind(), PackageKind::Heartbeat);
        assert_eq!(Package::close_notice().kind(), PackageKind::Close);
        let mut p = Package::new(Slot::new(9), Bytes::new());
        p.source_seq = 2;
        assert_eq!(p.kind(), PackageKind::Empty);
        p.data = Bytes::from_static(b"x");
        assert_eq!(p.kind(), PackageKind::Data);
    }

    #[test]
    fn encode_into_appends() {
        let mut out = vec![1, 2, 3];
        let p = Package::new(Slot::CONTEXT, &b"abc"[..]);
        p.encode_into(&mut out);
        Package::heartbeat().encode_into(&mut out);
        assert_eq!(out.len(), 3 + p.encoded_len() + HEADER_SIZE);
        assert_eq!(&out[3..3 + HEADER_SIZE], &p.header());
        assert_eq!(&out[3 + HEADER_SIZE..3 + HEADER_SIZE + 3], b"abc");
        assert_eq!(&out[3 + p.encoded_len()..], &Package::heartbeat().header());
        assert_eq!(p.to_bytes(), out[3..3 + p.encoded_len()]);
    }
}
