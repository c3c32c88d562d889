//! Derived figures: figures computed by the aggregator when it assembles a candidate, from the
//! stage results of the same cycle and from the previous cycle's published release, as the
//! cycle's derived-figures document defines them (`content/2023/derived.toml`: P08, the cloud
//! storage share, is the compute census's cloud storage over the production model's national
//! stock; a growth rate reads last year's release).
//!
//! Neither stage may read another's figures, and the aggregator is the one place that sees them
//! all, so it derives them here, as a fifth stage result of the candidate (`STAGE_CROSS_STAGE`).
//! It is a pure function of the stage results, the document and the previous release, so it adds
//! nothing to the candidate that those did not fix, and it goes through the same three
//! validation stages, release and disclosure as every figure. How an interval carries over is
//! [`ndrs_content::derived`]'s to say.
//!
//! [`DerivedDocuments`] keeps the documents, versioned per cycle like every cycle document.

use std::collections::BTreeMap;
use std::sync::Arc;

use ndrs_content::derived::{CompiledDerived, DerivedDocument, Input, Source};
use ndrs_content::indicators::Role;
use ndrs_content::{ContentError, into_invalid};
use ndrs_core::{Error, Result};
use ndrs_platform::documents::{CycleDocuments, Versioned};
use ndrs_platform::stage::{FIRST_CYCLE_YEAR, inputs_hash, stage_result_with_notes};
use ndrs_proto::v1 as pb;
use sea_orm::DatabaseConnection;

/// The document kind derived figures are stored under.
pub const DOCUMENT_KIND: &str = "derived_figures";

/// The derived-figures document in force for a cycle, compiled.
#[derive(Debug, Clone)]
pub struct InForceDerived {
    pub lineage_ref: String,
    pub derived: Arc<CompiledDerived>,
}

/// The previous cycle's latest published release, as derived figures read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviousRelease {
    pub cycle_year: i32,
    pub version: u32,
    /// National figures by id.
    pub figures: BTreeMap<String, (f64, Option<pb::Interval>)>,
}

/// What derived figures are computed from besides the stage results.
#[derive(Debug, Clone)]
pub struct DerivedInputs {
    /// The document in force, or the note saying none is published for the cycle or before.
    pub document: std::result::Result<InForceDerived, String>,
    pub previous: Option<PreviousRelease>,
}

fn stage_name(stage: pb::Stage) -> String {
    stage
        .as_str_name()
        .trim_start_matches("STAGE_")
        .to_lowercase()
}

/// The national (undimensioned) figures of the stage results by id, with their stage.
fn national(stages: &[pb::StageResult]) -> BTreeMap<String, (pb::Stage, &pb::Figure)> {
    stages
        .iter()
        .flat_map(|s| {
            let stage = pb::Stage::try_from(s.stage).unwrap_or(pb::Stage::Unspecified);
            s.figures
                .iter()
                .filter(|f| f.dimensions.is_empty())
                .map(move |f| (f.id.clone(), (stage, f)))
        })
        .collect()
}

