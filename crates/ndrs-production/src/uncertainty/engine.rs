//! The simulation engine: draws every parameter from its stream chunk by chunk, evaluates the
//! model draw by draw and summarises each output.
//!
//! # Summaries
//! Per output: the central value (the model at the parameters' central values, i.e. the point
//! estimate that [`crate::model`] publishes), the mean, the sample standard deviation
//! (denominator `n - 1`), and p5, p50, p95 by linear interpolation between order statistics
//! ("type 7" of Hyndman and Fan, numpy's and R's default): with the draws sorted ascending,
//! `h = (n - 1) p` and `q = x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`.

use std::collections::{HashMap, HashSet};

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::sensitivity::{CoMoments, Contribution};
use super::streams::{stream_of, stream_rng};
use super::{Distribution, UncertaintyError};

/// Number of draws generated and folded into the correlation sums at a time. Part of the
/// definition of a run: changing it changes the last bits of the sensitivity figures (not the
/// draws, intervals or moments).
pub const CHUNK_DRAWS: usize = 1024;

/// The `p`-quantile (p in [0, 1]) of ascending `sorted` values by linear interpolation between
/// order statistics (type 7, numpy's default). `None` for no values or `p` outside [0, 1].
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = (h.floor() as usize).min(sorted.len() - 1);
    let hi = (lo + 1).min(sorted.len() - 1);
    let fraction = h - lo as f64;
    Some(sorted[lo] + fraction * (sorted[hi] - sorted[lo]))
}

/// A run's results, serialisable for storage with the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    pub seed: u64,
    pub draws: usize,
    /// Parameter names in the order the model received them.
    pub parameters: Vec<String>,
    /// One summary per output, in the order of the output names.
    pub outputs: Vec<OutputSummary>,
}

impl SimulationResult {
    pub fn output(&self, name: &str) -> Option<&OutputSummary> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

/// What a run found about one output: its point estimate, spread and drivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSummary {
    pub name: String,
    /// The model at the parameters' central values: the published point estimate.
    pub central: f64,
    pub mean: f64,
    /// Sample standard deviation of the draws (denominator n − 1); exactly 0 when every draw is
    /// the same.
    pub standard_deviation: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    /// Sum of the squared correlations before normalisation: the share of the output's variance
    /// that linear effects of the parameters explain. `None` when the output does not vary.
    pub linear_r_squared: Option<f64>,
    /// Non-constant parameters, largest variance share first (ties by parameter order); empty
    /// when the output does not vary.
    pub sensitivity: Vec<Contribution>,
}

