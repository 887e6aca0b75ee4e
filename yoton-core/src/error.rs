//! The error type of yoton's core: what a caller of a context or a
//! connection can match on.

use std::io;
use std::time::Duration;

use crate::address::AddressError;
use crate::package::Slot;

/// Everything that can go wrong when using a [`Context`](crate::Context) or
/// a [`Connection`](crate::Connection).
///
/// Timeouts, closed connections and size limits are separate variants so
/// that callers can react to each.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address text could not be parsed or resolved.
    #[error("invalid address: {0}")]
    InvalidAddress(#[from] AddressError),
    /// No transport is registered for the address's protocol.
    #[error("no transport for protocol {protocol:?} (registered: {registered})")]
    UnknownProtocol {
        /// The protocol of the address.
        protocol: String,
        /// The protocols that are registered, comma separated.
        registered: String,
    },
    /// Binding failed with a socket error (with `max_tries` = 1, or a
    /// transport without ports).
    #[error("could not bind {address}: {source}")]
    Bind {
        /// The address as given.
        address: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Every port tried with `max_tries` was taken.
    #[error("Could not bind to any of the {tries} ports tried, starting with {start}.")]
    NoFreePort {
        /// How many ports were tried.
        tries: u32,
        /// The first port tried.
        start: u16,
    },
    /// Connecting did not succeed within the connect timeout. `source`
    /// is what the last attempt failed with, so that its
    /// [`kind`](io::Error::kind) can be matched (for example
    /// [`io::ErrorKind::ConnectionRefused`] when nobody is bound there).
    #[error("Cannot connect to {host} on {port}: {source}")]
    Connect {
        /// The host connected to.
        host: String,
        /// The port connected to (0 for transports without ports).
        port: u16,
        /// The error of the last attempt.
        #[source]
        source: io::Error,
    },
    /// The handshake failed; the reason is one of the reference's texts.
    #[error("Could not connect: {reason}")]
    Handshake {
        /// For example `Handshake failed (context cannot connect to self).`
        reason: String,
    },
    /// An operation did not finish in time.
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// What timed out, for example `flush`.
        operation: &'static str,
        /// How long it was given.
        after: Duration,
    },
    /// The connection or channel is closed.
    #[error("closed: {reason}")]
    Closed {
        /// Why it closed.
        reason: String,
    },
    /// The connection is still waiting for its peer.
    #[error("the connection is not connected (still waiting for a peer)")]
    NotConnected,
    /// A message or package is larger than the configured limit.
    #[error("too large: {size} bytes, the limit is {limit} bytes")]
    TooLarge {
        /// The size given or announced.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A connection timeout below the minimum of 0.5 s.
    #[error("timeout must be at least 0.5 s, not {given:?}")]
    InvalidTimeout {
        /// The timeout that was refused.
        given: Duration,
    },
    /// Another endpoint of this context already uses the slot.
    #[error("Slot not free: {name} ({slot})")]
    SlotTaken {
        /// The slot number.
        slot: Slot,
        /// The slot's name, as the channel gave it.
        name: String,
    },
    /// An operating system error.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// `Result` with yoton's core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
