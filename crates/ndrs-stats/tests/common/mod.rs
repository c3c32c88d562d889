//! Helpers the oracle test binaries share: fixture paths, CSV columns, relative differences.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Columns of a CSV file by header.
pub fn read_csv(name: &str) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut rdr = csv::Reader::from_path(fixture(name)).expect("open fixture");
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let mut cols: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (h, v) in headers.iter().zip(rec.iter()) {
            cols.entry(h.clone()).or_default().push(v.to_string());
        }
    }
    (headers, cols)
}

/// |a - b| / |b| (0 when equal), the measure every tolerance here is stated in.
pub fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }
}
