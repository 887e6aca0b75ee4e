//! The measuring loops of `yoton bench`, as a library, so that the
//! criterion benchmarks of the workspace (`benches/`) time exactly the same
//! bytes and the same loops as the command.
//!
//! The command (`src/main.rs`) arranges the two ends of a case in two
//! processes (or two threads) and reports; the benchmarks arrange them in
//! one process. Both drive the ends with [`setups`].
#![forbid(unsafe_code)]

pub mod setups;
