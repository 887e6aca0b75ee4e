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
use crate::error::{Error, Result};
use crate::id::ContextId;
use crate::link::Link;
use crate::package::{Package, Slot};
use crate::reason;
use crate::routing::Router;
use crate::sync::lock;

/// The context message a connecting context sends after `connect`; every
/// context that receives it makes its state channels resend their state.
pub const NEW_CONNECTION: &str = "NEW_CONNECTION";

/// How many packages a context keeps while it has no connection, by
/// default (the reference's queue size).
pub const DEFAULT_STARTUP_QUEUE: usize = 10_000;

/// A way to make connections for one address protocol (`tcp`, `inproc`).
///
/// Register transports with [`Context::register_transport`]; the context
/// picks one by the protocol of the address given to `bind` or `connect`.
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    /// The address protocol this transport serves, lowercase (`"tcp"`).
    fn protocol(&self) -> &str;

    /// Whether port numbers mean something for this transport (`local_port`,
    /// `peer_port`, `max_tries`). Conformance tests ask this rather than guess.
    fn has_ports(&self) -> bool {
        true
    }

    /// Parses an address of this transport's protocol, as given to `bind`
    /// or `connect` (the protocol prefix included). The default reads
    /// `[protocol://]host:port` as the reference does
    /// ([`Address::parse`]); transports whose addresses are names or paths
    /// (`inproc://name`, `ipc:///path`) read their own tail, with
    /// [`Address::named`].
    ///
    /// # Errors
    ///
    /// [`AddressError`](crate::AddressError) when the text is not an
    /// address of this transport.
    fn parse_address(&self, text: &str) -> std::result::Result<Address, crate::AddressError> {
        Address::parse(text)
    }

    /// Binds at `address` and returns the [`Link`] of a connection that is
    /// [`Waiting`](crate::State::Waiting) for exactly one peer (trying up to
    /// `max_tries` ports where ports apply). The transport keeps a weak
    /// reference to `core` in its link, calls
    /// [`ConnectionCore::set_waiting`] before returning, and reports what
    /// happens on the link to `core` from then on.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] or [`Error::NoFreePort`] when nothing can listen
    /// there.
    fn bind(
        &self,
        address: &Address,
        max_tries: u32,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>>;

    /// Connects to a bound peer at `address`, retrying until `timeout`, and
    /// returns the [`Link`] of a [`Connected`](crate::State::Connected)
    /// connection (the transport called [`ConnectionCore::set_connected`]).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when nobody answers in time,
    /// [`Error::Handshake`] when the peer's answer is not a yoton one.
    fn connect(
        &self,
        address: &Address,
        timeout: Duration,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>>;
}

/// A received package on its way to an [`Endpoint`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The package as received.
    pub package: Package,
    /// The order in which this context accepted it, across all slots and
    /// connections (starting at 1): what lets a reader of several channels
    /// return their messages in the order they came.
    pub recv_seq: u64,
}

/// Which way an endpoint's slot faces.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The endpoint receives the packages that arrive for the slot.
    Incoming,
    /// The endpoint sends on the slot (state channels are asked to resend
    /// on `NEW_CONNECTION`).
    Outgoing,
}

/// Something registered on a slot of a context: a channel, usually.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use yoton_core::{Context, Delivery, Direction, Endpoint, Slot};
/// use yoton_inproc::InprocTransport;
///
/// // An endpoint that forwards what arrives to a channel (a real program
/// // uses the channels of the `yoton` crate).
/// #[derive(Debug)]
/// struct Inbox(Mutex<crossbeam_channel::Sender<Vec<u8>>>);
/// impl Endpoint for Inbox {
///     fn deliver(&self, deliveries: &mut Vec<Delivery>) {
///         let tx = self.0.lock().unwrap();
///         for d in deliveries.drain(..) {
///             let _ = tx.send(d.package.data.to_vec());
///         }
///     }
/// }
///
/// let a = Context::new();
/// a.register_transport(Arc::new(InprocTransport::new()));
/// let b = Context::new();
/// b.register_transport(Arc::new(InprocTransport::new()));
/// a.bind("inproc://doc-endpoint").unwrap();
/// b.connect("inproc://doc-endpoint").unwrap();
/// assert_eq!(b.connection_count(), 1);
///
/// let slot = Slot::from_name("doc.txt.pub-sub");
/// let (tx, rx) = crossbeam_channel::unbounded();
/// b.register_endpoint(Direction::Incoming, slot, "doc", Arc::new(Inbox(Mutex::new(tx)))).unwrap();
/// a.send(slot, "hello").unwrap();
/// assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"hello");
/// ```
pub trait Endpoint: Send + Sync + fmt::Debug + 'static {
    /// Receives packages for an incoming slot, in the order they arrived.
    /// Called on a transport's receiving thread: take what is needed from
    /// the vector (it is cleared afterwards) and return quickly; never block
    /// on the network here.
    fn deliver(&self, deliveries: &mut Vec<Delivery>);

    /// A context joined the network (`NEW_CONNECTION`): a state channel
    /// resends its state. Called for outgoing registrations.
    fn on_new_connection(&self) {}

    /// The context closed its channels ([`Context::close`]).
    fn on_context_closed(&self) {}
}

