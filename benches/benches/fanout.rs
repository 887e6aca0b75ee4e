//! Fan-out: one publisher and 1, 4 or 16 subscribers in one process, 8-byte
//! messages, yoton over TCP on loopback (a subscriber context per
//! connection, each read on its own thread) next to its baseline, the same
//! records written to as many plain TCP sockets (`raw-tcp`). Both are in
//! one group, one line each over the subscriber count, and throughput
//! counts deliveries: N per message sent to N subscribers.
//!
//! `yoton bench --pattern fanout` measures fan-out with a process per
//! subscriber; this is the in-process view, for comparing commits.
// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use yoton_benches::{FanOut, RawFanOut};

fn fanout(c: &mut Criterion) {
    let data = Bytes::from(vec![0x5a; 8]);
    let mut group = c.benchmark_group("fanout/8B");
    group.measurement_time(Duration::from_secs(3));
    for subscribers in [1usize, 4, 16] {
        group.throughput(Throughput::Elements(subscribers as u64));
        // One set of connections and threads at a time.
        let fan = FanOut::tcp(subscribers);
        group.bench_function(BenchmarkId::new("tcp", subscribers), |b| {
            b.iter_custom(|iters| fan.oneway(&data, iters))
        });
        drop(fan);
        let raw = RawFanOut::new(subscribers);
        group.bench_function(BenchmarkId::new("raw-tcp", subscribers), |b| {
            b.iter_custom(|iters| raw.oneway(&data, iters))
        });
        drop(raw);
    }
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
