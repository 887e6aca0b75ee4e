//! The set-ups the benchmarks in `benches/` share: a publisher and a
//! subscriber linked by yoton (in-process, or over TCP on loopback with two
//! contexts in one process), and the baseline of the same bytes over a
//! plain TCP socket pair. Each measures "send `count` messages one way
//! until all have arrived" and "`count` round trips one after the other",
//! so that criterion compares the transports on the same cases.
//!
//! ```
//! use bytes::Bytes;
//! use yoton_benches::{ChannelPair, Pattern, RawPair};
//!
//! let data = Bytes::from(vec![7u8; 8]);
//! let pair = ChannelPair::inproc(Pattern::Oneway);
//! assert!(pair.oneway(&data, 100) > std::time::Duration::ZERO);
//! let raw = RawPair::new(Pattern::Roundtrip);
//! assert!(raw.roundtrips(&data, 10) > std::time::Duration::ZERO);
//! ```
#![forbid(unsafe_code)]

use std::io::{BufReader, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton::{Context, PubChannel, SubChannel, SubOptions};

/// The channel messages go out on.
const CHANNEL: &str = "bench";
/// The channel echoes come back on.
const ECHO: &str = "bench-echo";
/// A wait that never should run out: a stuck benchmark fails instead of
/// hanging.
const DEADLINE: Duration = Duration::from_secs(60);
/// Enough queue for any batch criterion asks for, so nothing is dropped.
const QUEUE: usize = 1 << 24;

/// What a pair is set up for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Messages one way.
    Oneway,
    /// Each message is echoed back.
    Roundtrip,
}

/// Two contexts with a `PubChannel<Bytes>` on one and a `SubChannel<Bytes>`
/// on the other; for round trips, a thread echoes each message back.
#[derive(Debug)]
pub struct ChannelPair {
    sender: Context,
    receiver: Context,
    publisher: PubChannel<Bytes>,
    subscriber: Arc<SubChannel<Bytes>>,
    echoes: SubChannel<Bytes>,
    echo_thread: Option<JoinHandle<()>>,
}

impl ChannelPair {
    /// A pair linked in-process.
    pub fn inproc(pattern: Pattern) -> ChannelPair {
        ChannelPair::new("inproc://", pattern)
    }

    /// A pair linked over TCP on loopback.
    pub fn tcp(pattern: Pattern) -> ChannelPair {
        ChannelPair::new("tcp://127.0.0.1:0", pattern)
    }

    fn new(address: &str, pattern: Pattern) -> ChannelPair {
        let sender = yoton::context();
        let receiver = yoton::context();
        let publisher = PubChannel::<Bytes>::new(&sender, CHANNEL).expect("free slot");
        let echoes = SubChannel::<Bytes>::new(&sender, ECHO).expect("free slot");
        let options = SubOptions::new().capacity(QUEUE);
        let subscriber = Arc::new(
            SubChannel::<Bytes>::with_options(&receiver, CHANNEL, options).expect("free slot"),
        );
        let bound = sender.bind(address).expect("bind");
        let peer = if address.starts_with("inproc") {
            format!("inproc://{}", bound.local_host())
        } else {
            format!("tcp://127.0.0.1:{}", bound.local_port())
        };
        receiver.connect(&peer).expect("connect");
        bound.wait_connected(DEADLINE).expect("a peer");
        let echo_thread = (pattern == Pattern::Roundtrip).then(|| {
            let back = PubChannel::<Bytes>::new(&receiver, ECHO).expect("free slot");
            let subscriber = Arc::clone(&subscriber);
            thread::spawn(move || {
                while let Ok(message) = subscriber.recv() {
                    if back.send_bytes(message).is_err() {
                        break;
                    }
                }
            })
        });
        ChannelPair {
            sender,
            receiver,
            publisher,
            subscriber,
            echoes,
            echo_thread,
        }
    }

    /// Sends `data` `count` times and returns the time until the
    /// subscriber has taken every one.
    pub fn oneway(&self, data: &Bytes, count: u64) -> Duration {
        thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let mut got = 0u64;
                while got < count {
                    self.subscriber.recv_timeout(DEADLINE).expect("message");
                    got += 1 + self.subscriber.try_iter().count() as u64;
                }
                Instant::now()
            });
            let start = Instant::now();
            for _ in 0..count {
                self.publisher.send_bytes(data.clone()).expect("send");
            }
            reader.join().expect("reader") - start
        })
    }

    /// Makes `count` round trips of `data` and returns their total time.
    pub fn roundtrips(&self, data: &Bytes, count: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..count {
            self.publisher.send_bytes(data.clone()).expect("send");
            self.echoes.recv_timeout(DEADLINE).expect("echo");
        }
        start.elapsed()
    }
}

impl Drop for ChannelPair {
    fn drop(&mut self) {
        self.sender.close();
        self.receiver.close();
        if let Some(echo) = self.echo_thread.take() {
            let _ = echo.join();
        }
    }
}

/// The baseline: a connected pair of plain TCP sockets on loopback, sending
/// the bytes yoton would (a 56-byte header and the data), small messages
/// gathered into large writes, read through a buffer.
#[derive(Debug)]
pub struct RawPair {
    writer: TcpStream,
    reader: Mutex<BufReader<TcpStream>>,
    echo_thread: Option<JoinHandle<()>>,
}