/// Options of [`Context::bind_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindOptions {
    max_tries: u32,
    name: String,
}

impl Default for BindOptions {
    fn default() -> Self {
        BindOptions {
            max_tries: 1,
            name: String::new(),
        }
    }
}

impl BindOptions {
    /// Defaults: one port tried, no name.
    pub fn new() -> Self {
        BindOptions::default()
    }

    /// How many ports to try, stepping up as the reference does; at least 1.
    pub fn max_tries(mut self, max_tries: u32) -> Self {
        self.max_tries = max_tries.max(1);
        self
    }

    /// The name of the connection, to find it with [`Context::connection`].
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }
}

/// Options of [`Context::connect_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOptions {
    timeout: Duration,
    name: String,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Duration::from_secs(1),
            name: String::new(),
        }
    }
}

impl ConnectOptions {
    /// Defaults: retry for 1 second, no name.
    pub fn new() -> Self {
        ConnectOptions::default()
    }

    /// How long to keep trying to reach the host.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The name of the connection, to find it with [`Context::connection`].
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }
}

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
    pub fn bind(&self, address: &str) -> Result<Arc<dyn Connection>> {
        self.bind_with(address, &BindOptions::default())
    }

    /// Binds with options (`max_tries`, `name`). Returns at once with a
    /// [`Waiting`](crate::State::Waiting) connection; packages sent meanwhile
    /// are queued on it. A connection hosts exactly one peer: bind again for
    /// another.
    pub fn bind_with(&self, address: &str, options: &BindOptions) -> Result<Arc<dyn Connection>> {
        let transport = self.transport(&Address::protocol_of(address))?;
        let address = transport.parse_address(address)?;
        let core = ConnectionCore::new(&self.shared, &options.name);
        core.attach_link(transport.bind(&address, options.max_tries, &core)?);
        self.shared.add_connection(&core);
        Ok(core)
    }

    /// Connects to a context bound at `address`, trying for one second. See
    /// [`connect_with`](Context::connect_with).
    pub fn connect(&self, address: &str) -> Result<Arc<dyn Connection>> {
        self.connect_with(address, &ConnectOptions::default())
    }

    /// Connects with options (`timeout`, `name`). Blocks until connected or
    /// fails with [`Error::Connect`] or [`Error::Handshake`]. Then hands the
    /// startup queue to the new connection and announces `NEW_CONNECTION`.
    pub fn connect_with(
        &self,
        address: &str,
        options: &ConnectOptions,
    ) -> Result<Arc<dyn Connection>> {
        let transport = self.transport(&Address::protocol_of(address))?;
        let address = transport.parse_address(address)?;
        let core = ConnectionCore::new(&self.shared, &options.name);
        core.attach_link(transport.connect(&address, options.timeout, &core)?);
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
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
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
    /// every channel. The context itself stays usable: bind or connect again.
    pub fn close(&self) {
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

    /// Registers an endpoint on a slot. Fails with [`Error::SlotTaken`] if
    /// another endpoint of this context has that slot in that direction.
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
    /// Blocks while a connection's queue is full (backpressure).
    pub fn send(&self, slot: Slot, data: impl Into<Bytes>) -> Result<()> {
        self.send_package(Package::new(slot, data))
    }

    /// Sends a package, keeping its `dest_id` and `dest_seq`; the context
    /// sets `source_id` and numbers it with the next `source_seq`.
    ///
    /// A package with empty data is dropped here, unnumbered: on the wire
    /// an empty package is a connection signal, and numbered 1 (a context's
    /// first package) it would read as the close package and close the
    /// peer's connection.
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
        let packages: Vec<Package> = messages
            .into_iter()
            .map(|data| Package::new(slot, data))
            .filter(|package| !package.data.is_empty())
            .collect();
        if !packages.is_empty() {
            self.shared.send_all(packages);
        }
        Ok(())
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

impl ContextShared {
    fn snapshot(&self) -> Arc<Vec<Arc<ConnectionCore>>> {
        Arc::clone(&lock(&self.connections))
    }

    fn endpoints_write(&self) -> std::sync::RwLockWriteGuard<'_, Endpoints> {
        self.endpoints.write().unwrap_or_else(|e| e.into_inner())
    }

    fn endpoints_read(&self) -> std::sync::RwLockReadGuard<'_, Endpoints> {
        self.endpoints.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a new connection and hands it the startup queue, under the send
    /// lock so that no package numbered meanwhile overtakes the queue.
    fn add_connection(&self, connection: &Arc<ConnectionCore>) {
        let mut sending = lock(&self.sending);
        if connection.is_alive() {
            for package in sending.startup.drain(..) {
                if let Err(e) = connection.send_package(&package) {
                    tracing::debug!(error = %e, "startup queue not handed over");
                }
            }
        }
        let mut connections = lock(&self.connections);
        let mut list: Vec<Arc<ConnectionCore>> = connections
            .iter()
            .filter(|c| c.is_alive())
            .cloned()
            .collect();
        list.push(Arc::clone(connection));
        *connections = Arc::new(list);
        self.connections_version.fetch_add(1, Ordering::Release);
    }

    /// Drops a closed connection from the list (called once it closed).
    pub(crate) fn forget_connection(&self, key: ConnectionKey) {
        let mut connections = lock(&self.connections);
        if connections.iter().any(|c| c.key() == key) {
            let list: Vec<Arc<ConnectionCore>> = connections
                .iter()
                .filter(|c| c.key() != key)
                .cloned()
                .collect();
            *connections = Arc::new(list);
            self.connections_version.fetch_add(1, Ordering::Release);
        }
    }

    fn send(&self, mut package: Package) {
        let connections = {
            let mut sending = lock(&self.sending);
            sending.seq += 1;
            package.source_id = self.id.get();
            package.source_seq = sending.seq;
            let connections = self.current_connections(&mut sending);
            let mut handed = false;
            for connection in connections.iter() {
                if connection.is_alive() && connection.send_package(&package).is_ok() {
                    handed = true;
                }
            }
            if !handed {
                self.keep_for_startup(&mut sending, package);
            }
            connections
        };
        Self::wait_for_room(&connections);
    }

    /// As [`send`](ContextShared::send), for several packages at once.
    fn send_all(&self, mut packages: Vec<Package>) {
        let connections = {
            let mut sending = lock(&self.sending);
            for package in &mut packages {
                sending.seq += 1;
                package.source_id = self.id.get();
                package.source_seq = sending.seq;
            }
            let connections = self.current_connections(&mut sending);
            let mut handed = false;
            for connection in connections.iter() {
                if connection.is_alive() && connection.send_packages(&packages).is_ok() {
                    handed = true;
                }
            }
            if !handed {
                for package in packages {
                    self.keep_for_startup(&mut sending, package);
                }
            }
            connections
        };
        Self::wait_for_room(&connections);
    }

    /// The connection list, refreshed only when it changed.
    fn current_connections(&self, sending: &mut SendState) -> Arc<Vec<Arc<ConnectionCore>>> {
        let version = self.connections_version.load(Ordering::Acquire);
        if sending.version != version {
            sending.connections = self.snapshot();
            sending.version = version;
        }
        Arc::clone(&sending.connections)
    }

    /// Queues a package that no connection took, dropping the oldest when
    /// the startup queue is full.
    fn keep_for_startup(&self, sending: &mut SendState, package: Package) {
        if sending.startup.len() >= sending.startup_limit {
            sending.startup.pop_front();
            let dropped = self.startup_dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(dropped, "startup queue full: dropped the oldest package");
        }
        sending.startup.push_back(package);
    }

    /// Backpressure, outside the send lock: a slow peer holds up this
    /// sender, not the receiving threads that also send (state resends,
    /// sync words, forwarding).
    fn wait_for_room(connections: &[Arc<ConnectionCore>]) {
        for connection in connections {
            if let Err(e) = connection.wait_for_room() {
                tracing::trace!(error = %e, "connection closed while waiting for room");
            }
        }
    }

    /// Routes packages that arrived on the connection `from`.
    pub(crate) fn receive_from(&self, from: ConnectionKey, packages: &mut Vec<Package>) {
        // Passing packages on only matters when another connection is alive;
        // with a single connection (the usual case) nothing is cloned.
        let others: Vec<Arc<ConnectionCore>> = self
            .snapshot()
            .iter()
            .filter(|c| c.key() != from && c.is_alive())
            .cloned()
            .collect();
        let mut here: Vec<Delivery> = Vec::with_capacity(packages.len());
        let mut forward: Vec<Package> = Vec::new();
        let mut router = lock(&self.receiving);
        {
            for package in packages.drain(..) {
                #[cfg(not(feature = "test-util"))]
                let route = router.route(&package, !others.is_empty());
                #[cfg(feature = "test-util")]
                let route = self.flawed_route(&mut router, &package, !others.is_empty());
                match route.deliver {
                    Some(recv_seq) => {
                        if route.forward {
                            forward.push(package.clone());
                        }
                        here.push(Delivery { package, recv_seq });
                    }
                    None if route.forward => forward.push(package),
                    None => {}
                }
            }
        }
        // Packages of one source can reach this context over several links,
        // on several receiving threads: they are passed on and delivered in
        // the order they were accepted. The delivery lock is taken before
        // the router's is let go, so the next batch accepted waits for this
        // one; the router is free meanwhile.
        let delivering = lock(&self.delivering);
        drop(router);
        let mut queued_on = Vec::new();
        if !forward.is_empty() {
            for connection in &others {
                if forward
                    .iter()
                    .all(|package| connection.send_package(package).is_ok())
                {
                    queued_on.push(connection);
                }
            }
        }
        if !here.is_empty() {
            self.deliver(here);
        }
        drop(delivering);
        // Backpressure once nothing is held.
        for connection in queued_on {
            let _ = connection.wait_for_room();
        }
    }

    /// The route of a package with this context's deliberate flaws.
    #[cfg(feature = "test-util")]
    fn flawed_route(
        &self,
        router: &mut Router,
        package: &Package,
        has_others: bool,
    ) -> crate::routing::Route {
        use crate::flaws::ContextFlaw;
        let own = self.id.get();
        if self.flaws.has(ContextFlaw::ForgetsSeenPackages) {
            let delivered = router.delivered();
            *router = Router::new(own);
            router.skip_deliveries(delivered);
        }
        if self.flaws.has(ContextFlaw::RedeliversOwnPackages) && package.source_id == own {
            let mut other = package.clone();
            other.source_id = !own;
            return router.route(&other, false);
        }
        if self.flaws.has(ContextFlaw::IgnoresDestId) && package.dest_id != 0 {
            let mut broadcast = package.clone();
            broadcast.dest_id = 0;
            return router.route(&broadcast, has_others);
        }
        router.route(package, has_others)
    }

    /// Hands accepted packages to their endpoints, grouping runs of the same
    /// slot so that a channel takes a batch at a time.
    fn deliver(&self, mut here: Vec<Delivery>) {
        // Usually the whole batch is for one channel: hand it over as it is.
        let Some(first) = here.first().map(|d| d.package.slot) else {
            return;
        };
        if first != Slot::CONTEXT && here.iter().all(|d| d.package.slot == first) {
            self.flush_batch(Some(first), &mut here);
            return;
        }
        let mut batch: Vec<Delivery> = Vec::new();
        let mut current: Option<Slot> = None;
        for delivery in here {
            let slot = delivery.package.slot;
            if slot == Slot::CONTEXT {
                self.flush_batch(current.take(), &mut batch);
                self.on_context_message(&delivery.package);
                continue;
            }
            if current != Some(slot) {
                self.flush_batch(current.take(), &mut batch);
                current = Some(slot);
            }
            batch.push(delivery);
        }
        self.flush_batch(current, &mut batch);
    }

    fn flush_batch(&self, slot: Option<Slot>, batch: &mut Vec<Delivery>) {
        let Some(slot) = slot else { return };
        let endpoint = self.endpoints_read().incoming.get(&slot).cloned();
        match endpoint {
            Some(endpoint) => {
                // An endpoint that panics must not take the receiving thread
                // (and so the link, silently) with it; what it was handed is
                // lost to it alone.
                let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    endpoint.deliver(batch);
                }));
                if delivered.is_err() {
                    tracing::error!(%slot, "an endpoint panicked while taking its packages");
                }
            }
            None => {
                let before = self
                    .unrouted
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                if before == 0 {
                    tracing::warn!(%slot, count = batch.len(), "packages for a slot that no channel receives on (see Context::unrouted_packages)");
                } else {
                    tracing::debug!(%slot, count = batch.len(), "no endpoint for slot");
                }
            }
        }
        batch.clear();
    }

    fn on_context_message(&self, package: &Package) {
        match std::str::from_utf8(&package.data) {
            Ok(NEW_CONNECTION) => {
                let outgoing: Vec<Arc<dyn Endpoint>> =
                    self.endpoints_read().outgoing.values().cloned().collect();
                for endpoint in outgoing {
                    endpoint.on_new_connection();
                }
            }
            Ok("CLOSE_CONNECTION") => {
                for connection in self.snapshot().iter() {
                    if connection.is_connected()
                        && connection.peer_id().map(ContextId::get) == Some(package.source_id)
                    {
                        connection.close_on_problem(Some(reason::CLOSED_FROM_OTHER_END));
                    }
                }
            }
            Ok(other) => tracing::debug!(message = other, "unknown context message"),
            Err(_) => tracing::debug!("context message is not UTF-8"),
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
