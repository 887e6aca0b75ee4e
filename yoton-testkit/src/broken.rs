//! A deliberately broken transport and a deliberately broken router, to
//! show that the suite catches an implementation that gets something wrong.
//!
//! [`BrokenTransport`] wraps the in-process transport and gives every
//! connection it makes one [`Flaw`]: a flaw of the link (it drops the close
//! package, loses, duplicates, reorders, corrupts, truncates or alters
//! packages, tells its peer when it fails, sends no heartbeats, misreports
//! its peer) or of the context's routing (it ignores
//! `dest_id`, delivers its own packages back, forgets what it has seen;
//! switched on through `yoton-core`'s `test-util` flaws). Everything else is
//! the real code, so the cases that do not look at the flaw still pass; the
//! crate's `tests/broken.rs` checks that the matching cases fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use yoton_core::flaws::ContextFlaw;
use yoton_core::package::PackageKind;
use yoton_core::sync::lock;
use yoton_core::{
    Address, BindOptions, ConnectOptions, Connection, ConnectionCore, ContextId, Link, Package,
    Result, Transport,
};
use yoton_inproc::InprocTransport;

use crate::{InprocUnderTest, ScriptedPeer, TransportUnderTest};

/// What a [`BrokenTransport`] gets wrong.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flaw {
    /// `close` never sends the close package (as the Python reference
    /// does): the other end sees its peer drop instead of
    /// `Closed from other end.`
    DropsClosePackage,
    /// Every 50th data package sent on a connection is silently lost.
    LosesPackages,
    /// Every 50th data package is sent twice.
    DuplicatesPackages,
    /// Every 50th data package swaps places with the one after it.
    ReordersPackages,
    /// One byte of every 50th data package is flipped.
    CorruptsPackages,
    /// The data of packages over 64 KiB is cut to half its length.
    TruncatesLargePackages,
    /// The `dest_seq` of every data package is off by one.
    AltersHeaders,
    /// A link that fails also sends the close package, as if `close` had
    /// been called: `close_on_problem` tells the other end.
    TellsOnProblem,
    /// The connections send no heartbeats.
    SendsNoHeartbeats,
    /// The other end's id, pid and host are misreported.
    MisreportsPeer,
    /// The context delivers packages meant for other contexts, and passes
    /// on those meant for it alone.
    IgnoresDestId,
    /// The context delivers its own packages when they come back to it.
    RedeliversOwnPackages,
    /// The context forgets which packages it has seen.
    ForgetsSeenPackages,
}

impl Flaw {
    /// Every flaw.
    pub const ALL: [Flaw; 13] = [
        Flaw::DropsClosePackage,
        Flaw::LosesPackages,
        Flaw::DuplicatesPackages,
        Flaw::ReordersPackages,
        Flaw::CorruptsPackages,
        Flaw::TruncatesLargePackages,
        Flaw::AltersHeaders,
        Flaw::TellsOnProblem,
        Flaw::SendsNoHeartbeats,
        Flaw::MisreportsPeer,
        Flaw::IgnoresDestId,
        Flaw::RedeliversOwnPackages,
        Flaw::ForgetsSeenPackages,
    ];

    /// The flaw of the context this flaw is, if it is one.
    fn of_context(self) -> Option<ContextFlaw> {
        match self {
            Flaw::SendsNoHeartbeats => Some(ContextFlaw::SendsNoHeartbeats),
            Flaw::MisreportsPeer => Some(ContextFlaw::MisreportsPeer),
            Flaw::IgnoresDestId => Some(ContextFlaw::IgnoresDestId),
            Flaw::RedeliversOwnPackages => Some(ContextFlaw::RedeliversOwnPackages),
            Flaw::ForgetsSeenPackages => Some(ContextFlaw::ForgetsSeenPackages),
            _ => None,
        }
    }
}

/// The in-process transport with one [`Flaw`].
///
/// ```
/// use yoton_core::Transport;
/// use yoton_testkit::broken::{BrokenTransport, Flaw};
///
/// let broken = BrokenTransport::new(Flaw::LosesPackages);
/// assert_eq!(broken.protocol(), "inproc");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BrokenTransport {
    inner: InprocTransport,
    flaw: Flaw,
}

