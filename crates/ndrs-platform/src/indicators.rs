//! A stage's indicator documents, as versioned cycle documents: publishing (compile against the
//! questionnaire in force, store the next version), drafts for dry runs, and the document a
//! cycle's figures are estimated under.
//!
//! The documents are stored like the questionnaires ([`crate::questionnaires`]): one document
//! kind (`indicators.<kind>`) in the service's [`CycleDocuments`], never overwritten, canonical
//! JSON with its SHA-256, and a publication announces inputs-changed so the aggregator
//! re-validates the cycle under the new definitions. [`service`] serves them over gRPC.

pub mod service;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ndrs_content::{CompiledIndicators, ContentError, IndicatorDocument, into_invalid};
use ndrs_core::{Error, Result};

use crate::documents::{CycleDocuments, Versioned};
use crate::questionnaires::{Questionnaires, Source};
use crate::returns::ReturnStore;
use crate::stage::FIRST_CYCLE_YEAR;

/// The document kind a stage's indicator documents are stored under.
pub const DOCUMENT_PREFIX: &str = "indicators.";

/// The indicator documents of one kind (`application_indicators`) in one service.
#[derive(Clone)]
pub struct IndicatorSets {
    kind: &'static str,
    documents: CycleDocuments,
    /// The breakdowns the stage can compute, which a document may offer.
    breakdowns: &'static [&'static str],
    questionnaires: Questionnaires,
    /// Compiled versions: compiling parses every expression.
    compiled: Arc<Mutex<CompiledCache>>,
}

/// Compiled documents by content hash and the lineage reference of the questionnaire they were
/// compiled against (a new questionnaire version recompiles them).
type CompiledCache = HashMap<(String, String), Arc<CompiledIndicators>>;

/// The indicator document a cycle's figures are estimated under, compiled.
#[derive(Debug, Clone)]
pub struct InForceIndicators {
    /// How lineage cites it; `draft` for a dry run's.
    pub lineage_ref: String,
    /// How lineage cites the questionnaire it was compiled against.
    pub questionnaire_ref: String,
    pub indicators: Arc<CompiledIndicators>,
}

/// Compiled versions kept at most.
const MAX_COMPILED: usize = 64;

