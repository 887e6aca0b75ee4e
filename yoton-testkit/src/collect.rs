//! An endpoint that collects what a context delivers on a slot into a
//! crossbeam channel, so that a test waits for a delivery with a deadline
//! (`recv_timeout`) instead of sleeping.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use yoton_core::{Context, Slot};
//! use yoton_inproc::InprocTransport;
//! use yoton_testkit::collect;
//!
//! let host = Context::new();
//! let client = Context::new();
//! for ctx in [&host, &client] {
//!     ctx.register_transport(Arc::new(InprocTransport::new()));
//! }
//! let slot = Slot::from_name("news");
//! let inbox = collect::listen_data(&client, slot, "news").unwrap();
//! let bound = host.bind("inproc://").unwrap();
//! client.connect(&format!("inproc://{}", bound.local_host())).unwrap();
//! bound.wait_connected(Duration::from_secs(10)).unwrap();
//! host.send(slot, "hello").unwrap();
//! assert_eq!(inbox.recv_timeout(Duration::from_secs(10)).unwrap(), "hello");
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use yoton_core::{Context, Delivery, Direction, Endpoint, Slot};

/// An [`Endpoint`] that sends each delivery, turned into a `T` by its map,
/// into a crossbeam channel.
///
/// The channel is unbounded, so the transport's receiving thread never
/// waits for the test. Once the receiver is dropped, deliveries are
/// discarded. It ignores `on_new_connection` and `on_context_closed`.
pub struct Collect<T = Delivery> {
    tx: Sender<T>,
    map: fn(Delivery) -> T,
}

impl Collect<Delivery> {
    /// An endpoint that forwards every [`Delivery`] as it is, and the
    /// receiving end of its channel.
    pub fn deliveries() -> (Arc<Collect<Delivery>>, Receiver<Delivery>) {
        Collect::with_map(|d| d)
    }
}

impl Collect<Bytes> {
    /// An endpoint that forwards the data of each delivered package, and
    /// the receiving end of its channel.
    pub fn data() -> (Arc<Collect<Bytes>>, Receiver<Bytes>) {
        Collect::with_map(|d| d.package.data)
    }
}

impl<T: Send + 'static> Collect<T> {
    /// An endpoint that forwards `map(delivery)` for every delivery, and
    /// the receiving end of its channel.
    pub fn with_map(map: fn(Delivery) -> T) -> (Arc<Collect<T>>, Receiver<T>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (Arc::new(Collect { tx, map }), rx)
    }
}

impl<T> fmt::Debug for Collect<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collect")
            .field("waiting", &self.tx.len())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Endpoint for Collect<T> {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        for d in deliveries.drain(..) {
            // A dropped receiver: the test no longer looks.
            let _ = self.tx.send((self.map)(d));
        }
    }
}

/// Registers a collecting endpoint on the incoming `slot` of `ctx` (under
/// `name`, the channel's name as the context reports it) and returns where
/// the deliveries arrive.
///
/// # Errors
///
/// [`yoton_core::Error::SlotTaken`] when another endpoint of `ctx` already
/// receives on `slot`.
pub fn listen(ctx: &Context, slot: Slot, name: &str) -> yoton_core::Result<Receiver<Delivery>> {
    let (endpoint, rx) = Collect::deliveries();
    ctx.register_endpoint(Direction::Incoming, slot, name, endpoint)?;
    Ok(rx)
}

/// Like [`listen`], returning only the data of each package.
///
/// # Errors
///
/// [`yoton_core::Error::SlotTaken`] when another endpoint of `ctx` already
/// receives on `slot`.
pub fn listen_data(ctx: &Context, slot: Slot, name: &str) -> yoton_core::Result<Receiver<Bytes>> {
    let (endpoint, rx) = Collect::data();
    ctx.register_endpoint(Direction::Incoming, slot, name, endpoint)?;
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yoton_core::Package;

    fn delivery(data: &'static str, recv_seq: u64) -> Delivery {
        Delivery {
            package: Package::new(Slot::new(3), data),
            recv_seq,
        }
    }

    #[test]
    fn every_delivery_is_forwarded_in_order_and_mapped() {
        let (endpoint, rx) = Collect::with_map(|d| d.recv_seq);
        let mut batch = vec![delivery("a", 1), delivery("b", 2)];
        endpoint.deliver(&mut batch);
        assert!(batch.is_empty(), "the batch is taken");
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
        let (endpoint, rx) = Collect::data();
        endpoint.deliver(&mut vec![delivery("x", 1)]);
        assert_eq!(rx.try_recv().unwrap(), "x");
        drop(rx);
        endpoint.deliver(&mut vec![delivery("nobody looks", 2)]);
    }

    #[test]
    fn a_taken_slot_is_an_error() {
        let ctx = Context::new();
        let slot = Slot::new(7);
        let _rx = listen(&ctx, slot, "first").unwrap();
        assert!(listen(&ctx, slot, "second").is_err());
    }
}
