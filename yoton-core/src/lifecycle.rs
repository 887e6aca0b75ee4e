//! The life of a connection as plain code: its states, and the close
//! protocol's decisions, fed events and returning what to do.
//!
//! [`ConnectionCore`](crate::ConnectionCore) keeps one [`Lifecycle`] under
//! its lock and acts on its answers (sends the close package, shuts the
//! transport down, emits `closed` once); the simulated-time pair of this
//! crate's tests drives the same rules with made-up instants.

use crate::connection::State;
use crate::package::{Package, PackageKind};

/// The state of one connection and why it closed.
///
/// ```
/// use yoton_core::State;
/// use yoton_core::lifecycle::Lifecycle;
///
/// let mut life = Lifecycle::new();
/// life.waiting();
/// assert!(life.connected(true));
/// assert_eq!(life.state(), State::Hosting);
/// // A connected end tells its peer when it closes.
/// assert_eq!(life.begin_close(), Some(State::Hosting));
/// assert_eq!(life.begin_close(), None); // closing already
/// assert!(life.finish_close("Closed on command."));
/// assert!(!life.finish_close("again")); // `closed` is emitted once
/// assert_eq!(life.close_reason(), Some("Closed on command."));
/// assert!(!life.connected(false)); // never used again
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    state: State,
    reason: Option<String>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::new()
    }
}

impl Lifecycle {
    /// A connection not yet bound or connected (its state reads `Closed`,
    /// with no reason).
    pub fn new() -> Self {
        Lifecycle {
            state: State::Closed,
            reason: None,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Why the connection closed, once [`finish_close`](Lifecycle::finish_close) ran.
    pub fn close_reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// A bound connection starts waiting for its peer.
    pub fn waiting(&mut self) {
        if self.reason.is_none() && self.state != State::Closing {
            self.state = State::Waiting;
        }
    }

    /// The handshake succeeded: `Hosting` for a bound connection,
    /// `Connected` for a connecting one. Returns `false`, changing nothing,
    /// when the connection closed (or started closing) meanwhile: the
    /// transport then drops the link.
    pub fn connected(&mut self, hosting: bool) -> bool {
        if self.reason.is_some() || self.state == State::Closing {
            return false;
        }
        self.state = if hosting {
            State::Hosting
        } else {
            State::Connected
        };
        true
    }

    /// Starts closing. Returns the state before, or `None` when the
    /// connection is closing or closed already (nothing to do). A previous
    /// state of `Hosting` or `Connected` means a peer is there to be told:
    /// send the close package and flush before shutting down.
    pub fn begin_close(&mut self) -> Option<State> {
        match self.state {
            State::Closed | State::Closing => None,
            previous => {
                self.state = State::Closing;
                Some(previous)
            }
        }
    }

    /// The link failed while a close was flushing: the state becomes
    /// `Closed` at once, and the close that is under way reports its own
    /// reason when it finishes.
    pub fn cut_short(&mut self) {
        self.state = State::Closed;
    }

    /// Ends closing with `reason`. Returns `true` the first time only:
    /// that is when `closed` is emitted and the context forgets the
    /// connection.
    pub fn finish_close(&mut self, reason: &str) -> bool {
        self.state = State::Closed;
        if self.reason.is_some() {
            return false;
        }
        self.reason = Some(reason.to_owned());
        true
    }
}

/// Applies the close protocol to a batch of received packages: keeps the
/// data packages that came before a close package, drops heartbeats and
/// other empty packages, and drops everything after the close package.
/// Returns whether a close package came: the connection then closes with
/// [`reason::CLOSED_FROM_OTHER_END`](crate::reason::CLOSED_FROM_OTHER_END),
/// after the packages kept are delivered.
///
/// ```
/// use yoton_core::lifecycle::take_until_close;
/// use yoton_core::{Package, Slot};
///
/// let data = |text: &'static str| Package::new(Slot::new(9), text);
/// let mut batch = vec![data("a"), Package::heartbeat(), data("b"), Package::close_notice(), data("late")];
/// assert!(take_until_close(&mut batch));
/// assert_eq!(batch, [data("a"), data("b")]);
/// ```
pub fn take_until_close(packages: &mut Vec<Package>) -> bool {
    let close_at = packages.iter().position(|p| p.kind() == PackageKind::Close);
    if let Some(pos) = close_at {
        packages.truncate(pos);
    }
    packages.retain(|p| p.kind() == PackageKind::Data);
    close_at.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_end_has_no_peer_to_tell() {
        let mut life = Lifecycle::new();
        life.waiting();
        assert_eq!(life.state(), State::Waiting);
        assert_eq!(life.begin_close(), Some(State::Waiting));
        assert_eq!(life.state(), State::Closing);
        assert!(
            !life.connected(true),
            "a peer that comes while closing is dropped"
        );
        assert!(life.finish_close("x"));
        assert_eq!(life.state(), State::Closed);
    }

    #[test]
    fn a_cut_short_close_keeps_the_reason_of_the_close() {
        let mut life = Lifecycle::new();
        assert!(life.connected(false));
        assert_eq!(life.begin_close(), Some(State::Connected));
        life.cut_short();
        assert_eq!(life.state(), State::Closed);
        assert_eq!(life.close_reason(), None);
        assert!(life.finish_close("Closed on command."));
        assert_eq!(life.close_reason(), Some("Closed on command."));
    }

    #[test]
    fn waiting_after_a_close_changes_nothing() {
        let mut life = Lifecycle::new();
        assert!(life.finish_close("gone"));
        life.waiting();
        assert_eq!(life.state(), State::Closed);
    }

    #[test]
    fn a_batch_without_a_close_package_keeps_its_data() {
        let mut batch = vec![Package::heartbeat(), Package::new(crate::Slot::new(9), "a")];
        assert!(!take_until_close(&mut batch));
        assert_eq!(batch.len(), 1);
    }
}
