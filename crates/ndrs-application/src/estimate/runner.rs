//! The runner: estimates a set of cells over the cycle's sample and reports the weighting, for
//! the stage result (every indicator nationally, and the valid sample) and for `GetEstimates`
//! (one indicator, nationally or by a breakdown).

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::{Error, Result};
use ndrs_platform::documents::Versioned;
use ndrs_platform::stage::{
    StageCore, StageFigures, cycle_request_checks, figure, inputs_hash, lineage_ref,
};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};
use ndrs_stats::{StatsError, StepReport};

use ndrs_core::classification::{SubjectGroup, SubjectType};
use ndrs_platform::indicators::{InForceIndicators, IndicatorSets};

use super::cells::Cell;
use super::reported::ReportedReturn;
use super::sample::stats_error;
use super::sample::{Sample, sample};
use super::{Row, VALID_SAMPLE};
use crate::design::{Designs, Precision, SampleDesign};
use crate::domain::Questionnaire;
use crate::hub::SharingHub;

/// Estimates for a set of cells, skipping cells whose domain has no respondent.
pub(super) struct Estimates {
    pub(super) figures: Vec<pb::Figure>,
    pub(super) weighting_report: Vec<String>,
}

pub(super) fn run(sample: &Sample<'_>, cells: Vec<Cell>) -> Result<Estimates> {
    if cells.is_empty() {
        return Ok(Estimates {
            figures: Vec::new(),
            weighting_report: Vec::new(),
        });
    }
    // Sums are the returns as reported, not estimates: no weights, no variance.
    let (sums, cells): (Vec<Cell>, Vec<Cell>) = cells
        .into_iter()
        .partition(|c| sample.indicator(c).estimator == ndrs_content::indicators::Estimator::Sum);
    let mut figures = Vec::with_capacity(cells.len() + sums.len());
    figures.extend(sums.iter().filter_map(|cell| sample.sum_figure(cell)));
    if cells.is_empty() {
        return Ok(Estimates {
            figures,
            weighting_report: Vec::new(),
        });
    }
    let (set, variance_failure) = sample.estimate(&cells)?;
    // Said where it happened: take-all strata whose non-response carried a variance.
    let response_phase = (!set.response_phase_strata.is_empty()).then(|| {
        format!(
            "take-all strata with non-response ({}): their respondents taken as a simple random \
             subsample of the stratum, a response-phase variance with 1 - r/N",
            set.response_phase_strata.join(", ")
        )
    });
    for (cell, result) in cells.iter().zip(&set.estimates) {
        match result {
            Ok(e) => {
                let mut figure = sample.figure(cell, e);
                if let (Some(note), Some(lineage)) = (&response_phase, figure.lineage.as_mut()) {
                    lineage.method.push_str("; ");
                    lineage.method.push_str(note);
                }
                figures.push(figure);
            }
            // A domain nobody in the sample belongs to has nothing to publish.
            Err(StatsError::Undefined { .. }) => {}
            Err(e) => return Err(stats_error(e.clone())),
        }
    }
    let mut weighting_report: Vec<String> = set.weighting.steps.iter().map(describe_step).collect();
    if let Some(note) = response_phase {
        weighting_report.push(format!("variance: {note}"));
    }
    if let Some(failure) = variance_failure {
        weighting_report.push(failure);
    } else if set.replicates > 0 {
        weighting_report.push(format!(
            "variance: {} replicates, each re-weighted with the same steps",
            set.replicates
        ));
    }
    if !sample.outside_design.is_empty() {
        weighting_report.push(format!(
            "{} return(s) from units outside the sample design not used: {}",
            sample.outside_design.len(),
            sample.outside_design.join(", ")
        ));
    }
    Ok(Estimates {
        figures,
        weighting_report,
    })
}

