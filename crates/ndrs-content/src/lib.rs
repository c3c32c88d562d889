//! Survey content as versioned data: what is asked, of whom, and which answers are acceptable.
//!
//! Every round of the survey changes its content (the 2023 round widened its scope and added
//! kinds of respondents and indicators). Content that lives in protobuf fields and Rust code
//! needs a new build, a redeploy and new clients for every change; content that is a document,
//! as in ODK's XLSForm or Survey Solutions' questionnaires, needs only a new version of the
//! document. This crate holds the documents' formats and the checks that make them safe to load:
//!
//! - [`questionnaire`]: the questionnaire document (TOML or JSON): questions with stable ids,
//!   bilingual labels, types with units and code lists, repeat groups, and `relevant` and
//!   `constraint` rules in CEL (the language of the stage-1 rules).
//! - [`compile`]: checking a document field by field and compiling its expressions
//!   ([`expression`] says what an expression may name and which mistakes are caught at load);
//!   every problem is reported at once, with the question and the field ([`ContentError`]).
//! - [`answers`]: a return's answers keyed by question id, where "not answered" has no entry
//!   and so is never confused with `false` or `0`.
//! - [`check`]: a return's answers against its compiled questionnaire, giving findings that
//!   name the questions (errors refuse the return, warnings travel in the receipt).
//! - [`indicators`]: the indicator document: every figure a stage estimates, with its estimator
//!   and CEL expressions for its domain and measure; [`estimands`] compiles it against the
//!   questionnaire its measures read and evaluates it over returns.
//! - [`derived`]: derived figures, CEL over other figures of the candidate and the previous
//!   cycle's release, computed by the aggregator.
//! - [`meaning`]: what a new version may not change of a published one.
//! - [`limits`]: the sizes a document may have.
//! - [`builtin`]: the documents that ship with the system (the 2023 round's).

pub mod answers;
pub mod builtin;
pub mod check;
pub mod compile;
pub mod derived;
pub mod error;
pub mod estimands;
pub mod expression;
pub mod indicators;
pub mod limits;
pub mod meaning;
mod native;
pub mod questionnaire;

pub use answers::{Answer, Answers, Respondent, TypedAnswers};
pub use check::{Checked, Finding};
pub use compile::{AnswerKind, CompiledQuestionnaire};
pub use derived::{CompiledDerived, DerivedDocument};
pub use error::{ContentError, into_invalid};
pub use estimands::{CompiledIndicator, CompiledIndicators, Values};
pub use indicators::IndicatorDocument;
pub use meaning::meaning_changes;
pub use questionnaire::Questionnaire;

/// The `kind` a content document written in TOML states (`application_questionnaire`,
/// `application_indicators`, `derived_figures`, ...), read before knowing which format it has.
pub fn document_kind(text: &str) -> Result<String, ContentError> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| ContentError::document(e.to_string()))?;
    match table.get("kind") {
        Some(toml::Value::String(kind)) => Ok(kind.clone()),
        _ => Err(ContentError::document(
            "names no `kind` saying what the document is",
        )),
    }
}
