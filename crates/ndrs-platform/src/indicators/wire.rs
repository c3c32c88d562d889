//! The indicator API's messages, to and from the content types. The document's size is bounded
//! here, before anything is parsed.

use std::collections::{BTreeMap, HashMap};

use ndrs_content::IndicatorDocument;
use ndrs_core::Violations;
use ndrs_proto::v1 as pb;

use super::{InForceIndicators, lineage_ref};
use crate::documents::Versioned;
use crate::questionnaires::Source;
use crate::questionnaires::wire::within_size;

/// The draft of a request, or a violation on `source`.
pub fn source_from_proto(
    source: Option<pb::IndicatorSource>,
    v: &mut Violations,
) -> Option<Source> {
    use pb::indicator_source::Format;
    let source = match source.and_then(|s| s.format) {
        None => {
            v.push(
                "source",
                "an indicator document is required, as toml or json",
            );
            return None;
        }
        Some(Format::Toml(text)) => Source::Toml(text),
        Some(Format::Json(text)) => Source::Json(text),
    };
    within_size(source, v)
}

pub fn summary_to_proto(d: &Versioned<IndicatorDocument>) -> pb::IndicatorsSummary {
    pb::IndicatorsSummary {
        cycle_year: d.cycle_year,
        kind: d.body.kind.clone(),
        version: d.version,
        version_name: d.body.version.clone(),
        content_hash: d.content_hash.clone(),
        published_at: crate::timestamp::from_text(&d.loaded_at),
        published_by: d.loaded_by.clone(),
        indicators: u32::try_from(d.body.indicators.len()).unwrap_or(u32::MAX),
        lineage_ref: lineage_ref(d),
    }
}

pub fn document_to_proto(d: &Versioned<IndicatorDocument>) -> pb::IndicatorsDocument {
    pb::IndicatorsDocument {
        summary: Some(summary_to_proto(d)),
        document_json: d.body.to_json(),
    }
}

/// A figure's identity across two documents: its id and its dimensions.
type FigureKey = (String, BTreeMap<String, String>);

fn key(f: &pb::Figure) -> FigureKey {
    (
        f.id.clone(),
        f.dimensions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// A dry run's answer: both sets of figures and, for every figure of either, the difference.
pub fn comparison_to_proto(
    draft: &InForceIndicators,
    current: Option<&InForceIndicators>,
    returns_cycle_year: i32,
    draft_figures: Vec<pb::Figure>,
    current_figures: Vec<pb::Figure>,
    notes: Vec<String>,
) -> pb::CheckIndicatorsResponse {
    let current_by_key: HashMap<FigureKey, f64> =
        current_figures.iter().map(|f| (key(f), f.value)).collect();
    let mut differences = Vec::new();
    let mut in_draft = std::collections::HashSet::new();
    for f in &draft_figures {
        let k = key(f);
        let current_value = current_by_key.get(&k).copied();
        differences.push(pb::FigureDifference {
            figure_id: f.id.clone(),
            dimensions: f.dimensions.clone(),
            draft_value: Some(f.value),
            current_value,
            difference: current_value.map(|c| f.value - c),
        });
        in_draft.insert(k);
    }
    for f in &current_figures {
        if !in_draft.contains(&key(f)) {
            differences.push(pb::FigureDifference {
                figure_id: f.id.clone(),
                dimensions: f.dimensions.clone(),
                draft_value: None,
                current_value: Some(f.value),
                difference: None,
            });
        }
    }
    let document = &draft.indicators.document;
    let mut ids: Vec<String> = Vec::new();
    for d in &document.indicators {
        if !ids.contains(&d.id) {
            ids.push(d.id.clone());
        }
    }
    pb::CheckIndicatorsResponse {
        kind: document.kind.clone(),
        version_name: document.version.clone(),
        indicator_ids: ids,
        returns_cycle_year,
        current_lineage_ref: current.map(|c| c.lineage_ref.clone()).unwrap_or_default(),
        draft_figures,
        current_figures,
        differences,
        notes,
    }
}