pub(super) fn describe_step(step: &StepReport) -> String {
    match step {
        StepReport::NonResponse { factors } => format!(
            "non-response adjustment: {}",
            factors
                .iter()
                .map(|(class, f)| format!("{class} x{f:.6}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepReport::Rake {
            iterations,
            max_relative_margin_error,
            min_factor,
            max_factor,
            ..
        } => format!(
            "raking: converged in {iterations} iterations, largest relative margin error \
             {max_relative_margin_error:.2e}, factors {min_factor:.4}..{max_factor:.4}"
        ),
        StepReport::Trim {
            iterations,
            cap,
            trimmed_units,
        } => {
            format!("trimming: {trimmed_units} weight(s) capped at {cap:.4} in {iterations} rounds")
        }
    }
}

/// Every figure of the stage's indicator document, nationally, and the valid sample.
pub fn figures(
    rows: &[Row],
    design: Option<&Versioned<SampleDesign>>,
    indicators: &InForceIndicators,
) -> Result<Vec<pb::Figure>> {
    let Some(sample) = sample(rows, design, indicators, None)? else {
        return Ok(Vec::new());
    };
    let mut cells = Vec::new();
    for (indicator, defined) in indicators.indicators.indicators.iter().enumerate() {
        cells.push(Cell {
            indicator,
            breakdown: Vec::new(),
        });
        for b in &defined.publish_by {
            if let Some(b) = super::BREAKDOWNS.iter().find(|o| *o == b) {
                cells.extend(breakdown_cells(&sample, indicator, &[*b]));
            }
        }
    }
    let mut figures = run(&sample, cells)?.figures;
    figures.extend(valid_sample(&sample));
    Ok(figures)
}

/// The valid sample, as the report describes it (table 2.3 and appendix figures 1-2): responding
/// units by subject type, responding enterprises by province, and responding key industry
/// enterprises by industry group. Counts of returns, not estimates: no weights, no interval.
pub(super) fn valid_sample(sample: &Sample) -> Vec<pb::Figure> {
    type Classify = fn(&Questionnaire) -> Option<String>;
    let classifications: [(&str, Classify); 3] = [
        ("subject_type", |q| Some(q.subject_type.code().to_string())),
        ("province", |q| {
            (q.subject_type.group() == SubjectGroup::Enterprise).then(|| q.province_code.clone())
        }),
        ("industry", |q| {
            if q.subject_type == SubjectType::KeyIndustryEnterprise {
                q.industry.map(|i| i.code().to_string())
            } else {
                None
            }
        }),
    ];
    let mut out = Vec::new();
    for (dimension, classify) in classifications {
        let mut cells: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (r, q) in sample.respondents() {
            if let Some(level) = classify(q) {
                cells.entry(level).or_default().push(lineage_ref(r));
            }
        }
        for (level, returns) in cells {
            let count = returns.len();
            let lineage = pb::Lineage {
                inputs_hash: inputs_hash(returns.iter().map(String::as_str)),
                returns,
                method: "count of responding units in the sample design (the valid sample)".into(),
                reporters: count as u32,
                ..Default::default()
            };
            out.push(figure(
                VALID_SAMPLE,
                FigureKind::Auxiliary,
                count as f64,
                Unit::Count,
                lineage,
                &[(dimension, level.as_str())],
            ));
        }
    }
    out
}

/// The cells of `indicator` by the classifications `by` crossed: one per combination of levels
/// some unit of its domain has (not the full product: an empty cell has nothing to estimate).
fn breakdown_cells(sample: &Sample<'_>, indicator: usize, by: &[&'static str]) -> Vec<Cell> {
    let national = Cell {
        indicator,
        breakdown: Vec::new(),
    };
    let combinations: BTreeSet<Vec<String>> = (0..sample.answers.len())
        .filter(|&u| sample.contains(&national, u))
        .filter_map(|u| by.iter().map(|b| sample.level(u, b)).collect())
        .collect();
    combinations
        .into_iter()
        .map(|levels| Cell {
            indicator,
            breakdown: by.iter().copied().zip(levels).collect(),
        })
        .collect()
}

/// The classifications of a `GetEstimates` breakdown: empty for the national figure, one, or
/// two crossed (`subject_type,region`); each must be offered by the indicator, and `stratum`
/// needs a design.
fn requested_breakdown(
    breakdown: &str,
    chosen: &[usize],
    indicators: &InForceIndicators,
    designed: bool,
    v: &mut ndrs_core::Violations,
) -> Vec<&'static str> {
    if breakdown.is_empty() {
        return Vec::new();
    }
    let defined = &indicators.indicators.indicators;
    let offered: BTreeSet<&str> = if chosen.is_empty() {
        super::BREAKDOWNS.into_iter().collect()
    } else {
        chosen
            .iter()
            .flat_map(|&i| defined[i].breakdowns.iter().map(String::as_str))
            .collect()
    };
    let names: Vec<&str> = breakdown.split(',').map(str::trim).collect();
    let by: Vec<&'static str> = names
        .iter()
        .filter_map(|n| {
            super::BREAKDOWNS
                .iter()
                .find(|b| *b == n && offered.contains(*b))
                .copied()
        })
        .collect();
    let distinct: BTreeSet<&str> = by.iter().copied().collect();
    if by.len() != names.len()
        || names.len() > super::cells::MAX_CROSSED
        || distinct.len() != by.len()
    {
        let shown: String = breakdown.chars().take(64).collect();
        v.push(
            "breakdown",
            format!(
                "{shown:?}: must be empty, one classification or two different ones separated \
                 by a comma, each one of {}",
                offered.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
        return Vec::new();
    }
    v.check(
        designed || !by.contains(&"stratum"),
        "breakdown",
        "stratum is the sample design's, and the cycle has none loaded",
    );
    by
}

/// The answer to `GetEstimates`: one indicator, nationally or by one breakdown.
pub struct IndicatorEstimates {
    pub figures: Vec<pb::Figure>,
    pub weighting_report: Vec<String>,
}

pub fn estimates(
    rows: &[Row],
    design: Option<&Versioned<SampleDesign>>,
    indicators: &InForceIndicators,
    indicator: &str,
    breakdown: &str,
    precision: Option<&Precision>,
) -> Result<IndicatorEstimates> {
    let mut v = ndrs_core::Violations::new();
    let defined = &indicators.indicators.indicators;
    let chosen: Vec<usize> = (0..defined.len())
        .filter(|&i| defined[i].id == indicator)
        .collect();
    v.check(
        !chosen.is_empty(),
        "indicator",
        format!("not an indicator of {}", indicators.lineage_ref),
    );
    let by = requested_breakdown(breakdown, &chosen, indicators, design.is_some(), &mut v);
    v.finish(())?;
    let Some(sample) = sample(rows, design, indicators, precision)? else {
        // An empty answer says why.
        let why = if rows.is_empty() {
            "no return of the cycle is stored yet: nothing to estimate"
        } else {
            "no unit of the cycle's sample design has answered yet: nothing to estimate"
        };
        return Ok(IndicatorEstimates {
            figures: Vec::new(),
            weighting_report: vec![why.to_string()],
        });
    };
    let mut cells = Vec::new();
    for indicator in chosen {
        let offered = &defined[indicator].breakdowns;
        if by.is_empty() {
            cells.push(Cell {
                indicator,
                breakdown: Vec::new(),
            });
        } else if by.iter().all(|b| offered.iter().any(|o| o == b)) {
            cells.extend(breakdown_cells(&sample, indicator, &by));
        }
    }
    let Estimates {
        figures,
        mut weighting_report,
    } = run(&sample, cells)?;
    if figures.is_empty() {
        weighting_report.push(format!(
            "no responding unit is in the domain of {indicator}{}",
            if !by.is_empty() {
                " at any level of the breakdown"
            } else {
                ""
            }
        ));
    }
    Ok(IndicatorEstimates {
        figures,
        weighting_report,
    })
}

/// The cycle's latest questionnaires that estimation may use, and those set aside (a number
/// beyond its plausibility bound). Under a sample design a set-aside unit counts as not having
/// responded, so the non-response adjustment covers it until it corrects its return.
async fn usable(core: &StageCore, cycle_year: i32) -> Result<(Vec<Row>, Vec<pb::SetAsideReturn>)> {
    core.load_usable::<Questionnaire>(cycle_year).await
}

/// The figures an indicator document gives over the cycle's stored questionnaires, under the
/// cycle's design; a design that cannot be estimated yet (a weighting class without respondents
/// while returns are still coming in) gives none, with the reason as a note.
pub async fn questionnaire_figures(
    core: &StageCore,
    designs: &Designs,
    cycle_year: i32,
    indicators: &InForceIndicators,
) -> Result<(Vec<pb::Figure>, Vec<String>, usize, Vec<pb::SetAsideReturn>)> {
    let (rows, set_aside) = usable(core, cycle_year).await?;
    let design = designs.latest(cycle_year).await?;
    let count = rows.len();
    let indicators = indicators.clone();
    let computed = on_a_blocking_thread(move || figures(&rows, design.as_ref(), &indicators)).await;
    let (figures, notes) = match computed {
        Ok(figures) => (figures, Vec::new()),
        Err(Error::FailedPrecondition(reason)) => (Vec::new(), vec![reason]),
        Err(e) => return Err(e),
    };
    Ok((figures, notes, count, set_aside))
}

/// Runs CPU-bound estimation where it does not hold up the async workers that serve every other
/// call (a full-sample estimation with replicates takes a good part of a second).
async fn on_a_blocking_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("estimation did not finish: {e}")))?
}

