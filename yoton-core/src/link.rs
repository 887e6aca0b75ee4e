//! [`Link`]: what a transport implements under a connection.
//!
//! A transport's connection object (a socket and its threads, a pair of
//! in-process channels) implements [`Link`]; the context and the
//! [`ConnectionCore`](crate::ConnectionCore) above it call these methods,
//! users never do. The transport reports what happens on the link (a peer
//! arrived, bytes came, packages came, the link failed) to its
//! `ConnectionCore`, which owns every reaction: states, signals, timeouts,
//! routing and the close bookkeeping.

use std::fmt;
use std::time::Instant;

use crate::error::Result;
use crate::package::Package;

/// The default bound of a link's send queue, in encoded bytes (header and
/// data), the same for every transport: 8 MiB. Past it, senders wait for
/// room ([`Link::wait_for_room`]).
pub const DEFAULT_SEND_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// The transport-facing side of a connection: queue packages, wait for
/// room, send the close package, wait until written, shut down.
///
/// A link is made by [`Transport::bind`](crate::Transport::bind) or
/// [`Transport::connect`](crate::Transport::connect) and kept by its
/// `ConnectionCore` for the connection's whole life. Implementations are
/// `Send + Sync`; no method may block on the peer except
/// [`wait_for_room`](Link::wait_for_room) and
/// [`wait_written`](Link::wait_written).
pub trait Link: Send + Sync + fmt::Debug + 'static {
    /// Queues a package for sending, without blocking. Fails with
    /// [`Error::Closed`](crate::Error::Closed) once the link is shut down.
    ///
    /// The context queues under the lock that orders its sequence numbers
    /// and applies backpressure with [`wait_for_room`](Link::wait_for_room)
    /// after releasing it, so that no lock is held while a slow peer holds
    /// up a sender; a queue may therefore pass its bound by one package
    /// per sending thread.
    ///
    /// # Errors
    ///
    /// `Error::Closed` once the link is shut down.
    fn send_package(&self, package: &Package) -> Result<()>;

    /// Queues several packages, in order, as
    /// [`send_package`](Link::send_package) does one by one; a transport
    /// can take them in one go (one lock, one wake-up of its sending
    /// thread). The default sends them one by one.
    ///
    /// # Errors
    ///
    /// As [`send_package`](Link::send_package).
    fn send_packages(&self, packages: &[Package]) -> Result<()> {
        packages.iter().try_for_each(|p| self.send_package(p))
    }

    /// Blocks while the send queue is over its bound, and returns once
    /// there is room again, with `Error::Closed` when the link shuts
    /// down, or with [`Error::Timeout`](crate::Error::Timeout) at
    /// `deadline` (never, if `None`). The default never blocks, for links
    /// without a bound.
    ///
    /// # Errors
    ///
    /// `Error::Closed` and `Error::Timeout`, as said.
    fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        let _ = deadline;
        Ok(())
    }

    /// Queues the close package after everything queued so far.
    fn notify_close(&self);

    /// Blocks until everything queued before the call is handed to the
    /// medium, or fails with [`Error::Timeout`](crate::Error::Timeout) at
    /// `deadline`, or with `Error::Closed` when the link shuts down first.
    ///
    /// # Errors
    ///
    /// `Error::Timeout` and `Error::Closed`, as said.
    fn wait_written(&self, deadline: Instant) -> Result<()>;

    /// Stops the link: closes the socket or channel, ends its threads and
    /// wakes everything that waits on it. Idempotent; it may be called on
    /// the link's own threads (a failure they found) or on any other.
    fn shutdown(&self);
}
