//! [`StreamConnection`]: one stream socket between two contexts, its send
//! queue and its sending and receiving threads.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::Socket;
use yoton_core::decoder::Decoder;
use yoton_core::direct::Direct;
use yoton_core::handshake::HandshakeLine;
use yoton_core::link::Backlog;
use yoton_core::liveness::HeartbeatClock;
use yoton_core::sync::wait_until;
use yoton_core::{
    Connection as _, ConnectionCore, ContextId, Error, Link, Package, PeerInfo, Result, reason,
};

use crate::busy_poll::{BusyPoll, Empty};
use crate::io::{
    LINGER, failure_reason, is_timeout, linger, read_now, try_write_two, write_all_two,
};
use crate::options::StreamOptions;
use crate::secure::{Opener, Sealer};
use crate::secured::{self, Secured};
use crate::{Listening, StreamFamily};

/// Data at least this long is written straight from the package (header
/// and data in one vectored write) instead of being copied into the batch
/// buffer.
const LARGE_DATA: usize = 32 * 1024;

/// Whether producers may write to the socket themselves when the
/// connection is idle (needs a non-blocking send flag).
const DIRECT_WRITES: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// The largest package a producer writes directly.
const DIRECT_MAX: usize = 64 * 1024;

/// The most packages and bytes the sending thread takes per round, so that
/// flushes and waiting producers hear of progress often.
const BATCH_PACKAGES: usize = 4096;
const BATCH_BYTES: usize = 1024 * 1024;

/// The batch buffer is shrunk back to this after a round that made it
/// larger, so that one burst does not pin memory.
const BUFFER_KEEP: usize = 256 * 1024;

/// The longest a receiving thread blocks in one read: a changed timeout
/// takes effect within this.
const MAX_READ_WAIT: Duration = Duration::from_millis(250);
const MIN_READ_WAIT: Duration = Duration::from_millis(5);

/// The [`Link`] of a yoton connection over a stream socket: its send queue
/// and its threads. Made by [`StreamTransport`](crate::StreamTransport)
/// through [`Context::bind`](yoton_core::Context::bind) and
/// [`Context::connect`](yoton_core::Context::connect), and owned by the
/// connection's [`ConnectionCore`], which users reach as
/// [`Connection`](yoton_core::Connection).
///
/// It is `Send` and `Sync`: the context and the link's own threads share
/// it. No lock is held while a thread blocks on the socket.
pub struct StreamConnection {
    /// The connection this link is under; it owns the link, so the link
    /// keeps only a weak reference (its threads upgrade it while they run).
    core: Weak<ConnectionCore>,
    context_id: ContextId,
    pub(crate) family: Arc<dyn StreamFamily>,
    pub(crate) options: StreamOptions,
    pub(crate) span: tracing::Span,
    send: Mutex<SendState>,
    /// The encoded bytes queued and not yet written, against the bound.
    backlog: Backlog,
    /// How many reads brought bytes from the peer; a write notes the count
    /// when it starts (`SendState::direct`).
    heard: AtomicU64,
    /// Wakes the sending thread: packages were queued, or shutdown.
    work: Condvar,
    /// Wakes flushers: packages were written, or shutdown.
    progress: Condvar,
    shut: AtomicBool,
    /// The connected socket, once the handshake is done.
    socket: OnceLock<Arc<Socket>>,
    /// On a secured link, what seals every write (taken by whoever writes:
    /// one at a time, see `SendState::writing`).
    sealer: OnceLock<Mutex<Sealer>>,
    /// While waiting: the listening socket and its address.
    pub(crate) listener: Mutex<Option<Arc<Listening>>>,
    pub(crate) accept_thread: Mutex<Option<JoinHandle<()>>>,
    /// Set by the handshake that wins the bound connection.
    pub(crate) claimed: AtomicBool,
    pub(crate) pending_handshakes: AtomicUsize,
    /// Set when the receiving thread has ended (after lingering); a
    /// graceful shutdown waits for it, so that a process that closes and
    /// exits does not reset the socket before the peer read everything.
    receiving_done: Mutex<bool>,
    receiving_ended: Condvar,
    receiving_thread: OnceLock<thread::ThreadId>,
}

