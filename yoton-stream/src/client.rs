//! The connecting side: reach a bound peer, retrying until the timeout,
//! and do the client side of the handshake.

use std::io;
use std::net::Shutdown;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use yoton_core::handshake::{LineReader, client_decide};
use yoton_core::{Address, ConnectionCore, Error, Result};

use crate::StreamFamily;
use crate::connection::StreamConnection;
use crate::io::{failure_reason, prepare, read_line, write_all_two};
use crate::options::StreamOptions;

/// The shortest connect timeout, as in the reference.
const MIN_CONNECT_TIMEOUT: Duration = Duration::from_millis(10);

/// Connects to `address`, retrying refused attempts until `timeout`, then
/// shakes hands.
pub(crate) fn connect(
    family: &Arc<dyn StreamFamily>,
    address: &Address,
    timeout: Duration,
    core: &Arc<ConnectionCore>,
    options: &StreamOptions,
) -> Result<Arc<StreamConnection>> {
    let host = address.host().to_owned();
    let port = address.port();
    let connect_error = |source: io::Error| Error::Connect {
        host: host.clone(),
        port,
        source,
    };
    let timeout = timeout.max(MIN_CONNECT_TIMEOUT);
    let deadline = Instant::now() + timeout;
    let targets = family.dial_targets(address).map_err(connect_error)?;
    // The pause between attempts, as the reference: a hundredth of the
    // timeout (within reason).
    let pause = (timeout / 100).clamp(Duration::from_millis(5), Duration::from_millis(50));
    let socket = 'attempts: loop {
        let mut last_error = None;
        for target in &targets {
            let now = Instant::now();
            let socket = family.socket_for(target).map_err(connect_error)?;
            let left = deadline
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            match socket.connect_timeout(target, left) {
                Ok(()) => break 'attempts socket,
                Err(e) => last_error = Some(e),
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let source = last_error.unwrap_or_else(|| io::ErrorKind::TimedOut.into());
            return Err(connect_error(source));
        }
        thread::sleep(pause.min(deadline - now));
    };
    prepare(&socket);

    let connection = StreamConnection::new(family, core, options);
    let _guard = connection.span.enter();
    let own = connection.own_line();
    let handshake_deadline = Instant::now() + options.handshake_timeout();
    let shaken = socket
        .set_write_timeout(Some(options.handshake_timeout()))
        .and_then(|()| write_all_two(&socket, own.encode().as_bytes(), &[]));
    let mut reader = LineReader::new();
    let peer = match shaken {
        Ok(()) => read_line(&socket, handshake_deadline, &mut reader)
            .and_then(|line| client_decide(&own, &line)),
        Err(e) => {
            tracing::debug!(error = %e, "handshake line not sent");
            Err(yoton_core::handshake::HandshakeError::TimedOut)
        }
    };
    let peer = match peer {
        Ok(peer) => peer,
        Err(e) => {
            let _ = socket.shutdown(Shutdown::Both);
            tracing::debug!(error = %e, "handshake failed");
            connection.fail_with(e.reason());
            return Err(Error::Handshake {
                reason: e.reason().to_owned(),
            });
        }
    };
    let rest = reader.take_rest();
    match connection.start(socket, peer, &rest, false) {
        Ok(true) => Ok(Arc::clone(&connection)),
        Ok(false) => Err(core.closed_error()),
        Err(e) => {
            connection.fail_with(&failure_reason(&e));
            Err(Error::Io(e))
        }
    }
}
