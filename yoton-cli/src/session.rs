//! Meeting the other side: bind or connect, report on stderr, and wait for
//! a peer.
//!
//! The stderr lines written here are read by scripts and tests; their
//! formats are fixed:
//!
//! - `yoton: waiting for a peer on ADDRESS`, where ADDRESS is the real
//!   address to connect to (`tcp://127.0.0.1:54321`, also when port 0
//!   chose the port);
//! - `yoton: connected to ADDRESS (context ID, pid PID)`, ADDRESS being the
//!   peer's end;
//! - `yoton: connection closed: REASON`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton::{Address, ConnectOptions, Connection, Context};

use crate::failure::Failure;

/// How long `connect` keeps trying before it reports a refused connection.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Writes one line of status to stderr, prefixed with `yoton: `.
pub(crate) fn note(text: &str) {
    eprintln!("yoton: {text}");
}

/// Binds at `address` (announcing the real address) or connects to it.
pub(crate) fn open(
    context: &Context,
    address: &str,
    bind: bool,
) -> Result<Arc<dyn Connection>, Failure> {
    let parsed = Address::parse(address).map_err(yoton::Error::from)?;
    if bind {
        let connection = context.bind(address)?;
        announce_waiting(&connection, parsed.protocol());
        Ok(connection)
    } else {
        let options = ConnectOptions::new().timeout(CONNECT_TIMEOUT);
        let connection = context.connect_with(address, &options)?;
        announce_connected(&connection, parsed.protocol());
        Ok(connection)
    }
}

/// Says on stderr where a bound connection waits.
pub(crate) fn announce_waiting(connection: &Arc<dyn Connection>, protocol: &str) {
    let local = Address::new(protocol, &connection.local_host(), connection.local_port());
    note(&format!("waiting for a peer on {local}"));
}

/// Says on stderr who the peer is.
pub(crate) fn announce_connected(connection: &Arc<dyn Connection>, protocol: &str) {
    let peer = Address::new(protocol, &connection.peer_host(), connection.peer_port());
    let id = connection
        .peer_id()
        .map_or_else(|| "unknown".to_owned(), |id| id.to_string());
    let pid = connection
        .peer_pid()
        .map_or_else(|| "unknown".to_owned(), |pid| pid.to_string());
    note(&format!("connected to {peer} (context {id}, pid {pid})"));
}

/// What waiting for a peer came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// A peer connected.
    Connected,
    /// The deadline passed first.
    TimedOut,
    /// The connection closed while waiting, with this reason.
    Closed(String),
}

/// Waits until a bound connection has its peer, or `deadline` passes.
pub(crate) fn wait_for_peer(
    connection: &Arc<dyn Connection>,
    deadline: Option<Instant>,
) -> Arrival {
    loop {
        let step = match deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        match connection.wait_connected(step) {
            Ok(()) => return Arrival::Connected,
            Err(yoton::Error::Timeout { .. }) if deadline.is_some() => return Arrival::TimedOut,
            Err(yoton::Error::Timeout { .. }) => {}
            Err(yoton::Error::Closed { reason }) => return Arrival::Closed(reason),
            Err(other) => return Arrival::Closed(other.to_string()),
        }
    }
}

/// Seconds for messages: `2s`, `0.5s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}