#[derive(Debug, Default)]
struct SendState {
    queue: VecDeque<Package>,
    /// Packages ever queued, and ever written (heartbeats not counted).
    queued_total: u64,
    written_total: u64,
    /// The count at which the close package is written, once queued.
    close_at: Option<u64>,
    shut: bool,
    /// Someone writes to the socket now (the sending thread, or a producer
    /// writing directly): nobody else may start a write.
    writing: bool,
    /// The rest of the packages that a direct write could not finish; it
    /// goes out before anything queued.
    pending: Vec<u8>,
    /// How many packages count as written once `pending` is (including
    /// those a partial write finished).
    pending_packages: u64,
    /// The last write, for whether a producer may write directly.
    direct: Direct,
    /// `heard` when the sending thread's write started.
    heard_at_write: u64,
    /// How many threads wait in a flush: a write wakes them only then (a
    /// wake-up call costs a system call even when nobody waits).
    flushers: usize,
    /// The sending thread sleeps on `work`: a producer wakes it only then,
    /// so that a stream of packages to a busy connection costs no system
    /// call per package (a publisher with many subscribers sends each
    /// package to each of them).
    sender_asleep: bool,
}

pub(crate) use yoton_core::sync::lock;

impl StreamConnection {
    pub(crate) fn new(
        family: &Arc<dyn StreamFamily>,
        core: &Arc<ConnectionCore>,
        options: &StreamOptions,
    ) -> Arc<Self> {
        let span = tracing::debug_span!(
            "yoton_stream",
            protocol = family.protocol(),
            id1 = %core.context_id(),
            local = tracing::field::Empty,
            peer = tracing::field::Empty,
        );
        Arc::new(StreamConnection {
            core: Arc::downgrade(core),
            context_id: core.context_id(),
            family: Arc::clone(family),
            options: options.clone(),
            span,
            send: Mutex::new(SendState::default()),
            backlog: Backlog::new(options.send_queue_bytes()),
            heard: AtomicU64::new(0),
            work: Condvar::new(),
            progress: Condvar::new(),
            shut: AtomicBool::new(false),
            socket: OnceLock::new(),
            sealer: OnceLock::new(),
            listener: Mutex::new(None),
            accept_thread: Mutex::new(None),
            claimed: AtomicBool::new(false),
            pending_handshakes: AtomicUsize::new(0),
            receiving_done: Mutex::new(false),
            receiving_ended: Condvar::new(),
            receiving_thread: OnceLock::new(),
        })
    }

    /// The connection above, while it lives.
    pub(crate) fn core(&self) -> Option<Arc<ConnectionCore>> {
        self.core.upgrade()
    }

    /// Reports a failure of the link to the connection above, which closes
    /// and shuts this link down.
    pub(crate) fn fail_with(&self, reason: &str) {
        match self.core() {
            Some(core) => core.link_failed(reason),
            None => self.shutdown(),
        }
    }

    pub(crate) fn is_shut(&self) -> bool {
        self.shut.load(Ordering::Acquire)
    }

    /// The name of one of this connection's threads: `yoton-tcp-send`.
    pub(crate) fn thread_name(&self, role: &str) -> String {
        format!("yoton-{}-{role}", self.family.protocol())
    }

    /// This side's handshake line.
    pub(crate) fn own_line(&self) -> HandshakeLine {
        HandshakeLine {
            id: self.context_id,
            pid: std::process::id(),
        }
    }

    fn closed_error(&self) -> Error {
        ConnectionCore::closed_error_of(&self.core)
    }

