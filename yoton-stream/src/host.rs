//! The hosting side: listen, wait for one peer, and do the host side
//! of the handshake for each client on its own thread, so that a client
//! that stalls never delays a real peer.

use std::io;
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{SockAddr, Socket};
use yoton_core::handshake::{HostDecision, LineReader, host_decide};
use yoton_core::{Address, ConnectionCore, Result};

use crate::StreamFamily;
use crate::connection::{StreamConnection, lock};
use crate::io::{is_timeout, prepare, read_line, write_all_two};
use crate::options::StreamOptions;
use crate::secure::{REPLY_NOT_SECURED, REPLY_WRONG_SECRET, SecureError, host_answer};
use crate::secured::{self, Secured};

/// The most handshakes in progress at once; clients beyond this are
/// dropped at once, so a flood of idle clients cannot exhaust threads.
const MAX_PENDING_HANDSHAKES: usize = 32;

/// How often a blocked accept looks whether it should stop, where closing
/// the listening socket does not wake it.
const ACCEPT_POLL: Duration = Duration::from_millis(250);

/// Listens at `address` (trying `max_tries` places where that applies) and
/// starts waiting.
pub(crate) fn bind(
    family: &Arc<dyn StreamFamily>,
    address: &Address,
    max_tries: u32,
    core: &Arc<ConnectionCore>,
    options: &StreamOptions,
) -> Result<Arc<StreamConnection>> {
    let listening = family.listen(address, max_tries.max(1))?;
    let bind_error = |source: io::Error| yoton_core::Error::Bind {
        address: address.to_string(),
        source,
    };
    listening
        .socket
        .set_read_timeout(Some(ACCEPT_POLL))
        .map_err(bind_error)?;
    if secured::is_exposed_plain(options.secret().is_some(), listening.local.as_socket()) {
        tracing::warn!(
            address = %address,
            "a plain yoton connection is bound on an interface other than loopback: \
             anyone who reaches it can join; secure it with a secret"
        );
    }
    let connection = StreamConnection::new(family, core, options);
    core.set_waiting(&listening.host, listening.port);
    let shown = format!("{}:{}", listening.host, listening.port);
    connection
        .span
        .record("local", tracing::field::display(shown));
    let listening = Arc::new(listening);
    *lock(&connection.listener) = Some(Arc::clone(&listening));
    let this = Arc::clone(&connection);
    let handle = thread::Builder::new()
        .name(connection.thread_name("accept"))
        .spawn(move || this.accept_loop(&listening.socket))
        .map_err(bind_error)?;
    *lock(&connection.accept_thread) = Some(handle);
    tracing::debug!(parent: &connection.span, "waiting for a peer");
    Ok(connection)
}

/// Wakes an accept blocked on the listening socket at `local`, where
/// shutting that socket down does not.
pub(crate) fn wake_accept(family: &Arc<dyn StreamFamily>, local: &SockAddr) {
    let mut target = local.clone();
    if let Some(mut ip) = local.as_socket() {
        if ip.ip().is_unspecified() {
            ip.set_ip(match ip {
                std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
            target = ip.into();
        }
    }
    if let Ok(socket) = family.socket_for(&target) {
        let _ = socket.connect_timeout(&target, Duration::from_millis(100));
    }
}

impl StreamConnection {
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
                    let from = describe(&from);
                    if self.pending_handshakes.fetch_add(1, Ordering::AcqRel)
                        >= MAX_PENDING_HANDSHAKES
                    {
                        self.pending_handshakes.fetch_sub(1, Ordering::AcqRel);
                        tracing::warn!(%from, "too many handshakes in progress: client dropped");
                        continue;
                    }
                    let this = Arc::clone(&self);
                    let spawned = thread::Builder::new()
                        .name(self.thread_name("handshake"))
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
    fn host_handshake(self: &Arc<Self>, socket: Socket, from: String) {
        let _guard = self.span.enter();
        prepare(&socket);
        let deadline = Instant::now() + self.options.handshake_timeout();
        let mut reader = LineReader::new();
        let _ = socket.set_write_timeout(Some(self.options.handshake_timeout()));
        let refuse = |reply: Option<&str>, error: &dyn std::fmt::Display| {
            if let Some(reply) = reply {
                let _ = write_all_two(&socket, reply.as_bytes(), &[]);
            }
            tracing::debug!(%from, error = %error, "client refused");
            let _ = socket.shutdown(Shutdown::Both);
        };
        let mut line = match read_line(&socket, deadline, &mut reader) {
            Ok(line) => line,
            Err(e) => {
                tracing::debug!(%from, error = %e, "handshake failed");
                return;
            }
        };
        let mut secured = None;
        if let Some(secret) = self.options.secret() {
            if !secured::is_preamble(&line) {
                return refuse(Some(REPLY_NOT_SECURED), &"a plain client at a secured host");
            }
            let (frame, rest) = match secured::read_frame(&socket, deadline, reader.take_rest()) {
                Ok(read) => read,
                Err(reason) => return refuse(None, &reason),
            };
            let answer = match host_answer(secret, &frame) {
                Ok(answer) => answer,
                Err(e @ SecureError::WrongSecret) => {
                    tracing::warn!(%from, "client refused: its secret does not match");
                    return refuse(Some(REPLY_WRONG_SECRET), &e);
                }
                Err(e) => return refuse(None, &e),
            };
            if let Err(e) = write_all_two(&socket, &answer.reply, &[]) {
                return refuse(None, &e);
            }
            let (sealer, mut opener) = answer.keys.split();
            opener.push(&rest);
            reader = LineReader::new();
            line = match secured::read_line_sealed(&socket, deadline, &mut opener, &mut reader) {
                Ok(line) => line,
                Err(reason) => return refuse(None, &reason),
            };
            secured = Some(Secured { sealer, opener });
        }
        let own = self.own_line();
        let (peer, reply) = match host_decide(&own, &line) {
            HostDecision::Accept { peer, reply } => (peer, reply),
            HostDecision::Reject { reply, error } => {
                match (reply, &mut secured) {
                    (Some(reply), Some(secured)) => {
                        let _ =
                            secured::write_sealed(&socket, &mut secured.sealer, reply.as_bytes());
                        refuse(None, &error);
                    }
                    (reply, _) => refuse(reply.as_deref(), &error),
                }
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
        let answered = match &mut secured {
            Some(secured) => secured::write_sealed(&socket, &mut secured.sealer, reply.as_bytes()),
            None => write_all_two(&socket, reply.as_bytes(), &[]),
        };
        if let Err(e) = answered {
            // The peer went away after a valid line: as with a peer that
            // leaves right after the handshake, the connection is lost.
            tracing::debug!(%from, error = %e, "handshake reply not sent");
            self.fail_with(&crate::io::failure_reason(&e));
            return;
        }
        let rest = reader.take_rest();
        match self.start(socket, peer, &rest, true, secured) {
            Ok(true) => {}
            Ok(false) => tracing::debug!("closed while the handshake finished"),
            Err(e) => {
                tracing::debug!(error = %e, "socket failed after the handshake");
                self.fail_with(&crate::io::failure_reason(&e));
            }
        }
    }
}

/// A client's address for diagnostics.
fn describe(from: &SockAddr) -> String {
    match (from.as_socket(), from.as_pathname()) {
        (Some(ip), _) => ip.to_string(),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => "an unnamed socket".to_owned(),
    }
}