impl BrokenTransport {
    /// The in-process transport, broken in one way.
    pub fn new(flaw: Flaw) -> Self {
        BrokenTransport {
            inner: InprocTransport::new(),
            flaw,
        }
    }

    fn wrap(&self, core: &ConnectionCore, inner: Arc<dyn Link>) -> Arc<dyn Link> {
        Arc::new(FlawedLink {
            inner,
            flaw: self.flaw,
            data_sent: AtomicU64::new(0),
            held: std::sync::Mutex::new(None),
            _id: core.context_id(),
        })
    }

    fn break_context(&self, core: &ConnectionCore) {
        if let Some(flaw) = self.flaw.of_context() {
            core.set_context_flaw(flaw);
        }
    }
}

impl Transport for BrokenTransport {
    fn protocol(&self) -> &str {
        self.inner.protocol()
    }

    fn has_ports(&self) -> bool {
        self.inner.has_ports()
    }

    fn parse_address(&self, text: &str) -> std::result::Result<Address, yoton_core::AddressError> {
        self.inner.parse_address(text)
    }

    fn bind(
        &self,
        address: &Address,
        options: &BindOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>> {
        self.break_context(core);
        Ok(self.wrap(core, self.inner.bind(address, options, core)?))
    }

    fn connect(
        &self,
        address: &Address,
        options: &ConnectOptions,
        core: &Arc<ConnectionCore>,
    ) -> Result<Arc<dyn Link>> {
        self.break_context(core);
        Ok(self.wrap(core, self.inner.connect(address, options, core)?))
    }
}

/// A link that passes everything to the real one but for its flaw.
#[derive(Debug)]
struct FlawedLink {
    inner: Arc<dyn Link>,
    flaw: Flaw,
    data_sent: AtomicU64,
    /// A package held back to be sent after the next one.
    held: std::sync::Mutex<Option<Package>>,
    _id: ContextId,
}

impl FlawedLink {
    /// Whether this data package is one of the flawed ones (every 50th).
    fn strikes(&self, package: &Package) -> bool {
        package.kind() == PackageKind::Data
            && self.data_sent.fetch_add(1, Ordering::Relaxed) % 50 == 3
    }
}

impl Link for FlawedLink {
    fn send_package(&self, package: &Package) -> Result<()> {
        match self.flaw {
            Flaw::TruncatesLargePackages if package.data.len() > 64 * 1024 => {
                let mut cut = package.clone();
                cut.data = package.data.slice(..package.data.len() / 2);
                return self.inner.send_package(&cut);
            }
            Flaw::AltersHeaders if package.kind() == PackageKind::Data => {
                let mut altered = package.clone();
                altered.dest_seq = altered.dest_seq.wrapping_add(1);
                return self.inner.send_package(&altered);
            }
            _ => {}
        }
        if let Some(held) = lock(&self.held).take() {
            self.inner.send_package(package)?;
            return self.inner.send_package(&held);
        }
        if !self.strikes(package) {
            return self.inner.send_package(package);
        }
        match self.flaw {
            Flaw::LosesPackages => Ok(()),
            Flaw::DuplicatesPackages => {
                self.inner.send_package(package)?;
                self.inner.send_package(package)
            }
            Flaw::ReordersPackages => {
                *lock(&self.held) = Some(package.clone());
                Ok(())
            }
            Flaw::CorruptsPackages => {
                let mut data = package.data.to_vec();
                let middle = data.len() / 2;
                data[middle] ^= 0x20;
                let mut corrupted = package.clone();
                corrupted.data = Bytes::from(data);
                self.inner.send_package(&corrupted)
            }
            _ => self.inner.send_package(package),
        }
    }

    fn send_packages(&self, packages: &[Package]) -> Result<()> {
        packages.iter().try_for_each(|p| self.send_package(p))
    }

    fn wait_for_room(&self, deadline: Option<Instant>) -> Result<()> {
        self.inner.wait_for_room(deadline)
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
        if self.flaw == Flaw::TellsOnProblem {
            self.inner.notify_close();
        }
        self.inner.shutdown();
    }
}

/// The in-process transport under test with one [`Flaw`]: what
/// `tests/broken.rs` runs the cases on.
#[derive(Debug, Clone, Copy)]
pub struct BrokenUnderTest {
    flaw: Flaw,
}

impl BrokenUnderTest {
    /// The broken transport under test.
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
