//! Questionnaires of a stage service's return kinds, as versioned cycle documents: publishing
//! (compile, check against what was published, store the next version), dry runs of drafts over
//! example answers, and reading them back.
//!
//! Each return kind's questionnaire is its own document kind (`questionnaire.<kind>`) in the
//! service's [`CycleDocuments`], so it gets the same guarantees as a sample design or a register:
//! a version is never overwritten, two concurrent publications cannot take the same number, the
//! body is stored as canonical JSON with its SHA-256, and a publication announces inputs-changed.
//! [`wire`] converts the gRPC messages and [`service`] serves them.

pub mod service;
pub mod wire;

use ndrs_content::{
    Answers, Checked, CompiledQuestionnaire, ContentError, Questionnaire, Respondent, into_invalid,
    meaning_changes,
};
use ndrs_core::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::documents::{CycleDocuments, Versioned};
use crate::findings::{EditFinding, FindingSeverity};
use crate::returns::ReturnStore;
use crate::stage::FIRST_CYCLE_YEAR;

/// The document kind a return kind's questionnaires are stored under.
pub const DOCUMENT_PREFIX: &str = "questionnaire.";

/// The questionnaires of the return kinds one service receives.
#[derive(Clone)]
pub struct Questionnaires {
    kinds: Vec<(&'static str, CycleDocuments)>,
    /// Compiled published versions by content hash: a submission is checked against a compiled
    /// questionnaire, and compiling one parses every expression in it.
    compiled: Arc<Mutex<HashMap<String, Arc<CompiledQuestionnaire>>>>,
}

/// The questionnaire a submission is checked against: a published version, compiled.
#[derive(Debug, Clone)]
pub struct InForce {
    /// How receipts and lineage cite it ([`lineage_ref`]).
    pub lineage_ref: String,
    pub questionnaire: Arc<CompiledQuestionnaire>,
}

/// Compiled versions kept at most; a service sees a handful (one per kind and cycle in use).
const MAX_COMPILED: usize = 64;

/// A draft checked over example answers: what each example would get.
#[derive(Debug)]
pub struct DryRun {
    pub questionnaire: CompiledQuestionnaire,
    pub examples: Vec<(String, Checked)>,
}

/// A draft as sent: TOML from a file or JSON from `GetQuestionnaire`.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Toml(String),
    Json(String),
}

impl Source {
    pub fn text(&self) -> &str {
        match self {
            Source::Toml(text) | Source::Json(text) => text,
        }
    }
}

impl Questionnaires {
    /// The questionnaires of `return_kinds` in the database of `store`.
    pub fn new(store: &ReturnStore, return_kinds: &[&'static str]) -> Self {
        Self {
            kinds: return_kinds
                .iter()
                .map(|&kind| {
                    let documents = CycleDocuments::new(store, format!("{DOCUMENT_PREFIX}{kind}"));
                    (kind, documents)
                })
                .collect(),
            compiled: Arc::default(),
        }
    }

    /// The return kinds this service keeps questionnaires for.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.iter().map(|(k, _)| *k)
    }

