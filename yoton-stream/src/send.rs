//! The sending side of a [`StreamConnection`]: its queue, and the writes
//! that never block. A producer writes an idle connection's packages
//! itself; everything else is written by the [reactor](crate::reactor)
//! when the producer asks it to, or when the socket takes more again.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use socket2::Socket;
use yoton_core::Package;
use yoton_core::direct::Direct;
use yoton_core::liveness::HeartbeatClock;

use crate::connection::{StreamConnection, lock};
use crate::io::write_now;
use crate::secure::Sealer;

/// The most packages and bytes the reactor takes per round, so that
/// flushes and waiting producers hear of progress often.
const BATCH_PACKAGES: usize = 4096;
const BATCH_BYTES: usize = 1024 * 1024;

/// Data at least this long is written straight from the package (header
/// and data in one vectored write) when it is alone in a round on a plain
/// link, instead of being copied into the write buffer.
const LARGE_DATA: usize = 32 * 1024;

/// A buffer kept between writes is shrunk back to this after a round that
/// made it larger, so that one burst does not pin memory. The reactor's
/// buffers are the process's, not a connection's: they may hold a round.
const BUFFER_KEEP: usize = 2 * BATCH_BYTES;

/// The send queue and who writes, under the connection's send lock.
#[derive(Debug)]
pub(crate) struct SendState {
    pub(crate) queue: VecDeque<Package>,
    /// Packages ever queued, and ever written (heartbeats not counted).
    pub(crate) queued_total: u64,
    pub(crate) written_total: u64,
    /// The count at which the close package is written, once queued.
    pub(crate) close_at: Option<u64>,
    pub(crate) shut: bool,
    /// Someone writes to the socket now (the reactor, or a producer
    /// writing directly): nobody else may start a write.
    pub(crate) writing: bool,
    /// The bytes of a write that the socket did not take at once,
    /// `pending[pending_from..]`; they go out before anything queued, and
    /// count in the backlog as they are. Empty when there are none.
    pub(crate) pending: Vec<u8>,
    pub(crate) pending_from: usize,
    /// How many packages count as written once `pending` is.
    pub(crate) pending_packages: u64,
    /// The last write, for whether a producer may write directly.
    pub(crate) direct: Direct,
    /// How many threads wait in a flush: a write wakes them only then (a
    /// wake-up call costs a system call even when nobody waits).
    pub(crate) flushers: usize,
    /// The reactor was asked to write, or waits until the socket takes
    /// more: producers that queue need not ask again. A stream of packages
    /// to a busy connection thus costs no system call per package (a
    /// publisher with many subscribers sends each package to each).
    pub(crate) flush_asked: bool,
    /// When the last bytes went out, for heartbeats.
    pub(crate) clock: HeartbeatClock,
    /// The connected socket, from the handshake until the reactor is done
    /// with it.
    pub(crate) socket: Option<Arc<Socket>>,
}

impl SendState {
    pub(crate) fn new(now: Instant) -> SendState {
        SendState {
            queue: VecDeque::new(),
            queued_total: 0,
            written_total: 0,
            close_at: None,
            shut: false,
            writing: false,
            pending: Vec::new(),
            pending_from: 0,
            pending_packages: 0,
            direct: Direct::default(),
            flushers: 0,
            flush_asked: false,
            clock: HeartbeatClock::new(now),
            socket: None,
        }
    }

    /// Whether something waits to be written.
    pub(crate) fn has_work(&self) -> bool {
        !self.queue.is_empty() || !self.pending.is_empty()
    }

    /// Takes the next round of packages off the front of the queue: at
    /// least one, then while the round stays within its limits.
    fn take_round(&mut self, round: &mut Vec<Package>) {
        let mut bytes = 0;
        while let Some(next) = self.queue.front() {
            let len = next.encoded_len();
            if !round.is_empty() && (round.len() >= BATCH_PACKAGES || bytes + len > BATCH_BYTES) {
                break;
            }
            bytes += len;
            if let Some(package) = self.queue.pop_front() {
                round.push(package);
            }
        }
    }
}