/// The figures a sharing-hub indicator document gives over the cycle's hub returns, as
/// reported, and the returns set aside.
pub async fn hub_figures(
    core: &StageCore,
    cycle_year: i32,
    indicators: &InForceIndicators,
) -> Result<(Vec<pb::Figure>, usize, Vec<pb::SetAsideReturn>)> {
    let (hubs, set_aside) = core.load_usable::<SharingHub>(cycle_year).await?;
    let returns: Vec<ReportedReturn<'_>> = hubs
        .iter()
        .map(|(stored, hub)| ReportedReturn {
            stored,
            respondent: hub.respondent(),
            answers: hub.answers_for_estimation(),
            questionnaire_version: &hub.questionnaire_version,
        })
        .collect();
    Ok((
        super::reported_figures(&returns, indicators),
        hubs.len(),
        set_aside,
    ))
}

/// The stage's figures for a cycle: the questionnaires' estimates under the cycle's indicator
/// document and design, and the sharing hub's reported figures under its own. Without a
/// published indicator document a return kind gives no figures, and the stage says why: that
/// must not stop the other stages' figures from being assembled and validated.
pub async fn stage_figures(
    core: &StageCore,
    designs: &Designs,
    indicators: &IndicatorSets,
    hub_indicators: &IndicatorSets,
    cycle_year: i32,
) -> Result<StageFigures> {
    let (mut figures, mut notes, mut returns_used, mut set_aside) =
        match indicators.in_force(cycle_year).await {
            Ok(in_force) => questionnaire_figures(core, designs, cycle_year, &in_force).await?,
            Err(Error::FailedPrecondition(reason)) => {
                let (rows, set_aside) = usable(core, cycle_year).await?;
                (Vec::new(), vec![reason], rows.len(), set_aside)
            }
            Err(e) => return Err(e),
        };
    match hub_indicators.in_force(cycle_year).await {
        Ok(in_force) => {
            let (hub, hubs, hubs_set_aside) = hub_figures(core, cycle_year, &in_force).await?;
            figures.extend(hub);
            returns_used += hubs;
            set_aside.extend(hubs_set_aside);
        }
        Err(Error::FailedPrecondition(reason)) => {
            let (hubs, hubs_set_aside) = core.load_usable::<SharingHub>(cycle_year).await?;
            if !hubs.is_empty() {
                notes.push(reason);
            }
            returns_used += hubs.len();
            set_aside.extend(hubs_set_aside);
        }
        Err(e) => return Err(e),
    }
    notes.dedup();
    Ok(StageFigures {
        figures,
        returns_used: returns_used as u64,
        notes,
        set_aside,
    })
}

