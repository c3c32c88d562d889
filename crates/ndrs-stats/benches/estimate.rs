//! Benchmark: 20 indicators x 30 domains (600 estimates) for 100,000 respondents with 200
//! Rao-Wu bootstrap replicates, raking (2 margins) re-applied on every replicate.
//!
//! Run: `cargo bench -p ndrs-stats --bench estimate`
//!
//! What is timed: `estimate_many` only, i.e. the full-sample raking, the 200 replicates' design
//! weights, their raking, and the 600 point estimates and replicate SEs. Generating the data and
//! building `Design` / `Data` are not timed. The job runs `NDRS_BENCH_RUNS` times (default 3) and
//! the best wall time is reported. Peak RSS: the process high-water mark (`VmHWM`) before any
//! export, and that of the timed runs alone (the mark is reset through `/proc/self/clear_refs`
//! when they start, so it includes the data already in memory).
//!
//! The comparison with svy and samplics on the same input is `bash scripts/bench/stats.sh`
//! (see `docs/benchmarks.md`). It sets `NDRS_BENCH_EXPORT=<dir>`, which makes this bench also
//! write, after the timed runs:
//! - `data.csv`: stratum, psu (unique label), design weight, domain, region, size, y0..y19;
//! - `rep_design_weights.f64`: the 200 bootstrap replicates' design weights (before raking),
//!   little-endian f64, replicate-major (`R x N`);
//! - `estimates.csv`: the 600 estimates (point, SE, respondents, df, design effect, population);
//! - `job.json`: raking margins and settings, sizes, and this run's time and peak RSS.
//!
//! `scripts/bench/stats_svy.py` and `scripts/bench/stats_samplics.py` re-apply the raking with
//! their own package to those weights, estimate the same 600 quantities and compare.
//!
//! Replicates run on every core (`Options::threads`, 0 = all). The one-thread baseline runs the
//! same job on one thread right after, prints the speed-up and checks the estimates are
//! identical; `NDRS_BENCH_ONE_THREAD=0` skips it.
//!
//! The CEL variant (issue: survey content as data) runs the same job with the 20 indicators
//! defined by an indicator document over a questionnaire of 20 questions, each respondent's
//! answers a row map: timed are the evaluation of the 22 measure expressions (20 measures, two
//! ratio denominators) for every row (`CompiledIndicators::evaluate`), building the value
//! columns, and `estimate_many`; the frame's classification columns are built outside the timed
//! section in both variants. It prints
//! its best time over the compiled variant's, measured in the same run (target: at most 1.25),
//! and checks that both give the same 600 estimates. `NDRS_BENCH_CEL=0` skips it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use ndrs_stats::*;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

const N: usize = 100_000;
const STRATA: usize = 50;
const PSUS_PER_STRATUM: usize = 20;
const DOMAINS: usize = 30;
const INDICATORS: usize = 20;
const REPLICATES: usize = 200;
const SEED: u64 = 2024;
/// Tight enough that three implementations stopping at different iterations still agree to
/// ~1e-12 on the weights (so the comparison measures the estimators, not the stopping rule).
const RAKE_TOLERANCE: f64 = 1e-12;
const RAKE_MAX_ITERATIONS: usize = 100;

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Generated sample: design units and the survey columns, in row order.
struct Sample {
    units: Vec<Unit>,
    domain: Vec<String>,
    region: Vec<String>,
    size: Vec<String>,
    ys: Vec<Vec<f64>>,
}

/// Stratum and PSU labels of row `i` (rows are generated stratum by stratum, PSU by PSU).
fn stratum_psu(i: usize) -> (usize, usize) {
    let per_psu = N / (STRATA * PSUS_PER_STRATUM);
    (
        i / (per_psu * PSUS_PER_STRATUM),
        (i / per_psu) % PSUS_PER_STRATUM,
    )
}