/// What a write by the reactor left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Nothing is left to write, or someone else writes (and asks again
    /// if they leave something).
    Done,
    /// The socket takes no more now: the reactor writes on when it is
    /// writable again.
    Blocked,
    /// The socket failed; the connection is failing.
    Failed,
}

/// The buffers the reactor writes through, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct WriteBuffers {
    round: Vec<Package>,
    wire: Vec<u8>,
    sealed: Vec<u8>,
}

impl WriteBuffers {
    fn trim(&mut self) {
        for kept in [&mut self.wire, &mut self.sealed] {
            if kept.capacity() > BUFFER_KEEP {
                kept.clear();
                kept.shrink_to(BUFFER_KEEP);
            }
        }
    }
}

impl StreamConnection {
    /// Writes what is queued, without blocking, until nothing is left or
    /// the socket takes no more.
    pub(crate) fn flush_now(&self, socket: &Socket, buffers: &mut WriteBuffers) -> Flushed {
        loop {
            let mut state = lock(&self.send);
            if state.shut {
                return Flushed::Done;
            }
            if state.writing {
                // A producer writes directly; it asks again if it leaves
                // something.
                state.flush_asked = false;
                return Flushed::Done;
            }
            if !state.has_work() {
                state.flush_asked = false;
                return Flushed::Done;
            }
            state.writing = true;
            let heard = self.heard();
            let pending = std::mem::take(&mut state.pending);
            let from = std::mem::take(&mut state.pending_from);
            let pending_packages = std::mem::take(&mut state.pending_packages);
            let round = &mut buffers.round;
            if pending.is_empty() {
                state.take_round(round);
            }
            drop(state);
            let resent = !pending.is_empty();
            let result = if resent {
                match write_now(socket, &pending[from..], &[]) {
                    Ok(n) => Ok(Written {
                        buf: pending,
                        from: from + n,
                        bytes: n,
                    }),
                    Err(e) => Err(e),
                }
            } else {
                self.write_round(socket, round, &mut buffers.wire, &mut buffers.sealed)
            };
            let now = Instant::now();
            let mut state = lock(&self.send);
            state.writing = false;
            state.direct.record(now, heard);
            let outcome = match result {
                Ok(written) => {
                    state.clock.on_send(now);
                    let packages = if resent {
                        pending_packages
                    } else {
                        round.len() as u64
                    };
                    let left = written.buf.len().saturating_sub(written.from);
                    if resent {
                        self.backlog.take(written.bytes);
                    } else {
                        // The round's packages leave the backlog; what the
                        // socket did not take is back in it as bytes.
                        let encoded: usize = round.iter().map(Package::encoded_len).sum();
                        self.backlog.add(left);
                        self.backlog.take(encoded);
                    }
                    if left == 0 {
                        state.written_total += packages;
                        if resent {
                            recycle([&mut buffers.wire, &mut buffers.sealed], written.buf);
                        }
                        Flushed::Done
                    } else {
                        state.pending = written.buf;
                        state.pending_from = written.from;
                        state.pending_packages = packages;
                        Flushed::Blocked
                    }
                }
                Err(e) => {
                    drop(state);
                    round.clear();
                    buffers.trim();
                    if !self.is_shut() {
                        tracing::debug!(error = %e, "write failed");
                        self.fail_with(&crate::io::failure_reason(&e));
                    }
                    return Flushed::Failed;
                }
            };
            let flushers = state.flushers;
            drop(state);
            round.clear();
            buffers.trim();
            if flushers > 0 {
                self.progress.notify_all();
            }
            if outcome == Flushed::Blocked {
                return outcome;
            }
        }
    }

