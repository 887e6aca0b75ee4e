//! The in-process transport under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use yoton_core::{Connection, ContextId, Package, Transport};
use yoton_inproc::{InprocTransport, RawPeer};

use crate::{STEP_DEADLINE, ScriptedPeer, TransportUnderTest};

/// [`yoton_inproc::InprocTransport`] under test: `inproc://` binds a fresh
/// name, and the scripted peer is a [`yoton_inproc::RawPeer`].
///
/// ```
/// use yoton_testkit::{InprocUnderTest, TransportUnderTest};
///
/// let under_test = InprocUnderTest::default();
/// assert_eq!(under_test.bind_address(), "inproc://");
/// assert!(!under_test.transport().has_ports());
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct InprocUnderTest;

impl TransportUnderTest for InprocUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        Arc::new(InprocTransport::new())
    }

    fn bind_address(&self) -> String {
        "inproc://".to_owned()
    }

    fn connect_address(&self, bound: &dyn Connection) -> String {
        format!("inproc://{}", bound.local_host())
    }

    fn unbound_address(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        format!("inproc://nobody-{}-{n}", std::process::id())
    }

    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer> {
        let peer = RawPeer::connect(&bound.local_host(), id, STEP_DEADLINE)
            .unwrap_or_else(|e| panic!("scripted peer could not connect: {e}"));
        Box::new(InprocPeer(peer))
    }
}

/// A [`RawPeer`] as a [`ScriptedPeer`].
#[derive(Debug)]
struct InprocPeer(RawPeer);

impl ScriptedPeer for InprocPeer {
    fn send(&mut self, package: &Package) -> bool {
        self.0.send(package.clone()).is_ok()
    }

    fn recv_timeout(&mut self, timeout: Duration) -> Option<Package> {
        self.0.recv_timeout(timeout)
    }

    fn send_raw(&mut self, _bytes: &[u8]) -> Option<bool> {
        None
    }
}
