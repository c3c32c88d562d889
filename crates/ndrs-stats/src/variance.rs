//! Variance estimation: Taylor linearisation and replicate weights (JKn, Rao-Wu bootstrap).
//!
//! **Taylor linearisation** (the default of R `survey`, samplics, Stata): the estimate's
//! linearised score is summed per PSU, `z_hj`, and
//! `V = Σ_h (1 - f_h) · n_h/(n_h - 1) · Σ_j (z_hj - z̄_h)²` (PSUs treated as drawn with
//! replacement, `f_h = n_h / N_h` when a population size is given, else 0). The final weights
//! are taken as fixed, so calibration's variance reduction is not reflected: use replicates for
//! that.
//!
//! **Replicates** re-run the whole weighting specification on every replicate's design weights
//! and recompute the estimate; `V = Σ_r c_r (θ_r - θ)²`, centred at the full-sample estimate
//! (samplics `conservative=True`, R `mse=TRUE`), which is the textbook JKn formula.
//! - JKn: one replicate per PSU of each variance stratum with `n_h >= 2`: the PSU's weights are
//!   set to 0, the rest of its stratum multiplied by `n_h/(n_h-1)`; `c_r = (1 - f_h)(n_h-1)/n_h`
//!   (the `(1 - f_h)` factor is R `as.svrepdesign`'s; samplics ignores the FPC).
//! - Rao-Wu (1988) rescaling bootstrap: in each stratum draw `m_h = n_h - 1` PSUs with
//!   replacement, `r_hj` times PSU j; factor `1 - λ + λ (n_h/m_h) r_hj`, `λ = sqrt(m_h (1-f_h) /
//!   (n_h - 1))`; `c_r = 1/B`. Draws come from ChaCha8 seeded with the user's seed and with the
//!   replicate number as stream id, strata and PSUs in identifier order, so replicate `r` is the
//!   same on every platform and whatever else is computed.
//!
//! Certainty strata and census strata (`f_h = 1`) have no replicates and keep factor 1.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::data::Data;
use crate::design::{Design, LonelyPsu};
use crate::error::{Result, StatsError};
use crate::weighting::{CompiledSpec, Scratch, WeightingSpec};

/// How the sampling variance is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VarianceMethod {
    /// Taylor linearisation, final weights taken as fixed.
    Taylor,
    /// Stratified delete-one-PSU jackknife (JKn) with weighting re-applied per replicate.
    Jackknife,
    /// Rao-Wu rescaling bootstrap with weighting re-applied per replicate.
    Bootstrap { replicates: usize, seed: u64 },
}

/// Taylor variance of a statistic from its linearised score totals per PSU (global PSU order).
pub(crate) fn taylor_variance(design: &Design, z: &[f64]) -> f64 {
    let grand = if design.lonely == LonelyPsu::Adjust {
        z.iter().sum::<f64>() / z.len() as f64
    } else {
        0.0
    };
    let mut v = 0.0;
    for s in &design.strata {
        if !s.has_variance() {
            continue;
        }
        let zs = &z[s.first_psu..s.first_psu + s.n_psus];
        let f = s.fpc();
        if s.n_psus == 1 {
            // Fail was rejected before; Certainty and Remove contribute nothing.
            if design.lonely == LonelyPsu::Adjust {
                v += f * (zs[0] - grand).powi(2);
            }
            continue;
        }
        let n = s.n_psus as f64;
        let mean = zs.iter().sum::<f64>() / n;
        let ss: f64 = zs.iter().map(|x| (x - mean).powi(2)).sum();
        v += f * n / (n - 1.0) * ss;
    }
    v
}

/// Replicate structure: how to build each replicate's PSU factors, and its coefficient.
pub(crate) enum ReplicatePlan {
    Jackknife {
        /// (stratum index, deleted global PSU)
        deletions: Vec<(usize, usize)>,
        coefs: Vec<f64>,
    },
    Bootstrap {
        replicates: usize,
        seed: u64,
        /// variance strata with >= 2 PSUs
        strata: Vec<usize>,
    },
}