    /// Writes one round of packages as far as the socket takes them: a
    /// large package alone from where it is (on a plain link), anything
    /// else copied into `wire` (and sealed, on a secured link).
    fn write_round(
        &self,
        socket: &Socket,
        round: &[Package],
        wire: &mut Vec<u8>,
        sealed: &mut Vec<u8>,
    ) -> io::Result<Written> {
        wire.clear();
        let sealer = self.sealer.get();
        if let ([package], None) = (round, sealer) {
            if package.data.len() >= LARGE_DATA {
                let header = package.header();
                let n = write_now(socket, &header, &package.data)?;
                let from_header = n.min(header.len());
                let mut rest = header[from_header..].to_vec();
                rest.extend_from_slice(&package.data[n - from_header..]);
                return Ok(Written {
                    buf: rest,
                    from: 0,
                    bytes: n,
                });
            }
        }
        for package in round {
            wire.extend_from_slice(&package.header());
            wire.extend_from_slice(&package.data);
        }
        let out: &mut Vec<u8> = match sealer {
            None => wire,
            Some(sealer) => {
                sealed.clear();
                sealer_seal(sealer, wire, sealed)?;
                sealed
            }
        };
        let n = write_now(socket, out, &[])?;
        // What is left goes on from where it is, without a copy.
        let buf = if n < out.len() {
            std::mem::take(out)
        } else {
            Vec::new()
        };
        Ok(Written {
            buf,
            from: n,
            bytes: n,
        })
    }

    /// Sends a heartbeat when the link has been silent long enough and
    /// nothing else is on its way; returns when to look again.
    pub(crate) fn heartbeat_if_due(&self, socket: &Socket, now: Instant) -> Instant {
        let mut state = lock(&self.send);
        if state.shut || !state.clock.is_due(now) {
            return state.clock.deadline();
        }
        if state.writing || state.has_work() {
            // Bytes are on their way (or the peer does not read, and a
            // heartbeat would not help).
            state.clock.on_send(now);
            return state.clock.deadline();
        }
        let header = Package::heartbeat().header();
        let mut sealed = Vec::new();
        let out: &[u8] = match self.sealer.get() {
            None => &header,
            Some(sealer) => {
                if let Err(e) = sealer_seal(sealer, &header, &mut sealed) {
                    drop(state);
                    self.fail_with(&e.to_string());
                    return now;
                }
                &sealed
            }
        };
        match write_now(socket, out, &[]) {
            Ok(n) => {
                if n < out.len() {
                    state.pending.extend_from_slice(&out[n..]);
                    self.backlog.add(out.len() - n);
                    if !state.flush_asked {
                        state.flush_asked = true;
                        drop(state);
                        self.ask_flush();
                        return now + yoton_core::liveness::HEARTBEAT_INTERVAL;
                    }
                }
                state.clock.on_send(now);
                state.clock.deadline()
            }
            Err(e) => {
                drop(state);
                if !self.is_shut() {
                    self.fail_with(&crate::io::failure_reason(&e));
                }
                now
            }
        }
    }
}

/// Takes back a buffer that held what a socket did not take at once into
/// the first of `kept` that has none, so that the next round need not
/// allocate one.
fn recycle(kept: [&mut Vec<u8>; 2], mut buf: Vec<u8>) {
    buf.clear();
    for kept in kept {
        if kept.capacity() == 0 {
            *kept = buf;
            return;
        }
    }
}

/// Seals `plain` onto the end of `out`.
fn sealer_seal(
    sealer: &std::sync::Mutex<Sealer>,
    plain: &[u8],
    out: &mut Vec<u8>,
) -> io::Result<()> {
    out.reserve(Sealer::sealed_len(plain.len()));
    Ok(lock(sealer).seal(plain, out)?)
}

/// What a write did not finish (`buf[from..]`), and how many bytes it
/// wrote.
struct Written {
    buf: Vec<u8>,
    from: usize,
    bytes: usize,
}
