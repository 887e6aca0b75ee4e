//! The in-process transport of yoton: connections between contexts of one
//! process, over `crossbeam-channel`, with addresses `inproc://name`.
//!
//! It behaves as the TCP transport wherever behaviour is observable: a
//! bound connection waits for exactly one peer, then frees its name;
//! `connect` retries until its timeout and fails clearly when nobody is
//! bound; both ends see each other's context id and pid; heartbeats flow
//! every 0.25 s of silence and `timedout` follows the same rules; `close`
//! tells the other end (`Closed from other end.`), and a peer that goes away
//! without telling is reported as `Other end dropped the connection.`
//!
//! It skips framing: packages travel as they are, and ports mean nothing
//! ([`Transport::has_ports`] is false; `port1` and `port2` are 0). An empty
//! name (`inproc://`) binds a fresh unique name, as port 0 does for TCP.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use yoton_core::{Connection, Context};
//! use yoton_inproc::InprocTransport;
//!
//! let host = Context::new();
//! host.register_transport(Arc::new(InprocTransport::new()));
//! let client = Context::new();
//! client.register_transport(Arc::new(InprocTransport::new()));
//!
//! let bound = host.bind("inproc://").unwrap(); // a fresh name
//! let address = format!("inproc://{}", bound.hostname1());
//! let conn = client.connect(&address).unwrap();
//! assert_eq!(conn.id2(), Some(host.id()));
//! conn.flush(Duration::from_secs(1)).unwrap();
//! conn.close(None);
//! ```
#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use yoton_core::liveness::HeartbeatClock;
use yoton_core::{
    Address, Connection, ConnectionCore, Error, Package, PeerInfo, Result, State, Transport, reason,
};

/// How many packages one direction of a link holds before a sender waits.
pub const LINK_CAPACITY: usize = 4096;

/// How often the receiving thread looks at the clock when nothing arrives:
/// often enough that a heartbeat is never later than 0.375 s after the last
/// package, below the minimum timeout of 0.5 s.
const TICK: Duration = Duration::from_millis(125);

/// The most packages handed to the context in one batch.
const BATCH: usize = 1024;

/// The in-process transport; register it on a [`yoton_core::Context`].
///
/// All `InprocTransport` values share one process-wide table of bound
/// names, so contexts with different instances still reach each other.
#[derive(Debug, Default, Clone, Copy)]
pub struct InprocTransport;

impl InprocTransport {
    /// The transport, for [`Context::register_transport`](yoton_core::Context::register_transport).
    pub fn new() -> Self {
        InprocTransport
    }
}

