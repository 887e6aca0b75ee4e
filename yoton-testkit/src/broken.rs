//! A deliberately broken transport, to show that the suite catches a
//! transport that gets something wrong.
//!
//! [`BrokenTransport`] wraps the in-process transport and gives every
//! connection it makes one [`Flaw`]. Everything else is the real
//! transport, so the cases that do not look at the flaw still pass; the
//! crate's `tests/broken.rs` checks that the matching cases fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use yoton_core::package::PackageKind;
use yoton_core::{Address, Connection, ConnectionCore, ContextId, Package, Result, Transport};
use yoton_inproc::InprocTransport;

use crate::{InprocUnderTest, ScriptedPeer, TransportUnderTest};

/// What a [`BrokenTransport`] gets wrong.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// `close` never sends the close package (as the Python reference
    /// does): the other end sees its peer drop instead of
    /// `Closed from other end.`
    DropsClosePackage,
    /// Every 50th data package sent on a connection is silently lost.
    LosesPackages,
    /// The other end's id, pid and host are misreported.
    MisreportsPeer,
}

impl Flaw {
    /// Every flaw.
    pub const ALL: [Flaw; 3] = [
        Flaw::DropsClosePackage,
        Flaw::LosesPackages,
        Flaw::MisreportsPeer,
    ];
}

/// The in-process transport with a [`Flaw`] in every connection.
///
/// ```
/// use std::sync::Arc;
/// use yoton_core::{Connection, Context};
/// use yoton_testkit::broken::{BrokenTransport, Flaw};
///
/// let host = Context::new();
/// host.register_transport(Arc::new(BrokenTransport::new(Flaw::MisreportsPeer)));
/// let client = Context::new();
/// client.register_transport(Arc::new(BrokenTransport::new(Flaw::MisreportsPeer)));
/// let bound = host.bind("inproc://").unwrap();
/// let conn = client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
/// assert_ne!(conn.peer_id(), Some(host.id())); // the flaw
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BrokenTransport {
    inner: InprocTransport,
    flaw: Flaw,
}

impl BrokenTransport {
    /// The in-process transport with `flaw`.
    pub fn new(flaw: Flaw) -> Self {
        BrokenTransport {
            inner: InprocTransport::new(),
            flaw,
        }
    }

    fn wrap(&self, inner: Arc<dyn Connection>) -> Arc<dyn Connection> {
        Arc::new(FlawedConnection {
            inner,
            flaw: self.flaw,
            data_sent: AtomicU64::new(0),
        })
    }
}

impl Transport for BrokenTransport {
    fn protocol(&self) -> &str {
        self.inner.protocol()
    }

    fn has_ports(&self) -> bool {
        self.inner.has_ports()
    }

    fn bind(
        &self,
        address: &Address,
        max_tries: u32,
        core: ConnectionCore,
    ) -> Result<Arc<dyn Connection>> {
        Ok(self.wrap(self.inner.bind(address, max_tries, core)?))
    }

    fn connect(
        &self,
        address: &Address,
        timeout: Duration,
        core: ConnectionCore,
    ) -> Result<Arc<dyn Connection>> {
        Ok(self.wrap(self.inner.connect(address, timeout, core)?))
    }
}

/// A real in-process connection behind a flaw. Its core stays attached to
/// the inner connection, so signals carry the inner one; cases compare
/// connections by key, which both share.
#[derive(Debug)]
struct FlawedConnection {
    inner: Arc<dyn Connection>,
    flaw: Flaw,
    data_sent: AtomicU64,
}

impl Connection for FlawedConnection {
    fn core(&self) -> &ConnectionCore {
        self.inner.core()
    }

    fn send_package(&self, package: &Package) -> Result<()> {
        if self.flaw == Flaw::LosesPackages && package.kind() == PackageKind::Data {
            let n = self.data_sent.fetch_add(1, Ordering::Relaxed);
            if n % 50 == 3 {
                return Ok(());
            }
        }
        self.inner.send_package(package)
    }

    fn wait_for_room(&self) -> Result<()> {
        self.inner.wait_for_room()
    }

    fn notify_close(&self) {
        if self.flaw != Flaw::DropsClosePackage {
            self.inner.notify_close();
        }
    }

    fn wait_written(&self, deadline: Instant) -> Result<()> {
        self.inner.wait_written(deadline)
    }

    fn shutdown(&self) {
        self.inner.shutdown();
    }

    fn peer_host(&self) -> String {
        match self.flaw {
            Flaw::MisreportsPeer => self.inner.local_host() + "-elsewhere",
            _ => self.inner.peer_host(),
        }
    }

    fn peer_id(&self) -> Option<ContextId> {
        match self.flaw {
            Flaw::MisreportsPeer => Some(self.local_id()),
            _ => self.inner.peer_id(),
        }
    }

    fn peer_pid(&self) -> Option<u32> {
        match self.flaw {
            Flaw::MisreportsPeer => self.inner.peer_pid().map(|p| p.wrapping_add(1)),
            _ => self.inner.peer_pid(),
        }
    }
}

/// [`BrokenTransport`] under test: the in-process addresses and scripted
/// peer, with the flaw in every connection a context makes.
#[derive(Debug, Clone, Copy)]
pub struct BrokenUnderTest {
    flaw: Flaw,
}

impl BrokenUnderTest {
    /// The broken transport with `flaw`, for [`run_case_on`](crate::run_case_on).
    pub fn new(flaw: Flaw) -> Self {
        BrokenUnderTest { flaw }
    }
}

impl TransportUnderTest for BrokenUnderTest {
    fn transport(&self) -> Arc<dyn Transport> {
        Arc::new(BrokenTransport::new(self.flaw))
    }

    fn bind_address(&self) -> String {
        InprocUnderTest.bind_address()
    }

    fn connect_address(&self, bound: &dyn Connection) -> String {
        InprocUnderTest.connect_address(bound)
    }

    fn unbound_address(&self) -> String {
        InprocUnderTest.unbound_address()
    }

    fn scripted_peer(&self, bound: &dyn Connection, id: ContextId) -> Box<dyn ScriptedPeer> {
        InprocUnderTest.scripted_peer(bound, id)
    }
}
