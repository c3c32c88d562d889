//! The questionnaire document as a working group writes it (TOML, or JSON over the API).
//!
//! The document is deliberately flat: every question has the same fields whatever its type, and
//! unknown fields are refused, so a mistyped key (`requried = true`) is an error rather than a
//! question silently left optional. Which fields a type needs (`unit` for quantities,
//! `code_list` for choices, child questions for groups) is checked when the document is compiled
//! ([`crate::compile`]), where the error can name the question and the field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ContentError;

/// A label in the survey's two languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub zh: String,
    pub en: String,
}

/// One questionnaire: the questions of one return kind in one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// The return kind it is for (`application_questionnaire`, `compute_centre`,
    /// `carrier_traffic`, ...), as receipts and stored returns name it.
    pub kind: String,
    /// The organiser's name of this version (`2024.1`); the stored document also gets a version
    /// number and a content hash when it is published.
    pub version: String,
    pub title: Label,
    /// Who answers this return kind, by subject type or group code; empty: every unit that
    /// reports the kind. A return from any other unit is refused whatever it answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub respondents: Vec<String>,
    /// Code lists that choice questions draw their answers from, by id.
    #[serde(default)]
    pub code_lists: BTreeMap<String, CodeList>,
    /// The questions in the order they are asked. Order matters: a question's `relevant`
    /// condition may only read questions asked before it, which keeps the conditions acyclic.
    #[serde(rename = "question")]
    pub questions: Vec<Question>,
}

/// The codes a choice question may be answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    #[serde(rename = "code")]
    pub codes: Vec<Code>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
    pub label: Label,
}

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// A whole quantity with a unit (a count of devices, bytes).
    Integer,
    /// A quantity with a unit that may have a fraction (yuan, FLOPS, a share).
    Decimal,
    Boolean,
    /// One code of a code list, or several with `multiple = true`.
    Choice,
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A repeat group: a list of rows, each answering the group's own questions (turnover by
    /// industry, capacity by precision, parameters per device type).
    Group,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id: answers, findings and indicator definitions name the question by it.
    pub id: String,
    pub label: Label,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
    #[serde(rename = "type")]
    pub answer_type: QuestionType,
    /// The unit of a quantity (`integer`, `decimal`): a unit code such as `bytes`, `flops`,
    /// `yuan`, `count` or `ratio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The code list of a `choice` question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_list: Option<String>,
    /// A `choice` question that takes several codes.
    #[serde(default)]
    pub multiple: bool,
    /// The longest `text` answer, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
    /// The most rows a `group` may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_repeats: Option<usize>,
    /// Whether a relevant question must be answered: `true`, `false`, or a CEL condition read
    /// like `relevant` (required of some units only).
    #[serde(default)]
    pub required: Requirement,
    /// When the question is asked: a CEL condition over earlier answers (`a.<id>`) and the
    /// unit's frame classification (`unit.subject_type`, ...). Absent: always, for those it is
    /// asked of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// Edit rules on the answer (`value`), each a CEL condition that must hold.
    #[serde(default, rename = "constraint", skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
    /// Subject types or subject groups the question is asked of; empty: every respondent of
    /// the return kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked_of: Vec<String>,
    /// The questions of each row of a `group`.
    #[serde(default, rename = "question", skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
}

/// `required = true`, or `required = "unit.subject_type == 'key_industry_enterprise'"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Requirement {
    Always(bool),
    When(String),
}

impl Default for Requirement {
    fn default() -> Self {
        Requirement::Always(false)
    }
}

/// An edit rule: a condition the answer must meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    pub expression: String,
    /// `error` refuses the return; `warning` travels in the receipt.
    pub severity: ndrs_rules::Severity,
    /// What the respondent is told when the condition does not hold.
    pub message: Label,
}

impl Questionnaire {
    /// Reads a questionnaire written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, ContentError> {
        toml::from_str(text).map_err(|e| ContentError::document(e.to_string()))
    }

    /// Reads a questionnaire sent as JSON (the API's form).
    pub fn from_json(text: &str) -> Result<Self, ContentError> {
        serde_json::from_str(text).map_err(|e| ContentError::document(e.to_string()))
    }

    /// The canonical JSON of the document, the form that is stored and hashed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a questionnaire always serialises")
    }
}
