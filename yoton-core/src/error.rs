//! The error type of yoton's core: what a caller of a context or a
//! connection can match on.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::time::Duration;

use crate::address::AddressError;
use crate::package::Slot;

/// Everything that can go wrong when using yoton: the one error type of a
/// [`Context`](crate::Context), a [`Connection`](crate::Connection) and
/// (through `From`) the channels' own per-operation errors, so that `?`
/// works across all of them.
///
/// Timeouts, closed connections and channels, and size limits are separate
/// variants so that callers can react to each; there is one `Timeout` and
/// one `Closed` for every operation.
///
/// ```
/// # mod yoton { pub use yoton_core::Error; }
/// use std::io;
/// use yoton::Error;
///
/// fn explain(error: &Error) -> &'static str {
///     match error {
///         Error::Connect { source, .. } if source.kind() == io::ErrorKind::ConnectionRefused => {
///             "nobody listens there"
///         }
///         Error::Timeout { .. } => "too slow",
///         Error::Closed { .. } => "closed",
///         _ => "something else",
///     }
/// }
/// let refused = Error::Connect {
///     host: "localhost".into(),
///     port: 1,
///     source: io::ErrorKind::ConnectionRefused.into(),
/// };
/// assert_eq!(explain(&refused), "nobody listens there");
/// ```
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
    /// An operation did not finish in time: a connection's `flush` or
    /// `wait_connected`, or a channel's receive (converted from its
    /// `RecvTimeoutError`).
    #[error("{operation} timed out{}", after_text(after))]
    Timeout {
        /// What timed out, for example `flush` or `recv`.
        operation: &'static str,
        /// How long it was given; zero where the error does not say (a
        /// channel's receive errors, like crossbeam's, carry no duration).
        after: Duration,
    },
    /// The connection or channel is closed (for a receiving channel: and
    /// nothing is pending any more).
    #[error("closed: {reason}")]
    Closed {
        /// Why it closed: for a connection, the reason it closed with (the
        /// reference's words, see [`reason`](crate::reason)); for a
        /// channel, [`CHANNEL_CLOSED`].
        reason: String,
    },
    /// A receive that does not wait found no message pending (converted
    /// from a channel's `TryRecvError::Empty`).
    #[error("no message pending")]
    Empty,
    /// A message could not be turned into bytes.
    #[error("cannot encode a {type_name} message: {source}")]
    Encode {
        /// The message type's name (the type part of the slot name).
        type_name: Cow<'static, str>,
        /// What went wrong.
        #[source]
        source: MessageError,
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

/// The reason of [`Error::Closed`] for a closed channel.
pub const CHANNEL_CLOSED: &str = "The channel is closed.";

/// The reason of [`Error::Closed`] for a signal receiver whose signal is
/// gone.
pub const SIGNAL_GONE: &str = "The signal is gone.";

/// `" after 1.5s"`, or nothing for a duration that is not known.
fn after_text(after: &Duration) -> String {
    if after.is_zero() {
        String::new()
    } else {
        format!(" after {after:?}")
    }
}

/// `Result` with yoton's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A signal receiver's wait ran out ([`Error::Timeout`]) or its signal is
/// gone ([`Error::Closed`]).
impl From<crossbeam_channel::RecvTimeoutError> for Error {
    fn from(error: crossbeam_channel::RecvTimeoutError) -> Error {
        match error {
            crossbeam_channel::RecvTimeoutError::Timeout => Error::Timeout {
                operation: "signal recv",
                after: Duration::ZERO,
            },
            crossbeam_channel::RecvTimeoutError::Disconnected => Error::Closed {
                reason: SIGNAL_GONE.to_owned(),
            },
        }
    }
}

/// A signal receiver's signal is gone ([`Error::Closed`]).
impl From<crossbeam_channel::RecvError> for Error {
    fn from(_: crossbeam_channel::RecvError) -> Error {
        Error::Closed {
            reason: SIGNAL_GONE.to_owned(),
        }
    }
}

/// A signal receiver had no event pending ([`Error::Empty`]) or its signal
/// is gone ([`Error::Closed`]).
impl From<crossbeam_channel::TryRecvError> for Error {
    fn from(error: crossbeam_channel::TryRecvError) -> Error {
        match error {
            crossbeam_channel::TryRecvError::Empty => Error::Empty,
            crossbeam_channel::TryRecvError::Disconnected => Error::Closed {
                reason: SIGNAL_GONE.to_owned(),
            },
        }
    }
}

/// Why a message could not be encoded or decoded: returned by a channel
/// message type's `encode` and `decode`, and held by [`Error::Encode`].
///
/// It wraps any error (or a plain text) so that message types can report
/// their own.
///
/// ```
/// # mod yoton { pub use yoton_core::error::MessageError; }
/// use yoton::MessageError;
///
/// let from_text = MessageError::new("not a point");
/// assert_eq!(from_text.to_string(), "not a point");
/// let bad = String::from_utf8(vec![0xff]).unwrap_err();
/// let from_error = MessageError::new(bad);
/// assert!(from_error.to_string().contains("utf-8"));
/// ```
pub struct MessageError {
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl MessageError {
    /// Wraps an error, or a text (`&str` or `String`) describing one.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        MessageError {
            source: source.into(),
        }
    }
}

impl fmt::Debug for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.source, f)
    }
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for MessageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_says_its_duration_when_known() {
        let known = Error::Timeout {
            operation: "flush",
            after: Duration::from_millis(1500),
        };
        assert_eq!(known.to_string(), "flush timed out after 1.5s");
        let unknown = Error::Timeout {
            operation: "recv",
            after: Duration::ZERO,
        };
        assert_eq!(unknown.to_string(), "recv timed out");
    }

    #[test]
    fn signal_receiver_errors_convert() {
        let timeout: Error = crossbeam_channel::RecvTimeoutError::Timeout.into();
        assert!(matches!(timeout, Error::Timeout { .. }));
        let gone: Error = crossbeam_channel::RecvError.into();
        assert!(matches!(gone, Error::Closed { reason } if reason == SIGNAL_GONE));
        let empty: Error = crossbeam_channel::TryRecvError::Empty.into();
        assert!(matches!(empty, Error::Empty));
    }

    #[test]
    fn errors_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}
