//! The stream transport of yoton: a yoton connection over any
//! connection-oriented byte stream socket, written once for every
//! transport whose links are byte streams (`tcp://`, `ipc://`).
//!
//! Everything that makes a stream a yoton connection lives here: the
//! handshake on both sides (a thread per pending client, so that a client
//! that stalls never delays a real peer), the bounded send queue with
//! backpressure and batched writes, decoding with the core decoder,
//! `timedout`, heartbeats, and the linger after the close package. What
//! differs between kinds of sockets is a [`StreamFamily`]: how an address
//! becomes a listening socket or targets to dial, how a connected socket
//! is tuned (`TCP_NODELAY`), how its ends are described to users, and the
//! family's own tricks (`TCP_QUICKACK` while a package is incomplete,
//! removing a Unix socket file).
//!
//! A new stream transport is a [`StreamFamily`] and a line that registers
//! `StreamTransport::<YourFamily>::new()` on a context; `yoton-tcp` and
//! `yoton-ipc` are examples, each a file of their own.
//!
//! # Threads
//!
//! One thread per process, `yoton-stream-io`, does the I/O of every
//! connected socket of every stream transport (`mio`: epoll, kqueue), so
//! the threads of a process do not grow with its connections. It reads
//! and delivers, writes what producers queued, sends heartbeats, reports
//! `timedout`, and lingers after a close package. A producer writes the
//! packages of an idle connection itself (a reply, a request), which saves
//! waking that thread. A bound connection has a `yoton-<protocol>-accept`
//! thread while it waits for its peer, and each client being greeted a
//! short-lived `-handshake` thread.
//!
//! Handlers of `received`, `closed` and `timedout` run on the I/O thread:
//! they must be quick and must not wait for a message or a reply, which
//! that thread would have to read. A send from a handler never blocks:
//! when a queue is full, the connection being read from pauses until it
//! has room (backpressure still reaches the peer). A close or a flush from
//! a handler writes on the spot.
//!
//! Unix only: the I/O thread waits on raw file descriptors.
#![forbid(unsafe_code)]

#[cfg(not(unix))]
compile_error!(
    "yoton-stream runs on Unix: its I/O thread waits on file descriptors (mio: epoll, kqueue)"
);

mod busy_poll;
mod client;
mod connection;
mod host;
mod io;
mod options;
mod reactor;
mod receive;
pub mod secure;
mod secured;
mod send;

use std::fmt;
use std::sync::Arc;

use socket2::{SockAddr, Socket};
use yoton_core::{
    Address, AddressError, BindOptions, ConnectOptions, ConnectionCore, Link, Result, Transport,
};

pub use connection::StreamConnection;
pub use io::{is_timeout, resolve};
pub use options::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_QUEUE_BYTES, MAX_BUSY_POLL, OptionsError, StreamOptions,
};

/// A socket listening for the peer of one bound connection, as a
/// [`StreamFamily`] opened it.
#[derive(Debug)]
pub struct Listening {
    /// The listening socket (blocking; the transport sets its timeouts).
    pub socket: Socket,
    /// Its local address, to wake a blocked accept by connecting to it.
    pub local: SockAddr,
    /// The host users see on the waiting connection (`local_host`): an IP
    /// address, or a socket path.
    pub host: String,
    /// The port users see (`local_port`); 0 for families without ports.
    pub port: u16,
}

/// How users see the two ends of a connected socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ends {
    /// This end's host (`local_host`).
    pub local_host: String,
    /// This end's port (`local_port`).
    pub local_port: u16,
    /// The other end's host (`peer_host`).
    pub peer_host: String,
    /// The other end's port (`peer_port`).
    pub peer_port: u16,
}

