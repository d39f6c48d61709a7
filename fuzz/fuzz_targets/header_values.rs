//! Fuzz target: see `msrp_proto::fuzzing::header_values` for the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::header_values(data));
