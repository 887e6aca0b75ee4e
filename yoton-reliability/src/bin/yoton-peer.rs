//! The other process of yoton's reliability tests. Each mode plays one
//! role, prints what the test needs on standard output, one fact a line
//! (`PORTS 4100 4101`, `CLOSED <reason>`, `HWM <KiB>`), and ends by itself
//! at a deadline (see `yoton_reliability::process`).
//!
//! - `victim [MAX_DATA_LEN]`: binds twice; the first connection is for an
//!   attacker, the second for a real peer afterwards. Prints every message
//!   received on the `probe` channel and echoes it on `pong`, the close
//!   reasons, and its memory before and after.
//! - `half-package PORT SIZE SENT`: connects by hand, announces a package
//!   of SIZE bytes, sends SENT of them, prints `HALF` and waits to be killed.
//! - `hub N`: binds N times and forwards between its peers until all have
//!   closed; prints its peak memory.
//! - `stall-sender PORT TOTAL MAX SEED`: connects to PORT and publishes on
//!   `bulk` a checked stream of messages of up to MAX bytes, TOTAL bytes in
//!   all; prints `STALLED` with its memory when sending has not progressed
//!   for a while, and its peak memory at the end.
//! - `host PORT`: binds at 127.0.0.1:PORT, prints `BOUND`, then `GOT` once
//!   a message came on `load`, and takes what comes until it is killed.
#![forbid(unsafe_code)]

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use yoton::{Context, PubChannel, SubChannel, SubOptions, TcpOptions, TcpTransport};
use yoton_reliability::memory::Memory;
use yoton_reliability::process::arm_helper_process;
use yoton_reliability::wire::{Stream, checksum, header_announcing};
use yoton_reliability::{SOON, raw};

/// How long a helper waits for anything before it gives up (with an error
/// status, which the test sees).
const WAIT: Duration = Duration::from_secs(60);

fn main() {
    arm_helper_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| fail(&format!("argument {i} missing or not a number: {args:?}")))
    };
    match args.first().map(String::as_str) {
        Some("victim") => victim(args.get(1).and_then(|a| a.parse().ok())),
        Some("half-package") => half_package(arg(1) as u16, arg(2), arg(3)),
        Some("hub") => hub(arg(1) as usize),
        Some("host") => host(arg(1) as u16),
        Some("stall-sender") => stall_sender(arg(1) as u16, arg(2), arg(3) as usize, arg(4)),
        _ => fail(&format!("unknown mode: {args:?}")),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("yoton-peer: {message}");
    std::process::exit(2);
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn memory() -> Memory {
    Memory::of_self().unwrap_or(Memory {
        rss_kib: 0,
        hwm_kib: 0,
    })
}

fn victim(max_data_len: Option<u64>) {
    let ctx = Context::new();
    let mut options = TcpOptions::new();
    if let Some(max) = max_data_len {
        options = options.with_max_data_len(max);
    }
    let transport = TcpTransport::with_options(options).unwrap_or_else(|e| fail(&e.to_string()));
    ctx.register_transport(Arc::new(transport));
    let probe =
        SubChannel::<Vec<u8>>::with_options(&ctx, "probe", SubOptions::new().capacity(100_000))
            .unwrap_or_else(|e| fail(&e.to_string()));
    let pong = PubChannel::<Vec<u8>>::new(&ctx, "pong").unwrap_or_else(|e| fail(&e.to_string()));
    let attacked = ctx
        .bind("localhost:0")
        .unwrap_or_else(|e| fail(&e.to_string()));
    let spare = ctx
        .bind("localhost:0")
        .unwrap_or_else(|e| fail(&e.to_string()));
    let attacked_closed = attacked.closed().subscribe();
    let spare_closed = spare.closed().subscribe();
    thread::Builder::new()
        .name("victim-probe".to_owned())
        .spawn(move || {
            while let Ok(message) = probe.recv() {
                say(&format!(
                    "GOT {} {:016x}",
                    message.len(),
                    checksum(&message)
                ));
                let _ = pong.send(&message);
            }
        })
        .unwrap_or_else(|e| fail(&e.to_string()));
    say(&format!(
        "PORTS {} {}",
        attacked.local_port(),
        spare.local_port()
    ));
    say(&format!("RSS {}", memory().hwm_kib));
    let event = attacked_closed
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| fail("the attacked connection never closed"));
    say(&format!("CLOSED {}", event.reason));
    say(&format!("HWM {}", memory().hwm_kib));
    let event = spare_closed
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| fail("the spare connection never closed"));
    say(&format!("CLOSED2 {}", event.reason));
}

