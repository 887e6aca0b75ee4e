//! The bodies of the fuzz targets, as plain functions: the cargo-fuzz
//! binaries in `fuzz_targets/` call them, and `tests/replay.rs` feeds them
//! the committed seeds in `seeds/<target>/` without libFuzzer (so CI can
//! replay on stable without building cargo-fuzz or a sanitizer).
#![forbid(unsafe_code)]

pub mod decoder;
pub mod handshake;
pub mod object;
pub mod secured;

/// A target's body: runs one input, panics on a broken property.
pub type Body = fn(&[u8]);

/// Each target by name (its folder under `seeds/`), with its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("decoder", decoder::run),
    ("handshake", handshake::run),
    ("object", object::run),
    ("secured", secured::run),
];
