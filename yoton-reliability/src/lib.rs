//! Helpers of yoton's reliability tests: helper processes with a deadline,
//! memory figures from `/proc`, raw sockets that play a misbehaving peer,
//! and messages whose content the receiver can check byte for byte.
//!
//! The tests themselves are in `tests/`; the `yoton-peer` binary is the
//! other process of the tests that need one (a victim whose memory is its
//! own, a peer to kill, a hub, a sender to stall).
//!
//! ```
//! use yoton_reliability::wire::Stream;
//!
//! let stream = Stream::new(7, 4096);
//! let first = stream.message(0);
//! assert_eq!(first.len(), stream.size(0));
//! assert!(stream.check(0, &first));
//! assert!(!stream.check(1, &first));
//! assert_eq!(Stream::number_of(&first), Some(0));
//! ```
#![forbid(unsafe_code)]

pub mod memory;
pub mod process;
pub mod raw;
pub mod wire;

use std::time::Duration;

/// A generous bound for anything that should happen at once: tests wait
/// this long before they fail, and never hang.
pub const SOON: Duration = Duration::from_secs(20);

/// Whether the long soak runs (`YOTON_SOAK=1`); the CI sizes are used
/// otherwise.
pub fn soak() -> bool {
    std::env::var("YOTON_SOAK").is_ok_and(|v| !v.is_empty() && v != "0")
}
