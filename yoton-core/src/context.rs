//! The [`Context`]: a node of a yoton network that routes packages between
//! its connections and the endpoints (channels) registered on it.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::address::Address;
use crate::connection::{Connection, ConnectionKey};
use crate::core::ConnectionCore;
use crate::endpoint::{Delivery, Direction, Endpoint};
use crate::error::{Error, Result};
use crate::id::ContextId;
use crate::package::{Package, Slot};
use crate::reason;
use crate::routing::Router;
use crate::sync::lock;
use crate::transport::{BindOptions, ConnectOptions, Transport};

mod persistent;
mod shared;
mod tap;
mod weak;

pub use persistent::{LinkEvent, Persistent};
pub use tap::{MAX_TAP_CAPACITY, Tap};

/// The context message a connecting context sends after `connect`; every
/// context that receives it makes its state channels resend their state.
pub const NEW_CONNECTION: &str = "NEW_CONNECTION";

/// How many packages a context keeps while it has no connection, by
/// default (the reference's queue size).
pub const DEFAULT_STARTUP_QUEUE: usize = 10_000;

/// A node of a yoton network.
///
/// A context connects to other contexts (`bind` and `connect`, any number of
/// times), numbers the packages its channels send and hands them to every
/// alive connection, keeps them in a startup queue while it has none, and
/// routes what it receives: a package is delivered here and/or forwarded on
/// every other connection, according to its destination, and dropped if it
/// was seen before (which stops loops in a mesh).
///
/// `Context` is a cheap handle: clones share the same node. It is `Send`
/// and `Sync`. Dropping the last handle closes its connections.
///
/// Make the channels first, then connect: a message that arrives for a
/// slot no channel of the context receives on is not kept (it is counted
/// in [`unrouted_packages`](Context::unrouted_packages)).
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{BindOptions, ConnectOptions, PubChannel, SubChannel};
///
/// let server = yoton::context();
/// let inbox = SubChannel::<String>::new(&server, "inbox").unwrap();
/// let bound = server.bind_with("localhost:0", &BindOptions::new().name("client")).unwrap();
///
/// let client = yoton::context();
/// let outbox = PubChannel::<String>::new(&client, "inbox").unwrap();
/// let address = format!("localhost:{}", bound.local_port());
/// let options = ConnectOptions::new().timeout(Duration::from_secs(5)).name("server");
/// client.connect_with(&address, &options).unwrap();
/// assert_eq!(client.connection_count(), 1);
/// assert!(client.connection("server").is_some());
///
/// outbox.send("hello").unwrap();
/// assert_eq!(inbox.recv_timeout(Duration::from_secs(10)).unwrap(), "hello");
/// assert!(server.connection("client").is_some_and(|c| c.is_connected()));
///
/// client.close(); // every connection and channel of the client
/// assert_eq!(client.connection_count(), 0);
/// ```
#[derive(Clone)]
pub struct Context {
    shared: Arc<ContextShared>,
}

pub(crate) struct ContextShared {
    pub(crate) id: ContextId,
    #[cfg(feature = "test-util")]
    pub(crate) flaws: crate::flaws::Flaws,
    transports: RwLock<HashMap<String, Arc<dyn Transport>>>,
    sending: Mutex<SendState>,
    connections: Mutex<Arc<Vec<Arc<ConnectionCore>>>>,
    /// Bumped (under the `connections` lock) whenever the list changes, so
    /// that `send` refreshes its copy only then instead of locking the list
    /// for every package.
    connections_version: AtomicU64,
    receiving: Mutex<Router>,
    /// Held while accepted packages are passed on and delivered, so that
    /// they leave in the order the router accepted them.
    delivering: Mutex<()>,
    endpoints: RwLock<Endpoints>,
    startup_dropped: AtomicU64,
    /// Packages that arrived for a slot with no incoming endpoint here.
    unrouted: AtomicU64,
    /// The persistent links made on it, which `close` stops.
    links: persistent::Links,
    /// Copies of received packages for tools that watch.
    taps: tap::Taps,
}

struct SendState {
    seq: u64,
    startup: VecDeque<Package>,
    startup_limit: usize,
    /// The connection list as of `connections_version == version`.
    connections: Arc<Vec<Arc<ConnectionCore>>>,
    version: u64,
}

