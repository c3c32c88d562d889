//! The release document: the canonical JSON layout of a published release, and the published
//! figures a candidate yields. Field order is the JSON's order, so changing it changes every
//! release's bytes and hash; add fields, never reorder them.

use std::collections::BTreeMap;

use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use super::suppression::complementary_suppression;
use crate::disclosure::DisclosureRule;
use crate::review::figure_key;

/// Identifies the document layout; bump when fields change meaning.
pub const SCHEMA: &str = "ndrs.release.v1";

/// What a release records about how it was produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    pub candidate_id: String,
    pub candidate_sequence: u32,
    /// Content hash of the inputs: the candidate's hash over every stage result.
    pub candidate_hash: String,
    /// Each stage service's content hash, by stage name.
    pub stage_hashes: BTreeMap<String, String>,
    pub rule_set: VersionRef,
    pub benchmark_registry: VersionRef,
    pub review_rounds: Vec<RoundRef>,
    /// The disclosure-control rule applied to breakdown cells.
    pub disclosure: DisclosureRule,
    pub software: Software,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRef {
    pub version: u32,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRef {
    pub number: u32,
    pub round_id: String,
    pub candidate_hash: String,
    pub frozen_hash: String,
    pub state: String,
    pub votes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Software {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureLineage {
    pub method: String,
    pub returns: Vec<String>,
    pub parameters: Vec<String>,
    pub weighting_spec: String,
    pub inputs_hash: String,
    pub imputed_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
    pub level: f64,
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub id: String,
    pub dimensions: BTreeMap<String, String>,
    pub label: String,
    pub kind: String,
    /// Withheld (`null`) when the cell is suppressed.
    pub value: Option<f64>,
    pub unit: String,
    pub precision: String,
    pub interval: Option<Interval>,
    /// `final`, or `suppressed` by disclosure control.
    pub status: String,
    /// Why the cell is suppressed.
    pub suppression: Option<String>,
    pub lineage: Option<FigureLineage>,
}

/// One figure's difference from the previous version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub key: String,
    /// `added`, `removed` or `revised`.
    pub change: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
}

/// The release document. Field order is the canonical order of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub schema: String,
    pub release_id: String,
    pub cycle_year: i32,
    pub version: u32,
    pub previous_version: Option<u32>,
    pub published_at: String,
    pub published_by: String,
    pub embargo_until: Option<String>,
    pub note: String,
    pub lineage: Lineage,
    pub figures: Vec<Figure>,
    pub changes: Vec<Change>,
}

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