fn check_unique<'a>(
    names: impl Iterator<Item = &'a str>,
    kind: &'static str,
) -> Result<(), UncertaintyError> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(UncertaintyError::DuplicateName {
                kind,
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

fn evaluate_checked<F: Fn(&[f64]) -> Vec<f64>>(
    model: &F,
    values: &[f64],
    outputs: &[String],
    draw: Option<usize>,
) -> Result<Vec<f64>, UncertaintyError> {
    let y = model(values);
    if y.len() != outputs.len() {
        return Err(UncertaintyError::OutputCountMismatch {
            expected: outputs.len(),
            got: y.len(),
        });
    }
    if let Some(j) = y.iter().position(|v| !v.is_finite()) {
        return Err(UncertaintyError::NonFiniteOutput {
            output: outputs[j].clone(),
            draw,
        });
    }
    Ok(y)
}

/// Draws `m` values of every parameter into `xs` (draw-major: `xs[d * p + i]`), the parameters
/// spread over the cores. Each parameter draws from its own stream, in draw order, whichever
/// thread runs it, so the values are the same bits on any number of cores. Inverse-CDF sampling
/// is most of a run's time, which is why this, and not the model, is what runs in parallel.
fn draw_chunk(
    parameters: &[(String, Distribution)],
    rngs: &mut [ChaCha8Rng],
    m: usize,
    xs: &mut [f64],
    threads: usize,
) {
    let p = parameters.len();
    let threads = threads.clamp(1, p.max(1));
    let per_thread = p.div_ceil(threads).max(1);
    let columns: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = parameters
            .chunks(per_thread)
            .zip(rngs.chunks_mut(per_thread))
            .map(|(params, streams)| {
                scope.spawn(move || {
                    let mut column = Vec::with_capacity(params.len() * m);
                    for ((_, distribution), rng) in params.iter().zip(streams) {
                        column.extend((0..m).map(|_| distribution.sample(rng)));
                    }
                    column
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (block, column) in columns.iter().enumerate() {
        for (offset, values) in column.chunks_exact(m.max(1)).enumerate() {
            let i = block * per_thread + offset;
            for (d, &x) in values.iter().enumerate() {
                xs[d * p + i] = x;
            }
        }
    }
}

/// Propagates the parameters' distributions through `model` with `draws` Monte Carlo draws.
///
/// `model` receives the parameter values in the order of `parameters` and returns one value per
/// name in `outputs`. It must be a pure function of its input for the run to be reproducible.
pub fn simulate<F>(
    parameters: &[(String, Distribution)],
    outputs: &[String],
    model: F,
    draws: usize,
    seed: u64,
) -> Result<SimulationResult, UncertaintyError>
where
    F: Fn(&[f64]) -> Vec<f64>,
{
    if draws < 2 {
        return Err(UncertaintyError::TooFewDraws(draws));
    }
    check_unique(parameters.iter().map(|(n, _)| n.as_str()), "parameter")?;
    check_unique(outputs.iter().map(String::as_str), "output")?;
    let mut streams: HashMap<u64, &str> = HashMap::new();
    for (name, _) in parameters {
        if let Some(first) = streams.insert(stream_of(name), name) {
            return Err(UncertaintyError::StreamCollision {
                first: first.to_string(),
                second: name.clone(),
            });
        }
    }
    let (p, k) = (parameters.len(), outputs.len());
    let central_values: Vec<f64> = parameters.iter().map(|(_, d)| d.central()).collect();
    let central = evaluate_checked(&model, &central_values, outputs, None)?;

    let mut rngs: Vec<ChaCha8Rng> = parameters
        .iter()
        .map(|(name, _)| stream_rng(seed, stream_of(name)))
        .collect();
    let mut ys: Vec<Vec<f64>> = (0..k).map(|_| Vec::with_capacity(draws)).collect();
    let mut moments = CoMoments::new(p, k);
    let mut buffer = vec![0.0; CHUNK_DRAWS.min(draws) * p];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut start = 0;
    while start < draws {
        let m = CHUNK_DRAWS.min(draws - start);
        let xs = &mut buffer[..m * p];
        draw_chunk(parameters, &mut rngs, m, xs, threads);
        for d in 0..m {
            let y = evaluate_checked(&model, &xs[d * p..(d + 1) * p], outputs, Some(start + d))?;
            for (column, value) in ys.iter_mut().zip(y) {
                column.push(value);
            }
        }
        moments.add_chunk(xs, m, &ys, start);
        start += m;
    }

    let n = draws as f64;
    let summaries = outputs
        .iter()
        .zip(central)
        .zip(ys)
        .enumerate()
        .map(|(j, ((name, central), mut y))| {
            let mean = y.iter().sum::<f64>() / n;
            let variance = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
            y.sort_unstable_by(f64::total_cmp);
            let constant = y[0] == y[draws - 1];
            let (linear_r_squared, sensitivity) = if constant {
                (None, Vec::new())
            } else {
                moments.ranking(j, parameters)
            };
            // `draws >= 2`, so every percentile exists; the fallback is unreachable.
            let q = |p: f64| percentile(&y, p).unwrap_or(f64::NAN);
            OutputSummary {
                name: name.clone(),
                central,
                mean: if constant { y[0] } else { mean },
                standard_deviation: if constant { 0.0 } else { variance.sqrt() },
                p5: q(0.05),
                p50: q(0.5),
                p95: q(0.95),
                linear_r_squared,
                sensitivity,
            }
        })
        .collect();
    Ok(SimulationResult {
        seed,
        draws,
        parameters: parameters.iter().map(|(n, _)| n.clone()).collect(),
        outputs: summaries,
    })
}

#[cfg(test)]
mod parallel_tests {
    use super::*;
    use crate::uncertainty::Bounds;

    #[test]
    fn draws_are_the_same_bits_on_any_number_of_threads() {
        let parameters: Vec<(String, Distribution)> = (0..7)
            .map(|i| {
                let d = if i % 2 == 0 {
                    Distribution::triangular(1.0, 2.0 + i as f64, 10.0 + i as f64)
                } else {
                    Distribution::truncated_normal(5.0 + i as f64, 2.0, Bounds::NON_NEGATIVE)
                };
                (format!("p{i}"), d.unwrap())
            })
            .collect();
        let draw = |threads: usize| {
            let mut rngs: Vec<ChaCha8Rng> = parameters
                .iter()
                .map(|(name, _)| stream_rng(42, stream_of(name)))
                .collect();
            let (m, p) = (50, parameters.len());
            // Two chunks, so each stream's state carries over from one to the next.
            let mut out = Vec::new();
            for _ in 0..2 {
                let mut xs = vec![0.0; m * p];
                draw_chunk(&parameters, &mut rngs, m, &mut xs, threads);
                out.extend(xs.iter().map(|x| x.to_bits()));
            }
            out
        };
        let one = draw(1);
        for threads in [2, 3, 7, 16] {
            assert_eq!(draw(threads), one, "{threads} threads");
        }
    }
}