/// The names bound in this process, each waiting for one peer.
struct Registry {
    listeners: Mutex<HashMap<String, Weak<InprocConnection>>>,
    changed: Condvar,
    next_auto: AtomicU64,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    listeners: Mutex::new(HashMap::new()),
    changed: Condvar::new(),
    next_auto: AtomicU64::new(1),
});

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Transport for InprocTransport {
    fn protocol(&self) -> &str {
        "inproc"
    }

    fn has_ports(&self) -> bool {
        false
    }

    fn bind(
        &self,
        address: &Address,
        _max_tries: u32,
        core: ConnectionCore,
    ) -> Result<Arc<dyn Connection>> {
        let mut listeners = lock(&REGISTRY.listeners);
        let name = if address.host().is_empty() {
            let n = REGISTRY.next_auto.fetch_add(1, Ordering::Relaxed);
            format!("auto-{}-{n}", std::process::id())
        } else {
            address.host().to_owned()
        };
        if listeners
            .get(&name)
            .and_then(Weak::upgrade)
            .is_some_and(|c| c.core.state() == State::Waiting)
        {
            return Err(Error::Bind {
                address: format!("inproc://{name}"),
                source: std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    "another connection is bound at this name",
                ),
            });
        }
        let connection = InprocConnection::new(core, name.clone());
        connection.core.set_waiting(&name, 0);
        listeners.insert(name.clone(), Arc::downgrade(&connection));
        drop(listeners);
        REGISTRY.changed.notify_all();
        tracing::debug!(name, "inproc connection waiting for a peer");
        Ok(connection)
    }

    fn connect(
        &self,
        address: &Address,
        timeout: Duration,
        core: ConnectionCore,
    ) -> Result<Arc<dyn Connection>> {
        let name = address.host().to_owned();
        let deadline = Instant::now() + timeout;
        let mut listeners = lock(&REGISTRY.listeners);
        let host = loop {
            if let Some(host) = listeners.get(&name).and_then(Weak::upgrade) {
                if host.core.context_id() == core.context_id() {
                    return Err(Error::Handshake {
                        reason: reason::HANDSHAKE_SELF.to_owned(),
                    });
                }
                if host.core.state() == State::Waiting {
                    listeners.remove(&name);
                    break host;
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Connect {
                    host: name,
                    port: 0,
                    cause: "no connection is bound at this name".to_owned(),
                });
            }
            listeners = REGISTRY
                .changed
                .wait_timeout(listeners, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        drop(listeners);

        let client = InprocConnection::new(core, name.clone());
        let (to_host, host_inbox) = crossbeam_channel::bounded(LINK_CAPACITY);
        let (to_client, client_inbox) = crossbeam_channel::bounded(LINK_CAPACITY);
        let pid = std::process::id();
        let peer_of_client = PeerInfo {
            hostname1: name.clone(),
            port1: 0,
            hostname2: name.clone(),
            port2: 0,
            id2: host.core.context_id(),
            pid2: pid,
        };
        let peer_of_host = PeerInfo {
            id2: client.core.context_id(),
            ..peer_of_client.clone()
        };
        // The client's receiver runs before the host flushes what it queued
        // while waiting, so that flush cannot fill the link and stall.
        client.start(
            to_host,
            client_inbox,
            host.alive_signal(),
            false,
            peer_of_client,
        );
        if !host.start(
            to_client,
            host_inbox,
            client.alive_signal(),
            true,
            peer_of_host,
        ) {
            client.core.close_on_problem(reason::OTHER_END_DROPPED);
            return Err(Error::Connect {
                host: name,
                port: 0,
                cause: "the bound connection closed".to_owned(),
            });
        }
        Ok(client)
    }
}

/// A bare peer for tests: it connects to a bound name like a context
/// would, then sends and receives packages by hand, goes silent, or dies.
///
/// This is to the in-process transport what a raw socket is to TCP: the
/// way to check how a connection reacts to a peer that misbehaves.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use yoton_core::{Connection, Context, ContextId, reason};
/// use yoton_inproc::{InprocTransport, RawPeer};
///
/// let host = Context::new();
/// host.register_transport(Arc::new(InprocTransport::new()));
/// let bound = host.bind("inproc://raw-peer-doc").unwrap();
/// let closed = bound.closed().subscribe();
/// let peer = RawPeer::connect("raw-peer-doc", ContextId::new(7).unwrap(), Duration::from_secs(1)).unwrap();
/// assert_eq!(bound.id2(), ContextId::new(7));
/// drop(peer); // dies without a close package
/// let event = closed.recv_timeout(Duration::from_secs(5)).unwrap();
/// assert_eq!(event.reason, reason::OTHER_END_DROPPED);
/// ```
#[derive(Debug)]
pub struct RawPeer {
    to_host: Sender<Package>,
    inbox: Receiver<Package>,
    _alive: Sender<()>,
}

impl RawPeer {
    /// Connects to the connection bound at `name` (without `inproc://`),
    /// presenting `id` as its context id, waiting up to `timeout`.
    pub fn connect(name: &str, id: yoton_core::ContextId, timeout: Duration) -> Result<RawPeer> {
        let deadline = Instant::now() + timeout;
        let mut listeners = lock(&REGISTRY.listeners);
        let host = loop {
            if let Some(host) = listeners.get(name).and_then(Weak::upgrade) {
                if host.core.state() == State::Waiting {
                    listeners.remove(name);
                    break host;
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Connect {
                    host: name.to_owned(),
                    port: 0,
                    cause: "no connection is bound at this name".to_owned(),
                });
            }
            listeners = REGISTRY
                .changed
                .wait_timeout(listeners, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        drop(listeners);
        let (to_host, host_inbox) = crossbeam_channel::bounded(LINK_CAPACITY);
        let (to_peer, inbox) = crossbeam_channel::bounded(LINK_CAPACITY);
        let (alive, alive_rx) = crossbeam_channel::bounded(0);
        let info = PeerInfo {
            hostname1: name.to_owned(),
            port1: 0,
            hostname2: name.to_owned(),
            port2: 0,
            id2: id,
            pid2: std::process::id(),
        };
        let peer = RawPeer {
            to_host,
            inbox,
            _alive: alive,
        };
        if !host.start(to_peer, host_inbox, alive_rx, true, info) {
            return Err(Error::Connect {
                host: name.to_owned(),
                port: 0,
                cause: "the bound connection closed".to_owned(),
            });
        }
        Ok(peer)
    }

    /// Sends a package as it is (no numbering): fails once the host is gone.
    pub fn send(&self, package: Package) -> Result<()> {
        self.to_host
            .send_timeout(package, Duration::from_secs(10))
            .map_err(|_| Error::Closed {
                reason: reason::OTHER_END_DROPPED.to_owned(),
            })
    }

    /// The next package from the host (heartbeats included), or `None`
    /// when nothing comes within `timeout` or the host is gone.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Package> {
        self.inbox.recv_timeout(timeout).ok()
    }
}

/// One end of an in-process link.
#[derive(Debug)]
struct InprocConnection {
    core: ConnectionCore,
    name: String,
    /// Set once connected: the channel into the peer's inbox.
    link: OnceLock<Sender<Package>>,
    /// Fast path for senders: the link is set and the waiting queue is empty.
    linked: AtomicBool,
    /// Packages queued while waiting for a peer; `None` once linked.
    waiting: Mutex<Option<VecDeque<Package>>>,
    waiting_changed: Condvar,
    /// Dropped on shutdown: wakes this end's blocked senders, and tells the
    /// peer that this end is gone.
    alive: Mutex<Option<Sender<()>>>,
    alive_rx: Receiver<()>,
    /// Whether anything was sent since the heartbeat clock last looked.
    sent: AtomicBool,
    shut: AtomicBool,
}

impl InprocConnection {
    fn new(core: ConnectionCore, name: String) -> Arc<Self> {
        let (alive_tx, alive_rx) = crossbeam_channel::bounded(0);
        let connection = Arc::new(InprocConnection {
            core,
            name,
            link: OnceLock::new(),
            linked: AtomicBool::new(false),
            waiting: Mutex::new(Some(VecDeque::new())),
            waiting_changed: Condvar::new(),
            alive: Mutex::new(Some(alive_tx)),
            alive_rx,
            sent: AtomicBool::new(false),
            shut: AtomicBool::new(false),
        });
        let as_dyn: Arc<dyn Connection> = connection.clone();
        connection.core.attach(&as_dyn);
        connection
    }

    fn alive_signal(&self) -> Receiver<()> {
        self.alive_rx.clone()
    }

    fn closed_error(&self) -> Error {
        Error::Closed {
            reason: self
                .core
                .close_reason()
                .unwrap_or_else(|| reason::CLOSED_ON_COMMAND.to_owned()),
        }
    }

    /// Links this end to its peer and starts its receiving thread; returns
    /// false if it was closed meanwhile.
    fn start(
        self: &Arc<Self>,
        link: Sender<Package>,
        inbox: Receiver<Package>,
        peer_alive: Receiver<()>,
        hosting: bool,
        peer: PeerInfo,
    ) -> bool {
        if !self.core.set_connected(peer, hosting) {
            return false;
        }
        let _ = self.link.set(link.clone());
        let this = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("yoton-inproc-recv".to_owned())
            .spawn(move || this.receive_loop(inbox, peer_alive, link));
        if let Err(e) = spawned {
            self.core
                .close_on_problem(&format!("{} {e}", reason::SOCKET_ERROR));
            return false;
        }
        // Hand over what was queued while waiting, in order, before any
        // sender may take the fast path.
        let mut waiting = lock(&self.waiting);
        if let Some(queue) = waiting.take() {
            for package in queue {
                if self.push(package).is_err() {
                    break;
                }
            }
        }
        self.linked.store(true, Ordering::Release);
        drop(waiting);
        self.waiting_changed.notify_all();
        true
    }

    /// Puts a package in the peer's inbox, waiting while it is full.
    fn push(&self, package: Package) -> Result<()> {
        let Some(link) = self.link.get() else {
            return Err(Error::NotConnected);
        };
        self.sent.store(true, Ordering::Relaxed);
        match link.try_send(package) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(package)) => {
                crossbeam_channel::select! {
                    send(link, package) -> sent => sent.map_err(|_| self.peer_gone_error()),
                    recv(self.alive_rx) -> _ => Err(self.closed_error()),
                }
            }
            Err(TrySendError::Disconnected(_)) => Err(self.peer_gone_error()),
        }
    }

    fn peer_gone_error(&self) -> Error {
        Error::Closed {
            reason: reason::OTHER_END_DROPPED.to_owned(),
        }
    }

    fn receive_loop(
        &self,
        inbox: Receiver<Package>,
        peer_alive: Receiver<()>,
        link: Sender<Package>,
    ) {
        let span =
            tracing::debug_span!("yoton-inproc", name = %self.name, id = %self.core.context_id());
        let _guard = span.enter();
        let mut batch: Vec<Package> = Vec::with_capacity(BATCH);
        let mut clock = HeartbeatClock::new(Instant::now());
        loop {
            let now = Instant::now();
            let next_check = self.core.check_timeout(now);
            if self.sent.swap(false, Ordering::Relaxed) {
                clock.on_send(now);
            } else if clock.is_due(now) {
                // A full inbox means the peer is not reading: it hears from
                // us when it does, so the heartbeat can be skipped.
                let _ = link.try_send(Package::heartbeat());
                clock.on_send(now);
            }
            let wait = next_check
                .saturating_duration_since(now)
                .min(TICK)
                .max(Duration::from_millis(1));
            crossbeam_channel::select! {
                recv(inbox) -> package => match package {
                    Ok(package) => {
                        self.core.on_bytes_received(Instant::now());
                        batch.push(package);
                        while batch.len() < BATCH {
                            match inbox.try_recv() {
                                Ok(p) => batch.push(p),
                                Err(_) => break,
                            }
                        }
                        if !self.core.receive(&mut batch) {
                            return;
                        }
                    }
                    Err(_) => {
                        self.core.close_on_problem(reason::OTHER_END_DROPPED);
                        return;
                    }
                },
                recv(peer_alive) -> _ => {
                    // The peer shut down: what it sent before still counts,
                    // and may end with its close package.
                    batch.extend(inbox.try_iter());
                    if !batch.is_empty() {
                        self.core.on_bytes_received(Instant::now());
                    }
                    if self.core.receive(&mut batch) {
                        self.core.close_on_problem(reason::OTHER_END_DROPPED);
                    }
                    return;
                },
                recv(self.alive_rx) -> _ => return,
                default(wait) => {},
            }
        }
    }
}

