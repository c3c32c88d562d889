//! Every input of the fuzz corpus (`fuzz/corpus/<target>/`, seeds and whatever the fuzzers found,
//! crashes included once fixed) runs through its target here, deterministically, in `cargo test`.
//! A target that panics on any of them fails the test and names the file.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    let files = corpus(target);
    assert!(!files.is_empty(), "the {target} corpus is empty");
    for file in &files {
        let bytes = std::fs::read(file).expect("read corpus file");
        if std::panic::catch_unwind(|| run(&bytes)).is_err() {
            panic!("{target} panicked on {}", file.display());
        }
    }
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn request_corpus() {
    replay("request", ndrs_fuzz::request);
}

#[test]
fn rules_corpus() {
    replay("rules", ndrs_fuzz::rules);
}

#[test]
fn sample_design_corpus() {
    replay("sample_design", ndrs_fuzz::sample_design);
}

#[test]
fn content_corpus() {
    replay("content", ndrs_fuzz::content);
}
