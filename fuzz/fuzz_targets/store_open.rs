//! `cargo fuzz run store_open`: the body is `vn_hybrid::fuzzing::store_open` (shared with the stable replay
//! test crates/hybrid/tests/fuzz_replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vn_hybrid::fuzzing::store_open(data));
