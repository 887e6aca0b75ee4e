//! yoton in-process, yoton over TCP (two contexts in one process, on
//! loopback) and plain TCP sockets on the same cases: 8 B, 1 KiB and 1 MiB
//! messages one way, and the 8-byte round trip, next to its floors
//! (`raw-tcp-spin`: sockets busy-polled at both ends; `raw-inproc`: two
//! threads spinning on crossbeam channels). Throughput is set so that
//! reports read in messages (8 B, round trips) or bytes per second.
//!
//! `yoton bench` measures the same over two processes; this is the
//! in-process, statistics-minded view for comparing commits.
// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use yoton_benches::{ChannelPair, InprocPair, Pattern, RawPair, SpinPair};

fn oneway(c: &mut Criterion) {
    for (size, label) in [(8usize, "8B"), (1024, "1KiB"), (1 << 20, "1MiB")] {
        let data = Bytes::from(vec![0x5a; size]);
        let mut group = c.benchmark_group(format!("oneway/{label}"));
        group.throughput(if size == 8 {
            Throughput::Elements(1)
        } else {
            Throughput::Bytes(size as u64)
        });
        if size >= 1 << 20 {
            group.sample_size(20);
        }
        group.measurement_time(Duration::from_secs(3));
        let pair = ChannelPair::inproc(Pattern::Oneway);
        group.bench_function(BenchmarkId::from_parameter("inproc"), |b| {
            b.iter_custom(|iters| pair.oneway(&data, iters))
        });
        drop(pair);
        let pair = ChannelPair::tcp(Pattern::Oneway);
        group.bench_function(BenchmarkId::from_parameter("tcp"), |b| {
            b.iter_custom(|iters| pair.oneway(&data, iters))
        });
        drop(pair);
        #[cfg(unix)]
        {
            let pair = ChannelPair::ipc(Pattern::Oneway);
            group.bench_function(BenchmarkId::from_parameter("ipc"), |b| {
                b.iter_custom(|iters| pair.oneway(&data, iters))
            });
        }
        let raw = RawPair::new(Pattern::Oneway);
        group.bench_function(BenchmarkId::from_parameter("raw-tcp"), |b| {
            b.iter_custom(|iters| raw.oneway(&data, iters))
        });
        group.finish();
    }
}

fn roundtrip(c: &mut Criterion) {
    let data = Bytes::from(vec![0x5a; 8]);
    let mut group = c.benchmark_group("roundtrip/8B");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    let pair = ChannelPair::inproc(Pattern::Roundtrip);
    group.bench_function(BenchmarkId::from_parameter("inproc"), |b| {
        b.iter_custom(|iters| pair.roundtrips(&data, iters))
    });
    drop(pair);
    let pair = ChannelPair::tcp(Pattern::Roundtrip);
    group.bench_function(BenchmarkId::from_parameter("tcp"), |b| {
        b.iter_custom(|iters| pair.roundtrips(&data, iters))
    });
    drop(pair);
    #[cfg(unix)]
    {
        let pair = ChannelPair::ipc(Pattern::Roundtrip);
        group.bench_function(BenchmarkId::from_parameter("ipc"), |b| {
            b.iter_custom(|iters| pair.roundtrips(&data, iters))
        });
    }
    let raw = RawPair::new(Pattern::Roundtrip);
    group.bench_function(BenchmarkId::from_parameter("raw-tcp"), |b| {
        b.iter_custom(|iters| raw.roundtrips(&data, iters))
    });
    drop(raw);
    // The floors spin a core at each end while they live: one at a time.
    let spin = SpinPair::new();
    group.bench_function(BenchmarkId::from_parameter("raw-tcp-spin"), |b| {
        b.iter_custom(|iters| spin.roundtrips(&data, iters))
    });
    drop(spin);
    let inproc = InprocPair::new();
    group.bench_function(BenchmarkId::from_parameter("raw-inproc"), |b| {
        b.iter_custom(|iters| inproc.roundtrips(&data, iters))
    });
    drop(inproc);
    group.finish();
}

criterion_group!(benches, oneway, roundtrip);
criterion_main!(benches);
