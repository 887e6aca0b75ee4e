//! [`Endpoint`]: what a channel registers on a slot of a context, and the
//! [`Delivery`] of a received package to it.

use std::fmt;

#[cfg(doc)]
use crate::context::Context;
use crate::package::Package;

/// A received package on its way to an [`Endpoint`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The package as received.
    pub package: Package,
    /// The order in which this context accepted it, across all slots and
    /// connections (starting at 1): what lets a reader of several channels
    /// return their messages in the order they came.
    pub recv_seq: u64,
}

/// Which way an endpoint's slot faces.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The endpoint receives the packages that arrive for the slot.
    Incoming,
    /// The endpoint sends on the slot (state channels are asked to resend
    /// on `NEW_CONNECTION`).
    Outgoing,
}

/// Something registered on a slot of a context: a channel, usually.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use yoton_core::{Context, Delivery, Direction, Endpoint, Slot};
/// use yoton_inproc::InprocTransport;
///
/// // An endpoint that forwards what arrives to a channel (a real program
/// // uses the channels of the `yoton` crate).
/// #[derive(Debug)]
/// struct Inbox(Mutex<crossbeam_channel::Sender<Vec<u8>>>);
/// impl Endpoint for Inbox {
///     fn deliver(&self, deliveries: &mut Vec<Delivery>) {
///         let tx = self.0.lock().unwrap();
///         for d in deliveries.drain(..) {
///             let _ = tx.send(d.package.data.to_vec());
///         }
///     }
/// }
///
/// let a = Context::new();
/// a.register_transport(Arc::new(InprocTransport::new()));
/// let b = Context::new();
/// b.register_transport(Arc::new(InprocTransport::new()));
/// a.bind("inproc://doc-endpoint").unwrap();
/// b.connect("inproc://doc-endpoint").unwrap();
/// assert_eq!(b.connection_count(), 1);
///
/// let slot = Slot::from_name("doc.txt.pub-sub");
/// let (tx, rx) = crossbeam_channel::unbounded();
/// b.register_endpoint(Direction::Incoming, slot, "doc", Arc::new(Inbox(Mutex::new(tx)))).unwrap();
/// a.send(slot, "hello").unwrap();
/// assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"hello");
/// ```
pub trait Endpoint: Send + Sync + fmt::Debug + 'static {
    /// Receives packages for an incoming slot, in the order they arrived.
    /// Called on a transport's receiving thread: take what is needed from
    /// the vector (it is cleared afterwards) and return quickly; never block
    /// on the network here.
    fn deliver(&self, deliveries: &mut Vec<Delivery>);

    /// A context joined the network (`NEW_CONNECTION`): a state channel
    /// resends its state. Called for outgoing registrations.
    fn on_new_connection(&self) {}

    /// The context closed its channels ([`Context::close`]).
    fn on_context_closed(&self) {}
}
