//! Cross-stage figures: indicators whose inputs come from different stage services, derived by the
//! aggregator when it assembles a candidate.
//!
//! The report defines some indicators across the lifecycle stages. P08, the cloud storage share, is
//! the data the 2,200 compute centres hold in the cloud (the compute census) over the national
//! stock of stored data (the production and storage model, P03). Neither service may read the
//! other's figures, and the aggregator is the one place that sees both, so it derives them here, as
//! a fifth stage result of the candidate (`STAGE_CROSS_STAGE`). It is a pure function of the four
//! stage results, so it adds nothing to the candidate's content that the stages did not already fix,
//! and it goes through the same three validation stages, release and disclosure as every figure.
//!
//! A derived figure's interval is the image of its one uncertain input's interval under the ratio,
//! which is exact for a monotone map of one random quantity (quantiles map to quantiles). When both
//! inputs carry intervals their joint distribution is unknown here, so no interval is invented: the
//! figure is published without one and the stage result says why.

use ndrs_platform::stage::{inputs_hash, stage_result_with_notes};
use ndrs_proto::v1 as pb;

/// A cross-stage ratio indicator: `numerator / denominator`, both national figures.
#[derive(Debug, Clone, Copy)]
pub struct DerivedRatio {
    pub id: &'static str,
    pub numerator: (pb::Stage, &'static str),
    pub denominator: (pb::Stage, &'static str),
}

/// Every indicator the aggregator derives across stages.
pub const DERIVED_RATIOS: &[DerivedRatio] = &[DerivedRatio {
    // Footnote 11 of the report: the 2,200+ compute centres' cloud storage over the national stock.
    id: "P08",
    numerator: (pb::Stage::Compute, "check.compute.cloud_storage_bytes"),
    denominator: (pb::Stage::ProductionStorage, "P03"),
}];

fn stage_name(stage: pb::Stage) -> String {
    stage
        .as_str_name()
        .trim_start_matches("STAGE_")
        .to_lowercase()
}

/// The national (undimensioned) figure `id` of `stage`, if that stage result has one.
fn national<'a>(
    stages: &'a [pb::StageResult],
    (stage, id): (pb::Stage, &str),
) -> Option<&'a pb::Figure> {
    stages
        .iter()
        .filter(|s| s.stage == stage as i32)
        .flat_map(|s| s.figures.iter())
        .find(|f| f.id == id && f.dimensions.is_empty())
}

/// Derives one ratio, or says why it cannot be.
fn derive_ratio(
    ratio: &DerivedRatio,
    stages: &[pb::StageResult],
) -> Result<(pb::Figure, Option<String>), String> {
    let describe = |(stage, id): (pb::Stage, &str)| format!("{id} ({})", stage_name(stage));
    let find = |input: (pb::Stage, &str)| {
        national(stages, input)
            .ok_or_else(|| format!("{} not derived: no {}", ratio.id, describe(input)))
    };
    let num = find(ratio.numerator)?;
    let den = find(ratio.denominator)?;
    if den.value == 0.0 || !den.value.is_finite() || !num.value.is_finite() {
        return Err(format!(
            "{} not derived: {} is {}",
            ratio.id,
            describe(ratio.denominator),
            den.value
        ));
    }
    let value = num.value / den.value;
    let method = format!(
        "{} / {}, derived by the aggregator from the candidate's stage results",
        describe(ratio.numerator),
        describe(ratio.denominator)
    );
    let (interval, note) = match (&num.interval, &den.interval) {
        (None, None) => (None, None),
        (Some(i), None) => (
            Some(pb::Interval {
                lower: i.lower / den.value,
                upper: i.upper / den.value,
                level: i.level,
                method: format!(
                    "{}'s interval divided by {}: {}",
                    ratio.numerator.1, ratio.denominator.1, i.method
                ),
            }),
            None,
        ),
        // A positive numerator over a positive denominator falls as the denominator rises, so
        // the denominator's bounds swap.
        (None, Some(i)) if i.lower > 0.0 && num.value >= 0.0 => (
            Some(pb::Interval {
                lower: num.value / i.upper,
                upper: num.value / i.lower,
                level: i.level,
                method: format!(
                    "{} over {}'s interval bounds: {}",
                    ratio.numerator.1, ratio.denominator.1, i.method
                ),
            }),
            None,
        ),
        (None, Some(_)) => (
            None,
            Some(format!(
                "{} has no interval: {}'s interval reaches zero or below",
                ratio.id, ratio.denominator.1
            )),
        ),
        (Some(_), Some(_)) => (
            None,
            Some(format!(
                "{} has no interval: both {} and {} carry one and their joint distribution is not known to the aggregator",
                ratio.id, ratio.numerator.1, ratio.denominator.1
            )),
        ),
    };
    let (nl, dl) = (
        num.lineage.clone().unwrap_or_default(),
        den.lineage.clone().unwrap_or_default(),
    );
    let mut parameters = vec![
        format!("numerator {} inputs {}", ratio.numerator.1, nl.inputs_hash),
        format!(
            "denominator {} inputs {}",
            ratio.denominator.1, dl.inputs_hash
        ),
    ];
    parameters.extend(nl.parameters.iter().cloned());
    parameters.extend(dl.parameters.iter().cloned());
    let lineage = pb::Lineage {
        inputs_hash: inputs_hash([nl.inputs_hash.as_str(), dl.inputs_hash.as_str()]),
        returns: nl
            .returns
            .iter()
            .chain(dl.returns.iter())
            .cloned()
            .collect(),
        method,
        parameters,
        weighting_spec: String::new(),
        // A ratio rests on imputed values as far as either of its inputs does; the larger share
        // is the honest bound to publish.
        imputed_share: nl.imputed_share.max(dl.imputed_share),
        reporters: 0,
        largest_share: 0.0,
    };
    let figure = pb::Figure {
        id: ratio.id.to_string(),
        kind: pb::FigureKind::Estimate as i32,
        value,
        unit: pb::Unit::Ratio as i32,
        interval,
        lineage: Some(lineage),
        ..Default::default()
    };
    Ok((figure, note))
}