/// The candidate's cross-stage result for `cycle_year`: every derived figure the document in
/// force defines, or the note saying why it could not be derived.
pub fn cross_stage_result(
    cycle_year: i32,
    stages: &[pb::StageResult],
    inputs: &DerivedInputs,
) -> pb::StageResult {
    let document = match &inputs.document {
        Ok(document) => document,
        Err(note) => {
            let notes = vec![note.clone()];
            return stage_result_with_notes(
                pb::Stage::CrossStage,
                cycle_year,
                Vec::new(),
                0,
                notes,
            );
        }
    };
    let found = national(stages);
    let current: BTreeMap<String, Input> = found
        .iter()
        .map(|(id, (_, f))| {
            (
                id.clone(),
                Input {
                    value: f.value,
                    interval: f.interval.as_ref().map(|i| (i.lower, i.upper)),
                },
            )
        })
        .collect();
    let previous: Option<BTreeMap<String, Input>> = inputs.previous.as_ref().map(|p| {
        p.figures
            .iter()
            .map(|(id, (value, interval))| {
                (
                    id.clone(),
                    Input {
                        value: *value,
                        interval: interval.as_ref().map(|i| (i.lower, i.upper)),
                    },
                )
            })
            .collect()
    });
    let mut figures: Vec<pb::Figure> = Vec::new();
    let mut notes = Vec::new();
    let computed = document.derived.compute(&current, previous.as_ref());
    for (definition, (id, result)) in document.derived.figures.iter().zip(computed) {
        let computed = match result {
            Ok(c) => c,
            Err(note) => {
                notes.push(note);
                continue;
            }
        };
        notes.extend(computed.note.clone());
        // Lineage: every input's, a derived input's through the figure computed before it.
        let mut returns = Vec::new();
        let mut parameters = Vec::new();
        let mut hashes = Vec::new();
        let mut imputed_share = 0.0f64;
        let mut described = Vec::new();
        for (source, name) in &definition.inputs {
            match source {
                Source::Current => {
                    let figure = figures
                        .iter()
                        .find(|f| &f.id == name)
                        .map(|f| (pb::Stage::CrossStage, f))
                        .or_else(|| found.get(name).map(|(s, f)| (*s, *f)));
                    let Some((stage, figure)) = figure else {
                        continue;
                    };
                    let lineage = figure.lineage.clone().unwrap_or_default();
                    parameters.push(format!("input {name} inputs {}", lineage.inputs_hash));
                    parameters.extend(lineage.parameters.iter().cloned());
                    returns.extend(lineage.returns.iter().cloned());
                    hashes.push(lineage.inputs_hash.clone());
                    imputed_share = imputed_share.max(lineage.imputed_share);
                    described.push(format!("{name} ({})", stage_name(stage)));
                }
                Source::Previous => {
                    let p = inputs.previous.as_ref();
                    let cite = format!(
                        "previous release {}@{}: {name}",
                        p.map_or(0, |p| p.cycle_year),
                        p.map_or(0, |p| p.version)
                    );
                    hashes.push(cite.clone());
                    parameters.push(cite);
                    described.push(format!(
                        "{name} (release {})",
                        p.map_or(0, |p| p.cycle_year)
                    ));
                }
            }
        }
        parameters.push(document.lineage_ref.clone());
        hashes.push(document.lineage_ref.clone());
        // An input may be read more than once; its returns are cited once.
        returns.sort();
        returns.dedup();
        let interval = match (&computed.interval, &computed.interval_from) {
            (Some((lower, upper)), Some((source, name))) => {
                let input_interval = match source {
                    Source::Current => figures
                        .iter()
                        .find(|f| &f.id == name)
                        .or_else(|| found.get(name).map(|(_, f)| *f))
                        .and_then(|f| f.interval.clone()),
                    Source::Previous => inputs
                        .previous
                        .as_ref()
                        .and_then(|p| p.figures.get(name))
                        .and_then(|(_, i)| i.clone()),
                };
                input_interval.map(|i| pb::Interval {
                    lower: *lower,
                    upper: *upper,
                    level: i.level,
                    method: format!("the image of {name}'s interval: {}", i.method),
                })
            }
            _ => None,
        };
        let kind = match definition.role {
            Role::Estimate => pb::FigureKind::Estimate,
            Role::Auxiliary => pb::FigureKind::Auxiliary,
            Role::Check => pb::FigureKind::Check,
        };
        figures.push(pb::Figure {
            id,
            kind: kind as i32,
            value: computed.value,
            unit: definition.unit.as_i32(),
            interval,
            lineage: Some(pb::Lineage {
                inputs_hash: inputs_hash(hashes.iter().map(String::as_str)),
                returns,
                method: format!(
                    "{} over {}, derived by the aggregator",
                    definition.expression,
                    described.join(", ")
                ),
                parameters,
                weighting_spec: String::new(),
                // A derived figure rests on imputed values as far as any input does; the
                // largest share is the honest bound to publish.
                imputed_share,
                reporters: 0,
                largest_share: 0.0,
            }),
            label: definition.name.en.clone(),
            ..Default::default()
        });
    }
    stage_result_with_notes(pb::Stage::CrossStage, cycle_year, figures, 0, notes)
}

