//! Monte Carlo benchmark of `ndrs_production::uncertainty`: 100,000 draws over a model of 200
//! parameters (50 device types × installed base, active share, created and captured bytes per
//! active unit), production per device type = base × share × (created + captured), outputs the
//! total and five group totals. `scripts/bench/numpy_monte_carlo.py` runs the same model with
//! numpy. Both, in one command from the workspace root:
//!
//! ```sh
//! cargo bench -p ndrs-production --bench monte_carlo && python3 scripts/bench/numpy_monte_carlo.py
//! ```
//!
//! Prints the best wall time of three runs and the process's peak resident memory (VmHWM).

use std::time::Instant;

use ndrs_production::uncertainty::{Bounds, Distribution, SimulationResult, simulate};

const DEVICE_TYPES: usize = 50;
const GROUPS: usize = 5;
const DRAWS: usize = 100_000;
const SEED: u64 = 2023;
const RUNS: usize = 3;

/// The distributions of device type `i`, identical in the numpy script.
fn device(i: usize) -> [(String, Distribution); 4] {
    let base = 1e7 * (1 + i % 10) as f64;
    let share = 0.5 + 0.008 * i as f64;
    let bytes = 1e9 * (1 + i % 3) as f64;
    let build = || -> Result<[(String, Distribution); 4], Box<dyn std::error::Error>> {
        Ok([
            (
                format!("d{i}/installed_base"),
                Distribution::truncated_normal(base, 0.1 * base, Bounds::NON_NEGATIVE)?,
            ),
            (
                format!("d{i}/active_share"),
                Distribution::truncated_normal(share, 0.1, Bounds::SHARE)?,
            ),
            (
                format!("d{i}/created_bytes"),
                Distribution::triangular(0.5 * bytes, bytes, 2.0 * bytes)?,
            ),
            (
                format!("d{i}/captured_bytes"),
                Distribution::truncated_normal(5e8, 2e8, Bounds::NON_NEGATIVE)?,
            ),
        ])
    };
    match build() {
        Ok(d) => d,
        Err(e) => panic!("benchmark parameters are valid: {e}"),
    }
}

fn model(x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; 1 + GROUPS];
    for (i, p) in x.chunks_exact(4).enumerate() {
        let produced = p[0] * p[1] * (p[2] + p[3]);
        out[0] += produced;
        out[1 + i % GROUPS] += produced;
    }
    out
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let parameters: Vec<(String, Distribution)> = (0..DEVICE_TYPES).flat_map(device).collect();
    let mut outputs = vec!["total".to_string()];
    outputs.extend((0..GROUPS).map(|g| format!("group{g}")));

    let mut best = f64::INFINITY;
    let mut result: Option<SimulationResult> = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let r = simulate(&parameters, &outputs, model, DRAWS, SEED);
        best = best.min(start.elapsed().as_secs_f64());
        match r {
            Ok(r) => result = Some(r),
            Err(e) => panic!("simulation failed: {e}"),
        }
    }
    let Some(result) = result else { return };
    let total = &result.outputs[0];
    println!(
        "rust  monte_carlo: {DRAWS} draws x {} parameters x {} outputs: best of {RUNS} {:.3} s, peak memory {} MiB",
        parameters.len(),
        outputs.len(),
        best,
        peak_memory_kib().map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0)),
    );
    println!(
        "rust  total: central {:.4e} mean {:.4e} sd {:.4e} p5 {:.4e} p50 {:.4e} p95 {:.4e}; top driver {} ({:.3})",
        total.central,
        total.mean,
        total.standard_deviation,
        total.p5,
        total.p50,
        total.p95,
        total.sensitivity[0].parameter,
        total.sensitivity[0].variance_share,
    );
}
