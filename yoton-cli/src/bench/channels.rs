//! yoton through contexts and channels: a `PubChannel<Bytes>` sends, a
//! `SubChannel<Bytes>` receives (and, for round trips, a second pair
//! carries the echo back). Over TCP the subscriber is a second process;
//! in-process it is a thread with a context of its own.

use std::collections::VecDeque;
use std::thread;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use yoton::{ConnectOptions, Context, PubChannel, SubChannel, SubOptions};

use super::peer::{Peer, say};
use super::{CASE_DEADLINE, CHANNEL, Case, Measured, check, stamp};
use crate::args::{BenchPattern, BenchPeerArgs};

/// The base name of the channels that carry echoes back.
const ECHO_CHANNEL: &str = "yoton-bench-echo";

/// Messages up to this size are cut from shared slabs of this size: one
/// allocation for many messages, as a careful program would do.
const SLAB: usize = 64 * 1024;

/// How many large message buffers are kept for reuse.
const RING: usize = 32;

/// How many messages (and at most how many bytes of them) a one-way run
/// hands to the publisher per call (`PubChannel::send_bytes_batch`), as a
/// program streaming messages would.
const SEND_BATCH: u64 = 256;
const SEND_BATCH_BYTES: u64 = 64 * 1024;

/// The subscriber's queue may hold this many bytes of messages, so that a
/// reader that falls behind for a moment does not drop any.
const SUB_QUEUE_BYTES: u64 = 512 << 20;

/// The messages of a run, numbered from 0, made without an allocation per
/// message: small ones are slices of a slab, large ones reuse buffers once
/// the transport has let go of them.
struct Payloads {
    size: usize,
    next_seq: u64,
    slab: Bytes,
    ring: VecDeque<Bytes>,
}

impl Payloads {
    fn new(size: u64) -> Payloads {
        Payloads {
            size: size as usize,
            next_seq: 0,
            slab: Bytes::new(),
            ring: VecDeque::new(),
        }
    }