/// The aggregator's derived-figures documents.
#[derive(Clone)]
pub struct DerivedDocuments {
    documents: CycleDocuments,
}

impl DerivedDocuments {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            documents: CycleDocuments::unannounced(db, DOCUMENT_KIND),
        }
    }

    /// Reads and compiles a document; `known` says which figure ids exist.
    pub fn compile(
        &self,
        source: ndrs_platform::questionnaires::Source,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<CompiledDerived> {
        use ndrs_platform::questionnaires::Source as S;
        let document = match source {
            S::Toml(text) => DerivedDocument::from_toml(&text),
            S::Json(text) => DerivedDocument::from_json(&text),
        }
        .map_err(|e| into_invalid(vec![in_source(e)]))?;
        if document.kind != DOCUMENT_KIND {
            return Err(Error::invalid(
                "source.kind",
                format!("the aggregator derives `{DOCUMENT_KIND}`"),
            ));
        }
        CompiledDerived::compile(document, known)
            .map_err(|errors| into_invalid(errors.into_iter().map(in_source).collect()))
    }

    /// Stores a compiled document as the cycle's next version (the cycle's latest again is a
    /// retry, answering that version).
    pub async fn publish(
        &self,
        cycle_year: i32,
        compiled: CompiledDerived,
        by: &str,
    ) -> Result<Versioned<DerivedDocument>> {
        if let Some(latest) = self.documents.get(cycle_year, 0).await?
            && latest.body == compiled.document
        {
            return Ok(latest);
        }
        self.documents.load(cycle_year, compiled.document, by).await
    }

    pub async fn get(
        &self,
        cycle_year: i32,
        version: u32,
    ) -> Result<Option<Versioned<DerivedDocument>>> {
        self.documents.get(cycle_year, version).await
    }

    /// The document in force for `cycle_year`: its latest version, or the nearest earlier
    /// cycle's; `Err` with the reason when none is published.
    pub async fn in_force(
        &self,
        cycle_year: i32,
    ) -> Result<std::result::Result<InForceDerived, String>> {
        for year in (FIRST_CYCLE_YEAR..=cycle_year).rev() {
            if let Some(found) = self.documents.get::<DerivedDocument>(year, 0).await? {
                let lineage_ref = found.lineage_ref(DOCUMENT_KIND);
                // Compiled when published, against the figures then known; what it reads now is
                // the candidate's to say (a missing input is a note).
                let derived =
                    CompiledDerived::compile(found.body, &|_| true).map_err(|errors| {
                        Error::Internal(format!(
                            "published {lineage_ref} no longer compiles: {}",
                            errors
                                .first()
                                .map_or_else(String::new, ContentError::to_string)
                        ))
                    })?;
                return Ok(Ok(InForceDerived {
                    lineage_ref,
                    derived: Arc::new(derived),
                }));
            }
        }
        Ok(Err(no_document(cycle_year)))
    }
}

/// The note of a cycle without a derived-figures document in force.
pub fn no_document(cycle_year: i32) -> String {
    format!(
        "no {DOCUMENT_KIND} document is published for cycle {cycle_year} or before; the \
         organiser publishes one (PublishDerivedFigures) before cross-stage figures are derived"
    )
}

