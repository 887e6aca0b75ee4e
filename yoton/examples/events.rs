//! Connection events: `closed` with its reason, and `timedout` when the
//! other side goes silent and when it speaks again.
//!
//! ```text
//! cargo run -p yoton --example events
//! ```
//!
//! Runs on its own, over TCP on loopback:
//!
//! 1. A yoton peer connects and closes: the host's `closed` event says
//!    `Closed from other end.`
//! 2. A peer that hangs: it completes the handshake and then says nothing,
//!    as a frozen process would. Yoton peers send a heartbeat whenever
//!    they have been quiet for 0.25 s, so after the connection's timeout
//!    (0.5 s by default) the host emits `timedout(true)`; when a heartbeat
//!    comes at last, `timedout(false)`. Then the peer vanishes without a
//!    goodbye: `closed` says `Other end dropped the connection.` The hung
//!    peer is a plain TCP socket speaking just enough of the protocol by
//!    hand: its handshake line and one heartbeat package.
//!
//! Events are [`yoton::Signal`]s: this example subscribes receivers and
//! reads them here; `connect` a handler instead to react on the transport's
//! thread. Signals do not replay: subscribe before the event can happen,
//! or check `close_reason()` first.

use std::error::Error;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use yoton::{ContextId, reason};

/// How long the example waits for any event before giving up.
const DEADLINE: Duration = Duration::from_secs(10);

/// Runs the example; also called by the crate's tests.
pub fn main() -> Result<(), Box<dyn Error>> {
    let host = yoton::context();

    // 1. A clean close from the other end.
    let bound = host.bind("localhost:0")?;
    let closed = bound.closed().subscribe();
    let peer = yoton::context();
    let connection = peer.connect(&format!("localhost:{}", bound.local_port()))?;
    println!(
        "a yoton peer (pid {}) connected to port {}",
        connection.local_pid(),
        bound.local_port()
    );
    connection.close(None);
    let event = closed.recv_timeout(DEADLINE)?;
    println!("closed: {:?}", event.reason);
    assert_eq!(event.reason, reason::CLOSED_FROM_OTHER_END);

    // 2. A peer that goes silent, comes back, and vanishes.
    let bound = host.bind("localhost:0")?;
    bound.set_timeout(Duration::from_millis(500))?;
    let timedout = bound.timedout().subscribe();
    let closed = bound.closed().subscribe();
    let mut silent = TcpStream::connect(("127.0.0.1", bound.local_port()))?;
    let id = ContextId::generate();
    silent.write_all(handshake_line(id).as_bytes())?;
    println!("a peer that will hang connected, as context {id}");

    let event = timedout.recv_timeout(DEADLINE)?;
    println!(
        "timedout: {} (nothing heard for {:?})",
        event.timed_out,
        event.connection.timeout()
    );
    assert!(event.timed_out);

    silent.write_all(&heartbeat())?;
    let event = timedout.recv_timeout(DEADLINE)?;
    println!("timedout: {} (a heartbeat came)", event.timed_out);
    assert!(!event.timed_out);

    drop(silent);
    let event = closed.recv_timeout(DEADLINE)?;
    println!("closed: {:?}", event.reason);
    assert_eq!(event.reason, reason::OTHER_END_DROPPED);

    host.close();
    Ok(())
}

/// A yoton handshake line: `YOTON!`, the context id in 16 hex digits, `.`,
/// the process id, CRLF.
fn handshake_line(id: ContextId) -> String {
    format!("YOTON!{id}.{}\r\n", std::process::id())
}

/// A heartbeat package: the 56-byte header (seven little-endian `u64`s:
/// the control word `YOTON   `, slot 1, then zeros) and no data.
fn heartbeat() -> Vec<u8> {
    let mut package = b"YOTON   ".to_vec();
    package.extend_from_slice(&1u64.to_le_bytes());
    package.extend_from_slice(&[0; 40]);
    package
}
