//! The errors of the channels' operations, one type per operation in the
//! manner of crossbeam-channel, each converting into the one top-level
//! [`Error`] so that `?` works:
//!
//! | operation | error |
//! |---|---|
//! | `recv`, `select` | [`RecvError`] (closed) |
//! | `recv_timeout`, `recv_deadline`, `recv_batch`, `select_timeout`, state waits | [`RecvTimeoutError`] (`Timeout`, `Closed`) |
//! | `try_recv` | [`TryRecvError`] (`Empty`, `Closed`) |
//! | `send`, `send_bytes`, `send_bytes_batch`, `send_last` | [`SendError`] (`Closed` with the message handed back, `Encode`, `Context`) |
//! | making a channel, `set_sync_mode` | [`Error`] (such as [`Error::SlotTaken`]) |
//!
//! ```
//! # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
//! use std::time::Duration;
//! use yoton::{RecvTimeoutError, SubChannel, TryRecvError};
//!
//! let ctx = yoton::context();
//! let sub = SubChannel::<String>::new(&ctx, "errors-doc").unwrap();
//! assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
//! assert_eq!(sub.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
//! sub.close();
//! assert_eq!(sub.try_recv(), Err(TryRecvError::Closed));
//!
//! // Into the one top-level error, with `?`:
//! fn first(sub: &SubChannel<String>) -> yoton::Result<String> {
//!     Ok(sub.recv_timeout(Duration::from_millis(1))?)
//! }
//! assert!(matches!(first(&sub), Err(yoton::Error::Closed { .. })));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

pub use yoton_core::error::{CHANNEL_CLOSED, MessageError};
/// The one top-level error type (the same as `yoton_core::Error`): the
/// channels' operation errors convert into it.
pub use yoton_core::{Error, Result};

fn closed() -> Error {
    Error::Closed {
        reason: CHANNEL_CLOSED.to_owned(),
    }
}

/// [`recv`](crate::SubChannel::recv) (or [`select`](crate::select())) found
/// the channel closed and nothing pending: nothing will arrive any more.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{RecvError, SubChannel};
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "recv-error").unwrap();
/// sub.close();
/// assert_eq!(sub.recv(), Err(RecvError));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the channel is closed and nothing is pending")]
pub struct RecvError;

/// Why a receive that waits a bounded time returned no message.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use std::time::Duration;
/// use yoton::{RecvTimeoutError, SubChannel};
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "timeout-error").unwrap();
/// match sub.recv_timeout(Duration::from_millis(1)) {
///     Ok(message) => println!("{message}"),
///     Err(RecvTimeoutError::Timeout) => println!("nothing yet"),
///     Err(RecvTimeoutError::Closed) => println!("closed"),
/// }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RecvTimeoutError {
    /// Nothing arrived in time; the channel is open.
    #[error("no message arrived in time")]
    Timeout,
    /// The channel is closed and nothing is pending.
    #[error("the channel is closed and nothing is pending")]
    Closed,
}

/// Why a receive that does not wait returned no message.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::{SubChannel, TryRecvError};
///
/// let ctx = yoton::context();
/// let sub = SubChannel::<String>::new(&ctx, "try-error").unwrap();
/// assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is pending; the channel is open.
    #[error("no message pending")]
    Empty,
    /// The channel is closed and nothing is pending.
    #[error("the channel is closed and nothing is pending")]
    Closed,
}

/// Why a send failed. Where the call owned the message (`send_bytes`,
/// `send_bytes_batch`), a closed channel hands it back in `Closed`; for a
/// borrowed message `T` is `()`.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
/// use yoton::Bytes;
/// use yoton::{PubChannel, SendError};
///
/// let ctx = yoton::context();
/// let out = PubChannel::<Bytes>::new(&ctx, "send-error").unwrap();
/// out.close();
/// match out.send_bytes(Bytes::from_static(b"late")) {
///     Err(SendError::Closed(message)) => assert_eq!(message, "late"),
///     other => panic!("{other:?}"),
/// }
/// assert!(matches!(out.send(b"late"), Err(SendError::Closed(()))));
/// ```
#[non_exhaustive]
pub enum SendError<T = ()> {
    /// The channel is closed; the message is handed back.
    Closed(T),
    /// The message could not be turned into bytes (nothing was sent).
    Encode {
        /// The message type's name (the type part of the slot name).
        type_name: Cow<'static, str>,
        /// What went wrong.
        source: MessageError,
    },
    /// A bounded send (`send_timeout`, `send_deadline`) found no room in
    /// time: a peer does not keep up. Nothing was sent; the message is
    /// handed back.
    Timeout(T),
    /// The context could not send it.
    Context(Error),
}

