//! Figures that are not finite numbers are withheld, never stored, validated or published.
//!
//! A stage service screens its returns against plausibility bounds, so a stage result should
//! never hold NaN or infinity; but the aggregator does not rely on that. Before a candidate is
//! stored, every figure whose value is not finite is moved to its stage result's `withheld` list
//! with the reason, and an interval with a non-finite bound is dropped with a note. Stage 1 turns
//! every withheld figure into an error finding, so the candidate cannot be published until the
//! input behind it is corrected, while every other figure is assembled and validated as usual.

use ndrs_proto::v1 as pb;

/// Withholds the non-finite figures of one stage result and rehashes it when anything changed.
pub fn withhold_non_finite(result: &mut pb::StageResult) {
    let mut changed = false;
    let figures = std::mem::take(&mut result.figures);
    for mut figure in figures {
        if !figure.value.is_finite() {
            tracing::warn!(figure = %figure.id, stage = result.stage, value = figure.value, "figure withheld: not a finite number");
            result.withheld.push(pb::WithheldFigure {
                id: figure.id.clone(),
                dimensions: figure.dimensions.clone(),
                reason: format!(
                    "the value computed from the returns is {} rather than a finite number",
                    figure.value
                ),
            });
            changed = true;
            continue;
        }
        if let Some(interval) = &figure.interval
            && !(interval.lower.is_finite() && interval.upper.is_finite())
        {
            result.notes.push(format!(
                "{}: interval dropped, its bounds are not finite numbers",
                key(&figure.id, &figure.dimensions)
            ));
            figure.interval = None;
            changed = true;
        }
        result.figures.push(figure);
    }
    if changed {
        ndrs_platform::stage::rehash(result);
    }
}

/// A figure's key as findings name it: `C02` or `compute.capacity_share{province=11}`.
pub fn key(id: &str, dimensions: &std::collections::BTreeMap<String, String>) -> String {
    if dimensions.is_empty() {
        return id.to_string();
    }
    let dims: Vec<String> = dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{id}{{{}}}", dims.join(","))
}

/// The error findings stage 1 adds for what the candidate could not use: every stored return a
/// stage set aside and every figure withheld. Each blocks publication until the input is
/// corrected (a corrected return makes a new candidate without the finding).
pub fn data_quality_findings(candidate: &pb::Candidate) -> Vec<pb::RuleResult> {
    let mut out = Vec::new();
    for stage in &candidate.stages {
        for s in &stage.set_aside {
            out.push(pb::RuleResult {
                rule_id: format!("set_aside.{}", s.return_id),
                description: format!(
                    "return {} (version {}) of {} was set aside from estimation; the unit must correct it",
                    s.return_id, s.version, s.reporting_unit_id
                ),
                severity: pb::Severity::Error as i32,
                status: pb::RuleStatus::Failed as i32,
                inputs: Default::default(),
                detail: format!("{}: {}", s.field, s.reason),
            });
        }
        for w in &stage.withheld {
            out.push(pb::RuleResult {
                rule_id: format!("withheld.{}", key(&w.id, &w.dimensions)),
                description: format!(
                    "figure {} was withheld: it could not be computed as a finite number",
                    key(&w.id, &w.dimensions)
                ),
                severity: pb::Severity::Error as i32,
                status: pb::RuleStatus::Failed as i32,
                inputs: Default::default(),
                detail: w.reason.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(id: &str, value: f64) -> pb::Figure {
        pb::Figure {
            id: id.into(),
            value,
            ..Default::default()
        }
    }

    #[test]
    fn non_finite_figures_are_withheld_and_the_rest_kept() {
        let mut result = ndrs_platform::stage::stage_result(
            pb::Stage::Compute,
            2023,
            vec![
                figure("C01", 1.0),
                figure("C02", f64::INFINITY),
                figure("C03", f64::NAN),
            ],
            3,
        );
        let before = result.content_hash.clone();
        withhold_non_finite(&mut result);
        assert_eq!(result.figures.len(), 1);
        assert_eq!(result.figures[0].id, "C01");
        let ids: Vec<_> = result.withheld.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(ids, ["C02", "C03"]);
        assert_ne!(result.content_hash, before);
        let candidate = pb::Candidate {
            stages: vec![result],
            ..Default::default()
        };
        let findings = data_quality_findings(&candidate);
        assert_eq!(findings.len(), 2);
        assert!(
            findings
                .iter()
                .all(|f| f.severity == pb::Severity::Error as i32)
        );
    }

    #[test]
    fn a_finite_result_is_left_alone() {
        let mut result = ndrs_platform::stage::stage_result(
            pb::Stage::Compute,
            2023,
            vec![figure("C01", 1.0)],
            1,
        );
        let before = result.clone();
        withhold_non_finite(&mut result);
        assert_eq!(result, before);
    }
}