/// `GetEstimates` once the caller may read stage results: one indicator of the cycle, nationally
/// or by a breakdown, with the design it was estimated under and the weighting report.
pub async fn get_estimates(
    core: &StageCore,
    designs: &Designs,
    indicators: &IndicatorSets,
    request: pb::GetEstimatesRequest,
) -> Result<pb::GetEstimatesResponse> {
    let pb::GetEstimatesRequest {
        cycle_year,
        indicator,
        breakdown,
        precision,
    } = request;
    cycle_request_checks(cycle_year).finish(())?;
    let in_force = indicators.in_force(cycle_year).await?;
    let (rows, _) = usable(core, cycle_year).await?;
    let design = designs.latest(cycle_year).await?;
    let precision = match (&design, precision) {
        (_, None) => None,
        (None, Some(_)) => {
            return Err(Error::FailedPrecondition(format!(
                "precision: cycle {cycle_year} has no sample design loaded, so its figures are \
                 interim (respondents as a simple random sample) and have no design variance to \
                 choose"
            )));
        }
        (Some(d), Some(requested)) => {
            let mut v = ndrs_core::Violations::new();
            let chosen = crate::design::precision_from_proto(Some(requested), &d.body, &mut v);
            v.finish(Some(chosen))?
        }
    };
    let for_estimates = design.clone();
    let estimates = on_a_blocking_thread(move || {
        estimates(
            &rows,
            for_estimates.as_ref(),
            &in_force,
            &indicator,
            &breakdown,
            precision.as_ref(),
        )
    })
    .await?;
    Ok(pb::GetEstimatesResponse {
        figures: estimates.figures,
        design: design.as_ref().map(crate::design::summary_proto),
        weighting_report: estimates.weighting_report,
    })
}

/// `ExportWeights` once the caller may read them: the weights of a design version (0: the
/// latest) over the returns stored now, in CSV chunks, the first with the header line, the
/// design and the replicate coefficients.
pub async fn export_weights(
    core: &StageCore,
    designs: &Designs,
    indicators: &IndicatorSets,
    request: pb::ExportWeightsRequest,
) -> Result<Vec<pb::WeightsChunk>> {
    let pb::ExportWeightsRequest {
        cycle_year,
        version,
        replicates,
        indicators: ids,
    } = request;
    cycle_request_checks(cycle_year).finish(())?;
    let design = designs.get(cycle_year, version).await?;
    let in_force = indicators.in_force(cycle_year).await?;
    let (rows, _) = usable(core, cycle_year).await?;
    let summary = crate::design::summary_proto(&design);
    let export = on_a_blocking_thread(move || {
        super::export_weights(&rows, &design, &in_force, &ids, replicates)
    })
    .await?;
    let mut chunks: Vec<pb::WeightsChunk> = export
        .chunks
        .into_iter()
        .map(|csv| pb::WeightsChunk {
            csv,
            ..Default::default()
        })
        .collect();
    if let Some(first) = chunks.first_mut() {
        first.design = Some(summary);
        first.method = export.method;
        first.replicate_coefficients = export.replicate_coefficients;
        first.replicate_labels = export.replicate_labels;
    }
    Ok(chunks)
}