fn half_package(port: u16, size: u64, sent: u64) {
    let (mut stream, line) = raw::connect(port).unwrap_or_else(|e| fail(&e.to_string()));
    if !line.starts_with("YOTON!") {
        fail(&format!("handshake answered {line:?}"));
    }
    let chunk = vec![0x5au8; 1 << 20];
    let mut wire = header_announcing(size).to_vec();
    let mut left = sent;
    let result = stream.write_all(&wire).and_then(|()| {
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            stream.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        stream.flush()
    });
    result.unwrap_or_else(|e| fail(&e.to_string()));
    wire.clear();
    say("HALF");
    // Waits to be killed; the deadline thread ends it otherwise.
    loop {
        thread::park();
    }
}

fn host(port: u16) {
    let ctx = yoton::context();
    let load = SubChannel::<Vec<u8>>::new(&ctx, "load").unwrap_or_else(|e| fail(&e.to_string()));
    let options = yoton::BindOptions::new().max_tries(1);
    let _bound = ctx
        .bind_with(&format!("tcp://127.0.0.1:{port}"), &options)
        .unwrap_or_else(|e| fail(&e.to_string()));
    say("BOUND");
    load.recv_timeout(WAIT)
        .unwrap_or_else(|e| fail(&format!("no load came: {e}")));
    say("GOT");
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let _ = load.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    }
}

fn hub(count: usize) {
    let ctx = yoton::context();
    let mut closed = Vec::new();
    let mut ports = Vec::new();
    let mut bound = Vec::new();
    for _ in 0..count {
        let conn = ctx
            .bind("localhost:0")
            .unwrap_or_else(|e| fail(&e.to_string()));
        closed.push(conn.closed().subscribe());
        ports.push(conn.local_port().to_string());
        bound.push(conn);
    }
    say(&format!("PORTS {}", ports.join(" ")));
    say(&format!("RSS {}", memory().hwm_kib));
    let deadline = Instant::now() + WAIT * 10;
    for rx in &closed {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left)
            .unwrap_or_else(|_| fail("a peer of the hub never closed"));
    }
    say(&format!("HWM {}", memory().hwm_kib));
    drop(bound);
}

fn stall_sender(port: u16, total: u64, max: usize, seed: u64) {
    let ctx = yoton::context();
    let bulk =
        PubChannel::<bytes::Bytes>::new(&ctx, "bulk").unwrap_or_else(|e| fail(&e.to_string()));
    let conn = ctx
        .connect(&format!("localhost:{port}"))
        .unwrap_or_else(|e| fail(&e.to_string()));
    say(&format!("RSS {}", memory().hwm_kib));
    // A watcher reports when sending has made no progress for a while: the
    // sender is then blocked by the peer that stopped reading.
    let progress = Arc::new(AtomicU64::new(0));
    let watched = Arc::clone(&progress);
    thread::Builder::new()
        .name("stall-watch".to_owned())
        .spawn(move || {
            let mut last = u64::MAX;
            let mut still = 0;
            loop {
                // Watching for time passing without progress.
                thread::sleep(Duration::from_millis(50));
                let now = watched.load(Ordering::Acquire);
                if now == last {
                    still += 1;
                    if still == 6 {
                        let m = memory();
                        say(&format!("STALLED {now} {} {}", m.rss_kib, m.hwm_kib));
                    }
                } else {
                    last = now;
                    still = 0;
                }
            }
        })
        .unwrap_or_else(|e| fail(&e.to_string()));
    let stream = Stream::new(seed, max);
    let mut sent = 0u64;
    let mut i = 0u64;
    while sent < total {
        let message = stream.message(i);
        sent += message.len() as u64;
        bulk.send_bytes(message)
            .unwrap_or_else(|e| fail(&e.to_string()));
        i += 1;
        progress.store(i, Ordering::Release);
    }
    say(&format!("COUNT {i} {sent}"));
    conn.flush(SOON * 3)
        .unwrap_or_else(|e| fail(&e.to_string()));
    conn.close(None);
    say(&format!("HWM {}", memory().hwm_kib));
}