impl IndicatorSets {
    pub fn new(
        store: &ReturnStore,
        kind: &'static str,
        breakdowns: &'static [&'static str],
        questionnaires: Questionnaires,
    ) -> Self {
        Self {
            kind,
            documents: CycleDocuments::new(store, format!("{DOCUMENT_PREFIX}{kind}")),
            breakdowns,
            questionnaires,
            compiled: Arc::default(),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Compiles a document against the questionnaire in force for `cycle_year`.
    async fn compile(
        &self,
        cycle_year: i32,
        document: IndicatorDocument,
    ) -> Result<(CompiledIndicators, String)> {
        let questionnaire = self
            .questionnaires
            .in_force(cycle_year, &document.questionnaire)
            .await
            .map_err(|e| match e {
                Error::InvalidArgument(_) => Error::invalid(
                    "source.questionnaire",
                    format!(
                        "`{}` is not a return kind of this service",
                        ndrs_core::error::bounded(&document.questionnaire, 64)
                    ),
                ),
                other => other,
            })?;
        let compiled =
            CompiledIndicators::compile(document, questionnaire.questionnaire, self.breakdowns)
                .map_err(|errors| into_invalid(errors.into_iter().map(in_source).collect()))?;
        Ok((compiled, questionnaire.lineage_ref))
    }

    /// Compiles a draft as [`Self::publish`] would, storing nothing.
    pub async fn draft(
        &self,
        cycle_year: i32,
        document: IndicatorDocument,
    ) -> Result<InForceIndicators> {
        self.own(&document)?;
        let (compiled, questionnaire_ref) = self.compile(cycle_year, document).await?;
        Ok(InForceIndicators {
            lineage_ref: "draft".into(),
            questionnaire_ref,
            indicators: Arc::new(compiled),
        })
    }

    /// Refuses a document of another kind than these.
    fn own(&self, document: &IndicatorDocument) -> Result<()> {
        if document.kind != self.kind {
            return Err(Error::invalid(
                "source.kind",
                format!(
                    "this service estimates `{}` indicators, not `{}`",
                    self.kind,
                    ndrs_core::error::bounded(&document.kind, 64)
                ),
            ));
        }
        Ok(())
    }

    /// Publishes a draft as the cycle's next version (or, when it is the cycle's latest version
    /// already, answers that version: a re-run of the round's set-up is a retry).
    pub async fn publish(
        &self,
        cycle_year: i32,
        document: IndicatorDocument,
        published_by: &str,
    ) -> Result<Versioned<IndicatorDocument>> {
        self.own(&document)?;
        let (compiled, _) = self.compile(cycle_year, document).await?;
        if let Some(latest) = self.documents.get(cycle_year, 0).await?
            && latest.body == compiled.document
        {
            return Ok(latest);
        }
        self.documents
            .load(cycle_year, compiled.document, published_by)
            .await
    }

    /// The document `cycle_year`'s figures are estimated under: the cycle's latest version, or
    /// else the nearest earlier cycle's (a round that keeps last year's definitions publishes
    /// nothing new). None published is FAILED_PRECONDITION: the stage has nothing to estimate.
    pub async fn in_force(&self, cycle_year: i32) -> Result<InForceIndicators> {
        let Some(published) = self.published_before(cycle_year).await? else {
            return Err(Error::FailedPrecondition(format!(
                "no {} document is published for cycle {cycle_year} or before; the organiser \
                 publishes one (PublishIndicators) before the stage has figures",
                self.kind
            )));
        };
        let lineage_ref = lineage_ref(&published);
        let questionnaire = self
            .questionnaires
            .in_force(cycle_year, &published.body.questionnaire)
            .await?;
        let key = (
            published.content_hash.clone(),
            questionnaire.lineage_ref.clone(),
        );
        if let Some(hit) = self.compiled.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(InForceIndicators {
                lineage_ref,
                questionnaire_ref: questionnaire.lineage_ref,
                indicators: hit,
            });
        }
        // It compiled when it was published; a questionnaire published since may have dropped a
        // question it reads, which the organiser must hear about, not a silent zero.
        let compiled = CompiledIndicators::compile(
            published.body,
            questionnaire.questionnaire,
            self.breakdowns,
        )
        .map_err(|errors| {
            Error::FailedPrecondition(format!(
                "indicators {lineage_ref} do not compile against questionnaire {}: {}; the \
                 organiser publishes indicators that fit it",
                questionnaire.lineage_ref,
                errors
                    .first()
                    .map_or_else(String::new, ContentError::to_string)
            ))
        })?;
        let compiled = Arc::new(compiled);
        if let Ok(mut cache) = self.compiled.lock() {
            if cache.len() >= MAX_COMPILED {
                cache.clear();
            }
            cache.insert(key, compiled.clone());
        }
        Ok(InForceIndicators {
            lineage_ref,
            questionnaire_ref: questionnaire.lineage_ref,
            indicators: compiled,
        })
    }

    async fn published_before(
        &self,
        cycle_year: i32,
    ) -> Result<Option<Versioned<IndicatorDocument>>> {
        for year in (FIRST_CYCLE_YEAR..=cycle_year).rev() {
            if let Some(found) = self.documents.get(year, 0).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// A published version (0: the latest) for the cycle.
    pub async fn get(
        &self,
        cycle_year: i32,
        version: u32,
    ) -> Result<Option<Versioned<IndicatorDocument>>> {
        self.documents.get(cycle_year, version).await
    }
}

/// The shipped indicator document of `kind` describing `cycle_year`, compiled against the
/// shipped questionnaire it reads, as if both had been published: for checks and tools that run
/// without a service (the fuzz targets, offline estimation tests). Lineage cites the files.
pub fn shipped(kind: &str, cycle_year: i32, breakdowns: &[&str]) -> Result<InForceIndicators> {
    use ndrs_content::builtin;
    let missing = |what: &str| Error::NotFound(format!("no shipped {what} for {cycle_year}"));
    let shipped = builtin::indicators_for(cycle_year)
        .into_iter()
        .find(|s| s.kind == kind)
        .ok_or_else(|| missing(kind))?;
    let document = IndicatorDocument::from_toml(shipped.text).map_err(|e| into_invalid(vec![e]))?;
    let questionnaire = builtin::questionnaires_for(cycle_year)
        .into_iter()
        .find(|s| s.kind == document.questionnaire)
        .ok_or_else(|| missing(&document.questionnaire))?;
    let compiled_questionnaire =
        ndrs_content::CompiledQuestionnaire::from_toml(questionnaire.text).map_err(into_invalid)?;
    let indicators =
        CompiledIndicators::compile(document, Arc::new(compiled_questionnaire), breakdowns)
            .map_err(into_invalid)?;
    Ok(InForceIndicators {
        lineage_ref: format!("builtin:{}", shipped.path),
        questionnaire_ref: format!("builtin:{}", questionnaire.path),
        indicators: Arc::new(indicators),
    })
}

/// A draft as sent, read (not yet compiled): its `kind` says which documents it belongs to.
pub fn parse(source: Source) -> Result<IndicatorDocument> {
    match source {
        Source::Toml(text) => IndicatorDocument::from_toml(&text),
        Source::Json(text) => IndicatorDocument::from_json(&text),
    }
    .map_err(|e| into_invalid(vec![in_source(e)]))
}

/// A content error's field as a request field: the document is the request's `source`.
fn in_source(mut e: ContentError) -> ContentError {
    e.field = format!("source.{}", e.field);
    e
}

/// How lineage cites a published indicator document.
pub fn lineage_ref(d: &Versioned<IndicatorDocument>) -> String {
    d.lineage_ref(&format!("{DOCUMENT_PREFIX}{}", d.body.kind))
}
