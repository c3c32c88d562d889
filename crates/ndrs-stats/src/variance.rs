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
//! Certainty strata and census strata (`f_h = 1`) have no sampling variance. When some of their
//! PSUs did not respond, their respondents carry the response-phase variance (see
//! `variance_strata`): the formulas above run over the responding PSUs with `1 - r_h / N_h`,
//! and the non-respondents keep factor 1 in every replicate (the re-applied non-response
//! adjustment moves their weight onto the replicate's respondents).

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

/// One stratum as the variance formulas see it: the PSUs whose spread estimates its variance
/// and the finite population correction `1 - f` that scales it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VarianceStratum {
    /// Index into [`Design::strata`].
    pub stratum: usize,
    /// Global PSU indices, in identifier order.
    pub psus: Vec<usize>,
    /// `1 - f`: `1 - n_h / N_h` for a sampled stratum, `1 - r_h / N_h` for the response phase of
    /// a take-all stratum.
    pub fpc: f64,
    /// Whether the spread is that of the response (a take-all stratum with non-response).
    pub response_phase: bool,
}

/// The strata that carry variance, and over which PSUs.
///
/// - A sampled stratum (not take-all, `f_h < 1`): every sampled PSU, respondent or not (a
///   non-responding PSU's score is 0), with `1 - n_h / N_h`. This is the full-sample
///   convention of R `survey` and svy when non-respondents are kept with weight 0.
/// - A take-all stratum (certainty, or `N_h = n_h`) has no sampling variance. When some of its
///   PSUs did not respond, the non-response adjustment estimates the missing part from the
///   respondents, and that estimate varies with who responded: under the response-homogeneity
///   model (respondents a simple random subsample of the stratum; Särndal, Swensson & Wretman
///   1992, §15.6) the variance is that of the `r_h` responding PSUs drawn from the `N_h = n_h`
///   PSUs of the stratum, `1 - r_h / N_h`. So the stratum's respondents carry a response-phase
///   variance. With one respondent it cannot be estimated and contributes nothing; with every
///   PSU responding it is zero.
///
/// `final_weights` tells who responded: a PSU responded when its final weight is positive.
pub(crate) fn variance_strata(design: &Design, final_weights: &[f64]) -> Vec<VarianceStratum> {
    let mut psu_weight = vec![0.0; design.n_psus()];
    for (&w, &p) in final_weights.iter().zip(&design.unit_psu) {
        psu_weight[p as usize] += w;
    }
    let mut out = Vec::new();
    for (h, s) in design.strata.iter().enumerate() {
        let all = s.first_psu..s.first_psu + s.n_psus;
        if s.has_variance() {
            out.push(VarianceStratum {
                stratum: h,
                psus: all.collect(),
                fpc: s.fpc(),
                response_phase: false,
            });
            continue;
        }
        let responding: Vec<usize> = all.filter(|&j| psu_weight[j] > 0.0).collect();
        let r = responding.len();
        if r >= 2 && r < s.n_psus {
            out.push(VarianceStratum {
                stratum: h,
                psus: responding,
                fpc: 1.0 - r as f64 / s.n_psus as f64,
                response_phase: true,
            });
        }
    }
    out
}

/// Taylor variance of a statistic from its linearised score totals per PSU (global PSU order).
pub(crate) fn taylor_variance(design: &Design, strata: &[VarianceStratum], z: &[f64]) -> f64 {
    let grand = if design.lonely == LonelyPsu::Adjust {
        z.iter().sum::<f64>() / z.len() as f64
    } else {
        0.0
    };
    let mut v = 0.0;
    for s in strata {
        let f = s.fpc;
        if s.psus.len() == 1 {
            // Fail was rejected before; Certainty and Remove contribute nothing.
            if design.lonely == LonelyPsu::Adjust {
                v += f * (z[s.psus[0]] - grand).powi(2);
            }
            continue;
        }
        let n = s.psus.len() as f64;
        let mean = s.psus.iter().map(|&j| z[j]).sum::<f64>() / n;
        let ss: f64 = s.psus.iter().map(|&j| (z[j] - mean).powi(2)).sum();
        v += f * n / (n - 1.0) * ss;
    }
    v
}

