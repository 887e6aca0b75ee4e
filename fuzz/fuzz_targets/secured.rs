//! The secured handshake and frame decoder: see `yoton_fuzz::secured`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| yoton_fuzz::secured::run(input));