/// The header size of a yoton package.
const HEADER: usize = 56;
/// Writes gather up to this many bytes of small messages.
const WRITE_BATCH: usize = 256 * 1024;

fn header(size: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..8].copy_from_slice(b"YOTON   ");
    h[48..].copy_from_slice(&(size as u64).to_le_bytes());
    h
}

/// Reads one message (header and data) into `data`.
fn read_message(reader: &mut impl Read, data: &mut Vec<u8>) {
    let mut h = [0u8; HEADER];
    reader.read_exact(&mut h).expect("header");
    let mut size = [0u8; 8];
    size.copy_from_slice(&h[48..]);
    data.resize(u64::from_le_bytes(size) as usize, 0);
    reader.read_exact(data).expect("data");
}

impl RawPair {
    /// A connected socket pair; for round trips, a thread echoes each
    /// message back.
    pub fn new(pattern: Pattern) -> RawPair {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let writer = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let (accepted, _) = listener.accept().expect("accept");
        for stream in [&writer, &accepted] {
            stream.set_nodelay(true).expect("nodelay");
            stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
        }
        match pattern {
            Pattern::Oneway => RawPair {
                writer,
                reader: Mutex::new(BufReader::with_capacity(WRITE_BATCH, accepted)),
                echo_thread: None,
            },
            Pattern::Roundtrip => {
                let mut back = accepted.try_clone().expect("clone");
                let mut incoming = BufReader::with_capacity(WRITE_BATCH, accepted);
                let echo = thread::spawn(move || {
                    let mut data = Vec::new();
                    let mut out = Vec::new();
                    loop {
                        let mut h = [0u8; HEADER];
                        if incoming.read_exact(&mut h).is_err() {
                            break;
                        }
                        let mut size = [0u8; 8];
                        size.copy_from_slice(&h[48..]);
                        data.resize(u64::from_le_bytes(size) as usize, 0);
                        if incoming.read_exact(&mut data).is_err() {
                            break;
                        }
                        out.clear();
                        out.extend_from_slice(&h);
                        out.extend_from_slice(&data);
                        if back.write_all(&out).is_err() {
                            break;
                        }
                    }
                });
                let reader =
                    BufReader::with_capacity(WRITE_BATCH, writer.try_clone().expect("clone"));
                RawPair {
                    writer,
                    reader: Mutex::new(reader),
                    echo_thread: Some(echo),
                }
            }
        }
    }

    /// Sends `data` `count` times and returns the time until the reading
    /// side has read every one.
    pub fn oneway(&self, data: &Bytes, count: u64) -> Duration {
        let mut guard = self.reader.lock().expect("reader");
        let reader: &mut BufReader<TcpStream> = &mut guard;
        thread::scope(|scope| {
            let reading = scope.spawn(move || {
                let mut buf = Vec::new();
                for _ in 0..count {
                    read_message(reader, &mut buf);
                }
                Instant::now()
            });
            let start = Instant::now();
            let mut writer = &self.writer;
            let mut batch = Vec::with_capacity(WRITE_BATCH + HEADER + data.len());
            for _ in 0..count {
                batch.extend_from_slice(&header(data.len()));
                if data.len() >= 32 * 1024 {
                    write_two(writer, &batch, data);
                    batch.clear();
                } else {
                    batch.extend_from_slice(data);
                    if batch.len() >= WRITE_BATCH {
                        writer.write_all(&batch).expect("write");
                        batch.clear();
                    }
                }
            }
            writer.write_all(&batch).expect("write");
            reading.join().expect("reader") - start
        })
    }

    /// Makes `count` round trips of `data` and returns their total time.
    pub fn roundtrips(&self, data: &Bytes, count: u64) -> Duration {
        let mut reader = self.reader.lock().expect("reader");
        let mut writer = &self.writer;
        let mut out = Vec::with_capacity(HEADER + data.len());
        out.extend_from_slice(&header(data.len()));
        out.extend_from_slice(data);
        let mut back = Vec::new();
        let start = Instant::now();
        for _ in 0..count {
            writer.write_all(&out).expect("write");
            read_message(&mut *reader, &mut back);
        }
        start.elapsed()
    }
}

/// Writes `a` then `b` completely, as one vectored write where it can.
fn write_two(mut stream: &TcpStream, mut a: &[u8], mut b: &[u8]) {
    while !a.is_empty() || !b.is_empty() {
        let n = stream
            .write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
            .expect("write");
        let from_a = n.min(a.len());
        a = &a[from_a..];
        b = &b[n - from_a..];
    }
}

impl Drop for RawPair {
    fn drop(&mut self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
        if let Some(echo) = self.echo_thread.take() {
            let _ = echo.join();
        }
    }
}

/// `count` 8-byte packages on the wire, one after the other, for the codec
/// benchmarks.
pub fn wire_of_small_packages(count: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    for seq in 0..count as u64 {
        let mut package =
            yoton_core::Package::new(yoton_core::Slot::new(9), seq.to_le_bytes().to_vec());
        package.source_id = 1;
        package.source_seq = seq + 1;
        package.encode_into(&mut wire);
    }
    wire
}
