//! The release document: the canonical JSON layout of a published release, and the published
//! figures a candidate yields. Field order is the JSON's order, so changing it changes every
//! release's bytes and hash; add fields, never reorder them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::disclosure::DisclosureRule;

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
