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
//! Its behaviour is checked by the conformance suite of `yoton-testkit`,
//! which runs every case over this transport and over TCP alike.
//!
//! It skips framing: packages travel as they are, and ports mean nothing
//! ([`Transport::has_ports`] is false; `local_port` and `peer_port` are 0). An empty
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
//! let address = format!("inproc://{}", bound.local_host());
//! let conn = client.connect(&address).unwrap();
//! assert_eq!(conn.peer_id(), Some(host.id()));
//! conn.flush(Duration::from_secs(1)).unwrap();
//! conn.close(None);
//! ```
#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use yoton_core::link::Backlog;
use yoton_core::liveness::HeartbeatClock;
use yoton_core::sync::{lock, wait_until};
use yoton_core::{
    Address, BindOptions, ConnectOptions, Connection as _, ConnectionCore, ContextId, Error, Link,
    Package, PeerInfo, Result, State, Transport, reason,
};

/// How many encoded bytes (headers and data) one direction of a link, or
/// a connection waiting for its peer, holds before senders wait (each
/// sender may add one more package before it waits): the bound every
/// transport has.
pub const LINK_CAPACITY: usize = yoton_core::link::DEFAULT_SEND_QUEUE_BYTES;

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

/// Takes the connection waiting at `name`, waiting for one until `deadline`.
/// A connection of the context `own` is refused, as TCP refuses a context
/// that connects to itself, and keeps waiting.
fn claim_listener(
    name: &str,
    deadline: Instant,
    own: Option<ContextId>,
) -> Result<Arc<InprocConnection>> {
    let mut listeners = lock(&REGISTRY.listeners);
    loop {
        if let Some(host) = listeners.get(name).and_then(Weak::upgrade) {
            if Some(host.context_id) == own {
                return Err(Error::Handshake {
                    reason: reason::HANDSHAKE_SELF.to_owned(),
                });
            }
            if host.is_waiting() {
                listeners.remove(name);
                return Ok(host);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Connect {
                host: name.to_owned(),
                port: 0,
                source: std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "no connection is bound at this name",
                ),
            });
        }
        listeners = REGISTRY
            .changed
            .wait_timeout(listeners, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// What travels on a lane: one package, or a batch the context handed over
/// in one go (one channel operation for all of them).
#[derive(Debug)]
enum Parcel {
    One(Package),
    Many(Vec<Package>),
}

/// The bytes a package counts for in a bound.
fn weight(packages: &[Package]) -> usize {
    packages.iter().map(Package::encoded_len).sum()
}

impl Parcel {
    /// The encoded bytes it holds.
    fn bytes(&self) -> usize {
        match self {
            Parcel::One(package) => package.encoded_len(),
            Parcel::Many(packages) => weight(packages),
        }
    }

    fn append_to(self, batch: &mut Vec<Package>) {
        match self {
            Parcel::One(package) => batch.push(package),
            Parcel::Many(mut packages) => batch.append(&mut packages),
        }
    }
}

/// The sending side of one direction of a link.
#[derive(Debug, Clone)]
struct LaneTx {
    tx: Sender<Parcel>,
    backlog: Arc<Backlog>,
}

/// The receiving side of one direction of a link.
#[derive(Debug)]
struct LaneRx {
    rx: Receiver<Parcel>,
    backlog: Arc<Backlog>,
}

/// A lane whose bytes in flight count in the sender's `backlog` (the
/// channel itself is unbounded: the context queues under its ordering lock
/// and waits for room after releasing it).
fn lane(backlog: &Arc<Backlog>) -> (LaneTx, LaneRx) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let backlog = Arc::clone(backlog);
    (
        LaneTx {
            tx,
            backlog: Arc::clone(&backlog),
        },
        LaneRx { rx, backlog },
    )
}

impl LaneTx {
    fn send(&self, package: Package) -> bool {
        self.send_parcel(Parcel::One(package))
    }

    fn send_parcel(&self, parcel: Parcel) -> bool {
        let bytes = parcel.bytes();
        self.backlog.add(bytes);
        if self.tx.send(parcel).is_err() {
            self.backlog.take(bytes);
            return false;
        }
        true
    }
}

impl LaneRx {
    /// Takes what is there into `batch`, until it holds at least `max`
    /// packages (a parcel is never split).
    fn drain_into(&self, batch: &mut Vec<Package>, max: usize) {
        let before = batch.len();
        while batch.len() < max {
            match self.rx.try_recv() {
                Ok(parcel) => parcel.append_to(batch),
                Err(_) => break,
            }
        }
        self.backlog.take(weight(&batch[before..]));
    }
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
        _options: &BindOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>> {
        let mut listeners = lock(&REGISTRY.listeners);
        let name = if address.host().is_empty() {
            let n = REGISTRY.next_auto.fetch_add(1, Ordering::Relaxed);
            format!("auto-{}-{n}", std::process::id())
        } else {
            address.host().to_owned()
        };
        let taken = listeners
            .get(&name)
            .and_then(Weak::upgrade)
            .is_some_and(|c| c.is_waiting());
        if taken {
            return Err(Error::Bind {
                address: format!("inproc://{name}"),
                source: std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    "another connection is bound at this name",
                ),
            });
        }
        let connection = InprocConnection::new(core, name.clone());
        core.set_waiting(&name, 0);
        listeners.insert(name.clone(), Arc::downgrade(&connection));
        drop(listeners);
        REGISTRY.changed.notify_all();
        tracing::debug!(name, "inproc connection waiting for a peer");
        Ok(connection)
    }

    fn connect(
        &self,
        address: &Address,
        options: &ConnectOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>> {
        let name = address.host().to_owned();
        let deadline = Instant::now() + options.retry_for();
        let host = claim_listener(&name, deadline, Some(core.context_id()))?;
        let client = InprocConnection::new(core, name.clone());
        let (to_host, host_inbox) = lane(&client.backlog);
        let (to_client, client_inbox) = lane(&host.backlog);
        let peer_of_client = PeerInfo {
            local_host: name.clone(),
            local_port: 0,
            peer_host: name.clone(),
            peer_port: 0,
            peer_id: host.context_id,
            peer_pid: std::process::id(),
        };
        let peer_of_host = PeerInfo {
            peer_id: client.context_id,
            ..peer_of_client.clone()
        };
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
            client.fail_with(reason::OTHER_END_DROPPED);
            return Err(Error::Connect {
                host: name,
                port: 0,
                source: std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the bound connection closed",
                ),
            });
        }
        Ok(client)
    }
}

