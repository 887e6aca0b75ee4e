//! The `raw-tcp-spin` baseline: a TCP ping-pong in which both ends
//! busy-poll non-blocking sockets, one record each way (a 56-byte header
//! and the data, 64 bytes for the 8-byte round trip). Nothing sleeps in the
//! kernel, so this is the loopback floor of a round trip, paid for with a
//! core per end.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::wire::{self, HEADER_SIZE, check, stamp};

/// A TCP stream in non-blocking mode whose reads and writes spin until
/// they are done, or until its deadline.
#[derive(Debug)]
pub struct SpinStream {
    stream: TcpStream,
    deadline: Instant,
    /// Bytes read and not yet taken, from `start`.
    buffer: Vec<u8>,
    start: usize,
    end: usize,
}

/// The most a read takes at once.
const READ_CHUNK: usize = 64 * 1024;

impl SpinStream {
    /// Puts `stream` in non-blocking mode with `TCP_NODELAY`; every wait
    /// gives up at `deadline`.
    ///
    /// # Errors
    ///
    /// When the socket options cannot be set.
    pub fn new(stream: TcpStream, deadline: Instant) -> io::Result<SpinStream> {
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        Ok(SpinStream {
            stream,
            deadline,
            buffer: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
        })
    }

    /// Shuts both directions of the socket down: the other end reads the
    /// end of the stream.
    ///
    /// # Errors
    ///
    /// What the system says, for example when the peer already left.
    pub fn shutdown(&self) -> io::Result<()> {
        self.stream.shutdown(std::net::Shutdown::Both)
    }

    fn check_deadline(&self) -> io::Result<()> {
        if Instant::now() >= self.deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "past the deadline"));
        }
        Ok(())
    }

    /// Writes all of `data`, spinning while the socket is full.
    ///
    /// # Errors
    ///
    /// What writing fails with, or [`io::ErrorKind::TimedOut`] past the
    /// deadline.
    pub fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.check_deadline()?;
                    std::hint::spin_loop();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Spins until at least `n` bytes are buffered and returns them (and
    /// whatever else came); `Ok(None)` when the stream ends cleanly with
    /// nothing buffered.
    ///
    /// # Errors
    ///
    /// What reading fails with, an end of the stream in the middle, or
    /// [`io::ErrorKind::TimedOut`] past the deadline.
    fn fill(&mut self, n: usize) -> io::Result<Option<&[u8]>> {
        if self.buffer.len() - self.start < n {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buffer.len() < n {
                self.buffer.resize(n, 0);
            }
        }
        while self.end - self.start < n {
            match self.stream.read(&mut self.buffer[self.end..]) {
                Ok(0) if self.end == self.start => return Ok(None),
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(got) => self.end += got,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.check_deadline()?;
                    std::hint::spin_loop();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Some(&self.buffer[self.start..self.end]))
    }

    /// Spins until one whole record (header and data) is in, and returns
    /// its length; `Ok(None)` when the stream ends cleanly before one.
    fn fill_record(&mut self) -> io::Result<Option<usize>> {
        let Some(buffered) = self.fill(HEADER_SIZE)? else {
            return Ok(None);
        };
        let mut h = [0u8; HEADER_SIZE];
        h.copy_from_slice(&buffered[..HEADER_SIZE]);
        let size = usize::try_from(wire::parse_header(&h)?)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "too large"))?;
        let len = HEADER_SIZE + size;
        match self.fill(len)? {
            Some(_) => Ok(Some(len)),
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}

/// Makes `messages` round trips of `size` bytes numbered from `first_seq`:
/// writes a record, spins until its echo is in, checks it. Returns the
/// time of each round trip.
///
/// # Errors
///
/// A line saying what failed: writing, reading (or the deadline), or an
/// echo that is not the record sent.
pub fn ping_all(
    stream: &mut SpinStream,
    first_seq: u64,
    size: u64,
    messages: u64,
) -> Result<Vec<Duration>, String> {
    let mut data = vec![0u8; size as usize];
    let mut out = Vec::with_capacity(HEADER_SIZE + data.len());
    let mut rtts = Vec::with_capacity(messages as usize);
    for seq in first_seq..first_seq + messages {
        stamp(&mut data, seq);
        out.clear();
        out.extend_from_slice(&wire::header(seq, size));
        out.extend_from_slice(&data);
        let start = Instant::now();
        stream
            .write_all(&out)
            .map_err(|e| format!("cannot send: {e}"))?;
        let len = stream
            .fill_record()
            .map_err(|e| format!("cannot read: {e}"))?
            .ok_or_else(|| format!("the stream ended before echo {seq}"))?;
        rtts.push(start.elapsed());
        let record = &stream.buffer[stream.start..stream.start + len];
        check(&record[HEADER_SIZE..], size, seq)?;
        stream.consume(len);
    }
    Ok(rtts)
}

/// Writes every record read back unchanged, one at a time: `messages` of
/// them, or with `None` until the stream ends between two records. Returns
/// how many were echoed.
///
/// # Errors
///
/// What reading or writing fails with, the deadline, an end of the stream
/// before `messages` were echoed, or a header that lost track.
pub fn echo(stream: &mut SpinStream, messages: Option<u64>) -> io::Result<u64> {
    let mut echoed = 0u64;
    let mut record = Vec::new();
    while messages.is_none_or(|n| echoed < n) {
        let Some(len) = stream.fill_record()? else {
            if messages.is_some() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            break;
        };
        record.clear();
        record.extend_from_slice(&stream.buffer[stream.start..stream.start + len]);
        stream.consume(len);
        stream.write_all(&record)?;
        echoed += 1;
    }
    Ok(echoed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn records_of_every_size_go_there_and_back_checked() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let echoing = std::thread::spawn(move || {
            let mut end = SpinStream::new(accepted, deadline).unwrap();
            echo(&mut end, None).unwrap()
        });
        let mut stream = SpinStream::new(client, deadline).unwrap();
        let mut seq = 0;
        for size in [1u64, 8, 1000, 200_000, 8] {
            let rtts = ping_all(&mut stream, seq, size, 20).unwrap();
            assert_eq!(rtts.len(), 20);
            seq += 20;
        }
        drop(stream);
        assert_eq!(echoing.join().unwrap(), seq);
    }
}
