//! The reason strings a connection closes with.
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
