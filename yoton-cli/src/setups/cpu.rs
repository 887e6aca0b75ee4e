//! The CPU time a process uses, to show what a round trip costs besides
//! its latency (spinning buys latency with CPU).

use std::time::Duration;

/// The CPU time (user and system) this process has used so far, all its
/// threads together, ended ones included; `None` where the platform does
/// not offer a process CPU clock.
///
/// ```
/// use yoton_cli::setups::cpu::process_cpu_time;
///
/// if let Some(before) = process_cpu_time() {
///     let mut x = 0u64;
///     for i in 0..1_000_000u64 {
///         x = std::hint::black_box(x.wrapping_add(i));
///     }
///     assert!(process_cpu_time().unwrap() > before);
/// }
/// ```
pub fn process_cpu_time() -> Option<Duration> {
    imp::process_cpu_time()
}

/// The CPU time used since `before` (a [`process_cpu_time`] reading).
pub fn cpu_time_since(before: Option<Duration>) -> Option<Duration> {
    Some(process_cpu_time()?.saturating_sub(before?))
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd"
))]
mod imp {
    use std::time::Duration;

    use rustix::time::{ClockId, clock_gettime};

    pub(super) fn process_cpu_time() -> Option<Duration> {
        let t = clock_gettime(ClockId::ProcessCPUTime);
        let secs = u64::try_from(t.tv_sec).ok()?;
        let nanos = u32::try_from(t.tv_nsec).ok()?;
        Some(Duration::new(secs, nanos))
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd"
)))]
mod imp {
    use std::time::Duration;

    pub(super) fn process_cpu_time() -> Option<Duration> {
        None
    }
}
