//! The domain error every ndrs crate returns.
//!
//! Domain code says *what* went wrong in survey terms; `ndrs-platform::grpc_status` is the one
//! place that turns these variants into gRPC status codes and `google.rpc.BadRequest` details.

use std::fmt;

/// The longest field path an error names, in characters. Paths are built from the request's
/// shape (`capacity[2].flops`), so a longer one can only come from echoed client text.
pub const MAX_FIELD_CHARS: usize = 160;
/// The longest description of one violation, in characters. Descriptions may quote the value
/// refused; a client that sent a megabyte gets its first few hundred characters back, not all of it.
pub const MAX_DESCRIPTION_CHARS: usize = 400;
/// The longest message of any other error, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;
/// At most this many field violations travel in one answer; the message says how many more there
/// were. Twenty is more than any form shows at once and keeps the answer's trailers small.
pub const MAX_VIOLATIONS: usize = 20;

/// `text` cut to at most `max_chars` characters (on a character boundary), saying how much was
/// left out, so that an echoed client value can never make an answer unbounded.
pub fn bounded(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} more bytes)",
            &text[..cut],
            text.len() - cut
        )),
    }
}

/// One offending input field and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, e.g. `header.cycle_year` or `capacity[2].flops`.
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    /// A violation with both texts bounded ([`MAX_FIELD_CHARS`], [`MAX_DESCRIPTION_CHARS`]).
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        let (field, description) = (field.into(), description.into());
        Self {
            field: bounded(&field, MAX_FIELD_CHARS).into_owned(),
            description: bounded(&description, MAX_DESCRIPTION_CHARS).into_owned(),
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
    /// The caller sent more than its rate limit allows; it may call again after `retry_after`.
    #[error("rate limited: {message}; retry in {} ms", .retry_after.as_millis())]
    RateLimited {
        message: String,
        retry_after: std::time::Duration,
    },
    /// A bug or an unexpected failure; details are logged, not returned to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The first [`MAX_VIOLATIONS`] violations, joined, and how many more there were.
fn join(violations: &[FieldViolation]) -> String {
    let mut text = violations
        .iter()
        .take(MAX_VIOLATIONS)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if violations.len() > MAX_VIOLATIONS {
        text.push_str(&format!(
            "; and {} more field violations",
            violations.len() - MAX_VIOLATIONS
        ));
    }
    text
}

impl Error {
    /// Shorthand for a single-field `InvalidArgument`.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    /// The same error with `what` (the call or object it concerns) before its message, so that a
    /// client-side failure says which call failed. Field violations are kept as they are: their
    /// paths already say where.
    pub fn in_context(self, what: &str) -> Self {
        let with = |m: String| format!("{what}: {m}");
        match self {
            Error::InvalidArgument(v) => Error::InvalidArgument(v),
            Error::NotFound(m) => Error::NotFound(with(m)),
            Error::Unauthenticated(m) => Error::Unauthenticated(with(m)),
            Error::PermissionDenied(m) => Error::PermissionDenied(with(m)),
            Error::Conflict(m) => Error::Conflict(with(m)),
            Error::FailedPrecondition(m) => Error::FailedPrecondition(with(m)),
            Error::Unavailable(m) => Error::Unavailable(with(m)),
            Error::RateLimited {
                message,
                retry_after,
            } => Error::RateLimited {
                message: with(message),
                retry_after,
            },
            Error::Internal(m) => Error::Internal(with(m)),
        }
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

    #[test]
    fn echoed_text_is_bounded() {
        let huge = "x".repeat(1_000_000);
        let v = FieldViolation::new(huge.clone(), format!("unknown unit {huge}"));
        assert!(v.field.chars().count() <= MAX_FIELD_CHARS + 40);
        assert!(v.description.chars().count() <= MAX_DESCRIPTION_CHARS + 40);
        assert!(v.description.ends_with("more bytes)"), "{}", v.description);
        // Multi-byte text is cut on a character boundary.
        assert_eq!(bounded("数据资源", 2), "数据… (6 more bytes)");
        assert_eq!(bounded("short", 10), "short");
    }

    #[test]
    fn many_violations_are_capped_in_the_message() {
        let mut v = Violations::new();
        for i in 0..100 {
            v.push(format!("f{i}"), "bad");
        }
        let message = v.finish(()).unwrap_err().to_string();
        assert!(message.contains("f19: bad"));
        assert!(!message.contains("f20: bad"));
        assert!(
            message.ends_with("and 80 more field violations"),
            "{message}"
        );
    }
}
