//! Turns a received byte stream back into packages, without doing any IO:
//! a transport feeds it whatever chunks the socket gives and takes out
//! complete packages.

use std::io;

use bytes::{Buf, Bytes, BytesMut};

use crate::package::{CONTROL, HEADER_SIZE, Package, Slot};
use crate::reason;

/// The largest package data accepted unless configured otherwise: 64 MiB.
pub const DEFAULT_MAX_DATA_LEN: u64 = 64 * 1024 * 1024;

/// The region [`Decoder::read_with`] makes when it must make one: large
/// enough that a socket full of small packages drains in few reads.
const READ_CHUNK: usize = 64 * 1024;

/// The spare room that is read into as it is, without making a new region
/// (which would zero a whole chunk for every read of a small package).
const MIN_SPARE: usize = 4 * 1024;

/// How much of an announced package is reserved before its bytes arrive.
/// Beyond this, the buffer grows with what was received (at most doubling
/// what is buffered), so that a peer that sends a header and stalls holds
/// at most this much memory, not the full announced size.
const EAGER_RESERVE: usize = 1024 * 1024;

/// Why the stream cannot be decoded further. The connection must close.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A header did not start with the control word, so package boundaries
    /// are lost.
    #[error("{}", reason::LOST_TRACK)]
    LostTrack {
        /// The first header word that was found instead of [`CONTROL`].
        control: u64,
    },
    /// A header announced more data than the configured maximum.
    #[error("Package too large: {size} bytes announced, the limit is {limit} bytes.")]
    TooLarge {
        /// The announced data length.
        size: u64,
        /// The configured maximum data length.
        limit: u64,
    },
}

impl DecodeError {
    /// The reason a connection closes with because of this error.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

/// The fields of a header that passed the checks.
#[derive(Debug)]
struct Header {
    slot: u64,
    source_id: u64,
    source_seq: u64,
    dest_id: u64,
    dest_seq: u64,
    data_len: usize,
}

/// A streaming package decoder.
///
/// Bytes go in with [`feed`](Decoder::feed) or, straight from a socket and
/// without an extra copy, with [`read_with`](Decoder::read_with); complete
/// packages come out of [`next_package`](Decoder::next_package). The data of
/// a package is a slice of the receive buffer, not a copy.
///
/// A header announcing more than [`max_data_len`](Decoder::max_data_len)
/// bytes is an error, and nothing of that size is ever allocated. After an
/// error the decoder returns the same error forever and drops what it
/// buffered.
///
/// ```
/// use yoton_core::decoder::Decoder;
/// use yoton_core::package::{Package, PackageKind, Slot};
///
/// let sent = Package::new(Slot::new(9), &b"hi"[..]);
/// let wire = [sent.to_bytes(), Package::heartbeat().to_bytes()].concat();
///
/// let mut decoder = Decoder::new();
/// let (first, second) = wire.split_at(30);
/// decoder.feed(first);
/// assert_eq!(decoder.next_package().unwrap(), None);
/// assert!(decoder.is_mid_package());
/// decoder.feed(second);
/// assert_eq!(decoder.next_package().unwrap(), Some(sent));
/// let heartbeat = decoder.next_package().unwrap().unwrap();
/// assert_eq!(heartbeat.kind(), PackageKind::Heartbeat);
/// assert_eq!(decoder.next_package().unwrap(), None);
/// assert!(!decoder.is_mid_package());
/// ```
#[derive(Debug)]
pub struct Decoder {
    /// `buf[..filled]` is received data not yet returned as packages;
    /// `buf[filled..]` is initialized spare room that `read_with` hands
    /// out, kept so that it need not be zeroed again for every read.
    buf: BytesMut,
    filled: usize,
    max_data_len: u64,
    error: Option<DecodeError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with the [`DEFAULT_MAX_DATA_LEN`] limit.
    pub fn new() -> Decoder {
        Decoder::with_max_data_len(DEFAULT_MAX_DATA_LEN)
    }

    /// A decoder that refuses packages with more than `max` bytes of data.
    ///
    /// A package up to 1 MiB has its size reserved as soon as its header
    /// arrives; a larger one grows with the bytes received, so a peer that
    /// announces a large package and stalls holds about 1 MiB here, and the
    /// limit bounds what a peer can make this side allocate in all.
    pub fn with_max_data_len(max: u64) -> Decoder {
        Decoder {
            buf: BytesMut::new(),
            filled: 0,
            max_data_len: max,
            error: None,
        }
    }

    /// The largest data length accepted.
    pub fn max_data_len(&self) -> u64 {
        self.max_data_len
    }

