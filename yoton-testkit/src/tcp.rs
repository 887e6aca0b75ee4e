//! The TCP transport under test.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use yoton_core::decoder::Decoder;
use yoton_core::handshake::{HandshakeLine, LineReader, client_decide};
use yoton_core::{Connection, ContextId, Package, Transport};
use yoton_tcp::TcpTransport;

use crate::{STEP_DEADLINE, ScriptedPeer, TransportUnderTest};

/// [`yoton_tcp::TcpTransport`] under test, on loopback: `127.0.0.1:0`
/// binds a free port, and the scripted peer is a plain [`TcpStream`] that
/// does the client handshake by hand.
///
/// ```
/// use yoton_testkit::{TcpUnderTest, TransportUnderTest};
///
/// let under_test = TcpUnderTest::default();
/// assert_eq!(under_test.bind_address(), "tcp://127.0.0.1:0");
/// assert!(under_test.transport().has_ports());
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpUnderTest;

impl TransportUnderTest for TcpUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        Arc::new(TcpTransport::new())
    }

    fn bind_address(&self) -> String {
        "tcp://127.0.0.1:0".to_owned()
    }

    fn connect_address(&self, bound: &dyn Connection) -> String {
        format!("tcp://{}:{}", bound.local_host(), bound.local_port())
    }

    fn unbound_address(&self) -> String {
        // A port that was free a moment ago: nothing of ours binds it.
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        format!("tcp://127.0.0.1:{port}")
    }

    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer> {
        let target = socket_of(bound);
        let connected = TcpStream::connect_timeout(&target, STEP_DEADLINE)
            .and_then(|stream| stream.set_nodelay(true).map(|()| stream))
            .and_then(|stream| StreamPeer::handshake(stream, id));
        match connected {
            Ok(peer) => Box::new(peer),
            Err(e) => panic!("scripted peer could not connect to {target}: {e}"),
        }
    }
}

/// The socket address of a bound TCP connection.
pub(crate) fn socket_of(bound: &dyn Connection) -> SocketAddr {
    (bound.local_host().as_str(), bound.local_port())
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve {}", bound.local_host()))
}

/// A byte stream a [`StreamPeer`] can drive: TCP or Unix sockets.
pub(crate) trait PeerStream: Read + Write + Send + fmt::Debug {
    /// As the socket's own `set_read_timeout`.
    fn read_timeout(&mut self, timeout: Duration) -> io::Result<()>;
}

impl PeerStream for TcpStream {
    fn read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(timeout))
    }
}

#[cfg(unix)]
impl PeerStream for std::os::unix::net::UnixStream {
    fn read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(timeout))
    }
}

/// A raw stream socket that did the client handshake by hand.
#[derive(Debug)]
pub(crate) struct StreamPeer<S> {
    stream: S,
    decoder: Decoder,
}

impl<S: PeerStream> StreamPeer<S> {
    /// Does the client side of the handshake on a connected stream.
    pub(crate) fn handshake(mut stream: S, id: ContextId) -> io::Result<StreamPeer<S>> {
        let own = HandshakeLine {
            id,
            pid: std::process::id(),
        };
        stream.write_all(own.encode().as_bytes())?;
        stream.read_timeout(STEP_DEADLINE)?;
        let mut reader = LineReader::new();
        let mut buf = [0u8; 1024];
        let line = loop {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if let Some(line) = reader.feed(&buf[..n]) {
                break line.map_err(|e| io::Error::other(e.to_string()))?;
            }
        };
        client_decide(&own, &line).map_err(|e| io::Error::other(e.to_string()))?;
        let mut decoder = Decoder::new();
        decoder.feed(&reader.take_rest());
        Ok(StreamPeer { stream, decoder })
    }
}

impl<S: PeerStream> ScriptedPeer for StreamPeer<S> {
    fn send(&mut self, package: &Package) -> bool {
        self.stream.write_all(&package.to_bytes()).is_ok()
    }

    fn send_raw(&mut self, bytes: &[u8]) -> Option<bool> {
        Some(self.stream.write_all(bytes).is_ok())
    }

    fn recv_timeout(&mut self, timeout: Duration) -> Option<Package> {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.decoder.next_package() {
                Ok(Some(package)) => return Some(package),
                Ok(None) => {}
                Err(_) => return None,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.read_timeout(left).is_err() {
                return None;
            }
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.feed(&buf[..n]),
            }
        }
    }
}