#[derive(Default)]
struct Endpoints {
    incoming: HashMap<Slot, Arc<dyn Endpoint>>,
    outgoing: HashMap<Slot, Arc<dyn Endpoint>>,
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl Context {
    /// A new context with a fresh id and no transports registered.
    ///
    /// The `yoton` crate gives a context with TCP and in-process transports
    /// registered; with `yoton-core` alone, use
    /// [`register_transport`](Context::register_transport).
    pub fn new() -> Self {
        Context::with_id(ContextId::generate())
    }

    /// A new context with the given id (for tests and tools that need a
    /// known id; ids must differ across a network).
    pub fn with_id(id: ContextId) -> Self {
        Context {
            shared: Arc::new(ContextShared {
                id,
                #[cfg(feature = "test-util")]
                flaws: crate::flaws::Flaws::default(),
                transports: RwLock::new(HashMap::new()),
                sending: Mutex::new(SendState {
                    seq: 0,
                    startup: VecDeque::new(),
                    startup_limit: DEFAULT_STARTUP_QUEUE,
                    connections: Arc::new(Vec::new()),
                    version: 0,
                }),
                connections: Mutex::new(Arc::new(Vec::new())),
                connections_version: AtomicU64::new(0),
                receiving: Mutex::new(Router::new(id.get())),
                delivering: Mutex::new(()),
                endpoints: RwLock::new(Endpoints::default()),
                startup_dropped: AtomicU64::new(0),
                unrouted: AtomicU64::new(0),
                links: persistent::Links::default(),
                taps: tap::Taps::default(),
            }),
        }
    }

    /// Registers a transport for its protocol, replacing one registered for
    /// the same protocol. Returns `self` for chaining.
    pub fn register_transport(&self, transport: Arc<dyn Transport>) -> &Self {
        let protocol = transport.protocol().to_ascii_lowercase();
        self.shared
            .transports
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(protocol, transport);
        self
    }

    /// The transport registered for a protocol.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProtocol`] if none is registered for it.
    pub fn transport(&self, protocol: &str) -> Result<Arc<dyn Transport>> {
        let transports = self
            .shared
            .transports
            .read()
            .unwrap_or_else(|e| e.into_inner());
        match transports.get(&protocol.to_ascii_lowercase()) {
            Some(t) => Ok(Arc::clone(t)),
            None => {
                let mut names: Vec<&str> = transports.keys().map(String::as_str).collect();
                names.sort_unstable();
                Err(Error::UnknownProtocol {
                    protocol: protocol.to_owned(),
                    registered: names.join(", "),
                })
            }
        }
    }

    /// Parses `address` as `bind` and `connect` would: the transport
    /// registered for its protocol reads it.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProtocol`] when no transport serves the protocol,
    /// [`Error::InvalidAddress`] when the transport cannot read the rest.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use yoton::Error;
    ///
    /// let ctx = yoton::context();
    /// let address = ctx.parse_address("localhost:8000").unwrap();
    /// assert_eq!(address.to_string(), "tcp://127.0.0.1:8000");
    /// assert!(matches!(
    ///     ctx.parse_address("nothing://here"),
    ///     Err(Error::UnknownProtocol { .. })
    /// ));
    /// ```
    pub fn parse_address(&self, address: &str) -> Result<Address> {
        let transport = self.transport(&Address::protocol_of(address))?;
        Ok(transport.parse_address(address)?)
    }

    /// Switches a deliberate flaw on for this context (feature `test-util`):
    /// for showing that the conformance suite notices it.
    #[cfg(feature = "test-util")]
    pub fn set_flaw(&self, flaw: crate::flaws::ContextFlaw) {
        self.shared.flaws.set(flaw);
    }

    /// This context's id.
    pub fn id(&self) -> ContextId {
        self.shared.id
    }

    /// Binds at `address` (`[protocol://]host:port`) and returns the
    /// connection, waiting for one peer in the background. See
    /// [`bind_with`](Context::bind_with).
    ///
    /// # Errors
    ///
    /// As [`bind_with`](Context::bind_with).
    pub fn bind(&self, address: &str) -> Result<Arc<dyn Connection>> {
        self.bind_with(address, &BindOptions::default())
    }

    /// Binds with options (`max_tries`, `name`). Returns at once with a
    /// [`Waiting`](crate::State::Waiting) connection; packages sent meanwhile
    /// are queued on it. A connection hosts exactly one peer: bind again for
    /// another.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProtocol`] for a protocol no transport serves,
    /// [`Error::InvalidAddress`] for an address that does not parse,
    /// [`Error::Bind`] (with the `io::Error`) when the address cannot be
    /// bound, and [`Error::NoFreePort`] when `max_tries` ports in a row are
    /// taken.
    pub fn bind_with(&self, address: &str, options: &BindOptions) -> Result<Arc<dyn Connection>> {
        let transport = self.transport(&Address::protocol_of(address))?;
        let address = transport.parse_address(address)?;
        let core = ConnectionCore::new(&self.shared, options.connection_name());
        core.attach_link(transport.bind(&address, options, &core)?);
        self.shared.add_connection(&core);
        Ok(core)
    }

    /// Connects to a context bound at `address`, trying for one second. See
    /// [`connect_with`](Context::connect_with).
    ///
    /// # Errors
    ///
    /// As [`connect_with`](Context::connect_with).
    pub fn connect(&self, address: &str) -> Result<Arc<dyn Connection>> {
        self.connect_with(address, &ConnectOptions::default())
    }

    /// Connects with options (`timeout`, `name`). Blocks until connected or
    /// fails with [`Error::Connect`] or [`Error::Handshake`]. Then hands the
    /// startup queue to the new connection and announces `NEW_CONNECTION`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownProtocol`] and [`Error::InvalidAddress`] as for
    /// [`bind_with`](Context::bind_with); [`Error::Connect`] (its `io::Error`
    /// keeps the kind, such as `ConnectionRefused`) when no connection could
    /// be made within the options' timeout; [`Error::Handshake`] when the
    /// other end is not a yoton context that accepts us.
    pub fn connect_with(
        &self,
        address: &str,
        options: &ConnectOptions,
    ) -> Result<Arc<dyn Connection>> {
        let transport = self.transport(&Address::protocol_of(address))?;
        let address = transport.parse_address(address)?;
        let core = ConnectionCore::new(&self.shared, options.connection_name());
        core.attach_link(transport.connect(&address, options, &core)?);
        self.shared.add_connection(&core);
        self.send(Slot::CONTEXT, NEW_CONNECTION)?;
        Ok(core)
    }

    /// The connected connections (hosting or connected).
    pub fn connections(&self) -> Vec<Arc<dyn Connection>> {
        self.shared
            .snapshot()
            .iter()
            .filter(|c| c.is_connected())
            .cloned()
            .map(|c| c as Arc<dyn Connection>)
            .collect()
    }

    /// The alive connections, waiting ones included.
    pub fn connections_all(&self) -> Vec<Arc<dyn Connection>> {
        self.shared
            .snapshot()
            .iter()
            .filter(|c| c.is_alive())
            .cloned()
            .map(|c| c as Arc<dyn Connection>)
            .collect()
    }

    /// The alive connection with this name, if any.
    pub fn connection(&self, name: &str) -> Option<Arc<dyn Connection>> {
        self.shared
            .snapshot()
            .iter()
            .find(|c| c.is_alive() && c.name() == name)
            .cloned()
            .map(|c| c as Arc<dyn Connection>)
    }

    /// How many connections are connected.
    pub fn connection_count(&self) -> usize {
        self.shared
            .snapshot()
            .iter()
            .filter(|c| c.is_connected())
            .count()
    }

    /// Waits until everything sent so far on every connected connection is
    /// written, or fails when `timeout` passes.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when something is still unwritten at the end of
    /// `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let deadline = crate::sync::later(Instant::now(), timeout);
        let connections = self.shared.snapshot();
        for connection in connections.iter().filter(|c| c.is_connected()) {
            match connection.wait_written(deadline) {
                Ok(()) | Err(Error::Closed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Closes every connection (reason [`reason::CLOSED_BY_CONTEXT`]) and
    /// every channel, and stops every [`Persistent`] link made before. The
    /// context itself stays usable: bind or connect again.
    pub fn close(&self) {
        self.shared.links.stop_all();
        for connection in self.connections_all() {
            connection.close(Some(reason::CLOSED_BY_CONTEXT));
        }
        self.close_channels();
    }

    /// Closes every channel registered on this context, keeping the
    /// connections.
    pub fn close_channels(&self) {
        let endpoints: Vec<Arc<dyn Endpoint>> = {
            let mut map = self.shared.endpoints_write();
            let mut all: Vec<Arc<dyn Endpoint>> = map.incoming.drain().map(|(_, e)| e).collect();
            all.extend(map.outgoing.drain().map(|(_, e)| e));
            all
        };
        let mut seen: Vec<*const ()> = Vec::new();
        for endpoint in endpoints {
            let ptr = Arc::as_ptr(&endpoint) as *const ();
            if !seen.contains(&ptr) {
                seen.push(ptr);
                endpoint.on_context_closed();
            }
        }
    }

    /// Registers an endpoint on a slot.
    ///
    /// # Errors
    ///
    /// [`Error::SlotTaken`] if another endpoint of this context has that
    /// slot in that direction.
    pub fn register_endpoint(
        &self,
        direction: Direction,
        slot: Slot,
        name: &str,
        endpoint: Arc<dyn Endpoint>,
    ) -> Result<()> {
        let mut endpoints = self.shared.endpoints_write();
        let map = endpoints.map_mut(direction);
        if map.contains_key(&slot) {
            return Err(Error::SlotTaken {
                slot,
                name: name.to_owned(),
            });
        }
        map.insert(slot, endpoint);
        Ok(())
    }

    /// Removes the endpoint registered on a slot; returns whether there was
    /// one. Packages for the slot are dropped from then on.
    pub fn unregister_endpoint(&self, direction: Direction, slot: Slot) -> bool {
        self.shared
            .endpoints_write()
            .map_mut(direction)
            .remove(&slot)
            .is_some()
    }

    /// Removes `endpoint` from a slot if it is the one registered there;
    /// returns whether it was. A channel closing late uses this, so that it
    /// never unregisters a newer endpoint that took the slot meanwhile.
    pub fn unregister_endpoint_if(
        &self,
        direction: Direction,
        slot: Slot,
        endpoint: &Arc<dyn Endpoint>,
    ) -> bool {
        let mut endpoints = self.shared.endpoints_write();
        let map = endpoints.map_mut(direction);
        let same = map
            .get(&slot)
            .is_some_and(|e| std::ptr::addr_eq(Arc::as_ptr(e), Arc::as_ptr(endpoint)));
        if same {
            map.remove(&slot);
        }
        same
    }

    /// Sends `data` on `slot` to every context in the network (destination
    /// 0). Empty data is not sent (see [`send_package`](Context::send_package)).
    ///
    /// Blocks while a connection's queue is full (backpressure); use
    /// [`send_timeout`](Context::send_timeout) to bound that wait.
    ///
    /// # Errors
    ///
    /// None today: a package that no connection takes waits in the startup
    /// queue. The `Result` leaves room for transports that refuse.
    pub fn send(&self, slot: Slot, data: impl Into<Bytes>) -> Result<()> {
        self.send_package(Package::new(slot, data))
    }

    /// As [`send`](Context::send), but waits at most `timeout` for room in
    /// the queues of the connections (backpressure from a peer that does
    /// not keep up). The wait comes first: when it runs out, nothing is
    /// sent.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if a connection's queue stayed full for
    /// `timeout`; the package was not sent.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use std::time::Duration;
    ///
    /// let ctx = yoton::context();
    /// let slot = yoton::SlotName::new("news", "txt", "pub-sub").slot();
    /// // With room (here: no connection yet, so the startup queue), it
    /// // sends at once.
    /// ctx.send_timeout(slot, "hello", Duration::from_millis(100)).unwrap();
    /// assert_eq!(ctx.startup_queued(), 1);
    /// ```
    pub fn send_timeout(
        &self,
        slot: Slot,
        data: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<()> {
        self.send_deadline(slot, data, crate::sync::later(Instant::now(), timeout))
    }

    /// As [`send_timeout`](Context::send_timeout), with a deadline.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if a connection's queue stayed full until
    /// `deadline`; the package was not sent.
    pub fn send_deadline(
        &self,
        slot: Slot,
        data: impl Into<Bytes>,
        deadline: Instant,
    ) -> Result<()> {
        let package = Package::new(slot, data);
        if package.data.is_empty() {
            return Ok(());
        }
        self.shared.send_by(package, deadline)
    }

    /// Sends a package, keeping its `dest_id` and `dest_seq`; the context
    /// sets `source_id` and numbers it with the next `source_seq`.
    ///
    /// A package with empty data is dropped here, unnumbered: on the wire
    /// an empty package is a connection signal, and numbered 1 (a context's
    /// first package) it would read as the close package and close the
    /// peer's connection.
    ///
    /// # Errors
    ///
    /// As [`send`](Context::send): none today.
    pub fn send_package(&self, package: Package) -> Result<()> {
        if package.data.is_empty() {
            tracing::trace!(slot = %package.slot, "empty package not sent");
            return Ok(());
        }
        self.shared.send(package);
        Ok(())
    }

    /// Sends several messages on `slot`, in order, as [`send`](Context::send)
    /// does one by one, but numbers them and hands them to each connection
    /// in one go: the locks and wake-ups are paid once per batch instead of
    /// once per message. Empty messages are skipped.
    ///
    /// Blocks while a connection's queue is full (backpressure), once for
    /// the whole batch: the batch is queued whole, so a connection's queue
    /// may exceed its bound by up to one batch. Keep batches of large
    /// messages small.
    ///
    /// # Errors
    ///
    /// As [`send`](Context::send): none today.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use yoton::SlotName;
    ///
    /// let ctx = yoton::context();
    /// let slot = SlotName::new("doc", "bin", "pub-sub").slot();
    /// ctx.send_batch(slot, ["a", "", "b"]).unwrap();
    /// assert_eq!(ctx.startup_queued(), 2); // no connection yet
    /// ```
    pub fn send_batch<I>(&self, slot: Slot, messages: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        let packages = packages_of(slot, messages);
        if !packages.is_empty() {
            self.shared.send_all(packages);
        }
        Ok(())
    }

    /// Sends several packages, in order, as
    /// [`send_package`](Context::send_package) does one by one (each keeps
    /// its `dest_id` and `dest_seq`), but handed to each connection in one
    /// go, so that they usually leave in one write. Empty ones are skipped.
    ///
    /// # Errors
    ///
    /// As [`send`](Context::send): none today.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, Package, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use yoton::{Package, SlotName};
    ///
    /// let ctx = yoton::context();
    /// let slot = SlotName::new("doc", "bin", "pub-sub").slot();
    /// let mut directed = Package::new(slot, "for one context");
    /// directed.dest_id = 42;
    /// ctx.send_packages([directed, Package::new(slot, "for all")]).unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send_packages(&self, packages: impl IntoIterator<Item = Package>) -> Result<()> {
        let packages: Vec<Package> = packages
            .into_iter()
            .filter(|package| !package.data.is_empty())
            .collect();
        if !packages.is_empty() {
            self.shared.send_all(packages);
        }
        Ok(())
    }

    /// As [`send_batch`](Context::send_batch), but waits at most until
    /// `deadline` for room on the connections, first: when the wait runs
    /// out, nothing of the batch is sent.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if a connection's queue stayed full until
    /// `deadline`.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use std::time::{Duration, Instant};
    /// use yoton::SlotName;
    ///
    /// let ctx = yoton::context();
    /// let slot = SlotName::new("doc", "bin", "pub-sub").slot();
    /// let deadline = Instant::now() + Duration::from_millis(100);
    /// ctx.send_batch_deadline(slot, ["a", "b"], deadline).unwrap();
    /// assert_eq!(ctx.startup_queued(), 2);
    /// ```
    pub fn send_batch_deadline<I>(&self, slot: Slot, messages: I, deadline: Instant) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Into<Bytes>,
    {
        let packages = packages_of(slot, messages);
        if packages.is_empty() {
            return Ok(());
        }
        self.shared.send_all_by(packages, deadline)
    }

    /// How many packages the startup queue dropped (oldest first) because
    /// more than its bound were sent while no connection was alive.
    pub fn startup_dropped(&self) -> u64 {
        self.shared.startup_dropped.load(Ordering::Relaxed)
    }

    /// How many packages arrived for a slot that no channel of this context
    /// receives on. Two programs whose channels miss each other (a typo in
    /// a name, a different message type, a different type name) show up
    /// here instead of in silence. The first such batch is also reported
    /// through `tracing` at the `warn` level, later ones at `debug`.
    ///
    /// Packages meant for other contexts and only passed on are not counted.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
    /// use std::time::Duration;
    /// use yoton::{PubChannel, SubChannel};
    ///
    /// let host = yoton::context();
    /// let log = SubChannel::<String>::new(&host, "log").unwrap();
    /// let bound = host.bind("inproc://").unwrap();
    ///
    /// let client = yoton::context();
    /// client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
    /// let news = PubChannel::<String>::new(&client, "news").unwrap();
    /// let done = PubChannel::<String>::new(&client, "log").unwrap();
    /// news.send("nobody reads news there").unwrap();
    /// done.send("done").unwrap();
    ///
    /// // Packages are handled in the order they came: once "done" is in,
    /// // the one before it was counted.
    /// assert_eq!(log.recv_timeout(Duration::from_secs(10)).unwrap(), "done");
    /// assert_eq!(host.unrouted_packages(), 1);
    /// ```
    pub fn unrouted_packages(&self) -> u64 {
        self.shared.unrouted.load(Ordering::Relaxed)
    }

    /// How many packages wait in the startup queue.
    pub fn startup_queued(&self) -> usize {
        lock(&self.shared.sending).startup.len()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.shared.id)
            .field("connections", &self.shared.snapshot().len())
            .finish()
    }
}

impl Endpoints {
    fn map_mut(&mut self, direction: Direction) -> &mut HashMap<Slot, Arc<dyn Endpoint>> {
        match direction {
            Direction::Incoming => &mut self.incoming,
            Direction::Outgoing => &mut self.outgoing,
        }
    }
}

impl Drop for ContextShared {
    fn drop(&mut self) {
        let connections = self.snapshot();
        for connection in connections.iter() {
            connection.close(Some(reason::CLOSED_BY_CONTEXT));
        }
    }
}

/// The packages of a batch of messages on `slot`, the empty ones left out.
fn packages_of<I>(slot: Slot, messages: I) -> Vec<Package>
where
    I: IntoIterator,
    I::Item: Into<Bytes>,
{
    messages
        .into_iter()
        .map(|data| Package::new(slot, data))
        .filter(|package| !package.data.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Context>();
    }

    #[test]
    fn unknown_protocol_names_the_registered_ones() {
        let ctx = Context::new();
        match ctx.bind("udp://localhost:1") {
            Err(Error::UnknownProtocol {
                protocol,
                registered,
            }) => {
                assert_eq!(protocol, "udp");
                assert_eq!(registered, "");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn packages_sent_without_connections_wait_in_the_startup_queue() {
        let ctx = Context::new();
        ctx.send(Slot::new(9), "a").unwrap();
        ctx.send(Slot::new(9), "b").unwrap();
        assert_eq!(ctx.startup_queued(), 2);
        assert_eq!(ctx.startup_dropped(), 0);
    }

    #[test]
    fn empty_packages_are_not_sent_or_numbered() {
        let ctx = Context::new();
        ctx.send(Slot::new(9), "").unwrap();
        ctx.send_package(Package::new(Slot::new(9), Bytes::new()))
            .unwrap();
        assert_eq!(ctx.startup_queued(), 0);
        ctx.send(Slot::new(9), "a").unwrap();
        let sending = lock(&ctx.shared.sending);
        assert_eq!(sending.startup.len(), 1);
        assert_eq!(sending.startup[0].source_seq, 1);
    }

    #[test]
    fn a_slot_is_taken_once_per_direction() {
        #[derive(Debug)]
        struct Nothing;
        impl Endpoint for Nothing {
            fn deliver(&self, _: &mut Vec<Delivery>) {}
        }
        let ctx = Context::new();
        let slot = Slot::from_name("x.txt.pub-sub");
        ctx.register_endpoint(Direction::Incoming, slot, "x", Arc::new(Nothing))
            .unwrap();
        ctx.register_endpoint(Direction::Outgoing, slot, "x", Arc::new(Nothing))
            .unwrap();
        let err = ctx
            .register_endpoint(Direction::Incoming, slot, "x", Arc::new(Nothing))
            .unwrap_err();
        assert!(err.to_string().contains("Slot not free: x"), "{err}");
        assert!(ctx.unregister_endpoint(Direction::Incoming, slot));
        assert!(!ctx.unregister_endpoint(Direction::Incoming, slot));
        let first: Arc<dyn Endpoint> = Arc::new(Nothing);
        let second: Arc<dyn Endpoint> = Arc::new(Nothing);
        ctx.register_endpoint(Direction::Incoming, slot, "x", Arc::clone(&second))
            .unwrap();
        assert!(!ctx.unregister_endpoint_if(Direction::Incoming, slot, &first));
        assert!(ctx.unregister_endpoint_if(Direction::Incoming, slot, &second));
        assert!(!ctx.unregister_endpoint(Direction::Incoming, slot));
    }
}
