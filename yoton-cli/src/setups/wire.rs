//! The bytes of the baselines: each message as yoton would put it on the
//! wire (a 56-byte header, then the data), and the sequence number every
//! bench message carries in its first bytes.

use std::io::{self, Read};

/// The bytes a package takes on the wire besides its data.
pub const HEADER_SIZE: usize = 56;

/// The first header word: `YOTON   ` as a little-endian `u64`.
const CONTROL: u64 = u64::from_le_bytes(*b"YOTON   ");

/// A header for message `seq` of `size` data bytes, laid out as yoton lays
/// out a package's (the slot and ids are arbitrary here).
///
/// ```
/// use yoton_cli::setups::wire;
///
/// let h = wire::header(7, 100);
/// assert_eq!(&h[..8], b"YOTON   ");
/// assert_eq!(wire::parse_header(&h).unwrap(), 100);
/// ```
pub fn header(seq: u64, size: u64) -> [u8; HEADER_SIZE] {
    let words = [CONTROL, 9, 1, seq + 1, 0, 0, size];
    let mut out = [0u8; HEADER_SIZE];
    for (chunk, word) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// The data size a header announces.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidData`] when the header does not start with the
/// control word: the reader lost track of where messages begin.
pub fn parse_header(h: &[u8; HEADER_SIZE]) -> io::Result<u64> {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&h[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    if word(0) != CONTROL {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "lost track"));
    }
    Ok(word(6))
}

/// Reads a header and returns the data size it announces.
///
/// # Errors
///
/// What reading fails with, and [`parse_header`]'s error.
pub fn read_header(reader: &mut impl Read) -> io::Result<u64> {
    let mut h = [0u8; HEADER_SIZE];
    reader.read_exact(&mut h)?;
    parse_header(&h)
}

/// Writes sequence number `seq` into the first (up to 8) bytes of a
/// message.
pub fn stamp(data: &mut [u8], seq: u64) {
    let n = data.len().min(8);
    data[..n].copy_from_slice(&seq.to_le_bytes()[..n]);
}

/// Checks that a received message is message `seq` of `size` bytes.
///
/// # Errors
///
/// A line saying what is wrong: the size, or another sequence number (a
/// message was lost, repeated or reordered).
///
/// ```
/// use yoton_cli::setups::wire;
///
/// let mut data = [0u8; 3];
/// wire::stamp(&mut data, 5);
/// assert!(wire::check(&data, 3, 5).is_ok());
/// assert!(wire::check(&data, 3, 6).is_err());
/// ```
pub fn check(data: &[u8], size: u64, seq: u64) -> Result<(), String> {
    if data.len() as u64 != size {
        return Err(format!(
            "message {seq} has {} bytes, not {size}",
            data.len()
        ));
    }
    let matches = match <[u8; 8]>::try_from(data.get(..8).unwrap_or(data)) {
        Ok(word) => u64::from_le_bytes(word) == seq,
        Err(_) => data[..] == seq.to_le_bytes()[..data.len()],
    };
    if !matches {
        return Err(format!("expected message {seq}, got another"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_checked_even_in_short_messages() {
        for size in [1usize, 8, 100] {
            let mut data = vec![0u8; size];
            stamp(&mut data, 0x0102_0304_0506_0708);
            assert!(check(&data, size as u64, 0x0102_0304_0506_0708).is_ok());
            assert!(check(&data, size as u64, 0x0102_0304_0506_0709).is_err());
            assert!(check(&data, size as u64 + 1, 0x0102_0304_0506_0708).is_err());
        }
    }

    #[test]
    fn a_header_without_the_control_word_is_refused() {
        let mut h = header(0, 8);
        assert_eq!(read_header(&mut &h[..]).unwrap(), 8);
        h[0] = b'N';
        assert_eq!(
            parse_header(&h).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
