//! The set-ups the benchmarks in `benches/` share: a publisher and a
//! subscriber linked by yoton (in-process, or over TCP on loopback with two
//! contexts in one process), and the baseline of the same bytes over a
//! plain TCP socket pair; for round trips also the floors: a socket pair
//! busy-polled at both ends, and two threads spinning on crossbeam
//! channels. Each measures "send `count` messages one way
//! until all have arrived" and "`count` round trips one after the other",
//! so that criterion compares the transports on the same cases. A
//! [`CallPair`] makes req/rep calls the same way, one after the other.
//! For fan-out, a [`FanOut`] publishes to several subscribers over TCP,
//! each on its own connection and thread, and a [`RawFanOut`] writes the
//! same records to as many plain sockets: "send `count` messages until
//! every subscriber has all of them".
//!
//! What each end does is written once, in `yoton_cli::setups`, for these
//! benchmarks and for `yoton bench` alike; this crate only puts both ends
//! in one process. (The one-way yoton loop of [`ChannelPair`] is this
//! crate's own: it sends message by message, where `yoton bench` sends in
//! batches; [`FanOut`] uses `yoton bench`'s loops, batches included. The
//! writer of [`RawFanOut`] is this crate's own too: `yoton bench` has no
//! fan-out.)
//!
//! ```
//! use bytes::Bytes;
//! use yoton_benches::{
//!     CallPair, ChannelPair, FanOut, InprocPair, Pattern, RawFanOut, RawPair, SpinPair,
//! };
//!
//! let data = Bytes::from(vec![7u8; 8]);
//! let pair = ChannelPair::inproc(Pattern::Oneway);
//! assert!(pair.oneway(&data, 100) > std::time::Duration::ZERO);
//! assert!(FanOut::tcp(2).oneway(&data, 100) > std::time::Duration::ZERO);
//! assert!(RawFanOut::new(2).oneway(&data, 100) > std::time::Duration::ZERO);
//! let raw = RawPair::new(Pattern::Roundtrip);
//! assert!(raw.roundtrips(&data, 10) > std::time::Duration::ZERO);
//! assert!(SpinPair::new().roundtrips(&data, 10) > std::time::Duration::ZERO);
//! assert!(InprocPair::new().roundtrips(&data, 10) > std::time::Duration::ZERO);
//! assert!(CallPair::inproc().calls(8, 10) > std::time::Duration::ZERO);
//! ```
#![forbid(unsafe_code)]

use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use yoton::{Context, PubChannel, RepChannel, Replier, ReqChannel, SubChannel, SubOptions};
use yoton_cli::setups::payloads::Payloads;
use yoton_cli::setups::raw_inproc::InprocPingPong;
use yoton_cli::setups::raw_tcp_spin::{self, SpinStream};
use yoton_cli::setups::{channels, raw_tcp, reqrep, wire};

/// The channel messages go out on.
const CHANNEL: &str = "bench";
/// The channel echoes come back on.
const ECHO: &str = "bench-echo";
/// The req/rep channel calls go on.
const CALLS: &str = "bench-calls";
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
/// on the other; for round trips, a thread echoes each message back (the
/// loops of `yoton bench`, [`channels`]).
#[derive(Debug)]
pub struct ChannelPair {
    sender: Context,
    receiver: Context,
    publisher: PubChannel<Bytes>,
    subscriber: Arc<SubChannel<Bytes>>,
    echoes: SubChannel<Bytes>,
    /// The messages of round trips, made on the first.
    payloads: Mutex<Option<Payloads>>,
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

