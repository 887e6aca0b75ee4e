//! The baseline: the bytes yoton would send (a 56-byte header and the data
//! per message) over plain std sockets, with the buffering yoton's TCP
//! transport uses (small messages batched into large writes, a large
//! message's data written from where it is, buffered reads), and no yoton.

use std::io::{self, BufReader, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::peer::{Peer, say};
use super::{Case, HEADER_SIZE, Measured, check, stamp};
use crate::args::{BenchPattern, BenchPeerArgs};

/// The first header word: `YOTON   ` as a little-endian `u64`.
const CONTROL: u64 = u64::from_le_bytes(*b"YOTON   ");

/// Small messages are gathered until this many bytes, then written.
const WRITE_BATCH: usize = 256 * 1024;

/// Data at least this long is written from where it is (as yoton does).
const LARGE_DATA: usize = 32 * 1024;

/// The read buffer of the receiving side.
const READ_BUFFER: usize = 256 * 1024;

/// A header for message `seq` of `size` data bytes (the slot and ids are
/// arbitrary here).
fn header(seq: u64, size: u64) -> [u8; HEADER_SIZE as usize] {
    let words = [CONTROL, 9, 1, seq + 1, 0, 0, size];
    let mut out = [0u8; HEADER_SIZE as usize];
    for (chunk, word) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// Reads a header and returns the announced data size.
fn read_header(reader: &mut impl Read) -> io::Result<u64> {
    let mut h = [0u8; HEADER_SIZE as usize];
    reader.read_exact(&mut h)?;
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

/// Writes `a` then `b` completely, as one vectored write where it can.
fn write_two(stream: &mut TcpStream, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() || !b.is_empty() {
        let n = stream.write_vectored(&[IoSlice::new(a), IoSlice::new(b)])?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let from_a = n.min(a.len());
        a = &a[from_a..];
        b = &b[n - from_a..];
    }
    Ok(())
}

/// Measures one raw-TCP case against a peer process.
pub(super) fn measure(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + super::CASE_DEADLINE;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .to_string();
    let peer = Peer::start(case, &address)?;
    let mut stream = accept(&listener, Instant::now() + Duration::from_secs(20))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    peer.expect("ready", deadline)?;
    let measured = match case.pattern {
        BenchPattern::Oneway => {
            let start = Instant::now();
            send_all(&mut stream, case.size, case.messages)
                .map_err(|e| format!("cannot send: {e}"))?;
            let end = peer.expect("done", deadline)?;
            Measured::Oneway(end.saturating_duration_since(start))
        }
        BenchPattern::Roundtrip => {
            stream
                .set_read_timeout(Some(super::CASE_DEADLINE))
                .map_err(|e| format!("cannot set a timeout: {e}"))?;
            let mut reader = BufReader::with_capacity(
                READ_BUFFER,
                stream.try_clone().map_err(|e| e.to_string())?,
            );
            let mut data = vec![0u8; case.size as usize];
            let mut back = vec![0u8; case.size as usize];
            let mut out = Vec::with_capacity(HEADER_SIZE as usize + data.len());
            let mut rtts = Vec::with_capacity(case.messages as usize);
            for seq in 0..case.messages {
                stamp(&mut data, seq);
                out.clear();
                out.extend_from_slice(&header(seq, case.size));
                out.extend_from_slice(&data);
                let start = Instant::now();
                stream
                    .write_all(&out)
                    .map_err(|e| format!("cannot send: {e}"))?;
                let size = read_header(&mut reader).map_err(|e| format!("cannot read: {e}"))?;
                if size != case.size {
                    return Err(format!("echo of {size} bytes, not {}", case.size));
                }
                reader
                    .read_exact(&mut back)
                    .map_err(|e| format!("cannot read: {e}"))?;
                rtts.push(start.elapsed());
                check(&back, case.size, seq)?;
            }
            peer.expect("done", deadline)?;
            Measured::Roundtrip(rtts)
        }
    };
    drop(stream);
    peer.finish()?;
    Ok(measured)
}

/// Accepts one connection before `deadline`.
fn accept(listener: &TcpListener, deadline: Instant) -> Result<TcpStream, String> {
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot poll the listener: {e}"))?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| format!("cannot block: {e}"))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err("the peer did not connect in time".to_owned());
                }
                // std offers no accept with a timeout.
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(format!("cannot accept: {e}")),
        }
    }
}

/// Sends `messages` messages of `size` bytes, batching small ones.
fn send_all(stream: &mut TcpStream, size: u64, messages: u64) -> io::Result<()> {
    let mut data = vec![0u8; size as usize];
    let mut buf: Vec<u8> = Vec::with_capacity(WRITE_BATCH + HEADER_SIZE as usize + LARGE_DATA);
    for seq in 0..messages {
        stamp(&mut data, seq);
        buf.extend_from_slice(&header(seq, size));
        if data.len() >= LARGE_DATA {
            write_two(stream, &buf, &data)?;
            buf.clear();
        } else {
            buf.extend_from_slice(&data);
            if buf.len() >= WRITE_BATCH {
                stream.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    stream.write_all(&buf)?;
    stream.flush()
}

/// The peer's side: receive and check (one way), or echo (round trip).
pub(super) fn peer(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    let stream = TcpStream::connect(&args.address)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    stream
        .set_read_timeout(Some(deadline.saturating_duration_since(Instant::now())))
        .map_err(|e| format!("cannot set a timeout: {e}"))?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, stream);
    let mut data = vec![0u8; args.size as usize];
    say("ready");
    for seq in 0..args.messages {
        let size = read_header(&mut reader).map_err(|e| format!("cannot read: {e}"))?;
        if size != args.size {
            return Err(format!("message of {size} bytes, not {}", args.size));
        }
        reader
            .read_exact(&mut data)
            .map_err(|e| format!("cannot read: {e}"))?;
        check(&data, args.size, seq)?;
        if args.pattern == BenchPattern::Roundtrip {
            let mut out = Vec::with_capacity(HEADER_SIZE as usize + data.len());
            out.extend_from_slice(&header(seq, args.size));
            out.extend_from_slice(&data);
            writer
                .write_all(&out)
                .map_err(|e| format!("cannot echo: {e}"))?;
        }
    }
    say("done");
    Ok(())
}