#[cfg(feature = "test-util")]
/// A bare peer for tests (feature `test-util`): it connects to a bound name like a context
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
/// let id = ContextId::new(7).unwrap();
/// let peer = RawPeer::connect("raw-peer-doc", id, Duration::from_secs(1)).unwrap();
/// assert_eq!(bound.peer_id(), Some(id));
/// drop(peer); // dies without a close package
/// let event = closed.recv_timeout(Duration::from_secs(5)).unwrap();
/// assert_eq!(event.reason, reason::OTHER_END_DROPPED);
/// ```
#[derive(Debug)]
pub struct RawPeer {
    to_host: LaneTx,
    inbox: LaneRx,
    /// Packages of a batch from the host not yet returned.
    received: Mutex<VecDeque<Package>>,
    _alive: Sender<()>,
}

#[cfg(feature = "test-util")]
impl RawPeer {
    /// Connects to the connection bound at `name` (without `inproc://`),
    /// presenting `id` as its context id, waiting up to `timeout`.
    ///
    /// # Errors
    ///
    /// `Error::Connect` when nothing is bound at `name` within `timeout`,
    /// or the bound connection closes before taking this peer, and
    /// `Error::Handshake` when the host refuses `id`.
    pub fn connect(name: &str, id: ContextId, timeout: Duration) -> Result<RawPeer> {
        let host = claim_listener(name, Instant::now() + timeout, None)?;
        let (to_host, host_inbox) = lane(&Arc::new(Backlog::new(LINK_CAPACITY)));
        let (to_peer, inbox) = lane(&host.backlog);
        let (alive, alive_rx) = crossbeam_channel::bounded(0);
        let info = PeerInfo {
            local_host: name.to_owned(),
            local_port: 0,
            peer_host: name.to_owned(),
            peer_port: 0,
            peer_id: id,
            peer_pid: std::process::id(),
        };
        let peer = RawPeer {
            to_host,
            inbox,
            received: Mutex::new(VecDeque::new()),
            _alive: alive,
        };
        if !host.start(to_peer, host_inbox, alive_rx, true, info) {
            return Err(Error::Connect {
                host: name.to_owned(),
                port: 0,
                source: std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the bound connection closed",
                ),
            });
        }
        Ok(peer)
    }

    /// Sends a package as it is (no numbering).
    ///
    /// # Errors
    ///
    /// `Error::Closed` once the host is gone.
    pub fn send(&self, package: Package) -> Result<()> {
        if self.to_host.send(package) {
            Ok(())
        } else {
            Err(Error::Closed {
                reason: reason::OTHER_END_DROPPED.to_owned(),
            })
        }
    }

    /// The next package from the host (heartbeats included), or `None`
    /// when nothing comes within `timeout` or the host is gone.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Package> {
        let mut received = lock(&self.received);
        if let Some(package) = received.pop_front() {
            return Some(package);
        }
        let parcel = self.inbox.rx.recv_timeout(timeout).ok()?;
        self.inbox.backlog.take(parcel.bytes());
        match parcel {
            Parcel::One(package) => Some(package),
            Parcel::Many(packages) => {
                received.extend(packages);
                received.pop_front()
            }
        }
    }
}