    /// Takes a socket whose handshake succeeded: records the peer, starts
    /// the threads. `rest` is what arrived after the peer's line. Returns
    /// false (and drops the socket) if the connection closed meanwhile.
    pub(crate) fn start(
        self: &Arc<Self>,
        socket: Socket,
        peer: HandshakeLine,
        rest: &[u8],
        hosting: bool,
        secured: Option<Secured>,
    ) -> io::Result<bool> {
        socket.set_read_timeout(None)?;
        socket.set_write_timeout(None)?;
        self.family.prepare(&socket)?;
        let ends = self.family.ends(&socket)?;
        let socket = Arc::new(socket);
        let opener = secured.map(|secured| {
            let _ = self.sealer.set(Mutex::new(secured.sealer));
            secured.opener
        });
        if self.socket.set(Arc::clone(&socket)).is_err() || self.is_shut() {
            let _ = socket.shutdown(Shutdown::Both);
            return Ok(false);
        }
        let local = format!("{}:{}", ends.local_host, ends.local_port);
        let remote = format!("{}:{}", ends.peer_host, ends.peer_port);
        let info = PeerInfo {
            local_host: ends.local_host,
            local_port: ends.local_port,
            peer_host: ends.peer_host,
            peer_port: ends.peer_port,
            peer_id: peer.id,
            peer_pid: peer.pid,
        };
        let connected = self
            .core()
            .is_some_and(|core| core.set_connected(info, hosting));
        if !connected {
            let _ = socket.shutdown(Shutdown::Both);
            return Ok(false);
        }
        self.span.record("local", tracing::field::display(local));
        self.span.record("peer", tracing::field::display(remote));
        tracing::debug!(parent: &self.span, hosting, id2 = %peer.id, pid2 = peer.pid, "connected");

        let mut decoder = Decoder::with_max_data_len(self.options.max_data_len());
        decoder.feed(rest);
        let this = Arc::clone(self);
        let reading = Arc::clone(&socket);
        let spawned = thread::Builder::new()
            .name(self.thread_name("recv"))
            .spawn(move || {
                let _ = this.receiving_thread.set(thread::current().id());
                this.receive_loop(&reading, decoder, opener);
                *lock(&this.receiving_done) = true;
                this.receiving_ended.notify_all();
            })
            .and_then(|_| {
                let this = Arc::clone(self);
                thread::Builder::new()
                    .name(this.thread_name("send"))
                    .spawn(move || this.send_loop(&socket))
            });
        if let Err(e) = spawned {
            self.fail_with(&format!("{} {e}", reason::SOCKET_ERROR));
        }
        Ok(true)
    }

    /// The sending thread: writes what is queued, in batches, and a
    /// heartbeat after a quarter second of silence.
    fn send_loop(&self, socket: &Socket) {
        let _guard = self.span.enter();
        let mut batch: Vec<Package> = Vec::with_capacity(64);
        let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
        let mut pending: Vec<u8> = Vec::new();
        let mut sealed: Vec<u8> = Vec::new();
        let mut clock = HeartbeatClock::new(Instant::now());
        loop {
            let mut bytes = 0usize;
            let pending_packages;
            {
                let mut state = lock(&self.send);
                loop {
                    if state.shut {
                        return;
                    }
                    let now = Instant::now();
                    if !state.writing
                        && (!state.queue.is_empty()
                            || !state.pending.is_empty()
                            || clock.is_due(now))
                    {
                        break;
                    }
                    state.sender_asleep = true;
                    state = self
                        .work
                        .wait_timeout(state, clock.deadline().saturating_duration_since(now))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    state.sender_asleep = false;
                }
                state.writing = true;
                state.heard_at_write = self.heard.load(Ordering::Acquire);
                std::mem::swap(&mut pending, &mut state.pending);
                pending_packages = std::mem::take(&mut state.pending_packages);
                while let Some(next) = state.queue.front() {
                    let len = next.encoded_len();
                    if !batch.is_empty()
                        && (batch.len() >= BATCH_PACKAGES || bytes + len > BATCH_BYTES)
                    {
                        break;
                    }
                    bytes += len;
                    if let Some(package) = state.queue.pop_front() {
                        batch.push(package);
                    }
                }
            }
            let finished_pending = !pending.is_empty();
            let result = write_all_two(socket, &pending, &[]).and_then(|()| {
                if !batch.is_empty() {
                    self.write_batch(socket, &batch, &mut buf, &mut sealed)
                } else if !finished_pending {
                    self.write_out(socket, &Package::heartbeat().header(), &[], &mut sealed)
                } else {
                    Ok(())
                }
            });
            let count = batch.len() as u64 + pending_packages;
            bytes += pending.len();
            pending.clear();
            batch.clear();
            let now = Instant::now();
            let flushers = {
                let mut state = lock(&self.send);
                state.writing = false;
                let heard = state.heard_at_write;
                state.direct.record(now, heard);
                if result.is_ok() && count > 0 {
                    state.written_total += count;
                    self.backlog.take(bytes);
                }
                state.flushers
            };
            match result {
                Ok(()) => {
                    clock.on_send(now);
                    if count > 0 && flushers > 0 {
                        self.progress.notify_all();
                    }
                }
                Err(e) => {
                    if !self.is_shut() {
                        tracing::debug!(error = %e, "write failed");
                        self.fail_with(&failure_reason(&e));
                    }
                    return;
                }
            }
        }
    }

