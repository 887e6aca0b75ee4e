//! Backpressure: a peer that does not read holds a sender back, and a
//! bounded send gives up in time without sending anything.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::Receiver;
use yoton_core::{Delivery, Direction, Endpoint, Error};

use crate::cases::quiet::expect_marker_next;
use crate::harness::{SLOT, context, join, listen};
use crate::wait::wait_until;
use crate::{STEP_DEADLINE, TransportUnderTest};

/// An endpoint that holds the receiving thread in its first delivery until
/// released, and counts what it was given.
#[derive(Debug)]
struct Stuck {
    release: Mutex<Receiver<()>>,
    count: AtomicUsize,
}

impl Endpoint for Stuck {
    fn deliver(&self, deliveries: &mut Vec<Delivery>) {
        if self.count.load(Ordering::Acquire) == 0 {
            let release = self.release.lock().unwrap_or_else(|e| e.into_inner());
            let _ = release.recv_timeout(STEP_DEADLINE);
        }
        self.count.fetch_add(deliveries.len(), Ordering::AcqRel);
        deliveries.clear();
    }
}

/// While the peer does not read, bounded sends fill the link and then
/// give up with `Timeout`; the one that gave up was not sent: once the
/// peer reads again it gets exactly the sends that succeeded.
pub fn a_bounded_send_gives_up_on_a_peer_that_does_not_read_and_sends_nothing(
    ut: &dyn TransportUnderTest,
) {
    let (a, b) = (context(ut), context(ut));
    let _link = join(ut, &a, &b);
    let (release, released) = crossbeam_channel::bounded(1);
    let stuck = Arc::new(Stuck {
        release: Mutex::new(released),
        count: AtomicUsize::new(0),
    });
    b.register_endpoint(Direction::Incoming, SLOT, "stuck", Arc::clone(&stuck) as _)
        .expect("a free slot");
    let marks = listen(&b, yoton_core::Slot::from_name("marker"));
    let block = Bytes::from(vec![7u8; 64 * 1024]);
    let started = Instant::now();
    let mut sent = 0usize;
    let error = loop {
        assert!(
            started.elapsed() < STEP_DEADLINE,
            "{sent} bounded sends of 64 KiB and none gave up"
        );
        match a.send_timeout(SLOT, block.clone(), Duration::from_millis(100)) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
    };
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert!(sent > 0, "the first send already gave up");
    // A bounded batch gives up whole. The kernel may still take a little
    // more (it compacts what the peer holds), so batches are tried until
    // one gives up; those that went count as two sends each.
    let batch = loop {
        assert!(
            started.elapsed() < STEP_DEADLINE,
            "bounded batches of 2 x 64 KiB and none gave up"
        );
        match a.send_batch_deadline(
            SLOT,
            [block.clone(), block.clone()],
            Instant::now() + Duration::from_millis(100),
        ) {
            Ok(()) => sent += 2,
            Err(e) => break e,
        }
    };
    assert!(matches!(batch, Error::Timeout { .. }), "{batch}");
    release.send(()).expect("the endpoint waits");
    wait_until("the peer took every send that succeeded", || {
        stuck.count.load(Ordering::Acquire) >= sent
    });
    // Anything more would come before this marker.
    a.send(yoton_core::Slot::from_name("marker"), "after")
        .expect("send");
    expect_marker_next(&marks, "after", "marker");
    assert_eq!(stuck.count.load(Ordering::Acquire), sent);
}