/// Whether a connection sends heartbeats: always, but for the deliberate
/// flaw of the conformance suite's broken transport (feature `test-util`).
fn sends_heartbeats(core: &ConnectionCore) -> bool {
    #[cfg(feature = "test-util")]
    return !core.has_flaw(yoton_core::flaws::ContextFlaw::SendsNoHeartbeats);
    #[cfg(not(feature = "test-util"))]
    {
        let _ = core;
        true
    }
}

/// One end of an in-process link.
#[derive(Debug)]
struct InprocConnection {
    /// The connection this link is under (it owns the link).
    core: Weak<ConnectionCore>,
    context_id: ContextId,
    name: String,
    /// Set once connected: the lane into the peer's inbox.
    link: OnceLock<LaneTx>,
    /// Fast path for senders: the link is set and the waiting queue is empty.
    linked: AtomicBool,
    /// Packages queued while waiting for a peer; `None` once linked.
    waiting: Mutex<Option<VecDeque<Package>>>,
    waiting_changed: Condvar,
    /// The bytes waiting and in the lane to the peer, not yet taken.
    backlog: Arc<Backlog>,
    /// Dropped on shutdown: wakes this end's blocked senders, and tells the
    /// peer that this end is gone.
    alive: Mutex<Option<Sender<()>>>,
    alive_rx: Receiver<()>,
    /// Whether anything was sent since the heartbeat clock last looked.
    sent: AtomicBool,
    shut: AtomicBool,
}

impl InprocConnection {
    fn new(core: &Arc<ConnectionCore>, name: String) -> Arc<Self> {
        let (alive_tx, alive_rx) = crossbeam_channel::bounded(0);
        Arc::new(InprocConnection {
            core: Arc::downgrade(core),
            context_id: core.context_id(),
            name,
            link: OnceLock::new(),
            linked: AtomicBool::new(false),
            waiting: Mutex::new(Some(VecDeque::new())),
            waiting_changed: Condvar::new(),
            backlog: Arc::new(Backlog::new(LINK_CAPACITY)),
            alive: Mutex::new(Some(alive_tx)),
            alive_rx,
            sent: AtomicBool::new(false),
            shut: AtomicBool::new(false),
        })
    }

    fn core(&self) -> Option<Arc<ConnectionCore>> {
        self.core.upgrade()
    }

    fn is_waiting(&self) -> bool {
        self.core()
            .is_some_and(|core| core.state() == State::Waiting)
    }

    /// Reports a failure of the link to the connection above, which closes
    /// and shuts this link down.
    fn fail_with(&self, reason: &str) {
        match self.core() {
            Some(core) => core.link_failed(reason),
            None => self.shutdown(),
        }
    }

    fn alive_signal(&self) -> Receiver<()> {
        self.alive_rx.clone()
    }

    fn closed_error(&self) -> Error {
        ConnectionCore::closed_error_of(&self.core)
    }

    fn peer_gone_error(&self) -> Error {
        Error::Closed {
            reason: reason::OTHER_END_DROPPED.to_owned(),
        }
    }

