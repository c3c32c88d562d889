//! libFuzzer harness for `ndrs_fuzz::content` (see that crate for what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ndrs_fuzz::content(data));
