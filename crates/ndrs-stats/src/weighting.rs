//! Weighting as data: a [`WeightingSpec`] is an ordered list of steps applied to the design
//! weights. Because it is a value (serialisable, stored with the cycle), the very same steps are
//! re-played on every replicate's design weights, which is what makes replicate variances reflect
//! the non-response adjustment and calibration (Valliant & Dever 2018, ch. 15; R `survey`
//! `calibrate()` on a replicate design does the same).
//!
//! Steps:
//! - [`WeightingStep::NonResponse`]: within each weighting class, respondents' weights are
//!   multiplied by (class total weight / respondent weight); non-respondents get 0. Same as
//!   samplics `SampleWeight().adjust` with respondents `rr` and non-respondents `nr`.
//! - [`WeightingStep::Rake`]: iterative proportional fitting to known margins, with an iteration
//!   cap, a tolerance on the largest relative margin error, an optional bounds check on the
//!   adjustment factors, and a convergence report.
//! - [`WeightingStep::Trim`]: cap weights at an upper bound and redistribute the excess over the
//!   untrimmed units (proportionally to weight, so the total is kept), iterating until no weight
//!   exceeds the cap. Trimming after raking disturbs the margins: put trimming before raking.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Data, binary};
use crate::design::Design;
use crate::error::{Result, StatsError};

/// An ordered, re-playable list of weighting steps.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WeightingSpec {
    pub steps: Vec<WeightingStep>,
}

/// One weighting step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WeightingStep {
    /// Non-response adjustment within weighting classes.
    NonResponse {
        /// Categorical column of weighting classes; `None` means one class for everybody.
        class: Option<String>,
        /// Numeric 0/1 column: 1 = respondent.
        respondent: String,
    },
    /// Raking to population margins.
    Rake(Raking),
    /// Weight trimming.
    Trim(Trimming),
}

/// Raking (iterative proportional fitting) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Raking {
    /// One entry per raking variable; all margins must have the same grand total.
    pub margins: Vec<Margin>,
    /// Maximum number of full cycles over the margins.
    pub max_iterations: usize,
    /// Convergence: largest |sum - target| / target over all categories <= tolerance.
    pub tolerance: f64,
    /// Optional bounds `(lower, upper)` on the adjustment factor raked / input weight. Raking is
    /// not truncated to the bounds: a factor outside them is an error, so that the analyst
    /// collapses categories or revisits the targets rather than getting silently distorted weights.
    pub bounds: Option<(f64, f64)>,
}

/// Population totals of one categorical variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Margin {
    /// Categorical column name.
    pub variable: String,
    /// Population total per category.
    pub targets: BTreeMap<String, f64>,
}

/// Trimming settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trimming {
    pub cap: TrimCap,
    /// Maximum cap-and-redistribute rounds.
    pub max_iterations: usize,
}

/// The upper bound for weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TrimCap {
    /// A fixed weight value.
    Absolute(f64),
    /// A multiple of the mean positive weight, computed on the weights entering the step (and so
    /// recomputed for each replicate).
    MeanMultiple(f64),
}

/// What each step did (for the full-sample weights).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WeightingReport {
    pub steps: Vec<StepReport>,
}

/// Report of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepReport {
    NonResponse {
        /// Adjustment factor per class (class label, factor).
        factors: Vec<(String, f64)>,
    },
    Rake {
        iterations: usize,
        max_abs_margin_error: f64,
        max_relative_margin_error: f64,
        min_factor: f64,
        max_factor: f64,
    },
    Trim {
        iterations: usize,
        cap: f64,
        trimmed_units: usize,
    },
}

impl WeightingSpec {
    /// A spec with no steps: the design weights are the final weights.
    pub fn none() -> Self {
        Self::default()
    }

    /// Applies the steps to the design weights and returns the final weights with a report.
    pub fn apply(&self, design: &Design, data: &Data) -> Result<(Vec<f64>, WeightingReport)> {
        let compiled = CompiledSpec::new(self, design, data)?;
        let mut w = design.weights.clone();
        let mut scratch = Scratch::default();
        let report = compiled.apply(&mut w, &mut scratch, true)?;
        Ok((w, report))
    }
}

/// Buffers reused across replicates.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    a: Vec<f64>,
    b: Vec<f64>,
    start: Vec<f64>,
}

