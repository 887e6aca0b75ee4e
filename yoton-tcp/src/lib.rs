//! The TCP transport of yoton: persistent connections between contexts in
//! different processes or on different machines, byte for byte compatible
//! with the Python yoton shipped in `pyzo`.
//!
//! Register a [`TcpTransport`] on a [`Context`](yoton_core::Context) and use
//! `tcp://host:port` addresses (`tcp://` may be left off). Each connection
//! has three threads at most: `yoton-tcp-accept` while a bound connection
//! waits for its peer (with a short-lived `yoton-tcp-handshake` thread per
//! client, so that a client that stalls never delays a real peer), then
//! `yoton-tcp-send` and `yoton-tcp-recv`.
//!
//! - The sending thread drains a bounded queue (backpressure: producers wait
//!   when it is full, nothing is dropped), batches what is queued into as
//!   few writes as it can, writes large packages without copying them, and
//!   sends a heartbeat after 0.25 s of silence. `TCP_NODELAY` is on.
//! - The receiving thread decodes straight from the socket with the core
//!   decoder, reports `timedout`, and hands packages to the context.
//! - A header announcing more than [`TcpOptions::max_data_len`] bytes
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

mod client;
mod connection;
mod host;
mod io;
mod options;

use std::sync::Arc;
use std::time::Duration;

use yoton_core::{Address, Connection, ConnectionCore, Result, Transport};

pub use connection::TcpConnection;
pub use options::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_QUEUE_BYTES, OptionsError, TcpOptions};

/// The TCP transport; register it on a [`yoton_core::Context`] for the
/// `tcp` protocol.
///
/// ```
/// use std::sync::Arc;
/// use yoton_core::{Connection, Context};
/// use yoton_tcp::TcpTransport;
///
/// let ctx = Context::new();
/// ctx.register_transport(Arc::new(TcpTransport::new()));
/// let bound = ctx.bind("localhost:0").unwrap();
/// assert!(bound.is_waiting());
/// assert_ne!(bound.local_port(), 0);
/// bound.close(None); // stops waiting at once and frees the port
/// ```
#[derive(Clone, Debug, Default)]
pub struct TcpTransport {
    options: TcpOptions,
}

impl TcpTransport {
    /// The transport with the default [`TcpOptions`].
    pub fn new() -> Self {
        TcpTransport::default()
    }

    /// The transport with the given options, once they are checked.
    pub fn with_options(options: TcpOptions) -> Result<Self, OptionsError> {
        options.validate()?;
        Ok(TcpTransport { options })
    }

    /// The options in force.
    pub fn options(&self) -> &TcpOptions {
        &self.options
    }
}

impl Transport for TcpTransport {
    fn protocol(&self) -> &str {
        "tcp"
    }

    fn bind(
        &self,
        address: &Address,
        max_tries: u32,
        core: ConnectionCore,
    ) -> Result<Arc<dyn Connection>> {
        let connection = host::bind(address, max_tries, core, &self.options)?;
        Ok(connection)
    }

    fn connect(
        &self,
        address: &Address,
        timeout: Duration,
        core: ConnectionCore,
    ) -> Result<Arc<dyn Connection>> {
        let connection = client::connect(address, timeout, core, &self.options)?;
        Ok(connection)
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TcpTransport>();
    assert_send_sync::<TcpConnection>();
    assert_send_sync::<TcpOptions>();
};