impl ReplicatePlan {
    pub fn new(design: &Design, method: VarianceMethod) -> Result<Option<Self>> {
        design.check_lonely()?;
        let lonely = design
            .strata
            .iter()
            .find(|s| s.has_variance() && s.n_psus == 1);
        if method != VarianceMethod::Taylor
            && design.lonely == LonelyPsu::Adjust
            && let Some(s) = lonely
        {
            return Err(StatsError::InvalidSetting {
                field: "lonely_psu",
                reason: format!(
                    "stratum {:?} has a single psu; LonelyPsu::Adjust is only defined for taylor linearisation, use Certainty or Remove with replicates",
                    s.id
                ),
            });
        }
        let variance_strata = || {
            design
                .strata
                .iter()
                .enumerate()
                .filter(|(_, s)| s.has_variance() && s.n_psus >= 2)
        };
        Ok(match method {
            VarianceMethod::Taylor => None,
            VarianceMethod::Jackknife => {
                let mut deletions = Vec::new();
                let mut coefs = Vec::new();
                for (h, s) in variance_strata() {
                    let n = s.n_psus as f64;
                    for j in s.first_psu..s.first_psu + s.n_psus {
                        deletions.push((h, j));
                        coefs.push(s.fpc() * (n - 1.0) / n);
                    }
                }
                Some(Self::Jackknife { deletions, coefs })
            }
            VarianceMethod::Bootstrap { replicates, seed } => {
                if replicates < 2 {
                    return Err(StatsError::InvalidSetting {
                        field: "bootstrap.replicates",
                        reason: format!("need at least 2 replicates, got {replicates}"),
                    });
                }
                Some(Self::Bootstrap {
                    replicates,
                    seed,
                    strata: variance_strata().map(|(h, _)| h).collect(),
                })
            }
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Jackknife { coefs, .. } => coefs.len(),
            Self::Bootstrap { replicates, .. } => *replicates,
        }
    }

    pub fn coef(&self, r: usize) -> f64 {
        match self {
            Self::Jackknife { coefs, .. } => coefs[r],
            Self::Bootstrap { replicates, .. } => 1.0 / *replicates as f64,
        }
    }

    pub fn label(&self, design: &Design, r: usize) -> String {
        match self {
            Self::Jackknife { deletions, .. } => format!("jk:{}", design.psu_label(deletions[r].1)),
            Self::Bootstrap { .. } => format!("boot:{r}"),
        }
    }

    /// Fills `factors` (one per global PSU) for replicate `r`; `counts` is scratch space.
    pub fn factors(&self, design: &Design, r: usize, factors: &mut [f64], counts: &mut Vec<u32>) {
        factors.fill(1.0);
        match self {
            Self::Jackknife { deletions, .. } => {
                let (h, j) = deletions[r];
                let s = &design.strata[h];
                let scale = s.n_psus as f64 / (s.n_psus as f64 - 1.0);
                factors[s.first_psu..s.first_psu + s.n_psus].fill(scale);
                factors[j] = 0.0;
            }
            Self::Bootstrap { seed, strata, .. } => {
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                rng.set_stream(r as u64);
                for &h in strata {
                    let s = &design.strata[h];
                    let n = s.n_psus;
                    let m = n - 1;
                    counts.clear();
                    counts.resize(n, 0);
                    for _ in 0..m {
                        counts[uniform_below(&mut rng, n as u64) as usize] += 1;
                    }
                    let lambda = (m as f64 * s.fpc() / (n as f64 - 1.0)).sqrt();
                    for (k, &c) in counts.iter().enumerate() {
                        factors[s.first_psu + k] =
                            1.0 - lambda + lambda * (n as f64 / m as f64) * c as f64;
                    }
                }
            }
        }
    }
}

/// Unbiased integer in `0..n` (Lemire's multiply-and-reject), independent of `rand`'s
/// algorithm choices so that replicates stay reproducible across crate versions.
fn uniform_below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A full set of replicate weights, e.g. to publish with a public-use file or to check against
/// another implementation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replicates {
    /// `c_r` in `V = Σ_r c_r (θ_r - θ)²`.
    pub coefficients: Vec<f64>,
    /// `jk:stratum/psu` (the deleted PSU) or `boot:r`.
    pub labels: Vec<String>,
    /// Final (re-weighted) weights per replicate, each in row order.
    pub weights: Vec<Vec<f64>>,
}

/// Builds every replicate's design weights and re-applies the weighting specification to them.
pub fn replicate_weights(
    design: &Design,
    spec: &WeightingSpec,
    data: &Data,
    method: VarianceMethod,
) -> Result<Replicates> {
    let compiled = CompiledSpec::new(spec, design, data)?;
    let Some(plan) = ReplicatePlan::new(design, method)? else {
        return Err(StatsError::InvalidSetting {
            field: "variance",
            reason: "taylor linearisation has no replicate weights".into(),
        });
    };
    let mut out = Replicates {
        coefficients: Vec::with_capacity(plan.len()),
        labels: Vec::with_capacity(plan.len()),
        weights: Vec::with_capacity(plan.len()),
    };
    let mut generator = ReplicateGenerator::new(design);
    for r in 0..plan.len() {
        let w = generator.weights(design, &plan, &compiled, r)?;
        out.coefficients.push(plan.coef(r));
        out.labels.push(plan.label(design, r));
        out.weights.push(w.to_vec());
    }
    Ok(out)
}

/// Reusable buffers to produce one replicate's final weights at a time.
pub(crate) struct ReplicateGenerator {
    factors: Vec<f64>,
    counts: Vec<u32>,
    weights: Vec<f64>,
    scratch: Scratch,
}

impl ReplicateGenerator {
    pub fn new(design: &Design) -> Self {
        Self {
            factors: vec![1.0; design.n_psus()],
            counts: Vec::new(),
            weights: vec![0.0; design.n_units()],
            scratch: Scratch::default(),
        }
    }

    pub fn weights(
        &mut self,
        design: &Design,
        plan: &ReplicatePlan,
        spec: &CompiledSpec<'_>,
        r: usize,
    ) -> Result<&[f64]> {
        plan.factors(design, r, &mut self.factors, &mut self.counts);
        for ((w, &w0), &p) in self
            .weights
            .iter_mut()
            .zip(&design.weights)
            .zip(&design.unit_psu)
        {
            *w = w0 * self.factors[p as usize];
        }
        if !spec.is_empty() {
            spec.apply(&mut self.weights, &mut self.scratch, false)
                .map_err(|e| StatsError::Replicate {
                    replicate: plan.label(design, r),
                    source: Box::new(e),
                })?;
        }
        Ok(&self.weights)
    }
}
