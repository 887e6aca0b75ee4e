//! The handshake line reader and decisions: see `yoton_fuzz::handshake`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| yoton_fuzz::handshake::run(input));
