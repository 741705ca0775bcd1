//! `cargo fuzz run payload`: the body is `vn_hybrid::fuzzing::payload` (shared with the stable replay
//! test crates/hybrid/tests/fuzz_replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vn_hybrid::fuzzing::payload(data));
