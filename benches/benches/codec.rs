//! The package codec without IO: encoding packages into a send buffer, and
//! decoding them from a receive buffer fed in socket-sized chunks.
// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use yoton_benches::wire_of_small_packages;
use yoton_core::decoder::Decoder;
use yoton_core::{Package, Slot};

/// Packages per iteration.
const COUNT: usize = 1000;

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in [8usize, 1024] {
        let package = Package::new(Slot::new(9), Bytes::from(vec![1u8; size]));
        group.throughput(Throughput::Elements(COUNT as u64));
        let mut out = Vec::with_capacity(COUNT * package.encoded_len());
        group.bench_function(BenchmarkId::from_parameter(format!("{size}B")), |b| {
            b.iter(|| {
                out.clear();
                for _ in 0..COUNT {
                    black_box(&package).encode_into(&mut out);
                }
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let wire = wire_of_small_packages(COUNT);
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(COUNT as u64));
    for chunk in [4096usize, 64 * 1024] {
        group.bench_function(BenchmarkId::new("8B", format!("chunks of {chunk}")), |b| {
            let mut decoder = Decoder::new();
            b.iter(|| {
                let mut count = 0;
                for piece in wire.chunks(chunk) {
                    decoder
                        .read_with(|buf| {
                            buf[..piece.len()].copy_from_slice(piece);
                            Ok(piece.len())
                        })
                        .expect("room");
                    while let Some(package) = decoder.next_package().expect("valid") {
                        black_box(package);
                        count += 1;
                    }
                }
                assert_eq!(count, COUNT);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
