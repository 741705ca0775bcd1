//! `cargo fuzz run vector_file`: the body is `vn_hybrid::fuzzing::vector_file` (shared with the stable replay
//! test crates/hybrid/tests/fuzz_replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vn_hybrid::fuzzing::vector_file(data));
