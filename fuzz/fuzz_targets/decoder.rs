//! The package decoder: see `yoton_fuzz::decoder`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| yoton_fuzz::decoder::run(input));