    /// Adds received bytes. Ignored once the decoder has failed.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let end = self.filled + bytes.len();
        if self.buf.len() >= end {
            self.buf[self.filled..end].copy_from_slice(bytes);
        } else {
            self.buf.truncate(self.filled);
            self.buf.extend_from_slice(bytes);
        }
        self.filled = end;
    }

    /// Lets `read` fill part of the decoder's buffer directly, as in
    /// `decoder.read_with(|buf| socket.read(buf))`, and returns its count.
    ///
    /// The region offered is the spare room left by earlier reads while it
    /// holds the rest of the package being received, or at least 4 KiB;
    /// else a new region of at least 64 KiB, or of the rest of the package
    /// when that is larger (never more than the limit allows, and growing
    /// with what was received). A count of 0 means end of stream to the caller; the decoder
    /// records nothing for it. The closure's error is passed through; so is
    /// a failed decoder's error, as [`io::ErrorKind::InvalidData`], without
    /// calling `read`. A count larger than the region is refused as
    /// [`io::ErrorKind::InvalidInput`].
    ///
    /// # Errors
    ///
    /// The closure's `io::Error`; `InvalidData` once the decoder has
    /// failed; `InvalidInput` for a count larger than the region.
    pub fn read_with<F>(&mut self, read: F) -> io::Result<usize>
    where
        F: FnOnce(&mut [u8]) -> io::Result<usize>,
    {
        if let Some(err) = &self.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, err.clone()));
        }
        // The spare room is used as it is while it holds at least `least`
        // bytes (the rest of a package being received, or a small minimum);
        // else `want` bytes of room are made.
        let (least, want) = match self.peek_header() {
            Some(Ok((_, total))) if total > self.filled => {
                let rest = total - self.filled;
                let want = rest.min(self.filled.max(EAGER_RESERVE)).max(READ_CHUNK);
                (rest.min(READ_CHUNK), want)
            }
            _ => (MIN_SPARE, READ_CHUNK),
        };
        if self.buf.len() - self.filled < least {
            self.make_room(want);
        }
        let region = &mut self.buf[self.filled..];
        let offered = region.len();
        let n = read(region)?;
        if n > offered {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read reported {n} bytes into a buffer of {offered}"),
            ));
        }
        self.filled += n;
        Ok(n)
    }

    /// The next complete package, `Ok(None)` when more bytes are needed.
    ///
    /// Heartbeats and close notices are returned like any package; see
    /// [`Package::kind`].
    ///
    /// # Errors
    ///
    /// [`DecodeError::LostTrack`] when the bytes are not a package header
    /// where one must start, and [`DecodeError::TooLarge`] when a header
    /// announces more than the limit; the decoder then stays failed and
    /// returns the same error again.
    pub fn next_package(&mut self) -> Result<Option<Package>, DecodeError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        let (header, total) = match self.peek_header() {
            None => return Ok(None),
            Some(Ok(found)) => found,
            Some(Err(err)) => {
                self.error = Some(err.clone());
                // Nothing buffered can be used any more.
                self.buf = BytesMut::new();
                self.filled = 0;
                return Err(err);
            }
        };
        if self.filled < total {
            return Ok(None);
        }
        self.buf.advance(HEADER_SIZE);
        let data = if header.data_len == 0 {
            Bytes::new()
        } else {
            self.buf.split_to(header.data_len).freeze()
        };
        self.filled -= total;
        Ok(Some(Package {
            slot: Slot::new(header.slot),
            source_id: header.source_id,
            source_seq: header.source_seq,
            dest_id: header.dest_id,
            dest_seq: header.dest_seq,
            data,
        }))
    }

    /// Whether bytes are buffered that [`next_package`](Decoder::next_package)
    /// has not returned. Once `next_package` returns `Ok(None)`, this tells
    /// an end of stream in the middle of a package from a clean one.
    pub fn is_mid_package(&self) -> bool {
        self.filled > 0
    }

    /// How many received bytes are buffered and not yet returned.
    pub fn buffered_len(&self) -> usize {
        self.filled
    }

    /// How many bytes the package being received still lacks: 0 between
    /// packages, before its header is complete, and once the decoder has
    /// failed. A transport that reads many small packages through a buffer
    /// of its own can read a large one straight in with
    /// [`read_with`](Decoder::read_with) instead.
    pub fn missing(&self) -> usize {
        match self.peek_header() {
            Some(Ok((_, total))) if self.error.is_none() => total.saturating_sub(self.filled),
            _ => 0,
        }
    }

    /// The buffered header and the package's total size, once 56 bytes are
    /// in; an error if the header is unacceptable.
    fn peek_header(&self) -> Option<Result<(Header, usize), DecodeError>> {
        let bytes = self
            .buf
            .get(..HEADER_SIZE)
            .filter(|_| self.filled >= HEADER_SIZE)?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let control = word(0);
        if control != CONTROL {
            return Some(Err(DecodeError::LostTrack { control }));
        }
        let size = word(6);
        let too_large = DecodeError::TooLarge {
            size,
            limit: self.max_data_len,
        };
        if size > self.max_data_len {
            return Some(Err(too_large));
        }
        // On targets where the size cannot even be addressed, it is too
        // large whatever the configured limit says.
        let Some((data_len, total)) = usize::try_from(size)
            .ok()
            .and_then(|len| Some((len, len.checked_add(HEADER_SIZE)?)))
        else {
            return Some(Err(too_large));
        };
        Some(Ok((
            Header {
                slot: word(1),
                source_id: word(2),
                source_seq: word(3),
                dest_id: word(4),
                dest_seq: word(5),
                data_len,
            },
            total,
        )))
    }

    /// Makes `buf[filled..]` at least `want` bytes long.
    fn make_room(&mut self, want: usize) {
        let target = self.filled.saturating_add(want);
        if self.buf.len() >= target {
            return;
        }
        if self.buf.capacity() < target {
            // The spare tail is not worth copying along.
            self.buf.truncate(self.filled);
            // Reuse the current allocation when every package taken from
            // it is gone; otherwise allocate exactly what is needed rather
            // than let the buffer double.
            if !self.buf.try_reclaim(want) {
                let mut fresh = BytesMut::with_capacity(target);
                fresh.extend_from_slice(&self.buf[..self.filled]);
                self.buf = fresh;
            }
        }
        self.buf.resize(target, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_announcing(size: u64) -> Vec<u8> {
        let mut h = Package::new(Slot::new(9), Bytes::new()).header();
        h[48..56].copy_from_slice(&size.to_le_bytes());
        h.to_vec()
    }

    #[test]
    fn huge_announced_sizes_allocate_nothing() {
        for size in [1u64 << 62, u64::MAX, DEFAULT_MAX_DATA_LEN + 1] {
            let mut d = Decoder::new();
            d.feed(&header_announcing(size));
            let mut offered = 0;
            d.read_with(|buf| {
                offered = buf.len();
                Ok(0)
            })
            .unwrap();
            assert!(offered <= 2 * READ_CHUNK, "offered {offered}");
            let err = d.next_package().unwrap_err();
            assert_eq!(
                err,
                DecodeError::TooLarge {
                    size,
                    limit: DEFAULT_MAX_DATA_LEN
                }
            );
            assert!(d.buf.capacity() <= 2 * READ_CHUNK);
            d.feed(&[0; 1000]);
            assert_eq!(d.next_package().unwrap_err(), err);
            assert_eq!(d.buffered_len(), 0);
        }
    }

    #[test]
    fn missing_counts_what_the_package_being_received_lacks() {
        let package = Package::new(Slot::new(9), Bytes::from(vec![7u8; 1000]));
        let mut wire = package.header().to_vec();
        wire.extend_from_slice(&package.data);
        let mut d = Decoder::new();
        assert_eq!(d.missing(), 0);
        d.feed(&wire[..HEADER_SIZE - 1]);
        assert_eq!(d.missing(), 0, "the header is not complete yet");
        d.feed(&wire[HEADER_SIZE - 1..HEADER_SIZE + 100]);
        assert_eq!(d.missing(), 900);
        d.feed(&wire[HEADER_SIZE + 100..]);
        assert_eq!(d.missing(), 0);
        assert_eq!(d.next_package().unwrap().unwrap().data.len(), 1000);
        assert_eq!(d.missing(), 0);
        d.feed(&[0xff; HEADER_SIZE]);
        assert_eq!(d.missing(), 0, "a bad header lacks nothing");
    }

    #[test]
    fn a_stalled_large_package_reserves_little() {
        let mut d = Decoder::new();
        d.feed(&header_announcing(60 << 20));
        let offered = d.read_with(|buf| Ok(buf.len().min(1000))).unwrap();
        assert_eq!(offered, 1000);
        assert!(
            d.buf.capacity() <= 2 * EAGER_RESERVE,
            "{}",
            d.buf.capacity()
        );
    }

    #[test]
    fn large_allowed_package_reserves_exactly_its_size() {
        let data = vec![7u8; 1 << 20];
        let wire = Package::new(Slot::new(9), data.clone()).to_bytes();
        let mut d = Decoder::new();
        let mut sent = 0;
        let mut capacities = Vec::new();
        while sent < wire.len() {
            let n = d
                .read_with(|buf| {
                    let n = buf.len().min(wire.len() - sent).min(100_000);
                    buf[..n].copy_from_slice(&wire[sent..sent + n]);
                    Ok(n)
                })
                .unwrap();
            // A read that makes no progress would loop here for ever.
            assert_ne!(n, 0, "no room offered at {sent} of {}", wire.len());
            sent += n;
            capacities.push(d.buf.capacity());
        }
        assert!(
            capacities.iter().all(|&c| c <= wire.len()),
            "{capacities:?}"
        );
        let p = d.next_package().unwrap().unwrap();
        assert_eq!(p.data, data);
        assert!(!d.is_mid_package());
    }

    #[test]
    fn spare_room_is_reused_between_reads() {
        let wire: Vec<u8> = (0..100)
            .flat_map(|i: u64| Package::new(Slot::new(i + 8), i.to_le_bytes().to_vec()).to_bytes())
            .collect();
        let mut d = Decoder::new();
        let mut got = 0;
        for chunk in wire.chunks(1000) {
            d.read_with(|buf| {
                buf[..chunk.len()].copy_from_slice(chunk);
                Ok(chunk.len())
            })
            .unwrap();
            while let Some(p) = d.next_package().unwrap() {
                assert_eq!(p.slot.get(), got + 8);
                got += 1;
            }
        }
        assert_eq!(got, 100);
    }

    #[test]
    fn the_region_is_at_least_a_read_chunk_while_whole_packages_wait() {
        // Two whole packages and the start of a third are buffered: the
        // next read is still offered a full chunk.
        let first = Package::new(Slot::new(9), &b"one"[..]);
        let second = Package::new(Slot::new(10), &b"two"[..]);
        let mut wire = [first.to_bytes(), second.to_bytes()].concat();
        wire.extend_from_slice(&CONTROL.to_le_bytes());
        let mut d = Decoder::new();
        d.feed(&wire);
        let mut offered = 0;
        d.read_with(|buf| {
            offered = buf.len();
            Ok(0)
        })
        .unwrap();
        assert!(offered >= READ_CHUNK, "offered {offered}");
        assert_eq!(d.next_package().unwrap(), Some(first));
        assert_eq!(d.next_package().unwrap(), Some(second));
        assert_eq!(d.next_package().unwrap(), None);
        assert_eq!(d.buffered_len(), 8);
    }

    #[test]
    fn small_packages_are_read_into_the_spare_room_without_a_new_region() {
        let wire = Package::new(Slot::new(9), &b"ping"[..]).to_bytes();
        let mut d = Decoder::new();
        let mut offers = Vec::new();
        for _ in 0..3 {
            d.read_with(|buf| {
                offers.push(buf.len());
                buf[..wire.len()].copy_from_slice(&wire);
                Ok(wire.len())
            })
            .unwrap();
            assert!(d.next_package().unwrap().is_some());
        }
        // One region was made; each read used what the last one left.
        assert_eq!(offers[0], READ_CHUNK);
        assert_eq!(offers[1], READ_CHUNK - wire.len());
        assert_eq!(offers[2], READ_CHUNK - 2 * wire.len());
    }

    #[test]
    fn a_large_package_in_small_reads_is_not_copied_again_for_every_read() {
        let data = vec![3u8; 8 << 20];
        let wire = Package::new(Slot::new(9), data.clone()).to_bytes();
        let mut d = Decoder::new();
        let mut sent = 0;
        let mut regions = 0;
        let mut last = (0, 0);
        while sent < wire.len() {
            d.read_with(|buf| {
                let n = buf.len().min(wire.len() - sent).min(READ_CHUNK);
                buf[..n].copy_from_slice(&wire[sent..sent + n]);
                Ok(n)
            })
            .unwrap();
            sent = d.buffered_len();
            let now = (d.buf.as_ptr() as usize, d.buf.capacity());
            if now != last {
                regions += 1;
                last = now;
            }
        }
        // The buffer grows geometrically: a handful of regions, not one per
        // read (128 reads here).
        assert!(regions <= 8, "{regions} regions");
        assert_eq!(d.next_package().unwrap().unwrap().data, data);
    }

    #[test]
    fn the_default_limit_is_64_mib_inclusive() {
        let limit = 64 * 1024 * 1024;
        let mut d = Decoder::new();
        assert_eq!(d.max_data_len(), limit);
        // A header announcing exactly the limit waits for its data.
        d.feed(&header_announcing(limit));
        assert_eq!(d.next_package(), Ok(None));
        assert!(d.is_mid_package());
        let mut d = Decoder::default();
        d.feed(&header_announcing(limit + 1));
        assert_eq!(
            d.next_package(),
            Err(DecodeError::TooLarge {
                size: limit + 1,
                limit
            })
        );
    }

    #[test]
    fn overlong_read_count_is_refused() {
        let mut d = Decoder::new();
        let err = d.read_with(|buf| Ok(buf.len() + 1)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(d.buffered_len(), 0);
    }
}
