//! Benchmarks (written once the domain is complete).
fn main() {}
