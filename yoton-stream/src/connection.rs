//! [`StreamConnection`]: one stream socket between two contexts and its
//! send queue. The process's [reactor](crate::reactor) does its I/O; a
//! producer writes an idle connection's packages itself.

use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::Token;
use socket2::Socket;
use yoton_core::handshake::HandshakeLine;
use yoton_core::link::Backlog;
use yoton_core::sync::wait_until;
use yoton_core::{ConnectionCore, ContextId, Error, Link, Package, PeerInfo, Result};

use crate::io::{LINGER, try_write_two};
use crate::options::StreamOptions;
use crate::reactor::{self, Entry, Reactor};
use crate::receive::Receiving;
use crate::secure::Sealer;
use crate::secured::Secured;
use crate::send::{SendState, WriteBuffers};
use crate::{Listening, StreamFamily};

/// Whether producers may write to the socket themselves when the
/// connection is idle.
const DIRECT_WRITES: bool = true;

/// The largest package a producer writes directly.
const DIRECT_MAX: usize = 64 * 1024;

/// The [`Link`] of a yoton connection over a stream socket: its send queue
/// and its place in the process's reactor. Made by
/// [`StreamTransport`](crate::StreamTransport) through
/// [`Context::bind`](yoton_core::Context::bind) and
/// [`Context::connect`](yoton_core::Context::connect), and owned by the
/// connection's [`ConnectionCore`], which users reach as
/// [`Connection`](yoton_core::Connection).
///
/// It is `Send` and `Sync`: the context, the reactor and the producers
/// share it. No lock is held while a thread blocks on the socket.
pub struct StreamConnection {
    /// The connection this link is under; it owns the link, so the link
    /// keeps only a weak reference (the reactor holds a strong one while
    /// the socket is open).
    core: Weak<ConnectionCore>,
    context_id: ContextId,
    pub(crate) family: Arc<dyn StreamFamily>,
    pub(crate) options: StreamOptions,
    pub(crate) span: tracing::Span,
    pub(crate) send: Mutex<SendState>,
    /// The encoded bytes queued and not yet written, against the bound.
    pub(crate) backlog: Backlog,
    /// How many reads brought bytes from the peer; a write notes the count
    /// when it starts (`SendState::direct`).
    pub(crate) heard: AtomicU64,
    /// Wakes flushers: packages were written, or shutdown.
    pub(crate) progress: Condvar,
    shut: AtomicBool,
    /// Its place in the reactor, once connected.
    token: OnceLock<Token>,
    /// On a secured link, what seals every write (taken by whoever writes:
    /// one at a time, see `SendState::writing`).
    pub(crate) sealer: OnceLock<Mutex<Sealer>>,
    /// While waiting: the listening socket and its address.
    pub(crate) listener: Mutex<Option<Arc<Listening>>>,
    pub(crate) accept_thread: Mutex<Option<JoinHandle<()>>>,
    /// Set by the handshake that wins the bound connection.
    pub(crate) claimed: AtomicBool,
    pub(crate) pending_handshakes: AtomicUsize,
    /// Set when the reactor is done with the socket (after lingering); a
    /// graceful shutdown waits for it, so that a process that closes and
    /// exits does not reset the socket before the peer read everything.
    receiving_done: Mutex<bool>,
    receiving_ended: Condvar,
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
            send: Mutex::new(SendState::new(Instant::now())),
            backlog: Backlog::new(options.send_queue_bytes()),
            heard: AtomicU64::new(0),
            progress: Condvar::new(),
            shut: AtomicBool::new(false),
            token: OnceLock::new(),
            sealer: OnceLock::new(),
            listener: Mutex::new(None),
            accept_thread: Mutex::new(None),
            claimed: AtomicBool::new(false),
            pending_handshakes: AtomicUsize::new(0),
            receiving_done: Mutex::new(false),
            receiving_ended: Condvar::new(),
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
        socket.set_nonblocking(true)?;
        self.family.prepare(&socket)?;
        let ends = self.family.ends(&socket)?;
        // Before anything is announced: without its I/O thread the
        // connection cannot work.
        let reactor = Reactor::get()?;
        let socket = Arc::new(socket);
        let opener = secured.map(|secured| {
            let _ = self.sealer.set(Mutex::new(secured.sealer));
            secured.opener
        });
        {
            let mut state = lock(&self.send);
            if state.socket.is_some() || self.is_shut() {
                drop(state);
                let _ = socket.shutdown(Shutdown::Both);
                return Ok(false);
            }
            state.socket = Some(Arc::clone(&socket));
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
            lock(&self.send).socket = None;
            let _ = socket.shutdown(Shutdown::Both);
            return Ok(false);
        }
        self.span.record("local", tracing::field::display(local));
        self.span.record("peer", tracing::field::display(remote));
        tracing::debug!(parent: &self.span, hosting, id2 = %peer.id, pid2 = peer.pid, "connected");

