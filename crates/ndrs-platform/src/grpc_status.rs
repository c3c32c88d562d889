//! The one place where domain errors become gRPC statuses.
//!
//! Handlers return `ndrs_core::Error` and convert with [`to_status`]; nothing else in the
//! workspace chooses a gRPC code. Invalid arguments carry a `google.rpc.BadRequest` detail with one
//! field violation per offending field, so a partner's client can point at the exact input.
//! Internal errors are logged with their detail and answered with a generic message, so that
//! database text or secrets never reach a caller.

use ndrs_core::Error;
use ndrs_core::error::{
    MAX_DESCRIPTION_CHARS, MAX_FIELD_CHARS, MAX_MESSAGE_CHARS, MAX_VIOLATIONS, bounded,
};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation as RpcFieldViolation, StatusExt};

/// The code each domain error maps to. Kept as a table so a reader sees the whole mapping at once.
pub fn code_for(error: &Error) -> Code {
    match error {
        Error::InvalidArgument(_) => Code::InvalidArgument,
        Error::NotFound(_) => Code::NotFound,
        Error::Unauthenticated(_) => Code::Unauthenticated,
        Error::PermissionDenied(_) => Code::PermissionDenied,
        Error::Conflict(_) => Code::AlreadyExists,
        Error::FailedPrecondition(_) => Code::FailedPrecondition,
        Error::Unavailable(_) => Code::Unavailable,
        Error::Internal(_) => Code::Internal,
    }
}

/// Converts a domain error into the status sent to the caller.
///
/// Every text is bounded: at most [`MAX_VIOLATIONS`] field violations travel (the message says how
/// many more there were) and other messages are cut at [`MAX_MESSAGE_CHARS`], so an echoed client
/// value can never push the trailers past what a client accepts.
pub fn to_status(error: Error) -> Status {
    let code = code_for(&error);
    match &error {
        Error::InvalidArgument(violations) => {
            let details = ErrorDetails::with_bad_request(
                violations
                    .iter()
                    .take(MAX_VIOLATIONS)
                    .map(|v| {
                        RpcFieldViolation::new(
                            bounded(&v.field, MAX_FIELD_CHARS),
                            bounded(&v.description, MAX_DESCRIPTION_CHARS),
                        )
                    })
                    .collect::<Vec<_>>(),
            );
            Status::with_error_details(code, error.to_string(), details)
        }
        Error::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            Status::new(code, "internal error")
        }
        Error::Unavailable(detail) => {
            tracing::warn!(error = %detail, "dependency unavailable");
            Status::new(code, "a dependency is unavailable, retry later")
        }
        _ => Status::new(code, bounded(&error.to_string(), MAX_MESSAGE_CHARS)),
    }
}

/// Extension to call `.map_err(ndrs_platform::grpc_status::to_status)` less noisily.
pub trait IntoStatus<T> {
    fn into_status(self) -> Result<T, Status>;
}

impl<T> IntoStatus<T> for Result<T, Error> {
    fn into_status(self) -> Result<T, Status> {
        self.map_err(to_status)
    }
}

/// Field violations carried by a status (clients and tests use this to read `BadRequest`).
pub fn field_violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndrs_core::FieldViolation;

    #[test]
    fn invalid_argument_carries_every_field() {
        let status = to_status(Error::InvalidArgument(vec![
            FieldViolation::new("header.cycle_year", "unknown cycle"),
            FieldViolation::new("capacity[0].flops", "must not be negative"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<_> = field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["header.cycle_year", "capacity[0].flops"]);
    }

    #[test]
    fn echoed_values_and_violation_counts_are_bounded() {
        let huge = "u".repeat(1_000_000);
        let status = to_status(Error::NotFound(format!("candidate {huge}")));
        assert!(status.message().len() < 2 * MAX_MESSAGE_CHARS);
        let many = (0..500)
            .map(|i| ndrs_core::FieldViolation::new(format!("rules[{i}].id"), huge.clone()))
            .collect();
        let status = to_status(Error::InvalidArgument(many));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(field_violations(&status).len(), MAX_VIOLATIONS);
        assert!(status.message().contains("and 480 more field violations"));
        assert!(
            status.message().len() < 20_000,
            "{}",
            status.message().len()
        );
    }

    #[test]
    fn internal_detail_is_not_leaked() {
        let status = to_status(Error::Internal("password=hunter2 in dsn".into()));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }

    #[test]
    fn every_variant_has_a_distinct_meaning() {
        assert_eq!(code_for(&Error::Conflict("k".into())), Code::AlreadyExists);
        assert_eq!(
            code_for(&Error::PermissionDenied("x".into())),
            Code::PermissionDenied
        );
        assert_eq!(
            code_for(&Error::Unauthenticated("x".into())),
            Code::Unauthenticated
        );
        assert_eq!(code_for(&Error::NotFound("x".into())), Code::NotFound);
    }
}
