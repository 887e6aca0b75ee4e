//! [`Transport`]: how a context makes connections for one address
//! protocol, and the options that reach it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::address::Address;
#[cfg(doc)]
use crate::context::Context;
use crate::core::ConnectionCore;
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::link::Link;

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
    /// [`options.tries()`](BindOptions::tries) ports where ports apply). The transport keeps a weak
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
        options: &BindOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>>;

    /// Connects to a bound peer at `address`, retrying for
    /// [`options.retry_for()`](ConnectOptions::retry_for), and
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
        options: &ConnectOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>>;
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

    /// How many ports a bind tries (at least 1): what a transport reads.
    pub fn tries(&self) -> u32 {
        self.max_tries
    }

    /// The connection's name.
    pub fn connection_name(&self) -> &str {
        &self.name
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

    /// How long a connect keeps trying to reach the host: what a
    /// transport reads.
    pub fn retry_for(&self) -> Duration {
        self.timeout
    }

    /// The connection's name.
    pub fn connection_name(&self) -> &str {
        &self.name
    }
}
