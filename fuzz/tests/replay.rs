//! Replays every committed seed (`seeds/<target>/*`) through its target's
//! body, as the fuzz binaries would run it, and fails on any panic. Also
//! checks that every target has seeds, so a renamed folder cannot make the
//! replay pass by replaying nothing.

use std::fs;
use std::panic;
use std::path::Path;

#[test]
fn every_seed_replays_without_a_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut failures = Vec::new();
    for (target, run) in yoton_fuzz::TARGETS {
        let dir = root.join(target);
        let mut seeds: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("no seeds for {target} in {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for seed in &seeds {
            let input = fs::read(seed).unwrap();
            if panic::catch_unwind(|| run(&input)).is_err() {
                failures.push(seed.display().to_string());
            }
        }
        println!("{target}: {} seeds replayed", seeds.len());
    }
    assert!(failures.is_empty(), "seeds that crash: {failures:#?}");
}