/// What is particular to one kind of stream socket: the small hooks
/// around the shared stream transport.
///
/// All sockets are [`socket2::Socket`]s: blocking, of type `SOCK_STREAM`.
/// The transport does the rest (handshake, queues, threads, framing).
pub trait StreamFamily: Send + Sync + fmt::Debug + 'static {
    /// The address protocol served, in lower case (`"tcp"`); thread names
    /// are `yoton-<protocol>-send` and the like.
    fn protocol(&self) -> &'static str;

    /// Whether port numbers mean anything (see [`Transport::has_ports`]).
    fn has_ports(&self) -> bool;

    /// Parses an address of this protocol (see [`Transport::parse_address`]);
    /// the default is `[protocol://]host:port`.
    ///
    /// # Errors
    ///
    /// When the text is not a valid address of this family.
    fn parse_address(&self, text: &str) -> std::result::Result<Address, AddressError> {
        Address::parse(text)
    }

    /// Opens a socket that listens at `address`, trying up to `max_tries`
    /// places where that means something.
    ///
    /// # Errors
    ///
    /// [`yoton_core::Error::Bind`] or [`yoton_core::Error::NoFreePort`],
    /// as users see them.
    fn listen(&self, address: &Address, max_tries: u32) -> Result<Listening>;

    /// Called once a bound connection stops listening (its peer came, or it
    /// closed): the place is free again. The listening socket is closed
    /// after this returns.
    fn unlisten(&self, listening: &Listening) {
        let _ = listening;
    }

    /// The places to dial for `address`, tried in order on every attempt.
    ///
    /// # Errors
    ///
    /// When the address cannot be resolved.
    fn dial_targets(&self, address: &Address) -> std::io::Result<Vec<SockAddr>>;

    /// A new, unconnected socket to dial `target` with.
    ///
    /// # Errors
    ///
    /// The operating system's error.
    fn socket_for(&self, target: &SockAddr) -> std::io::Result<Socket>;

    /// Tunes a connected socket before the handshake (for TCP:
    /// `TCP_NODELAY`).
    ///
    /// # Errors
    ///
    /// The operating system's error; the connection then fails.
    fn prepare(&self, socket: &Socket) -> std::io::Result<()> {
        let _ = socket;
        Ok(())
    }

    /// How users see the ends of a connected socket.
    ///
    /// # Errors
    ///
    /// The operating system's error.
    fn ends(&self, socket: &Socket) -> std::io::Result<Ends>;

    /// Called after a read that left a package incomplete: for TCP,
    /// acknowledge at once (`TCP_QUICKACK`), so that a peer with Nagle's
    /// algorithm and a small send buffer does not wait for delayed
    /// acknowledgements.
    fn on_partial_package(&self, socket: &Socket) {
        let _ = socket;
    }
}

/// The stream transport over one [`StreamFamily`] `F`; register it on a
/// [`yoton_core::Context`]. `yoton_tcp::TcpTransport` is
/// `StreamTransport<TcpFamily>`, `yoton_ipc::IpcTransport` is
/// `StreamTransport<IpcFamily>`.
#[derive(Debug)]
pub struct StreamTransport<F> {
    family: Arc<F>,
    options: StreamOptions,
}

impl<F> Clone for StreamTransport<F> {
    fn clone(&self) -> Self {
        StreamTransport {
            family: Arc::clone(&self.family),
            options: self.options.clone(),
        }
    }
}

impl<F: StreamFamily + Default> Default for StreamTransport<F> {
    fn default() -> Self {
        StreamTransport::with_family(F::default())
    }
}

impl<F: StreamFamily + Default> StreamTransport<F> {
    /// The transport with the default [`StreamOptions`].
    pub fn new() -> Self {
        StreamTransport::default()
    }

    /// The transport with the given options, once they are checked.
    ///
    /// # Errors
    ///
    /// [`OptionsError`] naming the first option out of range.
    pub fn with_options(options: StreamOptions) -> std::result::Result<Self, OptionsError> {
        options.validate()?;
        Ok(StreamTransport {
            family: Arc::new(F::default()),
            options,
        })
    }
}

impl<F: StreamFamily> StreamTransport<F> {
    /// The transport over `family`, with the default [`StreamOptions`].
    pub fn with_family(family: F) -> Self {
        StreamTransport {
            family: Arc::new(family),
            options: StreamOptions::default(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &StreamOptions {
        &self.options
    }

    /// The family this transport serves.
    pub fn family(&self) -> &F {
        &self.family
    }

    fn dyn_family(&self) -> Arc<dyn StreamFamily> {
        Arc::clone(&self.family) as Arc<dyn StreamFamily>
    }
}

impl<F: StreamFamily> Transport for StreamTransport<F> {
    fn protocol(&self) -> &str {
        self.family.protocol()
    }

    fn has_ports(&self) -> bool {
        self.family.has_ports()
    }

    fn parse_address(&self, text: &str) -> std::result::Result<Address, AddressError> {
        self.family.parse_address(text)
    }

    fn bind(
        &self,
        address: &Address,
        options: &BindOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>> {
        let family = self.dyn_family();
        let tries = options.tries();
        let connection = host::bind(&family, address, tries, core, &self.options)?;
        Ok(connection)
    }

    fn connect(
        &self,
        address: &Address,
        options: &ConnectOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>> {
        let family = self.dyn_family();
        let timeout = options.retry_for();
        let connection = client::connect(&family, address, timeout, core, &self.options)?;
        Ok(connection)
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StreamConnection>();
    assert_send_sync::<StreamOptions>();
};