enum Step<'a> {
    NonResponse {
        column: &'a str,
        classes: Option<(&'a [u32], &'a [String])>,
        respondent: Vec<bool>,
    },
    Rake {
        margins: Vec<CompiledMargin<'a>>,
        max_iterations: usize,
        tolerance: f64,
        bounds: Option<(f64, f64)>,
    },
    Trim {
        cap: TrimCap,
        max_iterations: usize,
    },
}

struct CompiledMargin<'a> {
    variable: &'a str,
    codes: &'a [u32],
    levels: &'a [String],
    /// target per level code; NaN = no target for a level present in the data
    targets: Vec<f64>,
}

/// A spec resolved against a data table, ready to be applied many times.
pub(crate) struct CompiledSpec<'a> {
    steps: Vec<Step<'a>>,
}

impl<'a> CompiledSpec<'a> {
    pub fn new(spec: &'a WeightingSpec, design: &Design, data: &'a Data) -> Result<Self> {
        let n = design.n_units();
        if data.n_units() != n {
            return Err(StatsError::LengthMismatch {
                column: "<data>".into(),
                expected: n,
                actual: data.n_units(),
            });
        }
        let mut steps = Vec::with_capacity(spec.steps.len());
        for step in &spec.steps {
            steps.push(match step {
                WeightingStep::NonResponse { class, respondent } => {
                    let col = data.numeric(respondent)?;
                    let mut resp = Vec::with_capacity(n);
                    for (row, &v) in col.iter().enumerate() {
                        // units without weight need not have a valid status
                        if design.weights[row] > 0.0 {
                            resp.push(binary(respondent, row, v)?);
                        } else {
                            resp.push(false);
                        }
                    }
                    let classes = match class {
                        Some(c) => {
                            let cat = data.categorical(c)?;
                            Some((cat.codes.as_slice(), cat.levels.as_slice()))
                        }
                        None => None,
                    };
                    Step::NonResponse {
                        column: respondent.as_str(),
                        classes,
                        respondent: resp,
                    }
                }
                WeightingStep::Rake(r) => {
                    if r.margins.is_empty() {
                        return Err(StatsError::InvalidSetting {
                            field: "rake.margins",
                            reason: "no margins".into(),
                        });
                    }
                    if r.max_iterations == 0 {
                        return Err(StatsError::InvalidSetting {
                            field: "rake.max_iterations",
                            reason: "must be at least 1".into(),
                        });
                    }
                    if !(r.tolerance.is_finite() && r.tolerance > 0.0) {
                        return Err(StatsError::InvalidSetting {
                            field: "rake.tolerance",
                            reason: format!("must be finite and > 0, got {}", r.tolerance),
                        });
                    }
                    if let Some((lo, hi)) = r.bounds
                        && !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
                            return Err(StatsError::InvalidSetting {
                                field: "rake.bounds",
                                reason: format!("need 0 <= lower <= upper, got ({lo}, {hi})"),
                            });
                        }
                    let mut margins = Vec::with_capacity(r.margins.len());
                    let mut grand: Option<(&str, f64)> = None;
                    for m in &r.margins {
                        let cat = data.categorical(&m.variable)?;
                        let mut targets = vec![f64::NAN; cat.levels.len()];
                        let mut sum = 0.0;
                        for (category, &t) in &m.targets {
                            if !(t.is_finite() && t > 0.0) {
                                return Err(StatsError::InvalidMarginTarget {
                                    variable: m.variable.clone(),
                                    category: category.clone(),
                                    value: t,
                                });
                            }
                            sum += t;
                            match cat.level(category) {
                                Some(code) => targets[code as usize] = t,
                                None => {
                                    return Err(StatsError::EmptyMarginCategory {
                                        variable: m.variable.clone(),
                                        category: category.clone(),
                                    });
                                }
                            }
                        }
                        match grand {
                            None => grand = Some((m.variable.as_str(), sum)),
                            Some((v0, s0)) => {
                                if (sum - s0).abs() > r.tolerance * s0 {
                                    return Err(StatsError::InvalidSetting {
                                        field: "rake.margins",
                                        reason: format!(
                                            "margin totals disagree, raking cannot converge: {v0:?} sums to {s0}, {:?} to {sum}",
                                            m.variable
                                        ),
                                    });
                                }
                            }
                        }
                        margins.push(CompiledMargin {
                            variable: m.variable.as_str(),
                            codes: &cat.codes,
                            levels: &cat.levels,
                            targets,
                        });
                    }
                    Step::Rake {
                        margins,
                        max_iterations: r.max_iterations,
                        tolerance: r.tolerance,
                        bounds: r.bounds,
                    }
                }
                WeightingStep::Trim(t) => {
                    let ok = match t.cap {
                        TrimCap::Absolute(c) => c.is_finite() && c > 0.0,
                        TrimCap::MeanMultiple(k) => k.is_finite() && k >= 1.0,
                    };
                    if !ok || t.max_iterations == 0 {
                        return Err(StatsError::InvalidSetting {
                            field: "trim",
                            reason: format!(
                                "cap must be positive (mean multiple >= 1) and max_iterations >= 1, got {:?}, {}",
                                t.cap, t.max_iterations
                            ),
                        });
                    }
                    Step::Trim {
                        cap: t.cap,
                        max_iterations: t.max_iterations,
                    }
                }
            });
        }
        Ok(Self { steps })
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Applies every step to `w` in place. `report` = false skips building the per-class labels.
    pub fn apply(
        &self,
        w: &mut [f64],
        scratch: &mut Scratch,
        report: bool,
    ) -> Result<WeightingReport> {
        let mut out = WeightingReport::default();
        for step in &self.steps {
            let r = match step {
                Step::NonResponse {
                    column,
                    classes,
                    respondent,
                } => nonresponse(w, *classes, respondent, column, scratch, report)?,
                Step::Rake {
                    margins,
                    max_iterations,
                    tolerance,
                    bounds,
                } => rake(w, margins, *max_iterations, *tolerance, *bounds, scratch)?,
                Step::Trim {
                    cap,
                    max_iterations,
                } => trim(w, *cap, *max_iterations)?,
            };
            out.steps.push(r);
        }
        Ok(out)
    }
}

