//! "Nothing more came", said with a positive marker rather than by waiting
//! a while: either a later message that must arrive after anything that
//! should not, or the end of the channel itself once everything that could
//! still send on it is gone.

use std::fmt::Debug;

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};
use yoton_core::Delivery;

use crate::STEP_DEADLINE;
use crate::harness::next;

/// The next delivery must be the text `marker`, sent after everything that
/// must not arrive: anything that does arrive comes before it and fails.
pub(crate) fn expect_marker_next(rx: &Receiver<Delivery>, marker: &str, what: &str) {
    let got = next(rx, &format!("the marker {marker:?}"));
    let text = String::from_utf8_lossy(&got.package.data);
    assert_eq!(text, marker, "unexpected {what} before the marker");
}

/// Once a later event has shown that everything before it was handled,
/// nothing may be waiting on `rx`.
pub(crate) fn expect_nothing_waiting<T: Debug>(rx: &Receiver<T>, what: &str) {
    match rx.try_recv() {
        Err(TryRecvError::Empty) => {}
        Ok(extra) => panic!("unexpected {what}: {extra:?}"),
        Err(TryRecvError::Disconnected) => {}
    }
}

/// Waits until every sender of `rx` is gone (the caller dropped all it
/// held: the contexts and connections whose signal or endpoint feeds
/// `rx`), failing on anything that still arrives before that.
pub(crate) fn expect_end_of<T: Debug>(rx: Receiver<T>, what: &str) {
    match rx.recv_timeout(STEP_DEADLINE) {
        Err(RecvTimeoutError::Disconnected) => {}
        Ok(extra) => panic!("unexpected {what}: {extra:?}"),
        Err(RecvTimeoutError::Timeout) => {
            panic!("still held after everything was dropped (waiting for any {what})")
        }
    }
}