/// The candidate's cross-stage result for `cycle_year`, from the four stage results.
pub fn cross_stage_result(cycle_year: i32, stages: &[pb::StageResult]) -> pb::StageResult {
    let mut figures = Vec::new();
    let mut notes = Vec::new();
    for ratio in DERIVED_RATIOS {
        match derive_ratio(ratio, stages) {
            Ok((figure, note)) => {
                figures.push(figure);
                notes.extend(note);
            }
            Err(note) => notes.push(note),
        }
    }
    stage_result_with_notes(pb::Stage::CrossStage, cycle_year, figures, 0, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(stage: pb::Stage, figures: Vec<pb::Figure>) -> pb::StageResult {
        pb::StageResult {
            stage: stage as i32,
            cycle_year: 2023,
            figures,
            ..Default::default()
        }
    }

    fn fig(id: &str, value: f64, interval: Option<(f64, f64)>, returns: &[&str]) -> pb::Figure {
        pb::Figure {
            id: id.into(),
            kind: pb::FigureKind::Estimate as i32,
            value,
            unit: pb::Unit::Bytes as i32,
            interval: interval.map(|(lower, upper)| pb::Interval {
                lower,
                upper,
                level: 0.90,
                method: "mc".into(),
            }),
            lineage: Some(pb::Lineage {
                returns: returns.iter().map(|r| r.to_string()).collect(),
                inputs_hash: format!("hash-{id}"),
                imputed_share: if id == "P03" { 0.0 } else { 0.1 },
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn both(cloud: f64, stock: Option<pb::Figure>) -> Vec<pb::StageResult> {
        vec![
            stage(pb::Stage::ProductionStorage, stock.into_iter().collect()),
            stage(
                pb::Stage::Compute,
                vec![fig(
                    "check.compute.cloud_storage_bytes",
                    cloud,
                    None,
                    &["c1@1", "c2@1"],
                )],
            ),
        ]
    }

    #[test]
    fn p08_is_cloud_storage_over_the_stock_with_the_stock_interval_inverted() {
        let stock = fig("P03", 100.0, Some((80.0, 125.0)), &["m1@2"]);
        let result = cross_stage_result(2023, &both(42.0, Some(stock)));
        assert_eq!(result.stage, pb::Stage::CrossStage as i32);
        assert!(result.notes.is_empty(), "{:?}", result.notes);
        let p08 = &result.figures[0];
        assert_eq!(p08.id, "P08");
        assert_eq!(p08.unit, pb::Unit::Ratio as i32);
        assert!((p08.value - 0.42).abs() < 1e-12);
        let i = p08.interval.as_ref().unwrap();
        assert!((i.lower - 42.0 / 125.0).abs() < 1e-12);
        assert!((i.upper - 42.0 / 80.0).abs() < 1e-12);
        assert_eq!(i.level, 0.90);
        let l = p08.lineage.as_ref().unwrap();
        assert_eq!(l.returns, vec!["c1@1", "c2@1", "m1@2"]);
        assert_eq!(l.imputed_share, 0.1);
        assert!(
            l.method
                .contains("check.compute.cloud_storage_bytes (compute) / P03 (production_storage)")
        );
    }

    #[test]
    fn a_missing_input_or_zero_stock_gives_a_note_not_a_figure() {
        let result = cross_stage_result(2023, &both(42.0, None));
        assert!(result.figures.is_empty());
        assert_eq!(
            result.notes,
            vec!["P08 not derived: no P03 (production_storage)"]
        );
        let zero = fig("P03", 0.0, None, &[]);
        let result = cross_stage_result(2023, &both(42.0, Some(zero)));
        assert!(result.figures.is_empty());
        assert!(result.notes[0].contains("is 0"), "{:?}", result.notes);
    }

    #[test]
    fn two_uncertain_inputs_give_no_invented_interval() {
        let mut stages = both(42.0, Some(fig("P03", 100.0, Some((80.0, 125.0)), &[])));
        stages[1].figures[0].interval = Some(pb::Interval {
            lower: 40.0,
            upper: 44.0,
            level: 0.95,
            method: "x".into(),
        });
        let result = cross_stage_result(2023, &stages);
        assert!(result.figures[0].interval.is_none());
        assert!(
            result.notes[0].contains("joint distribution"),
            "{:?}",
            result.notes
        );
    }

    #[test]
    fn the_result_is_deterministic_so_candidates_stay_deduplicated() {
        let stages = both(42.0, Some(fig("P03", 100.0, Some((80.0, 125.0)), &["m@1"])));
        assert_eq!(
            cross_stage_result(2023, &stages).content_hash,
            cross_stage_result(2023, &stages).content_hash
        );
    }
}
