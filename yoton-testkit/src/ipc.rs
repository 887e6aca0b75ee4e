//! The `ipc://` transport under test.

use std::os::unix::net::UnixStream;
use std::sync::Arc;

use yoton_core::{Connection, ContextId, Transport};
use yoton_ipc::IpcTransport;

use crate::tcp::StreamPeer;
use crate::{ScriptedPeer, TransportUnderTest};

/// [`yoton_ipc::IpcTransport`] under test: `ipc://` binds a fresh socket
/// path, and the scripted peer is a plain [`UnixStream`] that does the
/// client handshake by hand.
///
/// ```
/// use yoton_testkit::{IpcUnderTest, TransportUnderTest};
///
/// let under_test = IpcUnderTest::default();
/// assert_eq!(under_test.bind_address(), "ipc://");
/// assert!(!under_test.transport().has_ports());
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct IpcUnderTest;

impl TransportUnderTest for IpcUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        Arc::new(IpcTransport::new())
    }

    fn bind_address(&self) -> String {
        "ipc://".to_owned()
    }

    fn connect_address(&self, bound: &dyn Connection) -> String {
        format!("ipc://{}", bound.local_host())
    }

    fn unbound_address(&self) -> String {
        let path = yoton_ipc::path_of_name(&format!("nobody-{}", std::process::id()));
        format!("ipc://{}", path.display())
    }

    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer> {
        let path = bound.local_host();
        match UnixStream::connect(&path).and_then(|stream| StreamPeer::handshake(stream, id)) {
            Ok(peer) => Box::new(peer),
            Err(e) => panic!("scripted peer could not connect to {path}: {e}"),
        }
    }
}
