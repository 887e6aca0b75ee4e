//! yoton's ends of a bench: a `PubChannel<Bytes>` sends numbered messages,
//! a `SubChannel<Bytes>` receives and checks them; for round trips a
//! second pair of channels carries each message back.
//!
//! The caller makes the contexts and channels and links them (over TCP to
//! a second process for `yoton bench`, within one process for the
//! benchmarks); these loops are what each end then does.

use std::time::{Duration, Instant};

use bytes::Bytes;
use yoton::{PubChannel, SubChannel, SubOptions};

use super::payloads::Payloads;
use super::wire::check;

/// How many messages (and at most how many bytes of them) a one-way run
/// hands to the publisher per call (`PubChannel::send_bytes_batch`), as a
/// program streaming messages would.
const SEND_BATCH: u64 = 256;
const SEND_BATCH_BYTES: u64 = 64 * 1024;

/// The subscriber's queue may hold this many bytes of messages, so that a
/// reader that falls behind for a moment does not drop any.
const SUB_QUEUE_BYTES: u64 = 512 << 20;

/// The options of a subscriber that is to receive `messages` messages of
/// `size` bytes without dropping any when it falls behind for a moment.
pub fn sub_options(size: u64, messages: u64) -> SubOptions {
    let fits = (SUB_QUEUE_BYTES / (size + 64)).max(10_000);
    SubOptions::new().capacity(messages.min(fits) as usize)
}

/// Sends `messages` numbered messages of `size` bytes in batches.
///
/// # Errors
///
/// A line saying why the publisher refused a batch.
pub fn send_all(publisher: &PubChannel<Bytes>, size: u64, messages: u64) -> Result<(), String> {
    let mut payloads = Payloads::new(size);
    // Large messages go one by one: a batch is not held to the queue bound
    // until it is queued whole.
    let per_batch = (SEND_BATCH_BYTES / size.max(1)).clamp(1, SEND_BATCH);
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

/// Receives `messages` messages numbered from 0 and checks each, until
/// `deadline`.
///
/// # Errors
///
/// A line saying what failed: no message in time, a closed channel, or a
/// message that is not the one expected (with the count of dropped ones
/// when the subscriber dropped any).
pub fn receive_all(
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

/// Sends the next `messages` messages of `payloads` one at a time and
/// times each until its echo is back on `echoes` (checked), until
/// `deadline`. Returns the time of each round trip.
///
/// # Errors
///
/// A line saying what failed: sending, no echo in time, or an echo that is
/// not the message sent.
pub fn ping_all(
    publisher: &PubChannel<Bytes>,
    echoes: &SubChannel<Bytes>,
    payloads: &mut Payloads,
    size: u64,
    messages: u64,
    deadline: Instant,
) -> Result<Vec<Duration>, String> {
    let mut rtts = Vec::with_capacity(messages as usize);
    for _ in 0..messages {
        let seq = payloads.next_seq();
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

/// Sends back every message received on `sub`, `messages` times (or with
/// `None` until `sub` is closed), until `deadline`. Returns how many were
/// echoed.
///
/// # Errors
///
/// A line saying what failed: no message in time (or the channel closed
/// before `messages`), or the echo could not be sent.
pub fn echo_all(
    sub: &SubChannel<Bytes>,
    back: &PubChannel<Bytes>,
    messages: Option<u64>,
    deadline: Instant,
) -> Result<u64, String> {
    let mut echoed = 0u64;
    while messages.is_none_or(|n| echoed < n) {
        let wait = deadline.saturating_duration_since(Instant::now());
        let message = match sub.recv_timeout(wait) {
            Ok(message) => message,
            Err(_) if messages.is_none() && sub.is_closed() => break,
            Err(e) => return Err(format!("no message {echoed}: {e}")),
        };
        back.send_bytes(message)
            .map_err(|e| format!("cannot echo: {e}"))?;
        echoed += 1;
    }
    Ok(echoed)
}
