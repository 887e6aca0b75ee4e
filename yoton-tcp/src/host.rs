//! The hosting side: bind a port, wait for one peer, and do the host side
//! of the handshake for each client on its own thread, so that a client
//! that stalls never delays a real peer.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use yoton_core::address::port_candidates;
use yoton_core::handshake::{HostDecision, LineReader, host_decide};
use yoton_core::{Address, Connection as _, ConnectionCore, Error, Result};

use crate::connection::{TcpConnection, lock};
use crate::io::{is_timeout, prepare, read_line, resolve, write_all_two};
use crate::options::TcpOptions;

/// The most handshakes in progress at once; clients beyond this are
/// dropped at once, so a flood of idle clients cannot exhaust threads.
const MAX_PENDING_HANDSHAKES: usize = 32;

/// How often a blocked accept looks whether it should stop, where closing
/// the listening socket does not wake it.
const ACCEPT_POLL: Duration = Duration::from_millis(250);

/// Binds at `address`, trying `max_tries` ports, and starts waiting.
pub(crate) fn bind(
    address: &Address,
    max_tries: u32,
    core: ConnectionCore,
    options: &TcpOptions,
) -> Result<Arc<TcpConnection>> {
    let bind_error = |source: io::Error| Error::Bind {
        address: address.to_string(),
        source,
    };
    let base = resolve(address.host(), address.port())
        .map_err(bind_error)?
        .into_iter()
        .next()
        .ok_or_else(|| bind_error(io::ErrorKind::NotFound.into()))?;
    let max_tries = max_tries.max(1);
    let mut bound = None;
    for port in port_candidates(address.port(), max_tries) {
        match listen_at(base.ip(), port) {
            Ok(found) => {
                bound = Some(found);
                break;
            }
            Err(e) if max_tries == 1 => return Err(bind_error(e)),
            Err(e) => tracing::trace!(port, error = %e, "port not free"),
        }
    }
    let Some((socket, local)) = bound else {
        return Err(Error::NoFreePort {
            tries: max_tries,
            start: address.port(),
        });
    };

    let connection = TcpConnection::new(core, options);
    connection
        .core()
        .set_waiting(&local.ip().to_string(), local.port());
    connection
        .span
        .record("local", tracing::field::display(local));
    let socket = Arc::new(socket);
    *lock(&connection.listener) = Some((Arc::clone(&socket), local));
    let this = Arc::clone(&connection);
    let handle = thread::Builder::new()
        .name("yoton-tcp-accept".to_owned())
        .spawn(move || this.accept_loop(&socket))
        .map_err(bind_error)?;
    *lock(&connection.accept_thread) = Some(handle);
    tracing::debug!(parent: &connection.span, "waiting for a peer");
    Ok(connection)
}

fn listen_at(ip: std::net::IpAddr, port: u16) -> io::Result<(Socket, SocketAddr)> {
    let addr = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // Lets a port be bound again while connections accepted on it live on
    // (Windows has that without the option, and something else with it).
    #[cfg(not(windows))]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(16)?;
    socket.set_read_timeout(Some(ACCEPT_POLL))?;
    let local = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("not an IP socket"))?;
    Ok((socket, local))
}

/// Wakes an accept blocked on the listening socket at `local`, where
/// shutting that socket down does not.
pub(crate) fn wake_accept(local: SocketAddr) {
    let mut target = local;
    if target.ip().is_unspecified() {
        target.set_ip(match target {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let _ = std::net::TcpStream::connect_timeout(&target, Duration::from_millis(100));
}

impl TcpConnection {
    fn should_stop_accepting(&self) -> bool {
        self.is_shut() || self.claimed.load(Ordering::Acquire)
    }

    fn accept_loop(self: Arc<Self>, listener: &Socket) {
        let _guard = self.span.enter();
        while !self.should_stop_accepting() {
            match listener.accept() {
                Ok((socket, from)) => {
                    if self.should_stop_accepting() {
                        return;
                    }
                    let from = from.as_socket();
                    if self.pending_handshakes.fetch_add(1, Ordering::AcqRel)
                        >= MAX_PENDING_HANDSHAKES
                    {
                        self.pending_handshakes.fetch_sub(1, Ordering::AcqRel);
                        tracing::warn!(?from, "too many handshakes in progress: client dropped");
                        continue;
                    }
                    let this = Arc::clone(&self);
                    let spawned = thread::Builder::new()
                        .name("yoton-tcp-handshake".to_owned())
                        .spawn(move || {
                            this.host_handshake(socket, from);
                            this.pending_handshakes.fetch_sub(1, Ordering::AcqRel);
                        });
                    if let Err(e) = spawned {
                        self.pending_handshakes.fetch_sub(1, Ordering::AcqRel);
                        tracing::warn!(error = %e, "no thread for a handshake: client dropped");
                    }
                }
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if self.should_stop_accepting() {
                        return;
                    }
                    // Out of descriptors, for instance: try again shortly
                    // rather than spin or give up the bound connection.
                    tracing::warn!(error = %e, "accept failed");
                    thread::sleep(ACCEPT_POLL);
                }
            }
        }
    }

    /// The host side of one client's handshake. The first valid peer wins
    /// the connection; others are answered as the reference answers them
    /// and dropped.
    fn host_handshake(self: &Arc<Self>, socket: Socket, from: Option<SocketAddr>) {
        let _guard = self.span.enter();
        prepare(&socket);
        let deadline = Instant::now() + self.options.handshake_timeout();
        let mut reader = LineReader::new();
        let line = match read_line(&socket, deadline, &mut reader) {
            Ok(line) => line,
            Err(e) => {
                tracing::debug!(?from, error = %e, "handshake failed");
                return;
            }
        };
        let own = self.own_line();
        let (peer, reply) = match host_decide(&own, &line) {
            HostDecision::Accept { peer, reply } => (peer, reply),
            HostDecision::Reject { reply, error } => {
                if let Some(reply) = reply {
                    let _ = socket.set_write_timeout(Some(self.options.handshake_timeout()));
                    let _ = write_all_two(&socket, reply.as_bytes(), &[]);
                }
                tracing::debug!(?from, error = %error, "client refused");
                let _ = socket.shutdown(Shutdown::Both);
                return;
            }
        };
        // Claim the connection before answering, so that exactly one peer
        // is told it is connected.
        if self.is_shut()
            || self
                .claimed
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        // Stop listening before answering: once the peer hears back, the
        // port can be bound again.
        self.stop_listening();
        let _ = socket.set_write_timeout(Some(self.options.handshake_timeout()));
        if let Err(e) = write_all_two(&socket, reply.as_bytes(), &[]) {
            // The peer went away after a valid line: as with a peer that
            // leaves right after the handshake, the connection is lost.
            tracing::debug!(?from, error = %e, "handshake reply not sent");
            self.core().close_on_problem(&crate::io::failure_reason(&e));
            return;
        }
        let rest = reader.take_rest();
        match self.start(socket, peer, &rest, true) {
            Ok(true) => {}
            Ok(false) => tracing::debug!("closed while the handshake finished"),
            Err(e) => {
                tracing::debug!(error = %e, "socket failed after the handshake");
                self.core().close_on_problem(&crate::io::failure_reason(&e));
            }
        }
    }
}
