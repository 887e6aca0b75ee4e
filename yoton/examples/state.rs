//! A state channel: a value that every context of a network shares, and
//! that a context joining later learns at once.
//!
//! ```text
//! cargo run -p yoton --example state
//! ```
//!
//! Runs on its own: a "worker" context publishes its status, a "monitor"
//! context connects later over TCP on loopback and still sees the latest
//! status, then follows the updates. Python's
//! `yoton.StateChannel(ctx, "status")` would see the same values.

use std::error::Error;
use std::time::Duration;

use yoton::StateChannel;

/// How long the example waits for any update before giving up.
const DEADLINE: Duration = Duration::from_secs(10);

/// Runs the example; also called by the crate's tests.
pub fn main() -> Result<(), Box<dyn Error>> {
    let worker = yoton::context();
    let status = StateChannel::<String>::new(&worker, "status")?;
    // Set before anyone listens: a state channel keeps it.
    status.send("starting")?;
    status.send("idle")?;
    let bound = worker.bind("localhost:0")?;
    println!(
        "worker: status {:?}, waiting on port {}",
        status.get(),
        bound.local_port()
    );

    let monitor = yoton::context();
    // Made before connecting, so that the resend reaches it.
    let watched = StateChannel::<String>::new(&monitor, "status")?;
    monitor.connect(&format!("localhost:{}", bound.local_port()))?;
    // Connecting announces the newcomer; the worker's channel resends.
    let seen = watched.get_or_wait(DEADLINE)?;
    println!("monitor: joined late and sees {seen:?}");

    for next in ["busy: 1 job", "busy: 2 jobs", "idle"] {
        status.send(next)?;
        let seen = watched.wait_for(|status| status == next, DEADLINE)?;
        println!("monitor: status is now {seen:?}");
    }
    // Sending the current value again sends nothing: only changes travel.
    status.send("idle")?;

    monitor.close();
    worker.close();
    Ok(())
}