/// The latest published release of `cycle_year` (embargoed or not: the working group derives
/// from it either way), as derived figures read it; `None` before the cycle's first release.
pub async fn published_release(
    db: &DatabaseConnection,
    cycle_year: i32,
) -> Result<Option<PreviousRelease>> {
    use crate::store::release;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let Some(row) = release::Entity::find()
        .filter(release::Column::CycleYear.eq(cycle_year))
        .order_by_desc(release::Column::Version)
        .one(db)
        .await
        .map_err(ndrs_platform::db::db_error)?
    else {
        return Ok(None);
    };
    let document: crate::release::Document =
        serde_json::from_str(&row.document_json).map_err(|e| {
            Error::Internal(format!("stored release {} unreadable: {e}", row.release_id))
        })?;
    let figures = document
        .figures
        .into_iter()
        .filter(|f| f.dimensions.is_empty())
        .filter_map(|f| {
            let interval = f.interval.map(|i| pb::Interval {
                lower: i.lower,
                upper: i.upper,
                level: i.level,
                method: i.method,
            });
            f.value.map(|v| (f.id, (v, interval)))
        })
        .collect();
    Ok(Some(PreviousRelease {
        cycle_year,
        version: row.version as u32,
        figures,
    }))
}

/// The shipped document describing `cycle_year` as the in-force document it is once an
/// organiser publishes it as the cycle's first version: for outside checks that recompute a
/// candidate from stage results (the fault tests' convergence check).
pub fn shipped_in_force(cycle_year: i32) -> std::result::Result<InForceDerived, String> {
    let shipped = ndrs_content::builtin::derived_for(cycle_year)
        .into_iter()
        .next()
        .ok_or_else(|| no_document(cycle_year))?;
    let unreadable = |e: String| format!("the shipped {}: {e}", shipped.path);
    let document =
        DerivedDocument::from_toml(shipped.text).map_err(|e| unreadable(e.to_string()))?;
    let hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(document.to_json().as_bytes()))
    };
    let versioned = Versioned {
        cycle_year,
        version: 1,
        content_hash: hash,
        loaded_at: String::new(),
        loaded_by: String::new(),
        body: (),
    };
    let derived =
        CompiledDerived::compile(document, &|_| true).map_err(|e| unreadable(format!("{e:?}")))?;
    Ok(InForceDerived {
        lineage_ref: versioned.lineage_ref(DOCUMENT_KIND),
        derived: Arc::new(derived),
    })
}

/// How lineage cites a published document.
pub fn lineage_ref(d: &Versioned<DerivedDocument>) -> String {
    d.lineage_ref(DOCUMENT_KIND)
}

fn in_source(mut e: ContentError) -> ContentError {
    e.field = format!("source.{}", e.field);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped 2023 document, as if published.
    fn shipped() -> DerivedInputs {
        let text = ndrs_content::builtin::derived_for(2023)[0].text;
        let document = DerivedDocument::from_toml(text).unwrap();
        DerivedInputs {
            document: Ok(InForceDerived {
                lineage_ref: "derived_figures:2023@1#test".into(),
                derived: Arc::new(CompiledDerived::compile(document, &|_| true).unwrap()),
            }),
            previous: None,
        }
    }

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
        let result = cross_stage_result(2023, &both(42.0, Some(stock)), &shipped());
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
        for input in [
            "check.compute.cloud_storage_bytes (compute)",
            "P03 (production_storage)",
        ] {
            assert!(l.method.contains(input), "{}", l.method);
        }
        assert!(
            l.parameters
                .contains(&"derived_figures:2023@1#test".to_string())
        );
    }

    #[test]
    fn a_missing_input_or_zero_stock_gives_a_note_not_a_figure() {
        let result = cross_stage_result(2023, &both(42.0, None), &shipped());
        assert!(result.figures.is_empty());
        assert_eq!(
            result.notes,
            vec!["P08 not derived: no P03 in this cycle's candidate"]
        );
        let zero = fig("P03", 0.0, None, &[]);
        let result = cross_stage_result(2023, &both(42.0, Some(zero)), &shipped());
        assert!(result.figures.is_empty());
        assert!(
            result.notes[0].contains("the result is inf"),
            "{:?}",
            result.notes
        );
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
        let result = cross_stage_result(2023, &stages, &shipped());
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
            cross_stage_result(2023, &stages, &shipped()).content_hash,
            cross_stage_result(2023, &stages, &shipped()).content_hash
        );
    }
}
