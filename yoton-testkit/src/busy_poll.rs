//! TCP with the low-latency option on: every conformance case runs over
//! links whose receiving threads poll their sockets
//! ([`StreamOptions::with_busy_poll`]), so that reads that do not block
//! and the switch back to blocking reads are held to the same contract.

use std::sync::Arc;
use std::time::Duration;

use yoton_core::{Connection, ContextId, Transport};
use yoton_stream::StreamOptions;
use yoton_tcp::TcpTransport;

use crate::{ScriptedPeer, TcpUnderTest, TransportUnderTest};

/// The polling window of the cases: short, so that a case sees both polled
/// and blocking reads, and the suite running in parallel does not keep the
/// cores busy for long.
const WINDOW: Duration = Duration::from_micros(50);

/// [`yoton_tcp::TcpTransport`] with [`StreamOptions::with_busy_poll`], on
/// loopback; otherwise as [`TcpUnderTest`].
///
/// ```
/// use yoton_testkit::{BusyPollTcpUnderTest, TransportUnderTest};
///
/// assert_eq!(BusyPollTcpUnderTest.bind_address(), "tcp://127.0.0.1:0");
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct BusyPollTcpUnderTest;

impl TransportUnderTest for BusyPollTcpUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        match TcpTransport::with_options(StreamOptions::new().with_busy_poll(WINDOW)) {
            Ok(transport) => Arc::new(transport),
            Err(e) => panic!("busy-poll options refused: {e}"),
        }
    }

    fn bind_address(&self) -> String {
        TcpUnderTest.bind_address()
    }

    fn connect_address(&self, bound: &dyn Connection) -> String {
        TcpUnderTest.connect_address(bound)
    }

    fn unbound_address(&self) -> String {
        TcpUnderTest.unbound_address()
    }

    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer> {
        TcpUnderTest.scripted_peer(bound, id)
    }
}
