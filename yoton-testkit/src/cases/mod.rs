//! The conformance cases, each a function of a [`TransportUnderTest`].
//!
//! Every case makes its own contexts and binds at fresh addresses, so cases
//! run in parallel; every wait has a deadline ([`STEP_DEADLINE`]), so a case
//! fails rather than hangs. Run them through
//! [`conformance_suite!`](crate::conformance_suite) or
//! [`run_case`](crate::run_case), which also put a deadline on the whole
//! case.
//!
//! [`TransportUnderTest`]: crate::TransportUnderTest
//! [`STEP_DEADLINE`]: crate::STEP_DEADLINE

mod backpressure;
mod closing;
mod context_messages;
mod flush;
mod names;
mod peers;
mod properties;
mod quiet;
mod routing;
mod timeouts;

pub use backpressure::*;
pub use closing::*;
pub use context_messages::*;
pub use flush::*;
pub use names::*;
pub use peers::*;
pub use properties::*;
pub use routing::*;
pub use timeouts::*;
