//! Fuzz target: see `msrp_proto::fuzzing::relay_ops` for the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_proto::fuzzing::relay_ops(data));