fn generate() -> Sample {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let per_psu = N / (STRATA * PSUS_PER_STRATUM);
    let mut s = Sample {
        units: Vec::with_capacity(N),
        domain: Vec::with_capacity(N),
        region: Vec::with_capacity(N),
        size: Vec::with_capacity(N),
        ys: (0..INDICATORS).map(|_| Vec::with_capacity(N)).collect(),
    };
    for h in 0..STRATA {
        for j in 0..PSUS_PER_STRATUM {
            let psu_effect = uniform(&mut rng);
            for _ in 0..per_psu {
                s.units.push(Unit::new(
                    format!("s{h:02}"),
                    format!("p{j:02}"),
                    5.0 + 20.0 * uniform(&mut rng),
                ));
                s.domain
                    .push(format!("d{:02}", rng.next_u64() % DOMAINS as u64));
                s.region.push(format!("r{}", rng.next_u64() % 5));
                s.size.push(format!("z{}", rng.next_u64() % 4));
                for (k, y) in s.ys.iter_mut().enumerate() {
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
    s
}

/// 20 indicators: 8 proportions, 8 means, 2 totals, 2 ratios (over y8); x 30 domains.
fn estimators() -> Vec<Estimator> {
    let mut out = Vec::new();
    for d in 0..DOMAINS {
        let domain = Domain::Category {
            column: "domain".into(),
            value: format!("d{d:02}"),
        };
        for k in 0..INDICATORS {
            let y = format!("y{k}");
            let domain = domain.clone();
            out.push(match k {
                0..=7 => Estimator::Proportion { y, domain },
                8..=15 => Estimator::Mean { y, domain },
                16 | 17 => Estimator::Total { y, domain },
                _ => Estimator::Ratio {
                    y,
                    x: "y8".into(),
                    domain,
                },
            });
        }
    }
    out
}

/// A field of `/proc/self/status` in KiB (`VmHWM`: peak resident set, `VmRSS`: current).
fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets the peak-RSS mark to the current RSS (Linux `clear_refs` 5); false if unsupported.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The same job with the replicates on one thread, in the same run: the speed-up of spreading
/// them over the cores, and a check that the estimates are the same to the last bit.
#[allow(clippy::too_many_arguments)]
fn one_thread_baseline(
    design: &Design,
    spec: &WeightingSpec,
    data: &Data,
    estimators: &[Estimator],
    method: &VarianceMethod,
    runs: usize,
    all_cores: f64,
    reference: &EstimateSet,
) {
    let options = Options {
        threads: 1,
        ..Options::default()
    };
    let mut best = f64::INFINITY;
    let mut set = None;
    for _ in 0..runs {
        drop(set.take());
        let start = Instant::now();
        let s =
            estimate_many(design, spec, data, estimators, method, &options).expect("estimation");
        best = best.min(start.elapsed().as_secs_f64());
        set = Some(s);
    }
    let set = set.expect("at least one run");
    assert_eq!(
        set.estimates, reference.estimates,
        "the thread count changed an estimate"
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "ndrs-stats on one thread: best of {runs} {best:.3} s; on {cores} cores {all_cores:.3} s, \
         {:.2}x faster; estimates identical",
        best / all_cores
    );
}

fn main() {
    let Sample {
        units,
        domain,
        region,
        size,
        ys,
    } = generate();
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
    let margins = vec![margin("region", "r", 5, 0.1), margin("size", "z", 4, -0.1)];
    let spec = WeightingSpec {
        steps: vec![WeightingStep::Rake(Raking {
            margins: margins.clone(),
            max_iterations: RAKE_MAX_ITERATIONS,
            tolerance: RAKE_TOLERANCE,
            bounds: None,
        })],
    };
    let estimators = estimators();
    let method = VarianceMethod::Bootstrap {
        replicates: REPLICATES,
        seed: SEED,
    };
    let runs: usize = std::env::var("NDRS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);

    // Peak RSS of the process so far (data generation), then of the timed section alone.
    let setup_peak = status_kib("VmHWM");
    let rss_before = status_kib("VmRSS");
    let reset = reset_peak_rss();
    let mut best = f64::INFINITY;
    let mut set = None;
    for _ in 0..runs {
        drop(set.take());
        let start = Instant::now();
        let s = estimate_many(
            &design,
            &spec,
            &data,
            &estimators,
            &method,
            &Options::default(),
        )
        .expect("estimation");
        best = best.min(start.elapsed().as_secs_f64());
        set = Some(s);
    }
    let job_peak = status_kib("VmHWM");
    let process_peak = match (setup_peak, job_peak) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let set = set.expect("at least one run");
    let ok = set.estimates.iter().filter(|e| e.is_ok()).count();
    let checksum: f64 = set
        .estimates
        .iter()
        .filter_map(|e| e.as_ref().ok())
        .map(|e| e.se.unwrap_or(0.0) / e.point.abs().max(1e-12))
        .sum();
    let iterations = match set.weighting.steps.first() {
        Some(StepReport::Rake { iterations, .. }) => *iterations,
        _ => 0,
    };
    let kib = |v: Option<u64>| v.map_or_else(|| "n/a".to_string(), |p| format!("{p} kB"));
    println!(
        "ndrs-stats: {} estimates ({ok} ok) over {N} respondents, {} bootstrap replicates with raking re-applied ({iterations} raking iterations on the full sample): best of {runs} {best:.3} s, peak RSS {} (process), {} during the timed runs{} (RSS before {}), checksum {checksum:.6}",
        estimators.len(),
        set.replicates,
        kib(process_peak),
        kib(job_peak.filter(|_| reset)),
        if reset {
            ""
        } else {
            " [peak reset unsupported]"
        },
        kib(rss_before),
    );

    if std::env::var("NDRS_BENCH_ONE_THREAD").as_deref() != Ok("0") {
        one_thread_baseline(
            &design,
            &spec,
            &data,
            &estimators,
            &method,
            runs,
            best,
            &set,
        );
    }

    if std::env::var("NDRS_BENCH_CEL").as_deref() != Ok("0") {
        cel_variant(
            &design,
            &spec,
            &data,
            [&domain, &region, &size],
            &method,
            runs,
            best,
            &set,
        );
    }

    if let Ok(dir) = std::env::var("NDRS_BENCH_EXPORT") {
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir).expect("export dir");
        let columns = Columns {
            domain: &domain,
            region: &region,
            size: &size,
        };
        export(dir, &design, &data, &columns, &method, &estimators, &set).expect("export");
        let job = serde_json::json!({
            "n": N,
            "strata": STRATA,
            "psus_per_stratum": PSUS_PER_STRATUM,
            "domains": DOMAINS,
            "indicators": INDICATORS,
            "replicates": REPLICATES,
            "seed": SEED,
            "rake": {
                "tolerance": RAKE_TOLERANCE,
                "max_iterations": RAKE_MAX_ITERATIONS,
                "full_sample_iterations": iterations,
                "margins": margins
                    .iter()
                    .map(|m| (m.variable.clone(), m.targets.clone()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            },
            "ndrs": {
                "seconds": best,
                "runs": runs,
                "peak_rss_kib": process_peak,
                "job_peak_rss_kib": job_peak.filter(|_| reset),
                "rss_before_kib": rss_before,
                "estimates_ok": ok,
            },
        });
        std::fs::write(
            dir.join("job.json"),
            serde_json::to_string_pretty(&job).unwrap(),
        )
        .expect("job.json");
        println!("exported the job to {}", dir.display());
    }
}

/// The categorical columns as generated (the library keeps them encoded).
struct Columns<'a> {
    domain: &'a [String],
    region: &'a [String],
    size: &'a [String],
}

/// Writes the input and the results of the job for the Python comparisons (not timed).
fn export(
    dir: &Path,
    design: &Design,
    data: &Data,
    columns: &Columns<'_>,
    method: &VarianceMethod,
    estimators: &[Estimator],
    set: &EstimateSet,
) -> std::io::Result<()> {
    let ys: Vec<&[f64]> = (0..INDICATORS)
        .map(|k| data.numeric(&format!("y{k}")).expect("y column"))
        .collect();
    // `{}` prints the shortest decimal that parses back to the same f64: exact round trip.
    let mut f = BufWriter::new(File::create(dir.join("data.csv"))?);
    write!(f, "stratum,psu,weight,domain,region,size")?;
    for k in 0..INDICATORS {
        write!(f, ",y{k}")?;
    }
    writeln!(f)?;
    for (i, w) in design.weights().iter().enumerate() {
        let (h, j) = stratum_psu(i);
        write!(
            f,
            "s{h:02},s{h:02}-p{j:02},{w},{},{},{}",
            columns.domain[i], columns.region[i], columns.size[i]
        )?;
        for y in &ys {
            write!(f, ",{}", y[i])?;
        }
        writeln!(f)?;
    }
    f.flush()?;

    // Replicate design weights: the library's own replicates with no weighting step, i.e. the
    // design weight times the Rao-Wu factor of the unit's PSU, exactly what `estimate_many`
    // builds before re-applying the raking to each replicate.
    let reps = replicate_weights(design, &WeightingSpec::none(), data, *method)
        .map_err(std::io::Error::other)?;
    let mut f = BufWriter::new(File::create(dir.join("rep_design_weights.f64"))?);
    for w in &reps.weights {
        for x in w {
            f.write_all(&x.to_le_bytes())?;
        }
    }
    f.flush()?;

    let mut f = BufWriter::new(File::create(dir.join("estimates.csv"))?);
    writeln!(f, "kind,y,x,domain,point,se,n,df,deff,population")?;
    for (e, r) in estimators.iter().zip(&set.estimates) {
        let (kind, y, x, domain) = match e {
            Estimator::Proportion { y, domain } => ("proportion", y, "", domain),
            Estimator::Mean { y, domain } => ("mean", y, "", domain),
            Estimator::Total { y, domain } => ("total", y, "", domain),
            Estimator::Ratio { y, x, domain } => ("ratio", y, x.as_str(), domain),
            Estimator::DomainMeanRatio { .. } => unreachable!("not in this job"),
        };
        let Domain::Category { value, .. } = domain else {
            unreachable!("not in this job")
        };
        match r {
            Ok(est) => writeln!(
                f,
                "{kind},{y},{x},{value},{},{},{},{},{},{}",
                est.point,
                est.se.map_or_else(|| "nan".to_string(), |s| s.to_string()),
                est.n,
                est.df,
                est.deff
                    .map_or_else(|| "nan".to_string(), |d| d.to_string()),
                est.population,
            )?,
            Err(_) => writeln!(f, "{kind},{y},{x},{value},nan,nan,,,nan,nan")?,
        }
    }
    f.flush()
}

/// The questionnaire of the CEL variant: `y0`..`y7` yes/no questions, `y8`..`y19` counts.
fn questionnaire() -> String {
    let mut q = String::from(
        "kind = \"bench_questionnaire\"\nversion = \"1\"\ntitle = { zh = \"基准\", en = \"Bench\" }\n",
    );
    for k in 0..INDICATORS {
        let kind = if k < 8 {
            "type = \"boolean\""
        } else {
            "type = \"decimal\"\nunit = \"count\""
        };
        q.push_str(&format!(
            "\n[[question]]\nid = \"y{k}\"\nlabel = {{ zh = \"y{k}\", en = \"y{k}\" }}\n{kind}\n"
        ));
    }
    q
}

/// The 20 indicators as a document: 8 shares, 8 means, 2 totals, 2 ratios over `y8`.
fn indicator_document() -> String {
    let mut d = String::from(
        "kind = \"bench_indicators\"\nversion = \"1\"\ntitle = { zh = \"基准\", en = \"Bench\" }\nquestionnaire = \"bench_questionnaire\"\n",
    );
    for k in 0..INDICATORS {
        let definition = match k {
            0..=7 => format!("unit = \"ratio\"\nestimator = \"share\"\nmeasure = \"a.y{k}\""),
            8..=15 => format!("unit = \"count\"\nestimator = \"mean\"\nmeasure = \"a.y{k}\""),
            16 | 17 => format!("unit = \"count\"\nestimator = \"total\"\nmeasure = \"a.y{k}\""),
            _ => format!(
                "unit = \"ratio\"\nestimator = \"ratio\"\nnumerator = \"a.y{k}\"\ndenominator = \"a.y8\""
            ),
        };
        d.push_str(&format!(
            "\n[[indicator]]\nid = \"y{k}\"\nname = {{ zh = \"y{k}\", en = \"y{k}\" }}\n{definition}\n"
        ));
    }
    d
}

/// The same job with the indicators as CEL over each row's answers; see the crate docs.
#[allow(clippy::too_many_arguments)]
fn cel_variant(
    design: &Design,
    spec: &WeightingSpec,
    data: &Data,
    [domain, region, size]: [&[String]; 3],
    method: &VarianceMethod,
    runs: usize,
    compiled_best: f64,
    compiled: &EstimateSet,
) {
    use ndrs_content::{Answer, Answers, CompiledIndicators, CompiledQuestionnaire, Respondent};
    let questionnaire = std::sync::Arc::new(
        CompiledQuestionnaire::from_toml(&questionnaire()).expect("questionnaire"),
    );
    let indicators = CompiledIndicators::from_toml(&indicator_document(), questionnaire, &[])
        .expect("indicator document");
    // Each respondent's answers as a map by question id (not timed: they are the stored returns).
    let ys: Vec<&[f64]> = (0..INDICATORS)
        .map(|k| data.numeric(&format!("y{k}")).expect("y column"))
        .collect();
    let rows: Vec<Answers> = (0..N)
        .map(|i| {
            let mut a = Answers::new();
            for (k, y) in ys.iter().enumerate() {
                let answer = if k < 8 {
                    Answer::Boolean(y[i] == 1.0)
                } else {
                    Answer::Decimal {
                        value: y[i],
                        unit: "count".into(),
                    }
                };
                a = a.with(&format!("y{k}"), answer);
            }
            a
        })
        .collect();
    let unit = Respondent {
        subject_type: ndrs_core::classification::SubjectType::KeyIndustryEnterprise,
        province: "11".into(),
        industry: String::new(),
        size_class: String::new(),
    };
    let returns: Vec<(&Respondent, &Answers)> = rows.iter().map(|a| (&unit, a)).collect();
    // The classifications are the same columns in both variants (domains and margins are frame
    // variables, not indicators), built outside the timed section as in the compiled variant.
    let classified = Data::new(N)
        .with_categorical("domain", domain)
        .unwrap()
        .with_categorical("region", region)
        .unwrap()
        .with_categorical("size", size)
        .unwrap();
    let mut best = f64::INFINITY;
    let mut evaluation_best = f64::INFINITY;
    let mut set = None;
    for _ in 0..runs {
        drop(set.take());
        let start = Instant::now();
        let values = indicators.evaluate(&returns);
        evaluation_best = evaluation_best.min(start.elapsed().as_secs_f64());
        let mut cel_data = classified.clone();
        // One pass over the rows into the value columns.
        let count = indicators.indicators.len();
        let mut ys: Vec<Vec<f64>> = (0..count).map(|_| Vec::with_capacity(N)).collect();
        let mut xs: Vec<Vec<f64>> = (0..count).map(|_| Vec::with_capacity(N)).collect();
        for row in &values {
            for (k, v) in row.iter().enumerate() {
                ys[k].push(v.y);
                xs[k].push(v.x);
            }
        }
        let mut estimators = Vec::new();
        for (k, (ind, (y_column, x_column))) in indicators
            .indicators
            .iter()
            .zip(ys.into_iter().zip(xs))
            .enumerate()
        {
            cel_data = cel_data.with_numeric(format!("c{k}.y"), y_column).unwrap();
            if ind.estimator == ndrs_content::indicators::Estimator::Ratio {
                cel_data = cel_data.with_numeric(format!("c{k}.x"), x_column).unwrap();
            }
        }
        for d in 0..DOMAINS {
            let domain = Domain::Category {
                column: "domain".into(),
                value: format!("d{d:02}"),
            };
            for (k, ind) in indicators.indicators.iter().enumerate() {
                let y = format!("c{k}.y");
                let domain = domain.clone();
                use ndrs_content::indicators::Estimator as E;
                estimators.push(match ind.estimator {
                    E::Share => Estimator::Proportion { y, domain },
                    E::Mean => Estimator::Mean { y, domain },
                    E::Total => Estimator::Total { y, domain },
                    _ => Estimator::Ratio {
                        y,
                        x: format!("c{k}.x"),
                        domain,
                    },
                });
            }
        }
        let s = estimate_many(
            design,
            spec,
            &cel_data,
            &estimators,
            method,
            &Options::default(),
        )
        .expect("estimation");
        best = best.min(start.elapsed().as_secs_f64());
        set = Some(s);
    }
    let set = set.expect("at least one run");
    let mut max_diff = 0.0f64;
    for (a, b) in set.estimates.iter().zip(&compiled.estimates) {
        if let (Ok(a), Ok(b)) = (a, b) {
            let rel = |x: f64, y: f64| (x - y).abs() / y.abs().max(1e-300);
            max_diff = max_diff.max(rel(a.point, b.point));
            if let (Some(x), Some(y)) = (a.se, b.se) {
                max_diff = max_diff.max(rel(x, y));
            }
        }
    }
    assert!(
        max_diff == 0.0,
        "the CEL variant's estimates differ by {max_diff:e}"
    );
    println!(
        "ndrs-stats with CEL indicators: best of {runs} {best:.3} s ({evaluation_best:.3} s evaluating {} expressions over {N} rows), {:.3} x the compiled variant's {compiled_best:.3} s (target <= 1.25); estimates identical",
        indicators.indicators.len() + 2,
        best / compiled_best,
    );
}
