//! The adapter to `ndrs_stats`: a sample and its cells become data columns and estimators, the
//! engine's errors become domain errors (a design that does not fit who responded is a failed
//! precondition, not an internal error), and each estimate becomes a figure with its interval,
//! sampling precision and lineage.

use ndrs_core::{Error, Result};
use ndrs_platform::stage::{figure, inputs_hash, lineage_ref};
use ndrs_proto::v1::{self as pb, Unit};
use ndrs_stats::{Data, Domain, Estimate, EstimateSet, Estimator, StatsError, VarianceMethod};

use super::indicators::{Cell, Measure};
use super::sample::{RESPONDENT, Sample, stats_error};
use crate::domain::Questionnaire;

impl Sample<'_> {
    /// The data columns and estimators of `cells`, in order.
    pub(super) fn columns(&self, cells: &[Cell]) -> Result<(Data, Vec<Estimator>)> {
        let n = self.answers.len();
        let column = |f: &dyn Fn(&Questionnaire) -> f64| -> Vec<f64> {
            self.answers
                .iter()
                .map(|a| a.as_ref().map_or(0.0, |(_, q)| f(q)))
                .collect()
        };
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let mut data = Data::new(n)
            .with_numeric(RESPONDENT, column(&|_| 1.0))
            .map_err(stats_error)?;
        for (name, values) in &self.frame_columns {
            data = data.with_categorical(*name, values).map_err(stats_error)?;
        }
        let mut estimators = Vec::with_capacity(cells.len());
        for (k, cell) in cells.iter().enumerate() {
            let d = format!("c{k}.domain");
            let y = format!("c{k}.y");
            data = data
                .with_numeric(&d, column(&|q| flag(cell.contains(q))))
                .map_err(stats_error)?;
            let domain = Domain::Indicator(d);
            let estimator = match cell.indicator.measure {
                Measure::Share(p) => {
                    data = data
                        .with_numeric(&y, column(&|q| flag(p(q))))
                        .map_err(stats_error)?;
                    Estimator::Proportion { y, domain }
                }
                Measure::RatioOfTotals(num, den) => {
                    let x = format!("c{k}.x");
                    data = data
                        .with_numeric(&y, column(&|q| num(q)))
                        .map_err(stats_error)?
                        .with_numeric(&x, column(&|q| den(q)))
                        .map_err(stats_error)?;
                    Estimator::Ratio { y, x, domain }
                }
                Measure::Mean(f) => {
                    data = data
                        .with_numeric(&y, column(&|q| f(q)))
                        .map_err(stats_error)?;
                    Estimator::Mean { y, domain }
                }
                Measure::Total(f) => {
                    data = data
                        .with_numeric(&y, column(&|q| f(q)))
                        .map_err(stats_error)?;
                    Estimator::Total { y, domain }
                }
                Measure::MeanRatio(f, denominator) => {
                    let dd = format!("c{k}.denominator");
                    data = data
                        .with_numeric(&y, column(&|q| f(q)))
                        .map_err(stats_error)?
                        .with_numeric(&dd, column(&|q| flag(denominator(q))))
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
        result.map_err(|e| match e {
            // The design does not fit who responded (raking cannot meet a margin, a lonely PSU
            // under the fail policy): the organiser has to revise the design.
            StatsError::RakingNotConverged { .. }
            | StatsError::RakingOutOfBounds { .. }
            | StatsError::EmptyMarginCategory { .. }
            | StatsError::TrimmingFailed { .. }
            | StatsError::LonelyPsu { .. }
            | StatsError::NoRespondents { .. } => Error::FailedPrecondition(format!(
                "the cycle's sample design cannot be estimated from the returns received: {e}"
            )),
            other => stats_error(other),
        })
    }

    /// The figure of one estimated cell.
    pub(super) fn figure(&self, cell: &Cell, estimate: &Estimate) -> pb::Figure {
        let ind = &cell.indicator;
        let shift = if ind.growth { -1.0 } else { 0.0 };
        let mut returns = Vec::new();
        // The questionnaires the contributing returns were answered under, each cited once.
        let mut questionnaires = std::collections::BTreeSet::new();
        for (r, q) in self.respondents().filter(|(_, q)| {
            cell.contains(q) || matches!(ind.measure, Measure::MeanRatio(_, den) if den(q))
        }) {
            returns.push(lineage_ref(r));
            if !q.questionnaire_version.is_empty() {
                questionnaires.insert(q.questionnaire_version.clone());
            }
        }
        let parameters: Vec<String> = self
            .design_ref
            .iter()
            .cloned()
            .chain(questionnaires)
            .collect();
        let lineage = pb::Lineage {
            inputs_hash: inputs_hash(returns.iter().chain(&parameters).map(String::as_str)),
            returns,
            method: self.method.clone(),
            weighting_spec: self.design_ref.clone().unwrap_or_default(),
            parameters,
            ..Default::default()
        };
        let mut dimensions: Vec<(&str, &str)> = ind.dimensions.to_vec();
        if let Some((b, level)) = &cell.breakdown {
            dimensions.push((b, level.as_str()));
        }
        let mut f = figure(
            ind.id,
            ind.kind,
            estimate.point + shift,
            ind.unit,
            lineage,
            &dimensions,
        );
        // A standard error without degrees of freedom (one PSU) is not a statement of precision.
        let se = estimate.se.filter(|_| estimate.df > 0);
        // A share cannot leave [0, 1]; a symmetric t interval around a ratio of totals can, with
        // few degrees of freedom, so it is truncated to the parameter space, and says so.
        let bounded = ind.unit == Unit::Ratio && !ind.growth;
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

/// Drops every statement of precision from an estimate whose variance is undefined.
pub(super) fn strip_precision(e: &mut Estimate) {
    e.se = None;
    e.cv = None;
    e.deff = None;
    e.ci = None;
    e.reliable = false;
}