    /// Links this end to its peer and starts its receiving thread; returns
    /// false if it was closed meanwhile.
    fn start(
        self: &Arc<Self>,
        link: LaneTx,
        inbox: LaneRx,
        peer_alive: Receiver<()>,
        hosting: bool,
        peer: PeerInfo,
    ) -> bool {
        if !self
            .core()
            .is_some_and(|core| core.set_connected(peer, hosting))
        {
            return false;
        }
        let _ = self.link.set(link.clone());
        let this = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("yoton-inproc-recv".to_owned())
            .spawn(move || this.receive_loop(inbox, peer_alive, link));
        if let Err(e) = spawned {
            self.fail_with(&format!("{} {e}", reason::SOCKET_ERROR));
            return false;
        }
        // Hand over what was queued while waiting, in order, before any
        // sender may take the fast path.
        let mut waiting = lock(&self.waiting);
        if let Some(mut queue) = waiting.take() {
            // Their bytes now count as in the lane.
            self.backlog.take(weight(queue.make_contiguous()));
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

    /// Puts a package in the peer's inbox; never blocks.
    fn push(&self, package: Package) -> Result<()> {
        let Some(link) = self.link.get() else {
            return Err(Error::NotConnected);
        };
        self.sent.store(true, Ordering::Relaxed);
        if link.send(package) {
            Ok(())
        } else {
            Err(self.peer_gone_error())
        }
    }

    fn receive_loop(&self, inbox: LaneRx, peer_alive: Receiver<()>, link: LaneTx) {
        let span = tracing::debug_span!("yoton-inproc", name = %self.name, id = %self.context_id);
        let _guard = span.enter();
        // The connection lives at least as long as this loop: it ends when
        // the connection shuts this link down.
        let Some(core) = self.core() else {
            return;
        };
        let mut batch: Vec<Package> = Vec::with_capacity(BATCH);
        let mut clock = HeartbeatClock::new(Instant::now());
        loop {
            let now = Instant::now();
            let next_check = core.check_timeout(now);
            if self.sent.swap(false, Ordering::Relaxed) {
                clock.on_send(now);
            } else if clock.is_due(now) {
                // A peer that does not read hears from us when it does.
                if !self.backlog.is_full() && sends_heartbeats(&core) {
                    link.send(Package::heartbeat());
                }
                clock.on_send(now);
            }
            let wait = next_check
                .saturating_duration_since(now)
                .min(TICK)
                .max(Duration::from_millis(1));
            crossbeam_channel::select! {
                recv(inbox.rx) -> parcel => match parcel {
                    Ok(parcel) => {
                        core.on_bytes_received(Instant::now());
                        inbox.backlog.take(parcel.bytes());
                        parcel.append_to(&mut batch);
                        inbox.drain_into(&mut batch, BATCH);
                        if !core.receive(&mut batch) {
                            return;
                        }
                    }
                    Err(_) => {
                        core.link_failed(reason::OTHER_END_DROPPED);
                        return;
                    }
                },
                recv(peer_alive) -> _ => {
                    // The peer shut down: what it sent before still counts,
                    // and may end with its close package.
                    inbox.drain_into(&mut batch, usize::MAX);
                    if !batch.is_empty() {
                        core.on_bytes_received(Instant::now());
                    }
                    if core.receive(&mut batch) {
                        core.link_failed(reason::OTHER_END_DROPPED);
                    }
                    return;
                },
                recv(self.alive_rx) -> _ => return,
                default(wait) => {},
            }
        }
    }
}

impl Link for InprocConnection {
    fn send_package(&self, package: &Package) -> Result<()> {
        if self.shut.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        if !self.linked.load(Ordering::Acquire) {
            let mut waiting = lock(&self.waiting);
            if let Some(queue) = waiting.as_mut() {
                self.backlog.add(package.encoded_len());
                queue.push_back(package.clone());
                return Ok(());
            }
        }
        self.push(package.clone())
    }

    fn send_packages(&self, packages: &[Package]) -> Result<()> {
        if self.shut.load(Ordering::Acquire) {
            return Err(self.closed_error());
        }
        if !self.linked.load(Ordering::Acquire) {
            let mut waiting = lock(&self.waiting);
            if let Some(queue) = waiting.as_mut() {
                self.backlog.add(weight(packages));
                queue.extend(packages.iter().cloned());
                return Ok(());
            }
        }
        let Some(link) = self.link.get() else {
            return Err(Error::NotConnected);
        };
        self.sent.store(true, Ordering::Relaxed);
        if link.send_parcel(Parcel::Many(packages.to_vec())) {
            Ok(())
        } else {
            Err(self.peer_gone_error())
        }
    }

    fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        self.backlog.wait_for_room(deadline, || self.closed_error())
    }

    fn notify_close(&self) {
        if let Err(e) = self.send_package(&Package::close_notice()) {
            tracing::debug!(error = %e, "close package not sent");
        }
    }

    fn wait_written(&self, deadline: Instant) -> Result<()> {
        // A package is written once it is in the peer's inbox; only what
        // waits for a peer is not.
        let start = Instant::now();
        let waiting = lock(&self.waiting);
        let (waiting, written) = wait_until(&self.waiting_changed, waiting, deadline, |waiting| {
            waiting.as_ref().is_none_or(VecDeque::is_empty) || self.shut.load(Ordering::Acquire)
        });
        drop(waiting);
        if self.shut.load(Ordering::Acquire) {
            Err(self.closed_error())
        } else if written {
            Ok(())
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
        self.backlog.shut();
        let _guard = lock(&self.waiting);
        self.waiting_changed.notify_all();
    }
}
