//! The TCP transport of yoton: persistent connections between contexts in
//! different processes or on different machines, byte for byte compatible
//! with the Python yoton shipped in `pyzo`.
//!
//! Register a [`TcpTransport`] on a [`Context`](yoton_core::Context) and use
//! `tcp://host:port` addresses (`tcp://` may be left off). The connection
//! itself is the shared stream transport of `yoton-stream`; this crate is
//! what is TCP's own: resolving hosts, the `max_tries` port search,
//! `TCP_NODELAY`, and `TCP_QUICKACK` while a package is incomplete. One
//! thread of the process (`yoton-stream-io`) does the I/O of all its
//! connections; a bound connection also has `yoton-tcp-accept` while it
//! waits for its peer (with a short-lived `yoton-tcp-handshake` thread per
//! client, so that a client that stalls never delays a real peer).
//!
//! - Sending goes through a bounded queue (backpressure: producers wait
//!   when it is full, nothing is dropped). An idle connection's producer
//!   writes itself; otherwise what is queued goes out in as few writes as
//!   the socket takes, large packages without a copy, and a heartbeat
//!   after 0.25 s of silence. `TCP_NODELAY` is on.
//! - Receiving decodes with the core decoder, reports `timedout`, and
//!   hands packages to the context.
//! - A header announcing more than [`StreamOptions::max_data_len`] bytes
//!   closes the connection with a clear reason, without allocating that much.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use yoton_core::{Connection, Context, reason};
//! use yoton_tcp::TcpTransport;
//!
//! let host = Context::new();
//! host.register_transport(Arc::new(TcpTransport::new()));
//! let client = Context::new();
//! client.register_transport(Arc::new(TcpTransport::new()));
//!
//! let bound = host.bind("tcp://127.0.0.1:0").unwrap(); // any free port
//! let closed = bound.closed().subscribe();
//! let conn = client.connect(&format!("127.0.0.1:{}", bound.local_port())).unwrap();
//! assert_eq!(conn.peer_id(), Some(host.id()));
//! assert_eq!(conn.peer_port(), bound.local_port());
//!
//! conn.close(None);
//! let event = closed.recv_timeout(Duration::from_secs(10)).unwrap();
//! assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);
//! ```
#![forbid(unsafe_code)]

use std::io;
use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use yoton_core::address::port_candidates;
use yoton_core::{Address, Error, Result};
use yoton_stream::{Ends, Listening, StreamFamily, StreamTransport, resolve};

pub use yoton_stream::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_QUEUE_BYTES, MAX_BUSY_POLL, OptionsError, StreamOptions,
};

/// The settings of a [`TcpTransport`]: those of the shared stream transport.
///
/// Start from `TcpOptions::new()` (the defaults) and change what is needed
/// with the chainable `with_*` setters; the values are checked once, when
/// a transport is made with them (`TcpTransport::with_options`).
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::TcpOptions;
///
/// let options = TcpOptions::new()
///     .with_max_data_len(1 << 20)
///     .with_send_queue_bytes(256 * 1024)
///     .with_handshake_timeout(Duration::from_secs(5));
/// assert_eq!(options.max_data_len(), 1 << 20);
/// assert!(options.validate().is_ok());
/// assert!(TcpOptions::new().with_send_queue_bytes(0).validate().is_err());
/// ```
pub type TcpOptions = StreamOptions;

/// The TCP transport, for `tcp://host:port` addresses (`tcp://` may be left
/// off).
///
/// `yoton::context()` registers one with the default options. One made with other options, by
/// `TcpTransport::with_options` (which checks them), takes the place of
/// the default one when it is registered for `tcp` on the context
/// ([`Context::register_transport`](yoton_core::Context::register_transport)).
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{TcpOptions, TcpTransport};
///
/// let ctx = yoton::context();
/// let bound = ctx.bind("localhost:0").unwrap();
/// assert!(bound.is_waiting());
/// assert_ne!(bound.local_port(), 0);
/// bound.close(None); // stops waiting at once and frees the port
///
/// let options = TcpOptions::new().with_handshake_timeout(Duration::from_secs(5));
/// let transport = TcpTransport::with_options(options).unwrap();
/// assert_eq!(transport.options().handshake_timeout(), Duration::from_secs(5));
/// assert!(TcpTransport::with_options(TcpOptions::new().with_send_queue_bytes(0)).is_err());
/// ```
pub type TcpTransport = StreamTransport<TcpFamily>;

/// What is TCP's own in the stream transport: resolving hosts, the
/// `max_tries` port search, `TCP_NODELAY`, and `TCP_QUICKACK` while a
/// package is incomplete.
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpFamily;

impl StreamFamily for TcpFamily {
    fn protocol(&self) -> &'static str {
        "tcp"
    }

    fn has_ports(&self) -> bool {
        true
    }

    fn listen(&self, address: &Address, max_tries: u32) -> Result<Listening> {
        let bind_error = |source: io::Error| Error::Bind {
            address: address.to_string(),
            source,
        };
        let base = resolve(address.host(), address.port())
            .map_err(bind_error)?
            .into_iter()
            .next()
            .ok_or_else(|| bind_error(io::ErrorKind::NotFound.into()))?;
        for port in port_candidates(address.port(), max_tries) {
            match listen_at(base.ip(), port) {
                Ok(listening) => return Ok(listening),
                Err(e) if max_tries == 1 => return Err(bind_error(e)),
                Err(e) => tracing::trace!(port, error = %e, "port not free"),
            }
        }
        Err(Error::NoFreePort {
            tries: max_tries,
            start: address.port(),
        })
    }

    fn dial_targets(&self, address: &Address) -> io::Result<Vec<SockAddr>> {
        let targets = resolve(address.host(), address.port())?;
        Ok(targets.into_iter().map(SockAddr::from).collect())
    }

    fn socket_for(&self, target: &SockAddr) -> io::Result<Socket> {
        Socket::new(target.domain(), Type::STREAM, Some(Protocol::TCP))
    }

    fn prepare(&self, socket: &Socket) -> io::Result<()> {
        socket.set_tcp_nodelay(true)
    }

    fn ends(&self, socket: &Socket) -> io::Result<Ends> {
        let ip = |addr: SockAddr| {
            addr.as_socket()
                .ok_or_else(|| io::Error::other("not an IP socket"))
        };
        let local = ip(socket.local_addr()?)?;
        let peer = ip(socket.peer_addr()?)?;
        Ok(Ends {
            local_host: local.ip().to_string(),
            local_port: local.port(),
            peer_host: peer.ip().to_string(),
            peer_port: peer.port(),
        })
    }

    fn on_partial_package(&self, socket: &Socket) {
        // Linux resets the setting after each acknowledgement, so it is
        // set again per read.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = socket.set_tcp_quickack(true);
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = socket;
    }
}

fn listen_at(ip: IpAddr, port: u16) -> io::Result<Listening> {
    let addr = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // Lets a port be bound again while connections accepted on it live on
    // (Windows has that without the option, and something else with it).
    #[cfg(not(windows))]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(16)?;
    let local = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("not an IP socket"))?;
    Ok(Listening {
        socket,
        local: local.into(),
        host: local.ip().to_string(),
        port: local.port(),
    })
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TcpTransport>();
    assert_send_sync::<TcpOptions>();
};
