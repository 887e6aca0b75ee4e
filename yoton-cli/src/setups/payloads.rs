//! The messages of a run, numbered from 0, made without an allocation per
//! message, as a careful program would make them: small ones are slices of
//! a shared slab, large ones reuse buffers once the transport has let go
//! of them.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use super::wire::stamp;

/// Messages up to a quarter of this size are cut from shared slabs of
/// this size: one allocation for many messages.
const SLAB: usize = 64 * 1024;

/// How many large message buffers are kept for reuse.
const RING: usize = 32;

/// An endless source of numbered messages of one size.
///
/// ```
/// use yoton_cli::setups::{payloads::Payloads, wire};
///
/// let mut payloads = Payloads::new(8);
/// for seq in 0..3 {
///     assert!(wire::check(&payloads.next(), 8, seq).is_ok());
/// }
/// ```
#[derive(Debug)]
pub struct Payloads {
    size: usize,
    next_seq: u64,
    slab: Bytes,
    ring: VecDeque<Bytes>,
}

impl Payloads {
    /// Messages of `size` data bytes, the first numbered 0.
    pub fn new(size: u64) -> Payloads {
        Payloads::starting_at(size, 0)
    }

    /// Messages of `size` data bytes, the first numbered `first_seq`.
    pub fn starting_at(size: u64, first_seq: u64) -> Payloads {
        Payloads {
            size: size as usize,
            next_seq: first_seq,
            slab: Bytes::new(),
            ring: VecDeque::new(),
        }
    }

    /// The data bytes of each message.
    pub fn size(&self) -> u64 {
        self.size as u64
    }

    /// The sequence number of the next message.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The next message, stamped with its sequence number.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Bytes {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.size == 0 {
            return Bytes::new();
        }
        if self.size <= SLAB / 4 {
            if self.slab.is_empty() {
                let count = SLAB / self.size;
                let mut slab = BytesMut::zeroed(count * self.size);
                for (i, message) in slab.chunks_exact_mut(self.size).enumerate() {
                    stamp(message, seq + i as u64);
                }
                self.slab = slab.freeze();
            }
            return self.slab.split_to(self.size);
        }
        let mut buffer = match self.ring.pop_front().map(Bytes::try_into_mut) {
            Some(Ok(free)) => free,
            Some(Err(in_use)) => {
                if self.ring.len() + 1 < RING {
                    self.ring.push_back(in_use);
                }
                BytesMut::zeroed(self.size)
            }
            None => BytesMut::zeroed(self.size),
        };
        stamp(&mut buffer, seq);
        let message = buffer.freeze();
        self.ring.push_back(message.clone());
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setups::wire::check;

    #[test]
    fn every_size_is_numbered_in_order_across_slabs_and_reuse() {
        for size in [1u64, 3, 8, 1000, 20_000, 100_000] {
            let mut payloads = Payloads::starting_at(size, 10);
            for seq in 10..10 + 3 * 64 * 1024 / size.max(1) + 40 {
                let message = payloads.next();
                check(&message, size, seq).unwrap();
            }
        }
    }
}
