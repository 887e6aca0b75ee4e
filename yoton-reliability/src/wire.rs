//! Packages laid out by hand, for raw peers, and streams of messages of
//! mixed sizes that a receiver checks byte for byte against the sender's.

use bytes::Bytes;
use yoton_core::package::{HEADER_SIZE, Package, Slot};

/// The slot a pub channel named `name` of type `kind` (`txt`, `bin`) sends on.
pub fn pub_slot(name: &str, kind: &str) -> Slot {
    Slot::from_name(&format!("{name}.{kind}.pub-sub").to_lowercase())
}

/// The bytes of a data package from context `source_id`, numbered `seq`.
pub fn data_package(slot: Slot, source_id: u64, seq: u64, data: &[u8]) -> Vec<u8> {
    let mut package = Package::new(slot, Bytes::copy_from_slice(data));
    package.source_id = source_id;
    package.source_seq = seq;
    package.to_bytes()
}

/// A valid header (slot 9) that announces `len` bytes of data.
pub fn header_announcing(len: u64) -> [u8; HEADER_SIZE] {
    let mut header = Package::new(Slot::new(9), Bytes::new()).header();
    header[48..56].copy_from_slice(&len.to_le_bytes());
    header
}

/// A checksum of `data`: fast enough for gigabytes in a debug build, and
/// sensitive to every byte and its position.
pub fn checksum(data: &[u8]) -> u64 {
    let mut sum: u64 = 0xcbf2_9ce4_8422_2325 ^ data.len() as u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        sum = (sum ^ u64::from_le_bytes(b)).wrapping_mul(0x0100_0000_01b3);
        sum ^= sum >> 29;
    }
    for &b in words.remainder() {
        sum = (sum ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    sum
}

/// A reproducible stream of messages of mixed sizes: message `i` is its
/// number (8 bytes, little-endian) followed by a slice of a random pool
/// chosen by `i`. Sender and receiver build the same `Stream` from the same
/// seed; the receiver checks each message it gets against the one it
/// expects next, so that a lost, repeated, reordered or damaged message is
/// found.
#[derive(Clone, Debug)]
pub struct Stream {
    seed: u64,
    pool: Bytes,
    max: usize,
}

impl Stream {
    /// A stream whose messages are at most `max` bytes (at least 16).
    pub fn new(seed: u64, max: usize) -> Stream {
        let max = max.max(16);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut pool = vec![0u8; max + 4096];
        rng.fill(&mut pool);
        Stream {
            seed,
            pool: Bytes::from(pool),
            max,
        }
    }

    fn rng(&self, i: u64) -> fastrand::Rng {
        fastrand::Rng::with_seed(self.seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// The size of message `i`: mostly small, some medium, a few up to the
    /// maximum.
    pub fn size(&self, i: u64) -> usize {
        let mut rng = self.rng(i);
        let upper = match rng.u32(0..100) {
            0..70 => 256,
            70..95 => 64 * 1024,
            _ => self.max,
        };
        rng.usize(9..=upper.min(self.max))
    }

    /// Where in the pool message `i` takes its bytes after the number.
    fn offset(&self, i: u64) -> usize {
        self.rng(i.wrapping_add(1)).usize(0..4096)
    }

    /// Message `i`.
    pub fn message(&self, i: u64) -> Bytes {
        let size = self.size(i);
        let start = self.offset(i);
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&i.to_le_bytes());
        out.extend_from_slice(&self.pool[start..start + size - 8]);
        Bytes::from(out)
    }

    /// Whether `data` is exactly message `i`.
    pub fn check(&self, i: u64, data: &[u8]) -> bool {
        let size = self.size(i);
        let start = self.offset(i);
        data.len() == size
            && data[..8] == i.to_le_bytes()
            && data[8..] == self.pool[start..start + size - 8]
    }

    /// The number a message carries (its first 8 bytes), if it has one.
    pub fn number_of(data: &[u8]) -> Option<u64> {
        let head: [u8; 8] = data.get(..8)?.try_into().ok()?;
        Some(u64::from_le_bytes(head))
    }
}