    fn next(&mut self) -> Bytes {
        let seq = self.next_seq;
        self.next_seq += 1;
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

fn sub_options(case_size: u64, messages: u64) -> SubOptions {
    let fits = (SUB_QUEUE_BYTES / (case_size + 64)).max(10_000);
    SubOptions::new().capacity(messages.min(fits) as usize)
}

/// Receives `messages` messages and checks each, until `deadline`.
fn receive_all(
    sub: &SubChannel<Bytes>,
    size: u64,
    messages: u64,
    deadline: Instant,
) -> Result<(), String> {
    let mut seq = 0u64;
    let mut batch = Vec::new();
    while seq < messages {
        let wait = deadline.saturating_duration_since(Instant::now());
        sub.recv_batch(&mut batch, wait)
            .map_err(|e| format!("after {seq} messages: {e}"))?;
        for data in batch.drain(..) {
            if let Err(e) = check(&data, size, seq) {
                let dropped = sub.dropped();
                if dropped > 0 {
                    return Err(format!("the subscriber dropped {dropped} messages"));
                }
                return Err(e);
            }
            seq += 1;
        }
    }
    Ok(())
}

/// Sends `messages` numbered messages in batches.
fn send_all(publisher: &PubChannel<Bytes>, size: u64, messages: u64) -> Result<(), String> {
    let mut payloads = Payloads::new(size);
    // Large messages go one by one: a batch is not held to the queue bound
    // until it is queued whole.
    let per_batch = (SEND_BATCH_BYTES / size).clamp(1, SEND_BATCH);
    let mut left = messages;
    while left > 0 {
        let count = left.min(per_batch);
        publisher
            .send_bytes_batch((0..count).map(|_| payloads.next()))
            .map_err(|e| format!("cannot send: {e}"))?;
        left -= count;
    }
    Ok(())
}

/// Sends numbered messages one at a time and times each until its echo is
/// back.
fn ping_all(
    publisher: &PubChannel<Bytes>,
    echoes: &SubChannel<Bytes>,
    size: u64,
    messages: u64,
    deadline: Instant,
) -> Result<Vec<std::time::Duration>, String> {
    let mut payloads = Payloads::new(size);
    let mut rtts = Vec::with_capacity(messages as usize);
    for seq in 0..messages {
        let message = payloads.next();
        let start = Instant::now();
        publisher
            .send_bytes(message)
            .map_err(|e| format!("cannot send: {e}"))?;
        let wait = deadline.saturating_duration_since(Instant::now());
        let echo = echoes
            .recv_timeout(wait)
            .map_err(|e| format!("no echo of message {seq}: {e}"))?;
        rtts.push(start.elapsed());
        check(&echo, size, seq)?;
    }
    Ok(rtts)
}

/// Sends back every message received, `messages` times.
fn echo_all(
    sub: &SubChannel<Bytes>,
    back: &PubChannel<Bytes>,
    messages: u64,
    deadline: Instant,
) -> Result<(), String> {
    for seq in 0..messages {
        let wait = deadline.saturating_duration_since(Instant::now());
        let message = sub
            .recv_timeout(wait)
            .map_err(|e| format!("no message {seq}: {e}"))?;
        back.send_bytes(message)
            .map_err(|e| format!("cannot echo: {e}"))?;
    }
    Ok(())
}

/// The channels of the sending side: the publisher, and where echoes come
/// back for a round trip.
fn sender_channels(
    context: &Context,
    case: &Case,
) -> Result<(PubChannel<Bytes>, Option<SubChannel<Bytes>>), String> {
    let publisher = PubChannel::<Bytes>::new(context, CHANNEL).map_err(|e| e.to_string())?;
    let echoes = match case.pattern {
        BenchPattern::Oneway => None,
        BenchPattern::Roundtrip => {
            Some(SubChannel::<Bytes>::new(context, ECHO_CHANNEL).map_err(|e| e.to_string())?)
        }
    };
    Ok((publisher, echoes))
}

/// The channels of the receiving side: the subscriber, and the publisher
/// of the echoes for a round trip.
fn receiver_channels(
    context: &Context,
    pattern: BenchPattern,
    size: u64,
    messages: u64,
) -> Result<(SubChannel<Bytes>, Option<PubChannel<Bytes>>), String> {
    let sub = SubChannel::<Bytes>::with_options(context, CHANNEL, sub_options(size, messages))
        .map_err(|e| e.to_string())?;
    let back = match pattern {
        BenchPattern::Oneway => None,
        BenchPattern::Roundtrip => {
            Some(PubChannel::<Bytes>::new(context, ECHO_CHANNEL).map_err(|e| e.to_string())?)
        }
    };
    Ok((sub, back))
}

/// Measures one case over TCP, with the subscriber in a second process.
pub(super) fn measure_tcp(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let context = yoton::context();
    let (publisher, echoes) = sender_channels(&context, case)?;
    let bound = context
        .bind("tcp://127.0.0.1:0")
        .map_err(|e| format!("cannot bind: {e}"))?;
    let peer = Peer::start(case, &format!("tcp://127.0.0.1:{}", bound.local_port()))?;
    peer.expect("ready", deadline)?;
    let measured = match (&echoes, case.pattern) {
        (Some(echoes), BenchPattern::Roundtrip) => Measured::Roundtrip(ping_all(
            &publisher,
            echoes,
            case.size,
            case.messages,
            deadline,
        )?),
        _ => {
            let start = Instant::now();
            send_all(&publisher, case.size, case.messages)?;
            let end = peer.expect("done", deadline)?;
            Measured::Oneway(end.saturating_duration_since(start))
        }
    };
    if case.pattern == BenchPattern::Roundtrip {
        peer.expect("done", deadline)?;
    }
    context.close();
    peer.finish()?;
    Ok(measured)
}

/// `yoton bench-peer --transport tcp`: subscribe (and echo), report.
pub(super) fn peer_tcp(args: &BenchPeerArgs, deadline: Instant) -> Result<(), String> {
    let context = yoton::context();
    let (sub, back) = receiver_channels(&context, args.pattern, args.size, args.messages)?;
    let options = ConnectOptions::new().timeout(std::time::Duration::from_secs(10));
    let connection = context
        .connect_with(&args.address, &options)
        .map_err(|e| format!("cannot connect to {}: {e}", args.address))?;
    say("ready");
    match &back {
        Some(back) => echo_all(&sub, back, args.messages, deadline)?,
        None => receive_all(&sub, args.size, args.messages, deadline)?,
    }
    say("done");
    if let Err(e) = connection.flush(std::time::Duration::from_secs(5)) {
        crate::session::note(&format!("bench peer: flush at the end: {e}"));
    }
    context.close();
    Ok(())
}

/// Measures one case in-process: two contexts linked by `inproc://`, the
/// receiving one on a thread of its own.
pub(super) fn measure_inproc(case: &Case) -> Result<Measured, String> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let sender = yoton::context();
    let receiver = yoton::context();
    let (publisher, echoes) = sender_channels(&sender, case)?;
    let (sub, back) = receiver_channels(&receiver, case.pattern, case.size, case.messages)?;
    let bound = sender
        .bind("inproc://")
        .map_err(|e| format!("cannot bind: {e}"))?;
    receiver
        .connect(&format!("inproc://{}", bound.local_host()))
        .map_err(|e| format!("cannot connect: {e}"))?;
    let (size, messages) = (case.size, case.messages);
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let worker = thread::Builder::new()
        .name("yoton-bench-sub".to_owned())
        .spawn(move || {
            let result = match &back {
                Some(back) => echo_all(&sub, back, messages, deadline),
                None => receive_all(&sub, size, messages, deadline),
            };
            let _ = done_tx.send((Instant::now(), result));
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    let start = Instant::now();
    let measured = match &echoes {
        Some(echoes) => {
            ping_all(&publisher, echoes, size, messages, deadline).map(Measured::Roundtrip)
        }
        None => send_all(&publisher, size, messages).map(|()| Measured::Oneway(Default::default())),
    };
    let finished = done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    sender.close();
    receiver.close();
    let _ = worker.join();
    let (end, received) =
        finished.map_err(|_| "the subscriber did not finish in time".to_owned())?;
    received?;
    match measured? {
        Measured::Oneway(_) => Ok(Measured::Oneway(end.saturating_duration_since(start))),
        roundtrip => Ok(roundtrip),
    }
}