    fn documents(&self, kind: &str, field: &str) -> Result<&CycleDocuments> {
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, d)| d)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "this service receives no returns of kind `{}`; it receives {}",
                        ndrs_core::error::bounded(kind, 64),
                        self.kinds().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }

    /// Compiles a draft and checks it against what was published before it for its kind: the
    /// cycle's latest version, or else the latest of the nearest earlier cycle.
    async fn compile_draft(
        &self,
        cycle_year: i32,
        source: Source,
    ) -> Result<(CompiledQuestionnaire, &CycleDocuments)> {
        let parsed = match source {
            Source::Toml(text) => Questionnaire::from_toml(&text),
            Source::Json(text) => Questionnaire::from_json(&text),
        }
        .map_err(|e| into_invalid(vec![in_source(e)]))?;
        let documents = self.documents(&parsed.kind, "source.kind")?;
        let compiled = CompiledQuestionnaire::compile(parsed)
            .map_err(|errors| into_invalid(errors.into_iter().map(in_source).collect()))?;
        if let Some(published) = self.published_before(documents, cycle_year).await? {
            let changes = meaning_changes(&published.body, &compiled.document);
            if !changes.is_empty() {
                return Err(into_invalid(changes.into_iter().map(in_source).collect()));
            }
        }
        Ok((compiled, documents))
    }

    async fn published_before(
        &self,
        documents: &CycleDocuments,
        cycle_year: i32,
    ) -> Result<Option<Versioned<Questionnaire>>> {
        for year in (FIRST_CYCLE_YEAR..=cycle_year).rev() {
            if let Some(found) = documents.get(year, 0).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The questionnaire a return of `kind` for `cycle_year` is answered under: the latest version
    /// published for the cycle, or else for the nearest earlier cycle (a round that keeps last
    /// year's questions publishes nothing new). None published is FAILED_PRECONDITION: returns
    /// are not taken before the organiser has published what they answer.
    pub async fn in_force(&self, cycle_year: i32, kind: &str) -> Result<InForce> {
        let documents = self.documents(kind, "kind")?;
        let Some(published) = self.published_before(documents, cycle_year).await? else {
            return Err(Error::FailedPrecondition(format!(
                "no {kind} questionnaire is published for cycle {cycle_year} or before; the \
                 organiser publishes one (PublishQuestionnaire) before returns are taken"
            )));
        };
        let lineage_ref = lineage_ref(&published);
        if let Some(hit) = self.cached(&published.content_hash) {
            return Ok(InForce {
                lineage_ref,
                questionnaire: hit,
            });
        }
        let hash = published.content_hash.clone();
        // Published versions compiled when they were published; failing now would mean the
        // compiler grew stricter since, which the working group must hear about as such.
        let compiled = CompiledQuestionnaire::compile(published.body).map_err(|errors| {
            Error::Internal(format!(
                "published questionnaire {lineage_ref} no longer compiles: {}",
                errors
                    .first()
                    .map_or_else(String::new, |e| format!("{}: {}", e.field, e.message))
            ))
        })?;
        let compiled = Arc::new(compiled);
        if let Ok(mut cache) = self.compiled.lock() {
            if cache.len() >= MAX_COMPILED {
                cache.clear();
            }
            cache.insert(hash, compiled.clone());
        }
        Ok(InForce {
            lineage_ref,
            questionnaire: compiled,
        })
    }

    fn cached(&self, content_hash: &str) -> Option<Arc<CompiledQuestionnaire>> {
        self.compiled.lock().ok()?.get(content_hash).cloned()
    }

    /// Publishes a draft as the next version of its kind for the cycle (or, when it is the
    /// cycle's latest version already, answers that version).
    pub async fn publish(
        &self,
        cycle_year: i32,
        source: Source,
        published_by: &str,
    ) -> Result<Versioned<Questionnaire>> {
        let (compiled, documents) = self.compile_draft(cycle_year, source).await?;
        // Publishing again what is already the cycle's latest version is a retry, not a new
        // version: a re-run of the round's set-up must not renumber its questionnaires.
        if let Some(latest) = documents.get(cycle_year, 0).await?
            && latest.body == compiled.document
        {
            return Ok(latest);
        }
        documents
            .load(cycle_year, compiled.document, published_by)
            .await
    }

    /// Checks a draft as [`Self::publish`] would and runs each example through it; stores nothing.
    pub async fn dry_run(
        &self,
        cycle_year: i32,
        source: Source,
        examples: Vec<(String, Respondent, Answers)>,
    ) -> Result<DryRun> {
        let (questionnaire, _) = self.compile_draft(cycle_year, source).await?;
        let examples = examples
            .into_iter()
            .map(|(name, respondent, answers)| {
                let checked = questionnaire.check(&answers, &respondent);
                (name, checked)
            })
            .collect();
        Ok(DryRun {
            questionnaire,
            examples,
        })
    }

    /// A published version (0: the latest) of a kind's questionnaire for the cycle.
    pub async fn get(
        &self,
        cycle_year: i32,
        kind: &str,
        version: u32,
    ) -> Result<Option<Versioned<Questionnaire>>> {
        self.documents(kind, "kind")?.get(cycle_year, version).await
    }

    /// The latest published version of every kind, for the cycle.
    pub async fn list(&self, cycle_year: i32) -> Result<Vec<Versioned<Questionnaire>>> {
        let mut out = Vec::new();
        for (_, documents) in &self.kinds {
            if let Some(found) = documents.get(cycle_year, 0).await? {
                out.push(found);
            }
        }
        Ok(out)
    }
}

/// A content error's field as a request field: the document is the request's `source`.
fn in_source(mut e: ContentError) -> ContentError {
    e.field = format!("source.{}", e.field);
    e
}

/// A finding on an answer as the receipts' edit finding: the rule is the question (or the
/// questionnaire's `respondents`, for a unit that does not answer it), the field the answer's path.
pub fn edit_finding(f: ndrs_content::Finding) -> EditFinding {
    EditFinding {
        rule_id: if f.question_id.is_empty() {
            "questionnaire.respondents".to_string()
        } else {
            format!("question.{}", f.question_id)
        },
        severity: match f.severity {
            ndrs_rules::Severity::Error => FindingSeverity::Error,
            ndrs_rules::Severity::Warning => FindingSeverity::Warning,
        },
        message: f.message,
        fields: vec![f.field],
    }
}

/// How lineage cites a published questionnaire.
pub fn lineage_ref(q: &Versioned<Questionnaire>) -> String {
    q.lineage_ref(&format!("{DOCUMENT_PREFIX}{}", q.body.kind))
}
