//! Deliberate flaws, for showing that the conformance suite can fail
//! (feature `test-util` only; never in a real program).
//!
//! `yoton-testkit`'s broken transport and broken router switch these on for
//! one context and check that the conformance cases that should notice do
//! fail, while they pass on the real code.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::core::ConnectionCore;

/// One way a context or its connections can be wrong on purpose.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContextFlaw {
    /// Its connections report a wrong peer (host, id and pid).
    MisreportsPeer,
    /// It delivers packages addressed to other contexts, and passes on
    /// packages addressed to it alone.
    IgnoresDestId,
    /// It delivers the packages that come back to it from its own source.
    RedeliversOwnPackages,
    /// It forgets which packages it has seen, before every package.
    ForgetsSeenPackages,
    /// Its connections send no heartbeats (a transport that forgets them).
    SendsNoHeartbeats,
}

impl ContextFlaw {
    fn bit(self) -> u8 {
        match self {
            ContextFlaw::MisreportsPeer => 1,
            ContextFlaw::IgnoresDestId => 2,
            ContextFlaw::RedeliversOwnPackages => 4,
            ContextFlaw::ForgetsSeenPackages => 8,
            ContextFlaw::SendsNoHeartbeats => 16,
        }
    }
}

/// The flaws switched on for one context.
#[derive(Debug, Default)]
pub(crate) struct Flaws(AtomicU8);

impl Flaws {
    pub(crate) fn set(&self, flaw: ContextFlaw) {
        self.0.fetch_or(flaw.bit(), Ordering::Relaxed);
    }

    pub(crate) fn has(&self, flaw: ContextFlaw) -> bool {
        self.0.load(Ordering::Relaxed) & flaw.bit() != 0
    }
}

pub(crate) fn misreports_peer(core: &ConnectionCore) -> bool {
    core.has_flaw(ContextFlaw::MisreportsPeer)
}
