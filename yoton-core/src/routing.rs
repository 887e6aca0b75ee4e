//! The routing decisions of a context, as plain code: what to do with a
//! package that arrived, fed packages and returning a [`Route`].
//!
//! A context delivers a package to its own channels when it is addressed
//! to everybody (`dest_id == 0`) or to this context, passes it on to its
//! other connections unless it is addressed to this context alone, and
//! drops it when it has seen it before: packages are numbered per source
//! (`source_seq` grows by one per package), so one number per source is
//! enough to recognise a package that came round a cycle of a mesh, or a
//! second time over two paths. Packages that come back to their own source
//! are dropped too.
//!
//! [`Context`](crate::Context) keeps one [`Router`] under its receive lock
//! and acts on its decisions (hands packages to endpoints, queues them on
//! the other connections); this module does no I/O, so the rules are
//! tested by feeding packages, and a mesh of routers is tested without any
//! transport (see the crate's property tests).

use std::collections::HashMap;

use crate::package::Package;

/// What to do with one arrived package.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    /// Deliver it to this context's channels, as the `recv_seq`-th package
    /// this context accepted (counting from 1).
    pub deliver: Option<u64>,
    /// Pass it on to every other alive connection.
    pub forward: bool,
}

impl Route {
    /// Neither delivered nor passed on.
    pub const DROP: Route = Route {
        deliver: None,
        forward: false,
    };

    /// Whether the package is dropped.
    pub fn is_drop(&self) -> bool {
        self.deliver.is_none() && !self.forward
    }
}

/// The de-duplication table and delivery counter of one context.
///
/// ```
/// use yoton_core::routing::{Route, Router};
/// use yoton_core::{Package, Slot};
///
/// let mut router = Router::new(1);
/// let mut package = Package::new(Slot::new(9), "hi");
/// package.source_id = 2;
/// package.source_seq = 1;
/// let route = router.route(&package, true);
/// assert_eq!(route, Route { deliver: Some(1), forward: true });
/// assert!(router.route(&package, true).is_drop()); // seen before
/// ```
#[derive(Debug, Clone)]
pub struct Router {
    own: u64,
    last_seq: HashMap<u64, u64>,
    recv_seq: u64,
    /// The source and last number of the current run, not yet written to
    /// `last_seq`: packages come in long runs from one source, so its
    /// number is looked up once per run, not once per package.
    run: Option<(u64, u64)>,
}

impl Router {
    /// A router for the context with id `own` that has seen nothing yet.
    pub fn new(own: u64) -> Self {
        Router {
            own,
            last_seq: HashMap::new(),
            recv_seq: 0,
            run: None,
        }
    }

    /// Decides what to do with `package`; `has_others` tells whether the
    /// context has another alive connection to pass packages on to.
    ///
    /// A package is new when its `source_seq` is higher than the highest
    /// seen from its source; only new packages are delivered or passed on.
    pub fn route(&mut self, package: &Package, has_others: bool) -> Route {
        let source = package.source_id;
        if source == self.own {
            return Route::DROP;
        }
        let last = match self.run {
            Some((current, last)) if current == source => last,
            _ => {
                self.end_run();
                self.last_seq.get(&source).copied().unwrap_or(0)
            }
        };
        if package.source_seq <= last {
            self.run = Some((source, last));
            return Route::DROP;
        }
        self.run = Some((source, package.source_seq));
        let for_us = package.dest_id == 0 || package.dest_id == self.own;
        let deliver = if for_us {
            self.recv_seq += 1;
            Some(self.recv_seq)
        } else {
            None
        };
        Route {
            deliver,
            forward: package.dest_id != self.own && has_others,
        }
    }

    /// The highest `source_seq` accepted from `source` (0 for none).
    pub fn last_seq(&self, source: u64) -> u64 {
        match self.run {
            Some((current, last)) if current == source => last,
            _ => self.last_seq.get(&source).copied().unwrap_or(0),
        }
    }

    /// How many packages were accepted for delivery so far.
    pub fn delivered(&self) -> u64 {
        self.recv_seq
    }