fn nonresponse(
    w: &mut [f64],
    classes: Option<(&[u32], &[String])>,
    respondent: &[bool],
    column: &str,
    scratch: &mut Scratch,
    report: bool,
) -> Result<StepReport> {
    let k = classes.map_or(1, |(_, levels)| levels.len());
    scratch.a.clear();
    scratch.a.resize(k, 0.0);
    scratch.b.clear();
    scratch.b.resize(k, 0.0);
    let class_of = |i: usize| classes.map_or(0, |(codes, _)| codes[i] as usize);
    for i in 0..w.len() {
        let c = class_of(i);
        scratch.a[c] += w[i];
        if respondent[i] {
            scratch.b[c] += w[i];
        }
    }
    for c in 0..k {
        if scratch.a[c] > 0.0 && scratch.b[c] <= 0.0 {
            return Err(StatsError::NoRespondents {
                column: column.to_string(),
                class: classes.map_or_else(|| "<all>".to_string(), |(_, l)| l[c].clone()),
            });
        }
        // factor (1 when the class has no weight at all; never used then)
        scratch.a[c] = if scratch.b[c] > 0.0 {
            scratch.a[c] / scratch.b[c]
        } else {
            1.0
        };
    }
    for i in 0..w.len() {
        w[i] = if respondent[i] {
            w[i] * scratch.a[class_of(i)]
        } else {
            0.0
        };
    }
    let factors = if report {
        (0..k)
            .map(|c| {
                let label = classes.map_or_else(|| "<all>".to_string(), |(_, l)| l[c].clone());
                (label, scratch.a[c])
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(StepReport::NonResponse { factors })
}

fn margin_sums(w: &[f64], m: &CompiledMargin<'_>, sums: &mut Vec<f64>) {
    sums.clear();
    sums.resize(m.levels.len(), 0.0);
    for (wi, &c) in w.iter().zip(m.codes) {
        sums[c as usize] += *wi;
    }
}

fn rake(
    w: &mut [f64],
    margins: &[CompiledMargin<'_>],
    max_iterations: usize,
    tolerance: f64,
    bounds: Option<(f64, f64)>,
    scratch: &mut Scratch,
) -> Result<StepReport> {
    scratch.start.clear();
    scratch.start.extend_from_slice(w);
    // Every sample category carrying weight needs a target, and every target needs sample.
    for m in margins {
        margin_sums(w, m, &mut scratch.a);
        for (c, &s) in scratch.a.iter().enumerate() {
            let t = m.targets[c];
            if t.is_nan() && s > 0.0 {
                return Err(StatsError::MissingMarginTarget {
                    variable: m.variable.to_string(),
                    category: m.levels[c].clone(),
                });
            }
            if !t.is_nan() && s <= 0.0 {
                return Err(StatsError::EmptyMarginCategory {
                    variable: m.variable.to_string(),
                    category: m.levels[c].clone(),
                });
            }
        }
    }
    let errors = |w: &[f64], sums: &mut Vec<f64>| -> (f64, f64) {
        let (mut abs, mut rel) = (0.0f64, 0.0f64);
        for m in margins {
            margin_sums(w, m, sums);
            for (c, &s) in sums.iter().enumerate() {
                let t = m.targets[c];
                if t.is_nan() {
                    continue;
                }
                abs = abs.max((s - t).abs());
                rel = rel.max((s - t).abs() / t);
            }
        }
        (abs, rel)
    };
    let mut iterations = 0;
    let (mut abs, mut rel) = errors(w, &mut scratch.a);
    while rel > tolerance && iterations < max_iterations {
        for m in margins {
            margin_sums(w, m, &mut scratch.a);
            for (c, s) in scratch.a.iter_mut().enumerate() {
                let t = m.targets[c];
                *s = if t.is_nan() || *s <= 0.0 { 1.0 } else { t / *s };
            }
            for (wi, &c) in w.iter_mut().zip(m.codes) {
                *wi *= scratch.a[c as usize];
            }
        }
        iterations += 1;
        (abs, rel) = errors(w, &mut scratch.a);
    }
    if rel > tolerance || !rel.is_finite() {
        return Err(StatsError::RakingNotConverged {
            iterations,
            max_relative_error: rel,
            tolerance,
        });
    }
    let (mut min_f, mut max_f) = (f64::INFINITY, f64::NEG_INFINITY);
    for (row, (&after, &before)) in w.iter().zip(&scratch.start).enumerate() {
        if before > 0.0 {
            let f = after / before;
            min_f = min_f.min(f);
            max_f = max_f.max(f);
            if let Some((lo, hi)) = bounds
                && (f < lo || f > hi)
            {
                return Err(StatsError::RakingOutOfBounds {
                    row,
                    factor: f,
                    lower: lo,
                    upper: hi,
                });
            }
        }
    }
    Ok(StepReport::Rake {
        iterations,
        max_abs_margin_error: abs,
        max_relative_margin_error: rel,
        min_factor: min_f,
        max_factor: max_f,
    })
}

fn trim(w: &mut [f64], cap: TrimCap, max_iterations: usize) -> Result<StepReport> {
    let positive = w.iter().filter(|&&x| x > 0.0).count();
    let total: f64 = w.iter().sum();
    let cap = match cap {
        TrimCap::Absolute(c) => c,
        TrimCap::MeanMultiple(k) => k * total / positive.max(1) as f64,
    };
    if (positive as f64) * cap < total * (1.0 - 1e-12) {
        return Err(StatsError::TrimmingFailed {
            reason: format!(
                "cap {cap} times {positive} weighted units is below the weight total {total}"
            ),
        });
    }
    let limit = cap * (1.0 + 1e-12);
    let mut trimmed = vec![false; w.len()];
    let mut iterations = 0;
    while w.iter().any(|&x| x > limit) {
        if iterations == max_iterations {
            return Err(StatsError::TrimmingFailed {
                reason: format!("weights still above cap {cap} after {iterations} iterations"),
            });
        }
        iterations += 1;
        let mut excess = 0.0;
        for (x, t) in w.iter_mut().zip(trimmed.iter_mut()) {
            if *x > cap {
                excess += *x - cap;
                *x = cap;
                *t = true;
            }
        }
        let receivers: f64 = w
            .iter()
            .zip(&trimmed)
            .filter(|(x, t)| **x > 0.0 && !**t)
            .map(|(x, _)| *x)
            .sum();
        if receivers <= 0.0 {
            return Err(StatsError::TrimmingFailed {
                reason: "no untrimmed unit left to receive the excess weight".into(),
            });
        }
        let factor = 1.0 + excess / receivers;
        for (x, t) in w.iter_mut().zip(&trimmed) {
            if *x > 0.0 && !*t {
                *x *= factor;
            }
        }
    }
    Ok(StepReport::Trim {
        iterations,
        cap,
        trimmed_units: trimmed.iter().filter(|&&t| t).count(),
    })
}

#[cfg(test)]
mod tests;
