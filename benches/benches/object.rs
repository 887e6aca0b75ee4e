//! The OBJECT codec on the messages of a real req/rep call: the request
//! `('signature', ('f',), {})` and its reply `'f(n)'` (both from the
//! reference's bytes), and a code block dict as Pyzo sends on `ctrl-code`;
//! each through `Object` and through serde with Rust types.
// `criterion_group!` defines a public function without documentation.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use yoton_object::{Dict, Object, from_bytes, to_bytes};

/// The request of the `signature('f')` call in the protocol notes.
const REQUEST: &[u8] = b"t\x03s\x09signaturet\x01s\x01fd\x00";
/// Its reply.
const REPLY: &[u8] = b"s\x04f(n)";

#[derive(Serialize, Deserialize)]
struct CodeBlock<'a> {
    source: &'a str,
    fname: &'a str,
    lineno: u32,
}

type Request<'a> = (&'a str, (&'a str,), BTreeMap<&'a str, Object>);

fn object(c: &mut Criterion) {
    let mut group = c.benchmark_group("object");
    let request = Object::from(("signature", ("f",), Dict::new()));
    let reply = Object::from("f(n)");
    assert_eq!(request.to_bytes().unwrap(), REQUEST);
    assert_eq!(reply.to_bytes().unwrap(), REPLY);
    let mut out = Vec::with_capacity(64);
    group.bench_function("request encode", |b| {
        b.iter(|| {
            out.clear();
            black_box(&request).encode_into(&mut out).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("request decode", |b| {
        b.iter(|| Object::from_bytes(black_box(REQUEST)).unwrap())
    });
    group.bench_function("reply encode", |b| {
        b.iter(|| {
            out.clear();
            black_box(&reply).encode_into(&mut out).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("reply decode", |b| {
        b.iter(|| Object::from_bytes(black_box(REPLY)).unwrap())
    });
    group.finish();
}

fn serde(c: &mut Criterion) {
    let mut group = c.benchmark_group("serde");
    let request: Request<'_> = ("signature", ("f",), BTreeMap::new());
    assert_eq!(to_bytes(&request).unwrap(), REQUEST);
    let mut out = Vec::with_capacity(64);
    group.bench_function("request encode", |b| {
        b.iter(|| {
            out.clear();
            yoton_object::to_writer(&mut out, black_box(&request)).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("request decode", |b| {
        b.iter(|| from_bytes::<Request<'_>>(black_box(REQUEST)).unwrap())
    });
    group.bench_function("reply encode", |b| {
        b.iter(|| {
            out.clear();
            yoton_object::to_writer(&mut out, black_box("f(n)")).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("reply decode", |b| {
        b.iter(|| from_bytes::<String>(black_box(REPLY)).unwrap())
    });
    let block = CodeBlock {
        source: "def f(n):\n    return n * 2\n",
        fname: "<console>",
        lineno: 3,
    };
    let block_bytes = to_bytes(&block).unwrap();
    group.bench_function("code block encode", |b| {
        b.iter(|| {
            out.clear();
            yoton_object::to_writer(&mut out, black_box(&block)).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("code block decode", |b| {
        b.iter(|| from_bytes::<CodeBlock<'_>>(black_box(&block_bytes)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, object, serde);
criterion_main!(benches);
