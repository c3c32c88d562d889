//! Answers by question id.
//!
//! A question that was not answered has no entry. That is the point of keying answers by id
//! rather than sending a message with a field per question: in proto3 an unset `bool` reads as
//! `false` and an unset number as `0`, so "did not answer" could not be told from "no".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One answer. Quantities carry their unit, checked against the question's, so a partner that
/// sends yuan where bytes are asked is refused instead of publishing nonsense.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Integer {
        value: i64,
        unit: String,
    },
    Decimal {
        value: f64,
        unit: String,
    },
    Boolean(bool),
    /// The chosen code or codes (exactly one for a single choice).
    Choice(Vec<String>),
    Text(String),
    /// `YYYY-MM-DD`.
    Date(String),
    /// The rows of a repeat group.
    Group(Vec<Answers>),
}

impl Answer {
    /// The answer's type as the questionnaire names it, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Answer::Integer { .. } => "integer",
            Answer::Decimal { .. } => "decimal",
            Answer::Boolean(_) => "boolean",
            Answer::Choice(_) => "choice",
            Answer::Text(_) => "text",
            Answer::Date(_) => "date",
            Answer::Group(_) => "group",
        }
    }
}

/// The answers of one return (or of one row of a group), by question id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, Answer>);

impl Answers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the answer to `question`.
    pub fn with(mut self, question: &str, answer: Answer) -> Self {
        self.0.insert(question.to_string(), answer);
        self
    }

    pub fn get(&self, question: &str) -> Option<&Answer> {
        self.0.get(question)
    }
}

/// The reporting unit as the frame classifies it: what `unit.<attribute>` reads and what
/// `asked_of` is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    pub subject_type: ndrs_core::classification::SubjectType,
    /// Two-digit province code.
    pub province: String,
    /// Industry code, `""` when the frame has none.
    pub industry: String,
    /// Size class code, `""` when the frame has none.
    pub size_class: String,
}

/// The answers read out of a typed message (`ndrs.v1.ApplicationReturn` and its kin), before the
/// questionnaire says which of its default values are answers.
///
/// A typed message has a field per question, and proto3 cannot tell an unset field from one set
/// to its default (`false`, `0`). The typed messages keep the meaning they always had: every
/// question asked of the unit is answered, a default value included, and a question not asked of
/// it is answered only when its field holds something else (which the check then refuses). A
/// partner that needs to leave a question unanswered sends answers by id instead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypedAnswers {
    /// Fields holding something other than their default.
    pub given: Answers,
    /// Fields at their default, each as the answer it would be.
    pub defaults: Answers,
    /// Fields of the message that are wrong whatever the questionnaire says (a province code not
    /// in the list), as (field, message): refused together with the questionnaire's findings, so
    /// that one refusal names every bad field.
    pub invalid: Vec<(String, String)>,
}

impl TypedAnswers {
    /// Records a field that is wrong in itself.
    pub fn refuse(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.invalid.push((field.into(), message.into()));
    }

    /// Records a field: `is_default` says whether it holds its type's default value.
    pub fn field(&mut self, question: &str, answer: Answer, is_default: bool) {
        let into = if is_default {
            &mut self.defaults
        } else {
            &mut self.given
        };
        into.0.insert(question.to_string(), answer);
    }
}
