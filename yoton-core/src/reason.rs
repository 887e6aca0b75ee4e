//! The reasons a connection closes with: [`CloseReason`], and its texts.
//!
//! These are the exact texts of the Python reference, so that a user reading
//! a `closed` event sees the same words whichever side is written in Rust.
//! Reasons that the reference does not have (the size limit, the handshake
//! line limit) are new and say what went wrong.

/// `close()` without a reason.
pub const CLOSED_ON_COMMAND: &str = "Closed on command.";
/// `close_on_problem()` without a reason.
pub const UNSPECIFIED_PROBLEM: &str = "Unspecified problem";
/// The context closed all its connections.
pub const CLOSED_BY_CONTEXT: &str = "Closed by the context.";
/// The other end sent the close package.
pub const CLOSED_FROM_OTHER_END: &str = "Closed from other end.";
/// End of stream, or the peer went away without a close package.
pub const OTHER_END_DROPPED: &str = "Other end dropped the connection.";
/// A package header did not start with the control word.
pub const LOST_TRACK: &str = "Lost track of the stream.";
/// The peer did not answer the handshake in time.
pub const HANDSHAKE_TIMED_OUT: &str = "Handshake timed out.";
/// The peer's handshake line was not a yoton line.
pub const HANDSHAKE_FAILED: &str = "Handshake failed.";
/// Both ends of the handshake have the same context id.
pub const HANDSHAKE_SELF: &str = "Handshake failed (context cannot connect to self).";
/// Start of the reason for a package header that announces more data than
/// the configured maximum; the size and the limit follow, as in
/// `Package too large: 4097 bytes announced, the limit is 4096 bytes.`
/// (see `DecodeError::TooLarge`).
pub const PACKAGE_TOO_LARGE: &str = "Package too large:";
/// Prefix of the reason for a socket error; the error text follows.
pub const SOCKET_ERROR: &str = "Socket error.";

/// Why a connection closed, as data: match on it, and print it with
/// `Display` to get the reference's exact text (the constants of this
/// module).
///
/// Reasons given by a user to [`close`](crate::Connection::close) that are
/// not one of the reference's are [`CloseReason::Other`]; reasons that
/// carry a detail (a socket error, the size of a package that is too
/// large) keep their whole text.
///
/// ```
/// # mod yoton { pub use yoton_core::{Address, AddressError, BindOptions, ClosedEvent, ConnectOptions, Connection, Context, ContextId, Error, HandlerId, Result, Signal, State, TimedOutEvent, address, reason}; pub use yoton_channels::{DEFAULT_CAPACITY, Iter, MessageError, MessageType, Overflow, Postcard, PubChannel, RecvError, RecvTimeoutError, Selectable, Selection, SendError, SlotName, StateChannel, SubChannel, SubOptions, TryIter, TryRecvError, TypeName, select, select_deadline, select_sub_channel, select_timeout, type_name}; pub use yoton_channels as channels; pub use bytes::Bytes; pub use yoton_inproc::InprocTransport; pub use yoton_tcp::{TcpOptions, TcpTransport}; pub fn context() -> Context { let c = Context::new(); c.register_transport(std::sync::Arc::new(InprocTransport::new())); c.register_transport(std::sync::Arc::new(TcpTransport::new())); c } }
/// use yoton::reason::{self, CloseReason};
///
/// let why = CloseReason::from_text("Closed from other end.");
/// assert_eq!(why, CloseReason::FromOtherEnd);
/// assert_eq!(why.to_string(), reason::CLOSED_FROM_OTHER_END);
/// assert_eq!(why, reason::CLOSED_FROM_OTHER_END); // compares with the text too
/// assert!(matches!(
///     CloseReason::from_text("Socket error. Connection reset by peer"),
///     CloseReason::SocketError(_)
/// ));
/// assert_eq!(CloseReason::from_text("done for today"), CloseReason::Other("done for today".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// [`CLOSED_ON_COMMAND`]: `close` was called without a reason.
    OnCommand,
    /// [`UNSPECIFIED_PROBLEM`]: `close_on_problem` without a reason.
    Unspecified,
    /// [`CLOSED_BY_CONTEXT`]: the context closed (or was dropped).
    ByContext,
    /// [`CLOSED_FROM_OTHER_END`]: the peer closed and said so.
    FromOtherEnd,
    /// [`OTHER_END_DROPPED`]: the peer went away without a close package.
    OtherEndDropped,
    /// [`LOST_TRACK`]: bytes that are not a package came.
    LostTrack,
    /// [`HANDSHAKE_TIMED_OUT`].
    HandshakeTimedOut,
    /// [`HANDSHAKE_FAILED`]: the peer's line was not a yoton one.
    HandshakeFailed,
    /// [`HANDSHAKE_SELF`]: a context connected to itself.
    HandshakeSelf,
    /// A header announced more than the size limit; the whole text, which
    /// starts with [`PACKAGE_TOO_LARGE`] and names the size and the limit.
    PackageTooLarge(String),
    /// A socket failed; the whole text, which starts with [`SOCKET_ERROR`].
    SocketError(String),
    /// Any other text, such as a reason given to `close`.
    Other(String),
}

