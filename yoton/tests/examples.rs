//! The self-contained examples run to completion, so that what
//! `cargo run -p yoton --example NAME` shows keeps working. (The chat needs
//! two processes and a terminal; it is compiled with the tests. The
//! pyzo_kernel example needs a Python with pyzo: `tests/pyzo_kernel.rs`
//! runs it as a process.)

#[allow(unreachable_pub)]
#[path = "../examples/state.rs"]
mod state;

#[allow(unreachable_pub)]
#[path = "../examples/events.rs"]
mod events;

#[allow(unreachable_pub)]
#[path = "../examples/async.rs"]
mod async_tasks;

#[test]
fn the_state_example_runs() {
    state::main().unwrap();
}

#[test]
fn the_events_example_runs() {
    events::main().unwrap();
}

#[test]
fn the_async_example_runs() {
    async_tasks::main().unwrap();
}
