//! What checking one return finds: the edit rules' and plausibility bounds' verdicts on its
//! fields. A module of its own, with no dependencies, because both the return store (which keeps
//! findings with the return) and the checks (which make them) need it.

use serde::{Deserialize, Serialize};

/// Severity of an edit-rule finding on a single return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSeverity {
    Info,
    Warning,
    Error,
}

/// The outcome of one edit rule on one return; warnings are stored with the return and echoed in
/// its receipt, errors stop the return from being stored at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditFinding {
    pub rule_id: String,
    pub severity: FindingSeverity,
    pub message: String,
    pub fields: Vec<String>,
}