/// Replicate structure: how to build each replicate's PSU factors, and its coefficient.
pub(crate) struct ReplicatePlan {
    strata: Vec<VarianceStratum>,
    kind: PlanKind,
}

enum PlanKind {
    Jackknife {
        /// (variance stratum index, deleted global PSU)
        deletions: Vec<(usize, usize)>,
        coefs: Vec<f64>,
    },
    Bootstrap {
        replicates: usize,
        seed: u64,
    },
}

impl ReplicatePlan {
    /// The plan of `method` over the variance strata; `None` for Taylor linearisation.
    pub fn new(
        design: &Design,
        strata: &[VarianceStratum],
        method: VarianceMethod,
    ) -> Result<Option<Self>> {
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
        // Replicates need two PSUs in a stratum; a lonely one contributes nothing.
        let strata: Vec<VarianceStratum> = strata
            .iter()
            .filter(|s| s.psus.len() >= 2)
            .cloned()
            .collect();
        let kind = match method {
            VarianceMethod::Taylor => return Ok(None),
            VarianceMethod::Jackknife => {
                let mut deletions = Vec::new();
                let mut coefs = Vec::new();
                for (k, s) in strata.iter().enumerate() {
                    let n = s.psus.len() as f64;
                    for &j in &s.psus {
                        deletions.push((k, j));
                        coefs.push(s.fpc * (n - 1.0) / n);
                    }
                }
                PlanKind::Jackknife { deletions, coefs }
            }
            VarianceMethod::Bootstrap { replicates, seed } => {
                if replicates < 2 {
                    return Err(StatsError::InvalidSetting {
                        field: "bootstrap.replicates",
                        reason: format!("need at least 2 replicates, got {replicates}"),
                    });
                }
                PlanKind::Bootstrap { replicates, seed }
            }
        };
        Ok(Some(Self { strata, kind }))
    }

    pub fn len(&self) -> usize {
        match &self.kind {
            PlanKind::Jackknife { coefs, .. } => coefs.len(),
            PlanKind::Bootstrap { replicates, .. } => *replicates,
        }
    }

    pub fn coef(&self, r: usize) -> f64 {
        match &self.kind {
            PlanKind::Jackknife { coefs, .. } => coefs[r],
            PlanKind::Bootstrap { replicates, .. } => 1.0 / *replicates as f64,
        }
    }

    pub fn label(&self, design: &Design, r: usize) -> String {
        match &self.kind {
            PlanKind::Jackknife { deletions, .. } => {
                format!("jk:{}", design.psu_label(deletions[r].1))
            }
            PlanKind::Bootstrap { .. } => format!("boot:{r}"),
        }
    }

    /// Fills `factors` (one per global PSU) for replicate `r`; `counts` is scratch space. PSUs
    /// outside the variance strata (and the non-respondents of a take-all stratum) keep 1.
    pub fn factors(&self, r: usize, factors: &mut [f64], counts: &mut Vec<u32>) {
        factors.fill(1.0);
        match &self.kind {
            PlanKind::Jackknife { deletions, .. } => {
                let (k, j) = deletions[r];
                let s = &self.strata[k];
                let scale = s.psus.len() as f64 / (s.psus.len() as f64 - 1.0);
                for &p in &s.psus {
                    factors[p] = scale;
                }
                factors[j] = 0.0;
            }
            PlanKind::Bootstrap { seed, .. } => {
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                rng.set_stream(r as u64);
                for s in &self.strata {
                    let n = s.psus.len();
                    let m = n - 1;
                    counts.clear();
                    counts.resize(n, 0);
                    for _ in 0..m {
                        counts[uniform_below(&mut rng, n as u64) as usize] += 1;
                    }
                    let lambda = (m as f64 * s.fpc / (n as f64 - 1.0)).sqrt();
                    for (&p, &c) in s.psus.iter().zip(counts.iter()) {
                        factors[p] = 1.0 - lambda + lambda * (n as f64 / m as f64) * c as f64;
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
    let mut full_sample = design.weights.clone();
    compiled.apply(&mut full_sample, &mut Scratch::default(), false)?;
    let strata = variance_strata(design, &full_sample);
    let Some(plan) = ReplicatePlan::new(design, &strata, method)? else {
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
        plan.factors(r, &mut self.factors, &mut self.counts);
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
