//! The stream transports under test with a secret: every conformance case
//! runs over secured links too.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use yoton_core::{Connection, ContextId, Transport};
use yoton_stream::StreamOptions;
use yoton_stream::secure::{ClientHandshake, Opener, Sealer, Secret, SecureError, split_reply};
use yoton_tcp::TcpTransport;

use crate::tcp::{PeerStream, StreamPeer, socket_of};
use crate::{STEP_DEADLINE, ScriptedPeer, TcpUnderTest, TransportUnderTest};

/// The secret every secured case uses.
fn secret() -> Secret {
    Secret::from_bytes(*b"yoton-testkit conformance secret")
}

fn options() -> StreamOptions {
    StreamOptions::new().with_secret(secret())
}

/// [`yoton_tcp::TcpTransport`] with a secret, on loopback; the scripted
/// peer does the secured handshake by hand, then the yoton one inside it.
///
/// ```
/// use yoton_testkit::{SecuredTcpUnderTest, TransportUnderTest};
///
/// let under_test = SecuredTcpUnderTest::default();
/// assert_eq!(under_test.bind_address(), "tcp://127.0.0.1:0");
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct SecuredTcpUnderTest;

impl TransportUnderTest for SecuredTcpUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        match TcpTransport::with_options(options()) {
            Ok(transport) => Arc::new(transport),
            Err(e) => panic!("secured options refused: {e}"),
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
        let target = socket_of(bound);
        let connected = TcpStream::connect_timeout(&target, STEP_DEADLINE)
            .and_then(|stream| stream.set_nodelay(true).map(|()| stream))
            .and_then(SecuredStream::handshake)
            .and_then(|stream| StreamPeer::handshake(stream, id));
        match connected {
            Ok(peer) => Box::new(peer),
            Err(e) => panic!("secured scripted peer could not connect to {target}: {e}"),
        }
    }
}

/// [`yoton_ipc::IpcTransport`] with a secret.
///
/// ```
/// use yoton_testkit::{SecuredIpcUnderTest, TransportUnderTest};
///
/// assert_eq!(SecuredIpcUnderTest::default().bind_address(), "ipc://");
/// ```
#[cfg(unix)]
#[derive(Debug, Default, Clone, Copy)]
pub struct SecuredIpcUnderTest;

#[cfg(unix)]
impl TransportUnderTest for SecuredIpcUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        match yoton_ipc::IpcTransport::with_options(options()) {
            Ok(transport) => Arc::new(transport),
            Err(e) => panic!("secured options refused: {e}"),
        }
    }

    fn bind_address(&self) -> String {
        crate::IpcUnderTest.bind_address()
    }

    fn connect_address(&self, bound: &dyn Connection) -> String {
        crate::IpcUnderTest.connect_address(bound)
    }

    fn unbound_address(&self) -> String {
        crate::IpcUnderTest.unbound_address()
    }

    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer> {
        let path = bound.local_host();
        let connected = std::os::unix::net::UnixStream::connect(&path)
            .and_then(SecuredStream::handshake)
            .and_then(|stream| StreamPeer::handshake(stream, id));
        match connected {
            Ok(peer) => Box::new(peer),
            Err(e) => panic!("secured scripted peer could not connect to {path}: {e}"),
        }
    }
}

/// A byte stream whose bytes are sealed and opened with the link's keys.
#[derive(Debug)]
pub(crate) struct SecuredStream<S> {
    inner: S,
    sealer: Sealer,
    opener: Opener,
    plain: Vec<u8>,
    /// How much of `plain` was read.
    taken: usize,
}

impl<S: PeerStream> SecuredStream<S> {
    /// The client side of the secured handshake on a connected stream.
    pub(crate) fn handshake(mut inner: S) -> io::Result<SecuredStream<S>> {
        let (handshake, hello) = ClientHandshake::start(&secret())?;
        inner.write_all(&hello)?;
        inner.read_timeout(STEP_DEADLINE)?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 256];
        // Message 2 is small and the host sends nothing after it before
        // our yoton line, so the reply ends exactly at the frame's end.
        let message = loop {
            match split_reply(&reply) {
                Ok(message) => break message.to_vec(),
                Err(SecureError::Truncated) => {}
                Err(_) if reply.len() < yoton_stream::secure::PREAMBLE.len() => {}
                Err(e) => return Err(e.into()),
            }
            let n = inner.read(&mut buf)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            reply.extend_from_slice(&buf[..n]);
        };
        let (sealer, opener) = handshake.finish(&message)?.split();
        Ok(SecuredStream {
            inner,
            sealer,
            opener,
            plain: Vec::new(),
            taken: 0,
        })
    }
}

impl<S: PeerStream> Read for SecuredStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut raw = [0u8; 16 * 1024];
        while self.taken == self.plain.len() {
            self.plain.clear();
            self.taken = 0;
            self.opener.open_into(&mut self.plain)?;
            if !self.plain.is_empty() {
                break;
            }
            let n = self.inner.read(&mut raw)?;
            if n == 0 {
                self.opener.finish()?;
                return Ok(0);
            }
            self.opener.push(&raw[..n]);
        }
        let n = buf.len().min(self.plain.len() - self.taken);
        buf[..n].copy_from_slice(&self.plain[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

impl<S: PeerStream> Write for SecuredStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(Sealer::sealed_len(buf.len()));
        self.sealer.seal(buf, &mut out)?;
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<S: PeerStream> PeerStream for SecuredStream<S> {
    fn read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.inner.read_timeout(timeout)
    }
}
