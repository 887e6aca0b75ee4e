//! Benchmarks comparing the yoton transports; see `benches/`.