impl Connection for InprocConnection {
    fn core(&self) -> &ConnectionCore {
        &self.core
    }

    fn send_package(&self, package: &Package, wait: bool) -> Result<()> {
        if self.shut.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        if self.linked.load(Ordering::Acquire) {
            return self.push(package.clone());
        }
        let mut waiting = lock(&self.waiting);
        loop {
            match waiting.as_mut() {
                None => {
                    drop(waiting);
                    return self.push(package.clone());
                }
                Some(queue) if !wait || queue.len() < LINK_CAPACITY => {
                    queue.push_back(package.clone());
                    return Ok(());
                }
                Some(_) => {
                    if self.shut.load(Ordering::Acquire) {
                        return Err(self.closed_error());
                    }
                    waiting = self
                        .waiting_changed
                        .wait(waiting)
                        .unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }

    fn notify_close(&self) {
        if let Err(e) = self.send_package(&Package::close_notice(), true) {
            tracing::debug!(error = %e, "close package not sent");
        }
    }

    fn wait_written(&self, deadline: Instant) -> Result<()> {
        // A package is written once it is in the peer's inbox; only what
        // waits for a peer is not.
        let mut waiting = lock(&self.waiting);
        let start = Instant::now();
        while waiting.as_ref().is_some_and(|q| !q.is_empty()) {
            if self.shut.load(Ordering::Acquire) {
                return Err(self.closed_error());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    operation: "flush",
                    after: deadline.saturating_duration_since(start),
                });
            }
            waiting = self
                .waiting_changed
                .wait_timeout(waiting, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        if self.shut.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        Ok(())
    }

    fn shutdown(&self) {
        if self.shut.swap(true, Ordering::AcqRel) {
            return;
        }
        lock(&self.alive).take();
        {
            let mut listeners = lock(&REGISTRY.listeners);
            let ours = listeners
                .get(&self.name)
                .is_some_and(|l| std::ptr::eq(l.as_ptr(), self));
            if ours {
                listeners.remove(&self.name);
            }
        }
        REGISTRY.changed.notify_all();
        let _guard = lock(&self.waiting);
        self.waiting_changed.notify_all();
    }
}
