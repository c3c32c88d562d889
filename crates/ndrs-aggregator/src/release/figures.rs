//! The published figures a candidate yields: estimates and their breakdowns in the release
//! document's layout, with disclosure control (primary, then complementary suppression) applied.

use ndrs_proto::v1 as pb;

use super::document::{Figure, FigureLineage, Interval};
use super::suppression::complementary_suppression;
use crate::disclosure::DisclosureRule;
use crate::review::figure_key;

fn enum_name(name: Option<&str>, prefix: &str) -> String {
    name.unwrap_or("unspecified")
        .trim_start_matches(prefix)
        .to_lowercase()
}

/// The published figures: estimates and their breakdowns, not the check figures that only serve
/// validation; in key order. Breakdown cells that `rule` suppresses keep their key, unit and
/// method, and lose their value, interval and the list of returns behind them.
pub fn release_figures(candidate: &pb::Candidate, rule: &DisclosureRule) -> Vec<Figure> {
    let mut figures: Vec<Figure> = candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .filter(|f| f.kind != pb::FigureKind::Check as i32)
        .map(|f| {
            let suppression = rule.suppression(f);
            let shown = suppression.is_none();
            Figure {
                key: figure_key(f),
                id: f.id.clone(),
                dimensions: f
                    .dimensions
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                label: f.label.clone(),
                kind: enum_name(
                    pb::FigureKind::try_from(f.kind)
                        .ok()
                        .map(|k| k.as_str_name()),
                    "FIGURE_KIND_",
                ),
                value: shown.then_some(f.value),
                unit: enum_name(
                    pb::Unit::try_from(f.unit).ok().map(|u| u.as_str_name()),
                    "UNIT_",
                ),
                precision: if f.precision == 0 {
                    String::new()
                } else {
                    enum_name(
                        pb::Precision::try_from(f.precision)
                            .ok()
                            .map(|p| p.as_str_name()),
                        "PRECISION_",
                    )
                },
                interval: f.interval.as_ref().filter(|_| shown).map(|i| Interval {
                    lower: i.lower,
                    upper: i.upper,
                    level: i.level,
                    method: i.method.clone(),
                }),
                status: if shown { "final" } else { "suppressed" }.into(),
                suppression,
                lineage: f.lineage.as_ref().map(|l| FigureLineage {
                    method: l.method.clone(),
                    returns: if shown { l.returns.clone() } else { Vec::new() },
                    parameters: l.parameters.clone(),
                    weighting_spec: l.weighting_spec.clone(),
                    inputs_hash: l.inputs_hash.clone(),
                    imputed_share: l.imputed_share,
                }),
            }
        })
        .collect();
    figures.sort_by(|a, b| a.key.cmp(&b.key));
    complementary_suppression(&mut figures);
    figures
}
