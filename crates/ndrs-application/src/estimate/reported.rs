//! Figures of a census of reporters (an administrative return such as the sharing hub's),
//! computed exactly from the returns as reported: no weights, no design, no sampling error, and
//! so no interval. Whatever estimator a definition names is its census value: a sum or total is
//! the sum over the returns in the domain, a count their number, a mean or share the average, a
//! ratio the ratio of sums.

use std::collections::BTreeSet;

use ndrs_content::indicators::{Disclosure, Estimator, Role};
use ndrs_content::{Answers, Respondent, Values};
use ndrs_platform::indicators::InForceIndicators;
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{figure, inputs_hash, lineage_ref, ratio};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};

/// The method every reported figure's lineage states.
pub const METHOD: &str = "as reported: computed over the returns of a census of reporters, with no weights and no sampling error";

/// One return as the indicators read it.
pub struct ReportedReturn<'a> {
    pub stored: &'a StoredReturn,
    pub respondent: Respondent,
    pub answers: std::borrow::Cow<'a, Answers>,
    /// The questionnaire it was answered under, as lineage cites it (empty for old returns).
    pub questionnaire_version: &'a str,
}

/// Every figure of `indicators` over the returns; a figure with no return in its domain (or a
/// zero denominator) is not published.
pub fn reported_figures(
    returns: &[ReportedReturn<'_>],
    indicators: &InForceIndicators,
) -> Vec<pb::Figure> {
    if returns.is_empty() {
        return Vec::new();
    }
    let readings: Vec<(&Respondent, &Answers)> = returns
        .iter()
        .map(|r| (&r.respondent, r.answers.as_ref()))
        .collect();
    let values = indicators.indicators.evaluate(&readings);
    let mut out = Vec::new();
    for (k, ind) in indicators.indicators.indicators.iter().enumerate() {
        let of = |select: fn(&Values) -> bool| -> Vec<(usize, &Values)> {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| (i, &v[k]))
                .filter(|(_, v)| select(v))
                .collect()
        };
        let domain = of(|v| v.in_domain);
        let denominator_domain = of(|v| v.in_denominator_domain);
        let sum = |rows: &[(usize, &Values)], f: fn(&Values) -> f64| -> f64 {
            rows.iter().map(|(_, v)| f(v)).sum()
        };
        let n = domain.len() as f64;
        let value = match ind.estimator {
            Estimator::Sum | Estimator::Total => {
                (!domain.is_empty()).then(|| sum(&domain, |v| v.y))
            }
            Estimator::Count => (!domain.is_empty()).then_some(n),
            Estimator::Mean | Estimator::Share => ratio(sum(&domain, |v| v.y), n),
            Estimator::Ratio => ratio(sum(&domain, |v| v.y), sum(&domain, |v| v.x)),
            Estimator::MeanRatio => ratio(sum(&domain, |v| v.y), n).and_then(|mean| {
                let other = ratio(
                    sum(&denominator_domain, |v| v.y),
                    denominator_domain.len() as f64,
                )?;
                ratio(mean, other)
            }),
        };
        let Some(value) = value else { continue };
        let value = if ind.growth { value - 1.0 } else { value };
        let contributing: BTreeSet<usize> = domain
            .iter()
            .chain(if ind.estimator == Estimator::MeanRatio {
                denominator_domain.iter()
            } else {
                [].iter()
            })
            .map(|(i, _)| *i)
            .collect();
        let refs: Vec<String> = contributing
            .iter()
            .map(|&i| lineage_ref(returns[i].stored))
            .collect();
        let questionnaires: BTreeSet<&str> = contributing
            .iter()
            .map(|&i| returns[i].questionnaire_version)
            .filter(|v| !v.is_empty())
            .collect();
        let parameters: Vec<String> = questionnaires
            .into_iter()
            .map(str::to_string)
            .chain(std::iter::once(indicators.lineage_ref.clone()))
            .collect();
        let unanswered = values.iter().filter(|v| v[k].unanswered).count();
        let mut method = format!("{METHOD}; {}", ind.method());
        if unanswered > 0 {
            method.push_str(&format!(
                "; {unanswered} return(s) left out: an answer the figure reads is missing"
            ));
        }
        let mut lineage = pb::Lineage {
            inputs_hash: inputs_hash(refs.iter().chain(&parameters).map(String::as_str)),
            returns: refs,
            method,
            parameters,
            ..Default::default()
        };
        if ind.disclosure == Disclosure::Reporters {
            let total: f64 = domain.iter().map(|(_, v)| v.y.abs()).sum();
            let largest = domain.iter().map(|(_, v)| v.y.abs()).fold(0.0, f64::max);
            lineage.reporters = u32::try_from(domain.len()).unwrap_or(u32::MAX);
            lineage.largest_share = if total > 0.0 { largest / total } else { 0.0 };
        }
        let kind = match ind.role {
            Role::Estimate => FigureKind::Estimate,
            Role::Auxiliary => FigureKind::Auxiliary,
            Role::Check => FigureKind::Check,
        };
        let dimensions: Vec<(&str, &str)> = ind
            .dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let unit = Unit::try_from(ind.unit.as_i32()).unwrap_or(Unit::Unspecified);
        out.push(figure(&ind.id, kind, value, unit, lineage, &dimensions));
    }
    out
}
