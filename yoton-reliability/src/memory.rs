//! Memory figures of a process, read from `/proc/<pid>/status` (Linux).
//! Elsewhere the figures are absent and the tests skip their memory checks.

use std::fmt;

/// Resident memory of a process, in KiB.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss_kib: u64,
    /// The highest resident set size so far (`VmHWM`).
    pub hwm_kib: u64,
}

impl Memory {
    /// The figures of the process `pid`, if this system shows them.
    pub fn of_process(pid: u32) -> Option<Memory> {
        Memory::parse(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
    }

    /// The figures of this process.
    pub fn of_self() -> Option<Memory> {
        Memory::parse(&std::fs::read_to_string("/proc/self/status").ok()?)
    }

    /// Reads the figures out of the text of a `status` file.
    ///
    /// ```
    /// use yoton_reliability::memory::Memory;
    /// let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
    /// assert_eq!(Memory::parse(text), Some(Memory { rss_kib: 1024, hwm_kib: 2048 }));
    /// assert_eq!(Memory::parse("Name:\tx\n"), None);
    /// ```
    pub fn parse(status: &str) -> Option<Memory> {
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        };
        Some(Memory {
            rss_kib: field("VmRSS:")?,
            hwm_kib: field("VmHWM:")?,
        })
    }
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rss {:.1} MiB, peak {:.1} MiB",
            self.rss_kib as f64 / 1024.0,
            self.hwm_kib as f64 / 1024.0
        )
    }
}