        let Some(core) = self.core() else {
            lock(&self.send).socket = None;
            let _ = socket.shutdown(Shutdown::Both);
            return Ok(false);
        };
        let receiving = Receiving::new(self, rest, opener);
        let token = Reactor::token();
        let _ = self.token.set(token);
        reactor.add(Entry::new(token, Arc::clone(self), core, socket, receiving));
        Ok(true)
    }

    /// How many reads brought bytes from the peer so far.
    pub(crate) fn heard(&self) -> u64 {
        self.heard.load(Ordering::Acquire)
    }

    /// Asks the reactor to write what is queued (or to see the shutdown).
    pub(crate) fn ask_flush(&self) {
        let Some(&token) = self.token.get() else {
            return;
        };
        if !reactor::note_flush(token) {
            if let Ok(reactor) = Reactor::get() {
                reactor.wake(token);
            }
        }
    }

    /// The reactor is done with the socket: it closes once no write holds
    /// it any more.
    pub(crate) fn receiving_ended(&self) {
        lock(&self.send).socket = None;
        *lock(&self.receiving_done) = true;
        self.receiving_ended.notify_all();
    }

    /// Writes packages from the producer's thread, in one write, when the
    /// connection is idle: in a request and reply exchange this saves
    /// waking the reactor, the larger part of the latency. The write never
    /// blocks; what the socket does not take at once is left to the
    /// reactor. Returns the lock back when the packages must be queued
    /// instead: the connection is busy, or was written to very recently
    /// and the peer did not speak since (a stream of packages goes out in
    /// batches from the reactor).
    fn try_write_directly<'s>(
        &'s self,
        mut state: MutexGuard<'s, SendState>,
        packages: &[Package],
    ) -> Option<MutexGuard<'s, SendState>> {
        let size: usize = packages.iter().map(Package::encoded_len).sum();
        let Some(socket) = state.socket.clone() else {
            return Some(state);
        };
        let idle = !state.writing && state.queue.is_empty() && state.pending.is_empty();
        if !DIRECT_WRITES || !idle || size > DIRECT_MAX || packages.is_empty() {
            return Some(state);
        }
        // On the reactor's thread (a forward, or a send from a delivery)
        // only the first few packages of a round go out directly; the
        // rest are written at the end of the round: a hub that passes one
        // package on to many connections then makes one write per
        // connection per round, not one per package.
        let now = Instant::now();
        let heard = self.heard.load(Ordering::Acquire);
        if !state.direct.allows(now, heard) || !reactor::may_write_directly() {
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
        let written = try_write_two(&socket, first, second);
        let mut state = lock(&self.send);
        state.writing = false;
        state.direct.record(now, heard);
        let done = match written {
            Ok(n) if n == total => true,
            // The reactor writes the rest first (and a failed socket fails
            // there, closing the connection as usual).
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
            state.clock.on_send(now);
        }
        let wake = state.has_work() && !state.flush_asked;
        if wake {
            state.flush_asked = true;
        }
        let flushers = state.flushers;
        drop(state);
        if wake {
            self.ask_flush();
        }
        if done && flushers > 0 {
            self.progress.notify_all();
        }
        None
    }

    /// Waits (at most a little longer than [`LINGER`]) until the reactor
    /// has taken in what the peer still sent and closed the socket;
    /// returns at once on the reactor's thread, which does that.
    fn wait_receiving_ended(&self) {
        if reactor::on_reactor_thread() || self.token.get().is_none() {
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
    /// `bytes` of packages were queued: the reactor is asked to write
    /// them, unless it was already.
    fn queued(&self, mut state: MutexGuard<'_, SendState>, bytes: usize) {
        reactor::note_queued(bytes);
        let ask = !state.flush_asked;
        state.flush_asked = true;
        drop(state);
        if ask {
            self.ask_flush();
        }
    }

    /// A flush on the reactor's thread (a close from a delivery): writes
    /// here, waiting on the socket, until everything queued so far is
    /// written or `deadline` passes.
    fn write_here(&self, deadline: Instant) -> Result<()> {
        let start = Instant::now();
        let (target, socket) = {
            let state = lock(&self.send);
            (state.queued_total, state.socket.clone())
        };
        let Some(socket) = socket else {
            return Err(self.closed_error());
        };
        let mut buffers = WriteBuffers::default();
        loop {
            let _ = self.flush_now(&socket, &mut buffers);
            let state = lock(&self.send);
            if state.written_total >= target {
                return Ok(());
            }
            if state.shut {
                return Err(self.closed_error());
            }
            drop(state);
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    operation: "flush",
                    after: deadline.saturating_duration_since(start),
                });
            }
            crate::io::wait_writable(&socket, deadline - now);
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
        self.queued(state, size);
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
        self.queued(state, size);
        Ok(())
    }

    fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        // On the reactor's thread this never waits: it notes the full
        // queue, and the connection being read from pauses until it has
        // room (see `yoton_core::link::never_wait_for_room_on_this_thread`).
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
        if reactor::on_reactor_thread() {
            return self.write_here(deadline);
        }
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
        let (graceful, socket) = {
            let mut state = lock(&self.send);
            state.shut = true;
            let graceful = state.close_at.is_some_and(|at| state.written_total >= at);
            (graceful, state.socket.clone())
        };
        self.progress.notify_all();
        self.backlog.shut();
        // The reactor lingers, or closes the socket.
        self.ask_flush();
        if let Some(socket) = socket {
            // After the close package, only stop sending: the reactor
            // lingers until the peer closes its end (see LINGER).
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
