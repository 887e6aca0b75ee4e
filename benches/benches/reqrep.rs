//! Req/rep calls one after the other: a `ReqChannel` calls `echo(seq,
//! data)` with 8 bytes of data on a `RepChannel` served on its own thread,
//! in-process, over TCP and over `ipc://` (two contexts in one process).
//! Each call is the whole exchange: the OBJECT request, the pre-request
//! handshake, the handler and the OBJECT reply. Compare with
//! `roundtrip/8B` of `transports`, the pub/sub round trip of the same
//! transports.
//!
//! `yoton bench --pattern reqrep` measures the same with the replier in a
//! second process.
// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use yoton_benches::CallPair;

fn reqrep(c: &mut Criterion) {
    let mut group = c.benchmark_group("reqrep/8B");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    let pair = CallPair::inproc();
    group.bench_function(BenchmarkId::from_parameter("inproc"), |b| {
        b.iter_custom(|iters| pair.calls(8, iters))
    });
    drop(pair);
    let pair = CallPair::tcp();
    group.bench_function(BenchmarkId::from_parameter("tcp"), |b| {
        b.iter_custom(|iters| pair.calls(8, iters))
    });
    drop(pair);
    #[cfg(unix)]
    {
        let pair = CallPair::ipc();
        group.bench_function(BenchmarkId::from_parameter("ipc"), |b| {
            b.iter_custom(|iters| pair.calls(8, iters))
        });
    }
    group.finish();
}

criterion_group!(benches, reqrep);
criterion_main!(benches);