impl<T> SendError<T> {
    /// The message handed back, if the channel was closed.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SendError;
    ///
    /// assert_eq!(SendError::Closed(7).into_inner(), Some(7));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        match self {
            SendError::Closed(message) | SendError::Timeout(message) => Some(message),
            _ => None,
        }
    }

    /// The same error without the message.
    ///
    /// ```
    /// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(yoton_inproc::InprocTransport::new())); c.register_transport(std::sync::Arc::new(yoton_tcp::TcpTransport::new())); c } }
    /// use yoton::SendError;
    ///
    /// assert!(matches!(SendError::Closed("x").forget(), SendError::Closed(())));
    /// ```
    pub fn forget(self) -> SendError {
        match self {
            SendError::Closed(_) => SendError::Closed(()),
            SendError::Timeout(_) => SendError::Timeout(()),
            SendError::Encode { type_name, source } => SendError::Encode { type_name, source },
            SendError::Context(e) => SendError::Context(e),
        }
    }
}

// Like crossbeam's, without requiring `T: Debug`: the message is not shown.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed(_) => f.write_str("Closed(..)"),
            SendError::Timeout(_) => f.write_str("Timeout(..)"),
            SendError::Encode { type_name, source } => f
                .debug_struct("Encode")
                .field("type_name", type_name)
                .field("source", source)
                .finish(),
            SendError::Context(e) => f.debug_tuple("Context").field(e).finish(),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed(_) => f.write_str("sending on a closed channel"),
            SendError::Timeout(_) => f.write_str("no room to send in time"),
            SendError::Encode { type_name, source } => {
                write!(f, "cannot encode a {type_name} message: {source}")
            }
            SendError::Context(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<T> std::error::Error for SendError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Closed(_) | SendError::Timeout(_) => None,
            SendError::Encode { source, .. } => Some(source),
            SendError::Context(e) => Some(e),
        }
    }
}

impl<T> From<Error> for SendError<T> {
    fn from(error: Error) -> Self {
        SendError::Context(error)
    }
}

/// [`Error::Closed`] with the reason [`CHANNEL_CLOSED`].
impl From<RecvError> for Error {
    fn from(_: RecvError) -> Error {
        closed()
    }
}

/// [`Error::Timeout`] (operation `recv`, duration not known) or
/// [`Error::Closed`].
impl From<RecvTimeoutError> for Error {
    fn from(error: RecvTimeoutError) -> Error {
        match error {
            RecvTimeoutError::Timeout => Error::Timeout {
                operation: "recv",
                after: Duration::ZERO,
            },
            RecvTimeoutError::Closed => closed(),
        }
    }
}

/// [`Error::Empty`] or [`Error::Closed`].
impl From<TryRecvError> for Error {
    fn from(error: TryRecvError) -> Error {
        match error {
            TryRecvError::Empty => Error::Empty,
            TryRecvError::Closed => closed(),
        }
    }
}

/// [`Error::Closed`] (the message is dropped), [`Error::Encode`], or the
/// context's error.
impl<T> From<SendError<T>> for Error {
    fn from(error: SendError<T>) -> Error {
        match error {
            SendError::Closed(_) => closed(),
            SendError::Timeout(_) => Error::Timeout {
                operation: "send",
                after: Duration::ZERO,
            },
            SendError::Encode { type_name, source } => Error::Encode { type_name, source },
            SendError::Context(e) => e,
        }
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        RecvTimeoutError::Closed
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_error_converts_into_the_top_level_error() {
        assert!(
            matches!(Error::from(RecvError), Error::Closed { reason } if reason == CHANNEL_CLOSED)
        );
        assert!(matches!(
            Error::from(RecvTimeoutError::Timeout),
            Error::Timeout {
                operation: "recv",
                ..
            }
        ));
        assert!(matches!(
            Error::from(RecvTimeoutError::Closed),
            Error::Closed { .. }
        ));
        assert!(matches!(Error::from(TryRecvError::Empty), Error::Empty));
        assert!(matches!(
            Error::from(TryRecvError::Closed),
            Error::Closed { .. }
        ));
        assert!(matches!(
            Error::from(SendError::Closed(5u8)),
            Error::Closed { .. }
        ));
        let encode = SendError::<()>::Encode {
            type_name: "txt".into(),
            source: MessageError::new("bad"),
        };
        assert_eq!(encode.to_string(), "cannot encode a txt message: bad");
        assert!(matches!(Error::from(encode), Error::Encode { .. }));
        let inner = SendError::<()>::Context(Error::NotConnected);
        assert!(matches!(Error::from(inner), Error::NotConnected));
    }

    #[test]
    fn errors_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<RecvError>();
        check::<RecvTimeoutError>();
        check::<TryRecvError>();
        check::<SendError<bytes::Bytes>>();
    }
}