impl CloseReason {
    /// The reason a text stands for (the inverse of `Display`).
    pub fn from_text(text: &str) -> CloseReason {
        match text {
            CLOSED_ON_COMMAND => CloseReason::OnCommand,
            UNSPECIFIED_PROBLEM => CloseReason::Unspecified,
            CLOSED_BY_CONTEXT => CloseReason::ByContext,
            CLOSED_FROM_OTHER_END => CloseReason::FromOtherEnd,
            OTHER_END_DROPPED => CloseReason::OtherEndDropped,
            LOST_TRACK => CloseReason::LostTrack,
            HANDSHAKE_TIMED_OUT => CloseReason::HandshakeTimedOut,
            HANDSHAKE_FAILED => CloseReason::HandshakeFailed,
            HANDSHAKE_SELF => CloseReason::HandshakeSelf,
            _ if text.starts_with(PACKAGE_TOO_LARGE) => {
                CloseReason::PackageTooLarge(text.to_owned())
            }
            _ if text.starts_with(SOCKET_ERROR) => CloseReason::SocketError(text.to_owned()),
            _ => CloseReason::Other(text.to_owned()),
        }
    }

    /// The reference's text of this reason.
    pub fn as_str(&self) -> &str {
        match self {
            CloseReason::OnCommand => CLOSED_ON_COMMAND,
            CloseReason::Unspecified => UNSPECIFIED_PROBLEM,
            CloseReason::ByContext => CLOSED_BY_CONTEXT,
            CloseReason::FromOtherEnd => CLOSED_FROM_OTHER_END,
            CloseReason::OtherEndDropped => OTHER_END_DROPPED,
            CloseReason::LostTrack => LOST_TRACK,
            CloseReason::HandshakeTimedOut => HANDSHAKE_TIMED_OUT,
            CloseReason::HandshakeFailed => HANDSHAKE_FAILED,
            CloseReason::HandshakeSelf => HANDSHAKE_SELF,
            CloseReason::PackageTooLarge(text)
            | CloseReason::SocketError(text)
            | CloseReason::Other(text) => text,
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A close reason reads as its text, so that `reason.starts_with(..)` and
/// `connection.close_reason().as_deref() == Some(reason::CLOSED_ON_COMMAND)`
/// work as they do on the text.
impl std::ops::Deref for CloseReason {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for CloseReason {
    fn from(text: &str) -> Self {
        CloseReason::from_text(text)
    }
}

impl From<CloseReason> for String {
    fn from(reason: CloseReason) -> Self {
        match reason {
            CloseReason::PackageTooLarge(text)
            | CloseReason::SocketError(text)
            | CloseReason::Other(text) => text,
            other => other.as_str().to_owned(),
        }
    }
}

impl PartialEq<str> for CloseReason {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CloseReason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for CloseReason {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_reads_back_as_itself() {
        for text in [
            CLOSED_ON_COMMAND,
            UNSPECIFIED_PROBLEM,
            CLOSED_BY_CONTEXT,
            CLOSED_FROM_OTHER_END,
            OTHER_END_DROPPED,
            LOST_TRACK,
            HANDSHAKE_TIMED_OUT,
            HANDSHAKE_FAILED,
            HANDSHAKE_SELF,
            "Package too large: 70000000 bytes, the limit is 67108864 bytes",
            "Socket error. Broken pipe",
            "anything else",
        ] {
            let reason = CloseReason::from_text(text);
            assert_eq!(reason.to_string(), text);
            assert_eq!(String::from(reason.clone()), text);
            assert_eq!(reason, text);
        }
    }

    #[test]
    fn reasons_with_details_are_told_apart() {
        assert!(matches!(
            CloseReason::from_text("Package too large: 5 bytes"),
            CloseReason::PackageTooLarge(_)
        ));
        assert_eq!(
            CloseReason::from_text("Closed from other end"),
            CloseReason::Other("Closed from other end".into()),
            "only the exact text is the reference's reason"
        );
    }
}
