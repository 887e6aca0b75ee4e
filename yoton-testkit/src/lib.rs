//! The conformance suite of yoton: what every transport must do, written
//! once and run over each transport.
//!
//! A case is a plain function of a [`TransportUnderTest`]: it makes
//! contexts, registers the transport on them, binds and connects, and checks
//! what users observe (properties of both ends in every state, close reasons,
//! timeouts, routing, ordering, large messages). What differs between
//! transports (the address to bind, how to reach a bound connection, whether
//! ports mean anything, how to script a misbehaving peer) is asked of the
//! [`TransportUnderTest`], never guessed.
//!
//! [`conformance_suite!`] turns the whole list of cases ([`CASES`]) into
//! `#[test]` functions inside a module named after the transport, so that
//! `cargo test -p yoton-testkit -- --list` shows the same case names under
//! every transport's module.
//!
//! # Running the suite on a new transport
//!
//! 1. Implement [`TransportUnderTest`] for a small type with [`Default`]:
//!    the transport to register, a fresh bind address (port 0 or a fresh
//!    name, so that cases run in parallel), the address that reaches a
//!    bound connection, an address where nothing is bound, and a
//!    [`ScriptedPeer`] that does the client side of the handshake by hand
//!    and then sends, stays silent, or dies as a case asks.
//! 2. Add one line to `tests/conformance.rs` of this crate, beside those
//!    of the transports already checked:
//!
//! ```text
//! yoton_testkit::conformance_suite!(inproc, InprocUnderTest);
//! yoton_testkit::conformance_suite!(tcp, TcpUnderTest);
//! yoton_testkit::conformance_suite!(ipc, IpcUnderTest);
//! yoton_testkit::conformance_suite!(quic, QuicUnderTest); // the new one
//! ```
//!
//! 3. Run `cargo test -p yoton-testkit`. Every case runs in its own thread
//!    under a deadline ([`CASE_DEADLINE`]): a case that hangs fails with its
//!    name instead of holding up the run.
//!
//! A single case can also be run directly, for example from a transport's
//! own tests:
//!
//! ```
//! use yoton_testkit::{InprocUnderTest, cases, run_case};
//!
//! run_case::<InprocUnderTest>("many_messages_arrive_in_order", cases::many_messages_arrive_in_order);
//! ```
//!
//! # Showing that the suite catches a broken transport
//!
//! [`broken::BrokenUnderTest`] wraps the in-process transport with one
//! [`broken::Flaw`] (it drops the close package, loses packages, or
//! misreports its peer). The crate's `tests/broken.rs` runs the matching
//! cases on it and checks that they fail, while they pass on the real
//! transport.
//!
//! # Test support for every crate's tests
//!
//! What tests across the workspace need again and again lives here once:
//!
//! - [`collect`]: an endpoint that forwards what a context delivers on a
//!   slot to a crossbeam channel ([`collect::Collect`],
//!   [`collect::listen`]), so a test waits on a delivery with a deadline.
//! - [`wait`]: the next event of a subscribed signal, a `closed` reason, a
//!   `timedout` flag, or a condition without an event, each with a
//!   deadline and a message that says what did not come.
//! - [`strategies`]: proptest strategies for packages and for cutting a
//!   byte stream into arbitrary chunks.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use yoton_core::{Connection, ContextId, Package, Transport};

pub mod broken;
mod busy_poll;
pub mod cases;
pub mod collect;
mod harness;
mod inproc;
#[cfg(unix)]
mod ipc;
mod secured;
pub mod strategies;
mod suite;
mod tcp;
pub mod wait;

pub use busy_poll::BusyPollTcpUnderTest;
pub use harness::{CASE_DEADLINE, STEP_DEADLINE, run_case, run_case_on};
pub use inproc::InprocUnderTest;
#[cfg(unix)]
pub use ipc::IpcUnderTest;
#[cfg(unix)]
pub use secured::SecuredIpcUnderTest;
pub use secured::SecuredTcpUnderTest;
pub use suite::{CASES, Case};
pub use tcp::TcpUnderTest;

/// A transport as the conformance cases see it.
///
/// Implementations are cheap to make (the suite makes one per case with
/// [`Default`]) and hold no state that cases could share: every case binds
/// at fresh addresses, so cases run in parallel.
pub trait TransportUnderTest: Send + Sync + fmt::Debug + 'static {
    /// The transport to register on every context a case makes.
    fn transport(&self) -> Arc<dyn Transport>;

    /// An address that binds at a fresh place, never the same twice: port 0
    /// for TCP (`tcp://127.0.0.1:0`), an empty name for in-process
    /// (`inproc://`).
    fn bind_address(&self) -> String;

    /// The address a peer connects to in order to reach `bound`, a
    /// connection made with [`bind_address`](TransportUnderTest::bind_address)
    /// (built from its `local_host` and `local_port`).
    fn connect_address(&self, bound: &dyn Connection) -> String;

    /// An address where nothing is bound, for connects that must fail.
    fn unbound_address(&self) -> String;

    /// Connects a peer driven by hand to `bound`, presenting `id` as its
    /// context id and this process's id as its pid. The peer does the client
    /// side of the handshake and then does only what the case asks.
    ///
    /// # Panics
    ///
    /// When the peer cannot connect within [`STEP_DEADLINE`].
    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer>;
}

/// A peer driven by hand: the way a case makes the other end misbehave.
///
/// It sends only what it is told to (no heartbeats, no close package), so
/// it goes silent by doing nothing, and it dies without a close package
/// when dropped (for TCP: its socket is closed).
pub trait ScriptedPeer: Send + fmt::Debug {
    /// Sends a package exactly as given (no numbering). Returns `false` once
    /// the link is gone.
    fn send(&mut self, package: &Package) -> bool;

    /// The next package from the other end, heartbeats and close packages
    /// included; `None` when nothing comes within `timeout` or the link is
    /// gone.
    fn recv_timeout(&mut self, timeout: Duration) -> Option<Package>;

    /// Sends raw bytes, for transports that carry a byte stream: `None`
    /// when the transport carries whole packages (it has no bytes to cut),
    /// otherwise whether the bytes were sent. Cases use it to die in the
    /// middle of a package.
    fn send_raw(&mut self, bytes: &[u8]) -> Option<bool>;
}

/// Whether the transport registered by `under_test` has meaningful ports.
pub fn has_ports(under_test: &dyn TransportUnderTest) -> bool {
    under_test.transport().has_ports()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_at_least_forty_cases_with_unique_names() {
        assert!(CASES.len() >= 40, "only {} cases", CASES.len());
        let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CASES.len());
    }

    #[test]
    fn under_test_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<InprocUnderTest>();
        check::<TcpUnderTest>();
        check::<broken::BrokenUnderTest>();
    }
}
