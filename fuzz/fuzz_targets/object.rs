//! The OBJECT decoder: see `yoton_fuzz::object`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| yoton_fuzz::object::run(input));