    /// A pair linked over a Unix domain socket (`ipc://`).
    #[cfg(unix)]
    pub fn ipc(pattern: Pattern) -> ChannelPair {
        ChannelPair::new("ipc://", pattern)
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
        } else if address.starts_with("ipc") {
            format!("ipc://{}", bound.local_host())
        } else {
            format!("tcp://127.0.0.1:{}", bound.local_port())
        };
        receiver.connect(&peer).expect("connect");
        bound.wait_connected(DEADLINE).expect("a peer");
        let echo_thread = (pattern == Pattern::Roundtrip).then(|| {
            let back = PubChannel::<Bytes>::new(&receiver, ECHO).expect("free slot");
            let subscriber = Arc::clone(&subscriber);
            thread::spawn(move || {
                // It ends when the pair closes its contexts.
                let forever = Instant::now() + Duration::from_secs(1 << 30);
                let _ = channels::echo_all(&subscriber, &back, None, forever);
            })
        });
        ChannelPair {
            sender,
            receiver,
            publisher,
            subscriber,
            echoes,
            payloads: Mutex::new(None),
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

    /// Makes `count` round trips of `data.len()` bytes (numbered, so their
    /// first bytes are not `data`'s), each echo checked, and returns their
    /// total time: the loop of `yoton bench`'s round trip
    /// ([`channels::ping_all`]).
    pub fn roundtrips(&self, data: &Bytes, count: u64) -> Duration {
        let size = data.len() as u64;
        let mut guard = self.payloads.lock().expect("payloads");
        let payloads = guard.get_or_insert_with(|| Payloads::new(size));
        assert_eq!(payloads.size(), size, "one message size per pair");
        let deadline = Instant::now() + DEADLINE;
        channels::ping_all(
            &self.publisher,
            &self.echoes,
            payloads,
            size,
            count,
            deadline,
        )
        .expect("round trips")
        .iter()
        .sum()
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

/// Two contexts with a `ReqChannel` on one and, on the other, a
/// `RepChannel` serving `echo(seq, data)` on its own thread
/// ([`RepChannel::spawn`]): the calls of `yoton bench --pattern reqrep`
/// ([`reqrep`]), with both ends in this process.
#[derive(Debug)]
pub struct CallPair {
    caller: Context,
    replier_context: Context,
    req: ReqChannel,
    /// The number of the next call.
    next_seq: Mutex<u64>,
    replier: Option<Replier>,
}

impl CallPair {
    /// A pair linked in-process.
    pub fn inproc() -> CallPair {
        CallPair::new("inproc://")
    }

    /// A pair linked over TCP on loopback.
    pub fn tcp() -> CallPair {
        CallPair::new("tcp://127.0.0.1:0")
    }

    /// A pair linked over a Unix domain socket (`ipc://`).
    #[cfg(unix)]
    pub fn ipc() -> CallPair {
        CallPair::new("ipc://")
    }

    fn new(address: &str) -> CallPair {
        let caller = yoton::context();
        let replier_context = yoton::context();
        let req = ReqChannel::new(&caller, CALLS).expect("free slot");
        let replier = RepChannel::new(&replier_context, CALLS)
            .expect("free slot")
            .spawn(reqrep::echo_methods())
            .expect("a replier thread");
        let bound = replier_context.bind(address).expect("bind");
        let peer = if address.starts_with("inproc") {
            format!("inproc://{}", bound.local_host())
        } else if address.starts_with("ipc") {
            format!("ipc://{}", bound.local_host())
        } else {
            format!("tcp://127.0.0.1:{}", bound.local_port())
        };
        caller.connect(&peer).expect("connect");
        bound.wait_connected(DEADLINE).expect("a peer");
        CallPair {
            caller,
            replier_context,
            req,
            next_seq: Mutex::new(0),
            replier: Some(replier),
        }
    }

    /// Makes `count` calls with `size` bytes of data each, one after the
    /// other, each reply checked, and returns their total time
    /// ([`reqrep::call_all`]).
    pub fn calls(&self, size: u64, count: u64) -> Duration {
        let mut next_seq = self.next_seq.lock().expect("sequence");
        let first = *next_seq;
        *next_seq += count;
        let deadline = Instant::now() + DEADLINE;
        reqrep::call_all(&self.req, first, size, count, deadline)
            .expect("calls")
            .iter()
            .sum()
    }
}

impl Drop for CallPair {
    fn drop(&mut self) {
        self.caller.close();
        self.replier_context.close();
        if let Some(replier) = self.replier.take() {
            replier.stop();
        }
    }
}

/// The baseline: a connected pair of plain TCP sockets on loopback, sending
/// the bytes yoton would (a 56-byte header and the data), small messages
/// gathered into large writes, read through a buffer: the loops of
/// `yoton bench`'s `raw-tcp` ([`raw_tcp`]), with both ends in this process.
#[derive(Debug)]
pub struct RawPair {
    writer: TcpStream,
    /// The reading end and the sequence number of the next message.
    reader: Mutex<(BufReader<TcpStream>, u64)>,
    echo_thread: Option<JoinHandle<()>>,
}

impl RawPair {
    /// A connected socket pair; for round trips, a thread echoes each
    /// message back.
    pub fn new(pattern: Pattern) -> RawPair {
        let (writer, accepted) = socket_pair();
        match pattern {
            Pattern::Oneway => RawPair {
                writer,
                reader: Mutex::new((raw_tcp::reader(accepted), 0)),
                echo_thread: None,
            },
            Pattern::Roundtrip => {
                let mut back = accepted.try_clone().expect("clone");
                let mut incoming = raw_tcp::reader(accepted);
                let echo = thread::spawn(move || {
                    // It ends when the pair shuts its socket down.
                    let _ = raw_tcp::echo(&mut incoming, &mut back, None);
                });
                let reader = raw_tcp::reader(writer.try_clone().expect("clone"));
                RawPair {
                    writer,
                    reader: Mutex::new((reader, 0)),
                    echo_thread: Some(echo),
                }
            }
        }
    }

    /// Sends `count` messages of `data.len()` bytes (numbered, so their
    /// first bytes are not `data`'s) and returns the time until the reading
    /// side has read and checked every one.
    pub fn oneway(&self, data: &Bytes, count: u64) -> Duration {
        let size = data.len() as u64;
        let mut guard = self.reader.lock().expect("reader");
        let (reader, next_seq) = &mut *guard;
        let first = *next_seq;
        *next_seq += count;
        thread::scope(|scope| {
            let reading = scope.spawn(move || {
                raw_tcp::receive_all(reader, first, size, count).expect("receive");
                Instant::now()
            });
            let start = Instant::now();
            raw_tcp::send_all(&mut &self.writer, first, size, count).expect("send");
            reading.join().expect("reader") - start
        })
    }

    /// Makes `count` round trips of `data.len()` bytes and returns their
    /// total time.
    pub fn roundtrips(&self, data: &Bytes, count: u64) -> Duration {
        let mut guard = self.reader.lock().expect("reader");
        let (reader, next_seq) = &mut *guard;
        let first = *next_seq;
        *next_seq += count;
        let size = data.len() as u64;
        raw_tcp::ping_all(&mut &self.writer, reader, first, size, count)
            .expect("round trips")
            .iter()
            .sum()
    }
}

/// Two connected TCP sockets on loopback, `TCP_NODELAY` on both, with a
/// read timeout so that a stuck benchmark fails.
fn socket_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let connected = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let (accepted, _) = listener.accept().expect("accept");
    for stream in [&connected, &accepted] {
        stream.set_nodelay(true).expect("nodelay");
        stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    }
    (connected, accepted)
}

impl Drop for RawPair {
    fn drop(&mut self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
        if let Some(echo) = self.echo_thread.take() {
            let _ = echo.join();
        }
    }
}

/// The loopback floor of a round trip: a TCP socket pair whose ends both
/// busy-poll (non-blocking, spinning), one record each way: the loops of
/// `yoton bench`'s `raw-tcp-spin` ([`raw_tcp_spin`]), with both ends in
/// this process. The echoing thread spins for as long as the pair lives.
#[derive(Debug)]
pub struct SpinPair {
    /// The pinging end and the sequence number of the next record.
    stream: Mutex<(SpinStream, u64)>,
    echo_thread: Option<JoinHandle<()>>,
}

impl SpinPair {
    /// A connected socket pair, and a thread that echoes each record.
    pub fn new() -> SpinPair {
        let (connected, accepted) = socket_pair();
        let far = Instant::now() + Duration::from_secs(1 << 30);
        let mut echoing = SpinStream::new(accepted, far).expect("non-blocking");
        let echo_thread = thread::spawn(move || {
            // It ends when the pair's socket closes.
            let _ = raw_tcp_spin::echo(&mut echoing, None);
        });
        let stream = SpinStream::new(connected, far).expect("non-blocking");
        SpinPair {
            stream: Mutex::new((stream, 0)),
            echo_thread: Some(echo_thread),
        }
    }

    /// Makes `count` round trips of `data.len()` bytes and returns their
    /// total time.
    pub fn roundtrips(&self, data: &Bytes, count: u64) -> Duration {
        let mut guard = self.stream.lock().expect("stream");
        let (stream, next_seq) = &mut *guard;
        let first = *next_seq;
        *next_seq += count;
        raw_tcp_spin::ping_all(stream, first, data.len() as u64, count)
            .expect("round trips")
            .iter()
            .sum()
    }
}

impl Default for SpinPair {
    fn default() -> Self {
        SpinPair::new()
    }
}

impl Drop for SpinPair {
    fn drop(&mut self) {
        let stream = self.stream.get_mut().map(|(s, _)| s);
        if let Ok(stream) = stream {
            let _ = stream.shutdown();
        }
        if let Some(echo) = self.echo_thread.take() {
            let _ = echo.join();
        }
    }
}

/// The in-process floor of a round trip: two threads ping-ponging on
/// crossbeam channels, both spinning on `try_recv` (`yoton bench`'s
/// `raw-inproc`, [`InprocPingPong`]).
#[derive(Debug)]
pub struct InprocPair {
    pair: InprocPingPong,
    payloads: Mutex<Option<Payloads>>,
}

impl InprocPair {
    /// Starts the echoing thread.
    pub fn new() -> InprocPair {
        InprocPair {
            pair: InprocPingPong::start().expect("a thread"),
            payloads: Mutex::new(None),
        }
    }

    /// Makes `count` round trips of `data.len()` bytes (numbered, each
    /// echo checked) and returns their total time.
    pub fn roundtrips(&self, data: &Bytes, count: u64) -> Duration {
        let size = data.len() as u64;
        let mut guard = self.payloads.lock().expect("payloads");
        let payloads = guard.get_or_insert_with(|| Payloads::new(size));
        assert_eq!(payloads.size(), size, "one message size per pair");
        let deadline = Instant::now() + DEADLINE;
        self.pair
            .ping_all(payloads, count, deadline)
            .expect("round trips")
            .iter()
            .sum()
    }
}

impl Default for InprocPair {
    fn default() -> Self {
        InprocPair::new()
    }
}

/// One publisher, several subscribers, over TCP on loopback: a publisher
/// context with a `PubChannel<Bytes>`, bound once per subscriber (a yoton
/// bind accepts one peer), and as many subscriber contexts in this
/// process, each connected to its own bind and read on its own thread.
/// What each end does is `yoton bench`'s one-way loop ([`channels`]):
/// the publisher sends numbered messages in batches
/// (`PubChannel::send_bytes_batch`, 256 small messages a call, fewer
/// large ones), each subscriber takes them with
/// `SubChannel::recv_batch` and checks that none is missing or out of
/// order.
///
/// ```
/// use bytes::Bytes;
/// use yoton_benches::FanOut;
///
/// let fan = FanOut::tcp(3);
/// assert_eq!(fan.subscribers(), 3);
/// let data = Bytes::from(vec![7u8; 8]);
/// assert!(fan.oneway(&data, 1000) > std::time::Duration::ZERO);
/// assert!(fan.oneway(&data, 10) > std::time::Duration::ZERO);
/// ```
#[derive(Debug)]
pub struct FanOut {
    sender: Context,
    receivers: Vec<Context>,
    publisher: PubChannel<Bytes>,
    /// The subscribers' threads, locked for a run: runs never overlap.
    readers: Mutex<Readers>,
}

impl FanOut {
    /// `subscribers` subscriber contexts, each connected to the publisher
    /// over its own TCP connection on loopback, every connection
    /// established before this returns.
    ///
    /// # Panics
    ///
    /// With no subscriber, or when a connection is not made in time.
    pub fn tcp(subscribers: usize) -> FanOut {
        assert!(subscribers > 0, "a fan-out needs a subscriber");
        let sender = yoton::context();
        let publisher = PubChannel::<Bytes>::new(&sender, CHANNEL).expect("free slot");
        let mut receivers = Vec::with_capacity(subscribers);
        let mut ends: Vec<Receive> = Vec::with_capacity(subscribers);
        for _ in 0..subscribers {
            let receiver = yoton::context();
            let options = SubOptions::new().capacity(QUEUE);
            let subscriber =
                SubChannel::<Bytes>::with_options(&receiver, CHANNEL, options).expect("free slot");
            let bound = sender.bind("tcp://127.0.0.1:0").expect("bind");
            receiver
                .connect(&format!("tcp://127.0.0.1:{}", bound.local_port()))
                .expect("connect");
            bound.wait_connected(DEADLINE).expect("a peer");
            ends.push(Box::new(move |size, count| {
                let deadline = Instant::now() + DEADLINE;
                channels::receive_all(&subscriber, size, count, deadline)
            }));
            receivers.push(receiver);
        }
        FanOut {
            sender,
            receivers,
            publisher,
            readers: Mutex::new(Readers::spawn("bench-fanout", ends)),
        }
    }

    /// How many subscribers each message goes to.
    pub fn subscribers(&self) -> usize {
        self.receivers.len()
    }

    /// Publishes `count` messages of `data.len()` bytes (numbered, so their
    /// first bytes are not `data`'s) and returns the time until every
    /// subscriber has taken and checked every one: `count` times
    /// [`subscribers`](FanOut::subscribers) deliveries.
    pub fn oneway(&self, data: &Bytes, count: u64) -> Duration {
        let size = data.len() as u64;
        let readers = self.readers.lock().expect("readers");
        readers.start(size, count);
        let start = Instant::now();
        channels::send_all(&self.publisher, size, count).expect("send");
        readers.elapsed_since(start)
    }
}

impl Drop for FanOut {
    fn drop(&mut self) {
        // A subscriber's thread waiting for messages sees its channel
        // closed; the threads are joined when `readers` drops.
        self.sender.close();
        for receiver in &self.receivers {
            receiver.close();
        }
    }
}

/// The baseline of [`FanOut`]: one writer and several plain TCP
/// connections on loopback (`TCP_NODELAY`), each read on its own thread.
/// The writer gathers the records yoton would send (a 56-byte header and
/// the data, as [`RawPair`] sends them) into large batches and writes each
/// batch to every socket in turn; each reading end reads through a buffer
/// and checks every record ([`raw_tcp::receive_all`]).
///
/// ```
/// use bytes::Bytes;
/// use yoton_benches::RawFanOut;
///
/// let raw = RawFanOut::new(3);
/// assert_eq!(raw.subscribers(), 3);
/// let data = Bytes::from(vec![7u8; 8]);
/// assert!(raw.oneway(&data, 1000) > std::time::Duration::ZERO);
/// assert!(raw.oneway(&data, 10) > std::time::Duration::ZERO);
/// ```
#[derive(Debug)]
pub struct RawFanOut {
    writers: Vec<TcpStream>,
    /// The sequence number of the next record, locked for a run: runs
    /// never overlap.
    next_seq: Mutex<u64>,
    readers: Readers,
}

impl RawFanOut {
    /// `subscribers` connected socket pairs, a reading thread on the far
    /// end of each.
    ///
    /// # Panics
    ///
    /// With no subscriber.
    pub fn new(subscribers: usize) -> RawFanOut {
        assert!(subscribers > 0, "a fan-out needs a subscriber");
        let mut writers = Vec::with_capacity(subscribers);
        let mut ends: Vec<Receive> = Vec::with_capacity(subscribers);
        for _ in 0..subscribers {
            let (writer, accepted) = socket_pair();
            // A reader that gave up must not leave the writer blocked.
            writer.set_write_timeout(Some(DEADLINE)).expect("timeout");
            let mut reader = raw_tcp::reader(accepted);
            let mut next_seq = 0u64;
            ends.push(Box::new(move |size, count| {
                let first = next_seq;
                next_seq += count;
                raw_tcp::receive_all(&mut reader, first, size, count)
            }));
            writers.push(writer);
        }
        RawFanOut {
            writers,
            next_seq: Mutex::new(0),
            readers: Readers::spawn("bench-raw-fanout", ends),
        }
    }

    /// How many sockets each record goes to.
    pub fn subscribers(&self) -> usize {
        self.writers.len()
    }

    /// Sends `count` records of `data.len()` bytes (numbered, so their
    /// first bytes are not `data`'s) to every socket and returns the time
    /// until every reading end has read and checked every one.
    pub fn oneway(&self, data: &Bytes, count: u64) -> Duration {
        let size = data.len() as u64;
        let mut next_seq = self.next_seq.lock().expect("sequence");
        let first = *next_seq;
        *next_seq += count;
        self.readers.start(size, count);
        let start = Instant::now();
        send_to_all(&self.writers, first, size, count).expect("send");
        self.readers.elapsed_since(start)
    }
}

impl Drop for RawFanOut {
    fn drop(&mut self) {
        // A reading end waiting for records sees its stream end; the
        // threads are joined when `readers` drops.
        for writer in &self.writers {
            let _ = writer.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Writes `count` records of `size` data bytes numbered from `first_seq`
/// to every writer: gathered into batches of about
/// [`raw_tcp::WRITE_BATCH`] bytes, each batch written to one writer after
/// the other, so that the records are laid out once for all of them.
fn send_to_all(writers: &[TcpStream], first_seq: u64, size: u64, count: u64) -> io::Result<()> {
    let mut data = vec![0u8; size as usize];
    let mut batch = Vec::with_capacity(raw_tcp::WRITE_BATCH + wire::HEADER_SIZE + data.len());
    let write = |batch: &mut Vec<u8>| -> io::Result<()> {
        for mut writer in writers {
            writer.write_all(batch)?;
        }
        batch.clear();
        Ok(())
    };
    for seq in first_seq..first_seq + count {
        wire::stamp(&mut data, seq);
        batch.extend_from_slice(&wire::header(seq, size));
        batch.extend_from_slice(&data);
        if batch.len() >= raw_tcp::WRITE_BATCH {
            write(&mut batch)?;
        }
    }
    write(&mut batch)
}

/// What one reading end of a fan-out does in a run: receives and checks
/// the next `count` messages of `size` bytes, or says why it could not.
type Receive = Box<dyn FnMut(u64, u64) -> Result<(), String> + Send>;

/// The reading ends of a fan-out, each on its own named thread, which
/// waits for a run, receives it and reports when it had the last message.
/// The threads end when this drops (once the owner has closed what they
/// read from) and are joined.
#[derive(Debug)]
struct Readers {
    /// One per thread: the message size and count of each run.
    runs: Vec<Sender<(u64, u64)>>,
    /// When a thread had every message of its run, or why it failed.
    done: Receiver<Result<Instant, String>>,
    threads: Vec<JoinHandle<()>>,
}

impl Readers {
    fn spawn(name: &str, ends: Vec<Receive>) -> Readers {
        let (report, done) = crossbeam_channel::unbounded();
        let mut runs = Vec::with_capacity(ends.len());
        let mut threads = Vec::with_capacity(ends.len());
        for (i, mut receive) in ends.into_iter().enumerate() {
            let (run, next_run) = crossbeam_channel::bounded::<(u64, u64)>(1);
            let report = report.clone();
            let thread = thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    // Idle between runs; it ends when `runs` drops.
                    for (size, count) in next_run {
                        let result = receive(size, count).map(|()| Instant::now());
                        if report.send(result).is_err() {
                            break;
                        }
                    }
                })
                .expect("a thread");
            runs.push(run);
            threads.push(thread);
        }
        Readers {
            runs,
            done,
            threads,
        }
    }

    /// Tells every thread to receive `count` messages of `size` bytes.
    fn start(&self, size: u64, count: u64) {
        for run in &self.runs {
            run.send((size, count)).expect("a reading thread");
        }
    }

    /// Waits for every thread to report the run [`start`](Readers::start)ed
    /// and returns the time from `start` until the last had every message.
    fn elapsed_since(&self, start: Instant) -> Duration {
        let mut last = start;
        for _ in &self.runs {
            let done = self
                .done
                .recv_timeout(DEADLINE)
                .expect("a reading thread in time")
                .expect("receive");
            last = last.max(done);
        }
        last - start
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.runs.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
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
