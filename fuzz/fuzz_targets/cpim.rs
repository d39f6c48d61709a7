//! Fuzz target: see `msrp_chat::fuzzing::cpim` for the invariants checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msrp_chat::fuzzing::cpim(data));
