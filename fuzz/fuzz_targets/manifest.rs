//! `cargo fuzz run manifest`: the body is `vn_hybrid::fuzzing::manifest` (shared with the stable replay
//! test crates/hybrid/tests/fuzz_replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vn_hybrid::fuzzing::manifest(data));