    /// Continues the delivery count from `delivered` (for a router that
    /// replaces another).
    #[cfg(feature = "test-util")]
    pub(crate) fn skip_deliveries(&mut self, delivered: u64) {
        self.recv_seq = delivered;
    }

    fn end_run(&mut self) {
        if let Some((source, last)) = self.run.take() {
            self.last_seq.insert(source, last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Slot;

    fn package(source: u64, seq: u64, dest: u64) -> Package {
        let mut p = Package::new(Slot::new(9), "x");
        p.source_id = source;
        p.source_seq = seq;
        p.dest_id = dest;
        p
    }

    const DELIVER_ONLY: Route = Route {
        deliver: Some(1),
        forward: false,
    };

    #[test]
    fn own_packages_are_dropped() {
        let mut r = Router::new(5);
        assert!(r.route(&package(5, 1, 0), true).is_drop());
        assert_eq!(r.delivered(), 0);
    }

    #[test]
    fn broadcast_is_delivered_and_forwarded_when_others_exist() {
        let mut r = Router::new(5);
        assert_eq!(
            r.route(&package(7, 1, 0), true),
            Route {
                deliver: Some(1),
                forward: true
            }
        );
        assert_eq!(
            r.route(&package(7, 2, 0), false),
            Route {
                deliver: Some(2),
                forward: false
            }
        );
    }

    #[test]
    fn packages_for_this_context_are_not_passed_on() {
        let mut r = Router::new(5);
        assert_eq!(r.route(&package(7, 1, 5), true), DELIVER_ONLY);
    }

    #[test]
    fn packages_for_another_context_are_only_passed_on() {
        let mut r = Router::new(5);
        assert_eq!(
            r.route(&package(7, 1, 8), true),
            Route {
                deliver: None,
                forward: true
            }
        );
        // With nowhere to pass it on, it is dropped, but still counted as
        // seen: the same package coming back later is not new.
        assert!(r.route(&package(7, 2, 8), false).is_drop());
        assert_eq!(r.last_seq(7), 2);
        assert_eq!(r.delivered(), 0);
    }

    #[test]
    fn old_and_repeated_numbers_are_dropped_per_source() {
        let mut r = Router::new(5);
        assert_eq!(r.route(&package(7, 3, 0), false).deliver, Some(1));
        assert!(r.route(&package(7, 3, 0), false).is_drop());
        assert!(r.route(&package(7, 2, 0), false).is_drop());
        // Another source has numbers of its own.
        assert_eq!(r.route(&package(8, 1, 0), false).deliver, Some(2));
        // Back to the first source: its number was kept across the switch.
        assert!(r.route(&package(7, 3, 0), false).is_drop());
        assert_eq!(r.route(&package(7, 4, 0), false).deliver, Some(3));
        assert_eq!((r.last_seq(7), r.last_seq(8), r.last_seq(9)), (4, 1, 0));
    }

    #[test]
    fn only_a_route_that_neither_delivers_nor_forwards_is_a_drop() {
        assert!(Route::DROP.is_drop());
        let deliver = Route {
            deliver: Some(1),
            forward: false,
        };
        let forward = Route {
            deliver: None,
            forward: true,
        };
        assert!(!deliver.is_drop());
        assert!(!forward.is_drop());
        assert!(
            !Route {
                deliver: Some(1),
                forward: true
            }
            .is_drop()
        );
    }

    #[test]
    fn delivered_counts_what_was_accepted_for_delivery() {
        let mut r = Router::new(5);
        r.route(&package(7, 1, 0), true);
        r.route(&package(7, 1, 0), true); // seen before
        r.route(&package(7, 2, 8), true); // only passed on
        r.route(&package(8, 1, 5), true);
        assert_eq!(r.delivered(), 2);
    }

    #[test]
    fn gaps_are_accepted() {
        // A source's packages may reach us over several paths, some of
        // them lost on one: a higher number is new even after a gap.
        let mut r = Router::new(5);
        assert_eq!(r.route(&package(7, 1, 0), false).deliver, Some(1));
        assert_eq!(r.route(&package(7, 10, 0), false).deliver, Some(2));
        assert!(r.route(&package(7, 5, 0), false).is_drop());
    }
}
