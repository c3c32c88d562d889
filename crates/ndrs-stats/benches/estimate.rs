//! Benchmark: 20 indicators x 30 domains for 100,000 respondents with 200 Rao-Wu bootstrap
//! replicates, raking (2 margins) re-applied on every replicate.
//!
//! Run: `cargo bench -p ndrs-stats --bench estimate`
//! The same job in samplics: `scripts/oracle/bench_samplics.py` (same shape, its own data and
//! bootstrap draws, so timings compare but numbers do not).

use std::time::Instant;

use ndrs_stats::*;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

const N: usize = 100_000;
const STRATA: usize = 50;
const PSUS_PER_STRATUM: usize = 20;
const DOMAINS: usize = 30;
const REPLICATES: usize = 200;

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let per_psu = N / (STRATA * PSUS_PER_STRATUM);
    let mut units = Vec::with_capacity(N);
    let mut domain = Vec::with_capacity(N);
    let mut region = Vec::with_capacity(N);
    let mut size = Vec::with_capacity(N);
    let mut ys: Vec<Vec<f64>> = (0..20).map(|_| Vec::with_capacity(N)).collect();
    for h in 0..STRATA {
        for j in 0..PSUS_PER_STRATUM {
            let psu_effect = uniform(&mut rng);
            for _ in 0..per_psu {
                units.push(Unit::new(
                    format!("s{h:02}"),
                    format!("p{j:02}"),
                    5.0 + 20.0 * uniform(&mut rng),
                ));
                domain.push(format!("d{:02}", rng.next_u64() % DOMAINS as u64));
                region.push(format!("r{}", rng.next_u64() % 5));
                size.push(format!("z{}", rng.next_u64() % 4));
                for (k, y) in ys.iter_mut().enumerate() {
                    let u = uniform(&mut rng);
                    y.push(if k < 8 {
                        // binary indicators
                        f64::from(u8::from(u < 0.2 + 0.05 * k as f64 + 0.1 * psu_effect))
                    } else {
                        (1.0 + k as f64) * (u + psu_effect)
                    });
                }
            }
        }
    }
    let design = Design::new(units).expect("design");
    let total: f64 = design.weights().iter().sum();
    let mut data = Data::new(N)
        .with_categorical("domain", &domain)
        .unwrap()
        .with_categorical("region", &region)
        .unwrap()
        .with_categorical("size", &size)
        .unwrap();
    for (k, y) in ys.into_iter().enumerate() {
        data = data.with_numeric(format!("y{k}"), y).unwrap();
    }
    let margin = |var: &str, prefix: &str, levels: usize, tilt: f64| Margin {
        variable: var.into(),
        targets: (0..levels)
            .map(|l| {
                let share = (1.0 + tilt * l as f64)
                    / (levels as f64 * (1.0 + tilt * (levels as f64 - 1.0) / 2.0));
                (format!("{prefix}{l}"), 1.02 * total * share)
            })
            .collect(),
    };
    let spec = WeightingSpec {
        steps: vec![WeightingStep::Rake(Raking {
            margins: vec![margin("region", "r", 5, 0.1), margin("size", "z", 4, -0.1)],
            max_iterations: 100,
            tolerance: 1e-8,
            bounds: None,
        })],
    };
    // 20 indicators: 8 proportions, 8 means, 2 totals, 2 ratios; x 30 domains = 600 estimates.
    let mut estimators = Vec::new();
    for d in 0..DOMAINS {
        let domain = Domain::Category {
            column: "domain".into(),
            value: format!("d{d:02}"),
        };
        for k in 0..20 {
            let y = format!("y{k}");
            estimators.push(match k {
                0..=7 => Estimator::Proportion {
                    y,
                    domain: domain.clone(),
                },
                8..=15 => Estimator::Mean {
                    y,
                    domain: domain.clone(),
                },
                16 | 17 => Estimator::Total {
                    y,
                    domain: domain.clone(),
                },
                _ => Estimator::Ratio {
                    y,
                    x: "y8".into(),
                    domain: domain.clone(),
                },
            });
        }
    }
    let method = VarianceMethod::Bootstrap {
        replicates: REPLICATES,
        seed: 2024,
    };
    let start = Instant::now();
    let set = estimate_many(
        &design,
        &spec,
        &data,
        &estimators,
        &method,
        &Options::default(),
    )
    .expect("estimation");
    let elapsed = start.elapsed();
    let ok = set.estimates.iter().filter(|e| e.is_ok()).count();
    let checksum: f64 = set
        .estimates
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .map(|e| e.se.unwrap_or(0.0) / e.point.abs().max(1e-12))
        .sum();
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "n/a".into());
    println!(
        "ndrs-stats: {} estimates ({ok} ok) over {N} respondents, {} bootstrap replicates with raking re-applied: {:.3} s, peak RSS {peak}, checksum {checksum:.6}",
        estimators.len(),
        set.replicates,
        elapsed.as_secs_f64()
    );
}
