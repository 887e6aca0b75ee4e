//! The `raw-tcp` baseline: the bytes yoton would send (a 56-byte header and
//! the data per message) over plain sockets, with the buffering yoton's TCP
//! transport uses (small messages batched into large writes, a large
//! message's data written from where it is, buffered reads), and no yoton.
//!
//! The caller connects the sockets (in two processes for `yoton bench`, in
//! one for the benchmarks), sets `TCP_NODELAY`, and picks the loop for its
//! end: [`send_all`] and [`receive_all`] one way, [`ping_all`] and [`echo`]
//! for round trips. The reading end reads through [`reader`].

use std::io::{self, BufReader, IoSlice, Read, Write};
use std::time::{Duration, Instant};

use super::wire::{self, HEADER_SIZE, check, stamp};

/// Small messages are gathered until this many bytes, then written.
pub const WRITE_BATCH: usize = 256 * 1024;

/// Data at least this long is written from where it is (as yoton does).
pub const LARGE_DATA: usize = 32 * 1024;

/// The read buffer of a receiving end.
pub const READ_BUFFER: usize = 256 * 1024;

/// The buffered reader a receiving end reads `stream` through.
pub fn reader<R: Read>(stream: R) -> BufReader<R> {
    BufReader::with_capacity(READ_BUFFER, stream)
}

/// Writes `a` then `b` completely, as one vectored write where it can.
fn write_two(writer: &mut impl Write, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() || !b.is_empty() {
        let n = writer.write_vectored(&[IoSlice::new(a), IoSlice::new(b)])?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let from_a = n.min(a.len());
        a = &a[from_a..];
        b = &b[n - from_a..];
    }
    Ok(())
}

/// Sends `messages` messages of `size` bytes numbered from `first_seq`,
/// batching small ones, and flushes.
///
/// # Errors
///
/// What writing fails with.
pub fn send_all(
    writer: &mut impl Write,
    first_seq: u64,
    size: u64,
    messages: u64,
) -> io::Result<()> {
    let mut data = vec![0u8; size as usize];
    let mut buf: Vec<u8> = Vec::with_capacity(WRITE_BATCH + HEADER_SIZE + LARGE_DATA);
    for seq in first_seq..first_seq + messages {
        stamp(&mut data, seq);
        buf.extend_from_slice(&wire::header(seq, size));
        if data.len() >= LARGE_DATA {
            write_two(writer, &buf, &data)?;
            buf.clear();
        } else {
            buf.extend_from_slice(&data);
            if buf.len() >= WRITE_BATCH {
                writer.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    writer.write_all(&buf)?;
    writer.flush()
}

/// Receives `messages` messages numbered from `first_seq` and checks each
/// (size and sequence number).
///
/// # Errors
///
/// A line saying what failed: reading, or a message that is not the one
/// expected.
pub fn receive_all(
    reader: &mut impl Read,
    first_seq: u64,
    size: u64,
    messages: u64,
) -> Result<(), String> {
    let mut data = vec![0u8; size as usize];
    for seq in first_seq..first_seq + messages {
        let announced = wire::read_header(reader).map_err(|e| format!("cannot read: {e}"))?;
        if announced != size {
            return Err(format!("message of {announced} bytes, not {size}"));
        }
        reader
            .read_exact(&mut data)
            .map_err(|e| format!("cannot read: {e}"))?;
        check(&data, size, seq)?;
    }
    Ok(())
}

/// Reads one message (header and data) into `out`, replacing what it held.
/// Returns `false` when the stream ends cleanly before a header.
fn read_message(reader: &mut impl Read, out: &mut Vec<u8>) -> io::Result<bool> {
    let mut h = [0u8; HEADER_SIZE];
    let mut got = 0;
    while got < HEADER_SIZE {
        match reader.read(&mut h[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let size = usize::try_from(wire::parse_header(&h)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "too large"))?;
    out.clear();
    out.extend_from_slice(&h);
    out.resize(HEADER_SIZE + size, 0);
    reader.read_exact(&mut out[HEADER_SIZE..])?;
    Ok(true)
}

/// Writes every message read back unchanged, one at a time: `messages` of
/// them, or with `None` until the stream ends between two messages.
/// Returns how many were echoed. The pinging end checks what comes back.
///
/// # Errors
///
/// What reading or writing fails with, an end of the stream before
/// `messages` were echoed, or a header that lost track.
pub fn echo(
    reader: &mut impl Read,
    writer: &mut impl Write,
    messages: Option<u64>,
) -> io::Result<u64> {
    let mut message = Vec::new();
    let mut echoed = 0u64;
    while messages.is_none_or(|n| echoed < n) {
        if !read_message(reader, &mut message)? {
            if messages.is_some() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            break;
        }
        writer.write_all(&message)?;
        echoed += 1;
    }
    Ok(echoed)
}

/// Makes `messages` round trips of `size` bytes numbered from `first_seq`,
/// one after the other: sends a message, waits for its echo and checks it.
/// Returns the time of each round trip.
///
/// # Errors
///
/// A line saying what failed: writing, reading, or an echo that is not the
/// message sent.
pub fn ping_all(
    writer: &mut impl Write,
    reader: &mut impl Read,
    first_seq: u64,
    size: u64,
    messages: u64,
) -> Result<Vec<Duration>, String> {
    let mut data = vec![0u8; size as usize];
    let mut back = vec![0u8; size as usize];
    let mut out = Vec::with_capacity(HEADER_SIZE + data.len());
    let mut rtts = Vec::with_capacity(messages as usize);
    for seq in first_seq..first_seq + messages {
        stamp(&mut data, seq);
        out.clear();
        out.extend_from_slice(&wire::header(seq, size));
        out.extend_from_slice(&data);
        let start = Instant::now();
        writer
            .write_all(&out)
            .map_err(|e| format!("cannot send: {e}"))?;
        let announced = wire::read_header(reader).map_err(|e| format!("cannot read: {e}"))?;
        if announced != size {
            return Err(format!("echo of {announced} bytes, not {size}"));
        }
        reader
            .read_exact(&mut back)
            .map_err(|e| format!("cannot read: {e}"))?;
        rtts.push(start.elapsed());
        check(&back, size, seq)?;
    }
    Ok(rtts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_sent_is_received_in_order_and_checked() {
        for size in [3u64, 8, 40_000] {
            let mut wire = Vec::new();
            send_all(&mut wire, 5, size, 20).unwrap();
            assert_eq!(wire.len() as u64, 20 * (size + HEADER_SIZE as u64));
            receive_all(&mut reader(&wire[..]), 5, size, 20).unwrap();
            let err = receive_all(&mut reader(&wire[..]), 6, size, 20).unwrap_err();
            assert!(err.contains("expected message 6"), "{err}");
        }
    }

    #[test]
    fn echo_stops_at_the_count_or_at_a_clean_end() {
        let mut wire = Vec::new();
        send_all(&mut wire, 0, 8, 3).unwrap();
        let mut back = Vec::new();
        assert_eq!(echo(&mut &wire[..], &mut back, None).unwrap(), 3);
        assert_eq!(back, wire);
        let mut two = Vec::new();
        assert_eq!(echo(&mut &wire[..], &mut two, Some(2)).unwrap(), 2);
        assert_eq!(two, wire[..2 * 64]);
        let cut = &wire[..100];
        assert!(echo(&mut &cut[..], &mut Vec::new(), None).is_err());
        assert!(echo(&mut &wire[..], &mut Vec::new(), Some(4)).is_err());
    }
}