    /// Writes packages from the producer's thread, in one write, when the
    /// connection is idle: in a request and reply exchange this saves
    /// waking the sending thread, the larger part of the latency. The write
    /// never blocks; what the socket does not take at once is left to the
    /// sending thread. Returns the lock back when the packages must be
    /// queued instead: the connection is busy, or was written to very
    /// recently and the peer did not speak since (a stream of packages goes
    /// out in batches from the sending thread).
    fn try_write_directly<'s>(
        &'s self,
        mut state: MutexGuard<'s, SendState>,
        packages: &[Package],
    ) -> Option<MutexGuard<'s, SendState>> {
        let size: usize = packages.iter().map(Package::encoded_len).sum();
        let Some(socket) = self.socket.get() else {
            return Some(state);
        };
        let idle = !state.writing && state.queue.is_empty() && state.pending.is_empty();
        if !DIRECT_WRITES || !idle || size > DIRECT_MAX || packages.is_empty() {
            return Some(state);
        }
        let now = Instant::now();
        let heard = self.heard.load(Ordering::Acquire);
        if !state.direct.allows(now, heard) {
            return Some(state);
        }
        state.writing = true;
        state.direct.record(now, heard);
        state.queued_total += packages.len() as u64;
        drop(state);
        // One package goes out as its header and its data; several are
        // copied into one buffer (they are small: at most `DIRECT_MAX`), so
        // that they leave in one write.
        // On a secured link, they are sealed together.
        let header;
        let joined;
        let (first, second): (&[u8], &[u8]) = match (self.sealer.get(), packages) {
            (None, [package]) => {
                header = package.header();
                (&header, &package.data)
            }
            (sealer, _) => {
                let mut buf = Vec::with_capacity(size);
                for package in packages {
                    buf.extend_from_slice(&package.header());
                    buf.extend_from_slice(&package.data);
                }
                if let Some(sealer) = sealer {
                    let mut out = Vec::with_capacity(Sealer::sealed_len(size));
                    if let Err(e) = lock(sealer).seal(&buf, &mut out) {
                        lock(&self.send).writing = false;
                        self.fail_with(&e.to_string());
                        return None;
                    }
                    buf = out;
                }
                joined = buf;
                (&joined, &[])
            }
        };
        let total = first.len() + second.len();
        let written = try_write_two(socket, first, second);
        let mut state = lock(&self.send);
        state.writing = false;
        state.direct.record(now, heard);
        let done = match written {
            Ok(n) if n == total => true,
            // The sending thread writes the rest first (and a failed socket
            // fails there, closing the connection as usual).
            result => {
                let n = result.unwrap_or(0);
                let from_first = n.min(first.len());
                state.pending.extend_from_slice(&first[from_first..]);
                state.pending.extend_from_slice(&second[n - from_first..]);
                state.pending_packages += packages.len() as u64;
                self.backlog.add(total - n);
                false
            }
        };
        if done {
            state.written_total += packages.len() as u64;
        }
        let wake = state.sender_asleep && (!state.queue.is_empty() || !state.pending.is_empty());
        let flushers = state.flushers;
        drop(state);
        if wake {
            self.work.notify_one();
        }
        if done && flushers > 0 {
            self.progress.notify_all();
        }
        None
    }

    /// The receiving thread: decodes straight from the socket and hands
    /// packages to the context; reports `timedout` on silence.
    fn receive_loop(&self, socket: &Socket, mut decoder: Decoder, mut opener: Option<Opener>) {
        let _guard = self.span.enter();
        // The connection lives at least as long as this loop: it ends when
        // the connection shuts this link down.
        let Some(core) = self.core() else {
            linger(socket);
            return;
        };
        let mut batch: Vec<Package> = Vec::with_capacity(256);
        let mut sealed = secured::SealedReads::default();
        // Frames that came with the handshake's last line.
        if let Some(opener) = &mut opener {
            if let Err(e) = opener.open_into(&mut sealed.plain) {
                self.fail_with(&e.to_string());
                linger(socket);
                return;
            }
            decoder.feed(&sealed.plain);
        }
        if decoder.buffered_len() > 0 && !self.take_packages(&core, &mut decoder, &mut batch) {
            return;
        }
        let mut wait = core.timeout().min(MAX_READ_WAIT);
        if let Err(e) = socket.set_read_timeout(Some(wait)) {
            self.fail(&e);
            return;
        }
        let mut poll = BusyPoll::new(self.options.busy_poll());
        loop {
            if self.is_shut() {
                linger(socket);
                return;
            }
            let polling = poll.is_polling();
            let read_socket = |buf: &mut [u8]| {
                if polling {
                    read_now(socket, buf)
                } else {
                    let mut reading: &Socket = socket;
                    reading.read(buf)
                }
            };
            let read = match &mut opener {
                None => decoder.read_with(read_socket),
                Some(opener) => {
                    secured::read_sealed(read_socket, opener, &mut sealed, &mut decoder)
                }
            };
            match read {
                Ok(0) => {
                    if !self.is_shut() {
                        self.fail_with(reason::OTHER_END_DROPPED);
                    }
                    return;
                }
                Ok(_) if self.is_shut() => {}
                Ok(_) => {
                    let now = Instant::now();
                    core.on_bytes_received(now);
                    // Before delivering: a reply sent from the delivery
                    // may go out directly.
                    self.heard.fetch_add(1, Ordering::AcqRel);
                    if !self.take_packages(&core, &mut decoder, &mut batch) {
                        return;
                    }
                    if decoder.is_mid_package() {
                        self.family.on_partial_package(socket);
                    }
                    poll.on_received(now);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if polling && e.kind() == io::ErrorKind::WouldBlock => {
                    if poll.on_empty(Instant::now()) == Empty::PollAgain {
                        thread::yield_now();
                    }
                }
                Err(e) if is_timeout(&e) => {
                    if self.is_shut() {
                        continue;
                    }
                    let now = Instant::now();
                    let next = core.check_timeout(now);
                    let want = next
                        .saturating_duration_since(now)
                        .clamp(MIN_READ_WAIT, MAX_READ_WAIT);
                    if want != wait {
                        wait = want;
                        if let Err(e) = socket.set_read_timeout(Some(wait)) {
                            self.fail(&e);
                            return;
                        }
                    }
                }
                Err(e) => {
                    self.fail(&e);
                    return;
                }
            }
        }
    }

    fn fail(&self, e: &io::Error) {
        if !self.is_shut() {
            tracing::debug!(error = %e, "read failed");
            self.fail_with(&failure_reason(e));
        }
    }

    /// Takes every complete package out of the decoder and hands them to
    /// the context; false when the connection is to stop receiving.
    fn take_packages(
        &self,
        core: &ConnectionCore,
        decoder: &mut Decoder,
        batch: &mut Vec<Package>,
    ) -> bool {
        let failure = loop {
            match decoder.next_package() {
                Ok(Some(package)) => batch.push(package),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let keep_going = batch.is_empty() || core.receive(batch);
        match failure {
            Some(e) if keep_going => {
                tracing::debug!(error = %e, "stream cannot be decoded");
                self.fail_with(&e.reason());
                false
            }
            _ => keep_going,
        }
    }

    /// Waits (at most a little longer than [`LINGER`]) until the receiving
    /// thread has taken in what the peer still sent and closed the socket;
    /// returns at once when called from that thread.
    fn wait_receiving_ended(&self) {
        if self.receiving_thread.get() == Some(&thread::current().id()) {
            return;
        }
        let deadline = Instant::now() + LINGER + Duration::from_millis(500);
        let done = lock(&self.receiving_done);
        let _ = wait_until(&self.receiving_ended, done, deadline, |done| *done);
    }

    /// Stops listening: the accepting thread ends and the port is free
    /// again when this returns (unless called from that thread).
    pub(crate) fn stop_listening(&self) {
        let listener = lock(&self.listener).take();
        if let Some(listening) = &listener {
            // On Linux this wakes a blocked accept of a TCP socket; elsewhere
            // a connection of our own does, and the accept's own timeout at
            // the latest.
            if listening.socket.shutdown(Shutdown::Both).is_err() {
                crate::host::wake_accept(&self.family, &listening.local);
            }
        }
        let handle = lock(&self.accept_thread).take();
        if let Some(handle) = handle {
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
        if let Some(listening) = listener {
            self.family.unlisten(&listening);
        }
    }
}

impl StreamConnection {
    /// Writes a batch: small packages are copied into `buf` and go out
    /// together; a large package's data is written from where it is, with
    /// the headers before it (on a plain link; a secured one seals it all).
    fn write_batch(
        &self,
        socket: &Socket,
        batch: &[Package],
        buf: &mut Vec<u8>,
        sealed: &mut Vec<u8>,
    ) -> io::Result<()> {
        buf.clear();
        for package in batch {
            buf.extend_from_slice(&package.header());
            if package.data.len() >= LARGE_DATA {
                self.write_out(socket, buf, &package.data, sealed)?;
                buf.clear();
            } else {
                buf.extend_from_slice(&package.data);
                if buf.len() >= BATCH_BYTES {
                    self.write_out(socket, buf, &[], sealed)?;
                    buf.clear();
                }
            }
        }
        let result = self.write_out(socket, buf, &[], sealed);
        for kept in [buf, sealed] {
            if kept.capacity() > BUFFER_KEEP {
                kept.clear();
                kept.shrink_to(BUFFER_KEEP);
            }
        }
        result
    }

    /// Writes `a` then `b` completely: as they are, or sealed (through
    /// `sealed`) on a secured link.
    fn write_out(
        &self,
        socket: &Socket,
        a: &[u8],
        b: &[u8],
        sealed: &mut Vec<u8>,
    ) -> io::Result<()> {
        match self.sealer.get() {
            None => write_all_two(socket, a, b),
            Some(sealer) => secured::write_pieces(socket, sealer, [a, b], sealed),
        }
    }
}

impl Link for StreamConnection {
    fn send_package(&self, package: &Package) -> Result<()> {
        let size = package.encoded_len();
        let state = lock(&self.send);
        if state.shut {
            return Err(self.closed_error());
        }
        let Some(mut state) = self.try_write_directly(state, std::slice::from_ref(package)) else {
            return Ok(());
        };
        state.queue.push_back(package.clone());
        self.backlog.add(size);
        state.queued_total += 1;
        let wake = state.sender_asleep;
        drop(state);
        if wake {
            self.work.notify_one();
        }
        Ok(())
    }

    fn send_packages(&self, packages: &[Package]) -> Result<()> {
        let state = lock(&self.send);
        if state.shut {
            return Err(self.closed_error());
        }
        let Some(mut state) = self.try_write_directly(state, packages) else {
            return Ok(());
        };
        let mut size = 0;
        for package in packages {
            size += package.encoded_len();
            state.queue.push_back(package.clone());
        }
        self.backlog.add(size);
        state.queued_total += packages.len() as u64;
        let wake = state.sender_asleep;
        drop(state);
        if wake {
            self.work.notify_one();
        }
        Ok(())
    }

    fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        self.backlog.wait_for_room(deadline, || self.closed_error())
    }

    fn notify_close(&self) {
        match self.send_package(&Package::close_notice()) {
            Ok(()) => {
                let mut state = lock(&self.send);
                state.close_at = Some(state.queued_total);
            }
            Err(e) => tracing::debug!(error = %e, "close package not queued"),
        }
    }

    fn wait_written(&self, deadline: Instant) -> Result<()> {
        let start = Instant::now();
        let mut state = lock(&self.send);
        let target = state.queued_total;
        state.flushers += 1;
        let (mut state, _) = wait_until(&self.progress, state, deadline, |state| {
            state.written_total >= target || state.shut
        });
        state.flushers -= 1;
        if state.written_total >= target {
            Ok(())
        } else if state.shut {
            Err(self.closed_error())
        } else {
            Err(Error::Timeout {
                operation: "flush",
                after: deadline.saturating_duration_since(start),
            })
        }
    }

    fn shutdown(&self) {
        if self.shut.swap(true, Ordering::AcqRel) {
            return;
        }
        let graceful = {
            let mut state = lock(&self.send);
            state.shut = true;
            state.close_at.is_some_and(|at| state.written_total >= at)
        };
        self.work.notify_all();
        self.progress.notify_all();
        self.backlog.shut();
        if let Some(socket) = self.socket.get() {
            // After the close package, only stop sending: the receiving
            // thread lingers until the peer closes its end (see LINGER).
            let how = if graceful {
                Shutdown::Write
            } else {
                Shutdown::Both
            };
            let _ = socket.shutdown(how);
            if graceful {
                self.wait_receiving_ended();
            }
        }
        self.stop_listening();
        tracing::debug!(parent: &self.span, "shut down");
    }
}

impl std::fmt::Debug for StreamConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamConnection")
            .field("id1", &self.context_id)
            .field("shut", &self.is_shut())
            .finish()
    }
}
