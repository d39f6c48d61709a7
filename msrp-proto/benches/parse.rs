//! Parser benchmarks (placeholder).
fn main() {}
