//! The connecting side: reach a bound peer, retrying until the timeout,
//! and do the client side of the handshake.

use std::io;
use std::net::Shutdown;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use yoton_core::handshake::{LineReader, client_decide};
use yoton_core::{Address, ConnectionCore, Error, Result, reason};

use crate::StreamFamily;
use crate::connection::StreamConnection;
use crate::io::{failure_reason, prepare, read_line, write_all_two};
use crate::options::StreamOptions;
use crate::secure::REPLY_NOT_SECURED;
use crate::secured;

/// Why a plain client cannot join a secured host.
pub(crate) const NOT_SECURED_CLIENT: &str =
    "the host is secured: connect with its secret (this side has none)";

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
    let refuse = |reason: String| {
        let _ = socket.shutdown(Shutdown::Both);
        tracing::debug!(%reason, "handshake failed");
        connection.fail_with(&reason);
        Err(Error::Handshake { reason })
    };
    if let Err(e) = socket.set_write_timeout(Some(options.handshake_timeout())) {
        return refuse(failure_reason(&e));
    }
    let mut secured = match options.secret() {
        Some(secret) => match secured::client_side(&socket, secret, handshake_deadline) {
            Ok(secured) => Some(secured),
            Err(reason) => return refuse(reason),
        },
        None => None,
    };
    let line = own.encode();
    let shaken = match &mut secured {
        Some(secured) => secured::write_sealed(&socket, &mut secured.sealer, line.as_bytes()),
        None => write_all_two(&socket, line.as_bytes(), &[]),
    };
    if let Err(e) = shaken {
        tracing::debug!(error = %e, "handshake line not sent");
        return refuse(reason::HANDSHAKE_TIMED_OUT.to_owned());
    }
    let mut reader = LineReader::new();
    let answer = match &mut secured {
        Some(secured) => secured::read_line_sealed(
            &socket,
            handshake_deadline,
            &mut secured.opener,
            &mut reader,
        ),
        None => {
            read_line(&socket, handshake_deadline, &mut reader).map_err(|e| e.reason().to_owned())
        }
    };
    let peer = answer.and_then(|line| match client_decide(&own, &line) {
        Ok(peer) => Ok(peer),
        Err(_) if line == REPLY_NOT_SECURED.trim_end().as_bytes() => {
            Err(NOT_SECURED_CLIENT.to_owned())
        }
        Err(e) => Err(e.reason().to_owned()),
    });
    let peer = match peer {
        Ok(peer) => peer,
        Err(reason) => return refuse(reason),
    };
    let rest = reader.take_rest();
    match connection.start(socket, peer, &rest, false, secured) {
        Ok(true) => Ok(Arc::clone(&connection)),
        Ok(false) => Err(core.closed_error()),
        Err(e) => {
            connection.fail_with(&failure_reason(&e));
            Err(Error::Io(e))
        }
    }
}
