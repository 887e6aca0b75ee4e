//! The error types of the channels: what a caller of `send` and `recv` can
//! match on.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// Everything that can go wrong when using a channel.
///
/// `Closed`, `Timeout` and `Empty` are kept apart, in the spirit of
/// crossbeam's `RecvTimeoutError` and `TryRecvError`, so that callers can
/// react to each:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use yoton_channels::{Error, SubChannel};
/// use yoton_core::Context;
///
/// let ctx = Context::new();
/// let sub = SubChannel::<String>::new(&ctx, "errors-doc").unwrap();
/// assert!(matches!(sub.try_recv(), Err(Error::Empty)));
/// assert!(matches!(
///     sub.recv_timeout(Duration::from_millis(1)),
///     Err(Error::Timeout { .. })
/// ));
/// sub.close();
/// assert!(matches!(sub.recv(), Err(Error::Closed { .. })));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The channel is closed (by [`close`](crate::SubChannel::close) or by
    /// [`Context::close_channels`](yoton_core::Context::close_channels)) and,
    /// for a receiving channel, nothing is pending any more.
    #[error("the channel {name} is closed")]
    Closed {
        /// The channel's outgoing (or, for a sub channel, incoming) slot name.
        name: String,
    },
    /// No message arrived within the time given to `recv_timeout`.
    #[error("no message within {after:?}")]
    Timeout {
        /// How long the call waited.
        after: Duration,
    },
    /// `try_recv` found no pending message (the channel is open).
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
    /// An error of the context, such as
    /// [`yoton_core::Error::SlotTaken`] when another channel of this context
    /// uses the slot already.
    #[error(transparent)]
    Core(#[from] yoton_core::Error),
}

/// Why a message could not be encoded or decoded: returned by
/// [`MessageType::encode`](crate::MessageType::encode) and
/// [`MessageType::decode`](crate::MessageType::decode).
///
/// It wraps any error (or a plain text) so that implementations of
/// [`MessageType`](crate::MessageType) can report their own.
///
/// ```
/// use yoton_channels::MessageError;
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

/// `Result` with the channels' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
