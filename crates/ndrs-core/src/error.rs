//! The domain error every ndrs crate returns.
//!
//! Domain code says *what* went wrong in survey terms; `ndrs-platform::grpc_status` is the one
//! place that turns these variants into gRPC status codes and `google.rpc.BadRequest` details.

use std::fmt;

/// One offending input field and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, e.g. `header.cycle_year` or `capacity[2].flops`.
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Errors of the ndrs domain, independent of transport.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; nothing was stored.
    #[error("invalid argument: {}", join(.0))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("not found: {0}")]
    NotFound(String),
    /// No or an unknown credential.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// A known principal asked for something its role or binding does not allow.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The request conflicts with what is stored (e.g. an idempotency key reused with a
    /// different payload).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request is valid but the system is not in a state to perform it.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// A dependency (database, another service) could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; details are logged, not returned to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

fn join(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// Shorthand for a single-field `InvalidArgument`.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    /// Field violations carried by this error, if it is `InvalidArgument`.
    pub fn field_violations(&self) -> &[FieldViolation] {
        match self {
            Error::InvalidArgument(v) => v,
            _ => &[],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field violations while a request is checked, so that a caller learns about every bad
/// field at once instead of one per round trip.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Records a violation unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, description: impl Into<String>) {
        if !ok {
            self.push(field, description);
        }
    }

    /// Checks that a number is finite and not negative, the rule for every reported quantity.
    pub fn non_negative(&mut self, field: impl Into<String>, value: f64) {
        if !value.is_finite() {
            self.push(field, "must be a finite number");
        } else if value < 0.0 {
            self.push(field, "must not be negative");
        }
    }

    /// Checks that a share lies in [0, 1].
    pub fn share(&mut self, field: impl Into<String>, value: f64) {
        if !value.is_finite() || !(0.0..=1.0).contains(&value) {
            self.push(field, "must be a share between 0 and 1");
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, `InvalidArgument` with every violation otherwise.
    pub fn finish<T>(self, value: T) -> Result<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error::InvalidArgument(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_collect_every_bad_field() {
        let mut v = Violations::new();
        v.non_negative("a", -1.0);
        v.non_negative("b", f64::NAN);
        v.share("c", 1.5);
        v.non_negative("d", 3.0);
        let err = v.finish(()).unwrap_err();
        let fields: Vec<_> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["a", "b", "c"]);
    }
}
