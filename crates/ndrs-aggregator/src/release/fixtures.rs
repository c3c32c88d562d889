//! Small release documents for the unit tests of the exports and the diff.

use std::collections::BTreeMap;

use super::*;
use crate::disclosure::DisclosureRule;

pub(super) fn fig(key: &str, value: f64) -> Figure {
    Figure {
        key: key.into(),
        id: key.into(),
        dimensions: BTreeMap::new(),
        label: "a, \"quoted\" label".into(),
        kind: "estimate".into(),
        value: Some(value),
        unit: "bytes".into(),
        precision: String::new(),
        interval: None,
        status: "final".into(),
        suppression: None,
        lineage: None,
    }
}

pub(super) fn sample_doc(figures: Vec<Figure>) -> Document {
    Document {
        schema: SCHEMA.into(),
        release_id: "r".into(),
        cycle_year: 2023,
        version: 1,
        previous_version: None,
        published_at: "t".into(),
        published_by: "p".into(),
        embargo_until: None,
        note: String::new(),
        lineage: Lineage {
            candidate_id: "c".into(),
            candidate_sequence: 1,
            candidate_hash: "h".into(),
            stage_hashes: BTreeMap::new(),
            rule_set: VersionRef {
                version: 1,
                content_hash: "r".into(),
            },
            benchmark_registry: VersionRef {
                version: 1,
                content_hash: "b".into(),
            },
            review_rounds: Vec::new(),
            disclosure: DisclosureRule {
                min_reporters: 3,
                max_share: 0.85,
            },
            software: Software {
                name: "ndrs".into(),
                version: "0".into(),
            },
        },
        figures,
        changes: Vec::new(),
    }
}
