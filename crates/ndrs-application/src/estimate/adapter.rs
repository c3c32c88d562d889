//! The adapter to `ndrs_stats`: a sample and its cells become data columns and estimators, the
//! engine's errors become domain errors (a design that does not fit who responded is a failed
//! precondition, not an internal error), and each estimate becomes a figure with its interval,
//! sampling precision and lineage.

use ndrs_content::indicators::{Disclosure, Estimator as IndicatorEstimator, Role};
use ndrs_core::{Error, Result};
use ndrs_platform::stage::{figure, inputs_hash, lineage_ref};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};
use ndrs_stats::{Data, Domain, Estimate, EstimateSet, Estimator, StatsError, VarianceMethod};

use super::cells::Cell;
use super::sample::{RESPONDENT, Sample, stats_error};

impl Sample<'_> {
    /// The data columns and estimators of `cells`, in order: the indicators' values, evaluated
    /// once per unit, become the columns every replicate re-weights.
    pub(super) fn columns(&self, cells: &[Cell]) -> Result<(Data, Vec<Estimator>)> {
        let n = self.answers.len();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let column = |f: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..n).map(f).collect() };
        let mut data = Data::new(n)
            .with_numeric(RESPONDENT, column(&|u| flag(self.answers[u].is_some())))
            .map_err(stats_error)?;
        for (name, values) in &self.frame_columns {
            data = data.with_categorical(*name, values).map_err(stats_error)?;
        }
        let mut estimators = Vec::with_capacity(cells.len());
        for (k, cell) in cells.iter().enumerate() {
            let d = format!("c{k}.domain");
            let y = format!("c{k}.y");
            let i = cell.indicator;
            data = data
                .with_numeric(&d, column(&|u| flag(self.contains(cell, u))))
                .map_err(stats_error)?;
            let domain = Domain::Indicator(d);
            let measured = column(&|u| self.values[u][i].y);
            let estimator = match self.indicator(cell).estimator {
                IndicatorEstimator::Share => {
                    data = data.with_numeric(&y, measured).map_err(stats_error)?;
                    Estimator::Proportion { y, domain }
                }
                IndicatorEstimator::Ratio => {
                    let x = format!("c{k}.x");
                    data = data
                        .with_numeric(&y, measured)
                        .map_err(stats_error)?
                        .with_numeric(&x, column(&|u| self.values[u][i].x))
                        .map_err(stats_error)?;
                    Estimator::Ratio { y, x, domain }
                }
                IndicatorEstimator::Mean => {
                    data = data.with_numeric(&y, measured).map_err(stats_error)?;
                    Estimator::Mean { y, domain }
                }
                IndicatorEstimator::Total => {
                    data = data.with_numeric(&y, measured).map_err(stats_error)?;
                    Estimator::Total { y, domain }
                }
                // Computed apart from the design (`Sample::sum_figure`); never among these cells.
                IndicatorEstimator::Sum | IndicatorEstimator::Count => {
                    data = data
                        .with_numeric(&y, column(&|_| 1.0))
                        .map_err(stats_error)?;
                    Estimator::Total { y, domain }
                }
                IndicatorEstimator::MeanRatio => {
                    let dd = format!("c{k}.denominator");
                    data = data
                        .with_numeric(&y, measured)
                        .map_err(stats_error)?
                        .with_numeric(
                            &dd,
                            column(&|u| {
                                flag(self.in_denominator(cell, u) && self.in_breakdown(cell, u))
                            }),
                        )
                        .map_err(stats_error)?;
                    Estimator::DomainMeanRatio {
                        y,
                        numerator: domain,
                        denominator: Domain::Indicator(dd),
                    }
                }
            };
            estimators.push(estimator);
        }
        Ok((data, estimators))
    }

    /// Estimates the cells. When the full-sample weighting works but a replicate's cannot (while
    /// returns are still coming in, a jackknife replicate may delete a class's only respondent),
    /// the points are still published, without a standard error, and the report says why.
    pub(super) fn estimate(&self, cells: &[Cell]) -> Result<(EstimateSet, Option<String>)> {
        let (data, estimators) = self.columns(cells)?;
        let run = |variance: &VarianceMethod| {
            ndrs_stats::estimate_many(
                &self.design,
                &self.spec,
                &data,
                &estimators,
                variance,
                &self.options,
            )
        };
        let result = match run(&self.variance) {
            Err(e @ StatsError::Replicate { .. }) => run(&VarianceMethod::Taylor).map(|mut set| {
                for estimate in set.estimates.iter_mut().flatten() {
                    strip_precision(estimate);
                }
                (
                    set,
                    Some(format!("variance undefined, no standard errors: {e}")),
                )
            }),
            other => other.map(|set| (set, None)),
        };
        result.map_err(design_error)
    }

    /// The figure of a `sum` cell: the returns in its domain added up as reported, with no
    /// weights and no statement of precision; `None` when no return is in the domain.
    pub(super) fn sum_figure(&self, cell: &Cell) -> Option<pb::Figure> {
        let members: Vec<usize> = (0..self.answers.len())
            .filter(|&u| self.contains(cell, u))
            .collect();
        if members.is_empty() {
            return None;
        }
        let i = cell.indicator;
        let point: f64 = members.iter().map(|&u| self.values[u][i].y).sum();
        let n = members.len();
        let estimate = Estimate {
            estimator: Estimator::Total {
                y: String::new(),
                domain: Domain::All,
            },
            point,
            se: None,
            cv: None,
            deff: None,
            df: 0,
            ci: None,
            n,
            population: n as f64,
            reliable: false,
        };
        let mut f = self.figure(cell, &estimate);
        f.sampling = None;
        Some(f)
    }

    /// The figure of one estimated cell.
    pub(super) fn figure(&self, cell: &Cell, estimate: &Estimate) -> pb::Figure {
        let ind = self.indicator(cell);
        let shift = if ind.growth { -1.0 } else { 0.0 };
        let mut returns = Vec::new();
        // The questionnaires the contributing returns were answered under, each cited once.
        let mut questionnaires = std::collections::BTreeSet::new();
        let (mut unanswered, mut answered, mut largest, mut sum) = (0usize, 0usize, 0.0f64, 0.0f64);
        for (u, answer) in self.answers.iter().enumerate() {
            let Some((r, q)) = answer else { continue };
            let values = &self.values[u][cell.indicator];
            if values.unanswered && self.in_breakdown(cell, u) {
                unanswered += 1;
            }
            let in_denominator = ind.estimator == IndicatorEstimator::MeanRatio
                && self.in_denominator(cell, u)
                && self.in_breakdown(cell, u);
            if self.contains(cell, u) || in_denominator {
                returns.push(lineage_ref(r));
                if !q.questionnaire_version.is_empty() {
                    questionnaires.insert(q.questionnaire_version.clone());
                }
                if self.contains(cell, u) {
                    answered += 1;
                    largest = largest.max(values.y.abs());
                    sum += values.y.abs();
                }
            }
        }
        let parameters: Vec<String> = self
            .design_ref
            .iter()
            .cloned()
            .chain(questionnaires)
            .chain(std::iter::once(self.indicators.lineage_ref.clone()))
            .collect();
        let basis = if ind.estimator == IndicatorEstimator::Sum {
            super::reported::METHOD
        } else {
            self.method.as_str()
        };
        let mut method = format!("{basis}; {}", ind.method());
        if unanswered > 0 {
            // The item response rate among the responding units the figure is about.
            let rate = answered as f64 / (answered + unanswered) as f64;
            method.push_str(&format!(
                "; item response {answered} of {} ({rate:.3}): {unanswered} responding unit(s) \
                 left out, an answer the figure reads is missing (item non-response)",
                answered + unanswered
            ));
        }
        let mut lineage = pb::Lineage {
            inputs_hash: inputs_hash(returns.iter().chain(&parameters).map(String::as_str)),
            returns,
            method,
            weighting_spec: self.design_ref.clone().unwrap_or_default(),
            parameters,
            ..Default::default()
        };
        // Cells of a figure over a census of contributors say who contributes, so that the
        // release's disclosure rule can judge them; a sample estimate reveals no unit's return.
        if ind.disclosure == Disclosure::Reporters {
            lineage.reporters = u32::try_from(lineage.returns.len()).unwrap_or(u32::MAX);
            lineage.largest_share = if sum > 0.0 { largest / sum } else { 0.0 };
        }
        let mut dimensions: Vec<(&str, &str)> = ind
            .dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (b, level) in &cell.breakdown {
            dimensions.push((b, level.as_str()));
        }
        let kind = match ind.role {
            Role::Estimate => FigureKind::Estimate,
            Role::Auxiliary => FigureKind::Auxiliary,
            Role::Check => FigureKind::Check,
        };
        let unit = Unit::try_from(ind.unit.as_i32()).unwrap_or(Unit::Unspecified);
        let mut f = figure(
            &ind.id,
            kind,
            estimate.point + shift,
            unit,
            lineage,
            &dimensions,
        );
        // A standard error without degrees of freedom (one PSU) is not a statement of precision;
        // an SE of exactly 0 (take-all strata that all responded) is one: no variance at all.
        let se = estimate.se.filter(|&s| estimate.df > 0 || s == 0.0);
        // A share cannot leave [0, 1]; a symmetric t interval around a ratio of totals can, with
        // few degrees of freedom, so it is truncated to the parameter space, and says so.
        let bounded = unit == Unit::Ratio && !ind.growth;
        f.interval = estimate.ci.as_ref().map(|ci| {
            let (lower, upper) = (ci.lower + shift, ci.upper + shift);
            let truncated = bounded && (lower < 0.0 || upper > 1.0);
            pb::Interval {
                lower: if bounded { lower.max(0.0) } else { lower },
                upper: if bounded { upper.min(1.0) } else { upper },
                level: ci.level,
                method: if truncated {
                    format!("{:?}, truncated to [0, 1]", ci.method)
                } else {
                    format!("{:?}", ci.method)
                },
            }
        });
        f.sampling = Some(pb::SamplingPrecision {
            standard_error: se.unwrap_or(f64::NAN),
            cv: estimate.cv.filter(|_| se.is_some()).unwrap_or(f64::NAN),
            design_effect: estimate.deff.unwrap_or(f64::NAN),
            respondents: estimate.n as u64,
            degrees_of_freedom: estimate.df as f64,
            reliable: estimate.reliable && se.is_some(),
        });
        f
    }
}

/// A failure of the weighting or variance as the domain error it is: a design that does not fit
/// who responded (raking cannot meet a margin, a lonely PSU under the fail policy) is the
/// organiser's to revise; anything else is the service's own fault.
pub(super) fn design_error(e: StatsError) -> Error {
    match e {
        StatsError::RakingNotConverged { .. }
        | StatsError::RakingOutOfBounds { .. }
        | StatsError::EmptyMarginCategory { .. }
        | StatsError::TrimmingFailed { .. }
        | StatsError::LonelyPsu { .. }
        | StatsError::NoRespondents { .. } => Error::FailedPrecondition(format!(
            "the cycle's sample design cannot be estimated from the returns received: {e}"
        )),
        other => stats_error(other),
    }
}

/// Drops every statement of precision from an estimate whose variance is undefined.
pub(super) fn strip_precision(e: &mut Estimate) {
    e.se = None;
    e.cv = None;
    e.deff = None;
    e.ci = None;
    e.reliable = false;
}
