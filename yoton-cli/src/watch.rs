//! `yoton watch`: join a network and print every package the context
//! receives, one line each, on stdout.
//!
//! A line: `HH:MM:SS.mmm SOURCE_ID:SEQ -> DEST SLOT LEN PREVIEW`, where
//! DEST is `*` (everyone) or `ID` with `:SEQ` when the package answers one,
//! SLOT is a name when the slot is one of the `--slot` names or a Pyzo
//! channel (`ctrl-command.txt.sub-pub`), `context` for the context's own
//! messages, else `#HASH`; PREVIEW is text in quotes (cut at 48
//! characters) or the first 24 bytes in hex. The link comes back as `sub`'s
//! does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use yoton::{Package, Slot, SlotName};

use crate::args::WatchArgs;
use crate::failure::Failure;
use crate::session;

/// How often the loop looks at the link while no package comes.
const TICK: Duration = Duration::from_millis(100);

/// How many unread packages the tap holds before it counts drops.
const TAP_CAPACITY: usize = 1 << 16;

/// The base names of Pyzo's channels, named without `--slot`.
const PYZO_BASES: &[&str] = &[
    "ctrl-command",
    "ctrl-code",
    "ctrl-broker",
    "stat-startup",
    "stat-interpreter",
    "stat-cd",
    "stat-debug",
    "stat-breakpoints",
    "strm-out",
    "strm-err",
    "strm-raw",
    "strm-echo",
    "strm-prompt",
    "strm-action",
    "strm-broker",
    "reqp-introspect",
    "reqp-control",
];

/// The message types and patterns a base name is tried with.
const TYPES: &[&str] = &["txt", "bin", "obj"];
const PATTERNS: &[&str] = &["pub-sub", "sub-pub", "state", "req-rep", "rep-req"];

/// Runs `yoton watch`.
pub(crate) fn run(args: &WatchArgs) -> Result<(), Failure> {
    let context = session::context(args.secret_file.as_deref())?;
    // The tap is open before the link, so that the first package is seen.
    let tap = context.tap(TAP_CAPACITY);
    let result = (|| {
        let kept = session::keep(&context, &args.address, args.bind)?;
        let names = Names::new(&args.slots);
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let mut seen: u64 = 0;
        let mut dropped: u64 = 0;
        let mut deadline = args.max_wait.and_then(session::deadline_after);
        loop {
            let Some(wait) = session::next_wait(deadline, TICK) else {
                let _ = out.flush();
                return Err(Failure::TimedOut(format!(
                    "no package within {} (saw {seen})",
                    session::seconds(args.max_wait.unwrap_or_default())
                )));
            };
            if let Ok(package) = tap.recv_timeout(wait) {
                let mut next = Some(package);
                while let Some(package) = next {
                    seen += 1;
                    if !session::print(&mut out, &line(&package, &names, SystemTime::now()))? {
                        return Ok(());
                    }
                    if args.count.is_some_and(|count| seen >= count) {
                        return session::flush(&mut out).map(|_| ());
                    }
                    next = tap.try_recv();
                }
                if !session::flush(&mut out)? {
                    return Ok(());
                }
                deadline = args.max_wait.and_then(session::deadline_after);
            }
            if tap.dropped() > dropped {
                session::note(&format!(
                    "{} packages not shown: stdout could not keep up",
                    tap.dropped() - dropped
                ));
                dropped = tap.dropped();
            }
            kept.check()?;
        }
    })();
    context.close();
    result
}

/// The names of the slots `watch` shows by name.
struct Names {
    by_slot: HashMap<Slot, String>,
}

impl Names {
    fn new(extra: &[String]) -> Names {
        let mut by_slot = HashMap::new();
        by_slot.insert(Slot::CONTEXT, "context".to_owned());
        by_slot.insert(Slot::CONNECTION, "connection".to_owned());
        let bases = PYZO_BASES
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str));
        for base in bases {
            for kind in TYPES {
                for pattern in PATTERNS {
                    let name = SlotName::new(base, kind, pattern);
                    by_slot.insert(name.slot(), name.name().to_owned());
                }
            }
        }
        Names { by_slot }
    }

    fn of(&self, slot: Slot) -> String {
        self.by_slot
            .get(&slot)
            .cloned()
            .unwrap_or_else(|| format!("#{}", slot.get()))
    }
}

/// One package as a line.
fn line(package: &Package, names: &Names, now: SystemTime) -> String {
    let dest = match (package.dest_id, package.dest_seq) {
        (0, _) => "*".to_owned(),
        (id, 0) => format!("{id:016x}"),
        (id, seq) => format!("{id:016x}:{seq}"),
    };
    format!(
        "{} {:016x}:{} -> {dest} {} {} {}",
        clock(now),
        package.source_id,
        package.source_seq,
        names.of(package.slot),
        package.data.len(),
        preview(&package.data)
    )
}

/// The time of day in UTC, to the millisecond.
fn clock(now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let day = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        since.subsec_millis()
    )
}

/// Text in quotes with escapes, cut at 48 characters; other bytes in hex,
/// the first 24.
fn preview(data: &[u8]) -> String {
    const CHARS: usize = 48;
    const BYTES: usize = 24;
    match std::str::from_utf8(data) {
        Ok(text) => {
            let mut shown: String = text.chars().take(CHARS).collect();
            let cut = shown.len() < text.len();
            shown = format!("{shown:?}");
            if cut {
                shown.push('…');
            }
            shown
        }
        Err(_) => {
            let mut shown = String::with_capacity(BYTES * 2 + 1);
            for byte in data.iter().take(BYTES) {
                let _ = write!(shown, "{byte:02x}");
            }
            if data.len() > BYTES {
                shown.push('…');
            }
            shown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn package(slot: Slot, dest_id: u64, dest_seq: u64, data: &'static [u8]) -> Package {
        Package {
            slot,
            source_id: 0xabc,
            source_seq: 7,
            dest_id,
            dest_seq,
            data: Bytes::from_static(data),
        }
    }

    #[test]
    fn lines_name_pyzo_and_given_slots_and_hash_the_rest() {
        let names = Names::new(&["chat".to_owned()]);
        let at = UNIX_EPOCH + Duration::from_millis(86_400_000 * 3 + 3_723_004);
        let command = SlotName::new("ctrl-command", "txt", "pub-sub").slot();
        assert_eq!(
            line(&package(command, 0, 0, b"print(1)\n"), &names, at),
            "01:02:03.004 0000000000000abc:7 -> * ctrl-command.txt.pub-sub 9 \"print(1)\\n\""
        );
        let chat = SlotName::new("chat", "bin", "sub-pub").slot();
        assert_eq!(
            line(&package(chat, 0x12, 5, &[0xff, 0]), &names, at),
            "01:02:03.004 0000000000000abc:7 -> 0000000000000012:5 chat.bin.sub-pub 2 ff00"
        );
        let other = Slot::from_name("elsewhere.txt.pub-sub");
        let text = line(&package(other, 0x12, 0, b"x"), &names, at);
        assert!(
            text.ends_with(&format!("-> 0000000000000012 #{} 1 \"x\"", other.get())),
            "{text}"
        );
        assert!(line(&package(Slot::CONTEXT, 0, 0, b"x"), &names, at).contains(" context "));
    }

    #[test]
    fn previews_are_cut_and_marked() {
        let long = "é".repeat(60);
        let shown = preview(long.as_bytes());
        assert_eq!(shown, format!("{:?}…", "é".repeat(48)));
        assert_eq!(preview(&[0xfe; 30]), format!("{}…", "fe".repeat(24)));
        assert_eq!(preview(b""), "\"\"");
    }
}
