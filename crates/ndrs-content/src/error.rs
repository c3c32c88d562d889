//! Why content was refused: one error per problem, each naming where it is.

use std::fmt;

/// One problem with a content document. A document with any is not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// Where in the document: `questions[3].relevant`, `questions[5].questions[0].unit`, or
    /// `document` when it could not be read at all.
    pub field: String,
    /// The question the problem belongs to, when it belongs to one.
    pub question_id: Option<String>,
    /// The indicator the problem belongs to, in an indicator document.
    pub indicator_id: Option<String>,
    pub message: String,
}

impl ContentError {
    /// The document does not parse (bad TOML or JSON, an unknown key, a wrong value type).
    pub fn document(message: impl Into<String>) -> Self {
        Self {
            field: "document".into(),
            question_id: None,
            indicator_id: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.question_id, &self.indicator_id) {
            (Some(id), _) => write!(f, "{} (question {id}): {}", self.field, self.message),
            (None, Some(id)) => write!(f, "{} (indicator {id}): {}", self.field, self.message),
            (None, None) => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

impl std::error::Error for ContentError {}

/// Every problem of one document, in document order, as the services' error: the offending
/// fields become the field violations of an INVALID_ARGUMENT.
pub fn into_invalid(errors: Vec<ContentError>) -> ndrs_core::Error {
    ndrs_core::Error::InvalidArgument(
        errors
            .into_iter()
            .map(|e| {
                let description = match (&e.question_id, &e.indicator_id) {
                    (Some(id), _) => format!("question {id}: {}", e.message),
                    (None, Some(id)) => format!("indicator {id}: {}", e.message),
                    (None, None) => e.message,
                };
                ndrs_core::error::FieldViolation::new(e.field, description)
            })
            .collect(),
    )
}
