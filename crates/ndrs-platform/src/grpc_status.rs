//! The one place where domain errors become gRPC statuses, and statuses errors again.
//!
//! Handlers return `ndrs_core::Error` and convert with [`to_status`]; clients (the aggregator
//! calling the stages, the CLI, the demo) convert what a call answered with [`from_status`].
//! Nothing else in the workspace chooses a gRPC code or reads one. Invalid arguments carry a `google.rpc.BadRequest` detail with one
//! field violation per offending field, so a partner's client can point at the exact input.
//! Internal errors are logged with their detail and answered with a generic message, so that
//! database text or secrets never reach a caller.

use ndrs_core::error::{
    MAX_DESCRIPTION_CHARS, MAX_FIELD_CHARS, MAX_MESSAGE_CHARS, MAX_VIOLATIONS, bounded,
};
use ndrs_core::{Error, FieldViolation};
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
        Error::RateLimited { .. } => Code::ResourceExhausted,
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
        Error::RateLimited { retry_after, .. } => Status::with_error_details(
            code,
            bounded(&error.to_string(), MAX_MESSAGE_CHARS),
            ErrorDetails::with_retry_info(Some(*retry_after)),
        ),
        Error::Unavailable(detail) => {
            tracing::warn!(error = %detail, "dependency unavailable");
            Status::new(code, "a dependency is unavailable, retry later")
        }
        _ => Status::new(code, bounded(&error.to_string(), MAX_MESSAGE_CHARS)),
    }
}

/// Converts a status a call answered back into the domain error it stands for: the inverse of
/// [`code_for`], with the field violations of a `BadRequest` and the delay of a `RetryInfo`. Codes
/// no ndrs service sends map to what a caller can do about them: transport trouble (CANCELLED,
/// DEADLINE_EXCEEDED, UNKNOWN) is unavailable, retryable; the rest is internal.
pub fn from_status(status: Status) -> Error {
    let message = status.message().to_string();
    match status.code() {
        Code::InvalidArgument => {
            let violations: Vec<FieldViolation> = field_violations(&status)
                .into_iter()
                .map(|(field, description)| FieldViolation::new(field, description))
                .collect();
            if violations.is_empty() {
                Error::invalid("", message)
            } else {
                Error::InvalidArgument(violations)
            }
        }
        Code::NotFound => Error::NotFound(message),
        Code::Unauthenticated => Error::Unauthenticated(message),
        Code::PermissionDenied => Error::PermissionDenied(message),
        Code::AlreadyExists | Code::Aborted => Error::Conflict(message),
        Code::FailedPrecondition => Error::FailedPrecondition(message),
        Code::ResourceExhausted => Error::RateLimited {
            retry_after: status
                .get_details_retry_info()
                .and_then(|r| r.retry_delay)
                .unwrap_or(std::time::Duration::from_secs(1)),
            message,
        },
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
            Error::Unavailable(message)
        }
        _ => Error::Internal(format!("{:?}: {message}", status.code())),
    }
}

/// A client call's outcome as the message it answered or the domain error its status stands for:
/// what every caller of an ndrs service does with a response.
pub fn answer<T>(outcome: Result<tonic::Response<T>, Status>) -> ndrs_core::Result<T> {
    outcome
        .map(tonic::Response::into_inner)
        .map_err(from_status)
}

/// `from_status` with the call it answered named in the message.
pub fn from_status_in(what: &str) -> impl FnOnce(Status) -> Error + '_ {
    move |status| from_status(status).in_context(what)
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

/// Tower layer that corrects one status tonic itself chooses: a request over
/// `server.max_message_bytes` is refused by tonic's decoder with OUT_OF_RANGE, but gRPC's
/// convention (and every client's retry logic) reads a message over a size limit as
/// RESOURCE_EXHAUSTED. The refusal is a trailers-only response, so its headers carry the status.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageSizeStatusLayer;

impl<S> tower::Layer<S> for MessageSizeStatusLayer {
    type Service = MessageSizeStatus<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MessageSizeStatus { inner }
    }
}

#[derive(Debug, Clone)]
pub struct MessageSizeStatus<S> {
    inner: S,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for MessageSizeStatus<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = self.inner.call(request);
        Box::pin(async move {
            let mut response = call.await?;
            oversize_as_resource_exhausted(response.headers_mut());
            Ok(response)
        })
    }
}

/// Rewrites tonic's OUT_OF_RANGE "message length too large" refusal to RESOURCE_EXHAUSTED.
fn oversize_as_resource_exhausted(headers: &mut http::HeaderMap) {
    let out_of_range = (Code::OutOfRange as i32).to_string();
    let is_oversize = headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == out_of_range.as_bytes())
        && headers.get("grpc-message").is_some_and(|m| {
            String::from_utf8_lossy(m.as_bytes())
                .replace("%20", " ")
                .contains("message length too large")
        });
    if is_oversize {
        headers.insert(
            "grpc-status",
            http::HeaderValue::from(Code::ResourceExhausted as i32),
        );
    }
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
    fn an_oversize_request_is_resource_exhausted_and_nothing_else_changes() {
        let mut oversize = http::HeaderMap::new();
        oversize.insert("grpc-status", "11".parse().unwrap());
        oversize.insert(
            "grpc-message",
            "Error,%20decoded%20message%20length%20too%20large:%20found%205000000%20bytes"
                .parse()
                .unwrap(),
        );
        oversize_as_resource_exhausted(&mut oversize);
        assert_eq!(oversize["grpc-status"], "8");
        let mut other = http::HeaderMap::new();
        other.insert("grpc-status", "11".parse().unwrap());
        other.insert(
            "grpc-message",
            "page%20token%20past%20the%20end".parse().unwrap(),
        );
        oversize_as_resource_exhausted(&mut other);
        assert_eq!(other["grpc-status"], "11");
    }

    #[test]
    fn a_rate_limit_says_when_to_retry() {
        let status = to_status(Error::RateLimited {
            message: "too many calls from bureau-11".into(),
            retry_after: std::time::Duration::from_millis(250),
        });
        assert_eq!(status.code(), Code::ResourceExhausted);
        let retry = status.get_details_retry_info().expect("RetryInfo detail");
        assert_eq!(
            retry.retry_delay,
            Some(std::time::Duration::from_millis(250))
        );
    }

    #[test]
    fn statuses_map_back_to_the_errors_they_stand_for() {
        let errors = [
            Error::InvalidArgument(vec![FieldViolation::new("header.cycle_year", "unknown")]),
            Error::NotFound("release of cycle 2023 v9".into()),
            Error::Unauthenticated("token expired".into()),
            Error::PermissionDenied("expert may not publish".into()),
            Error::Conflict("idempotency key reused".into()),
            Error::FailedPrecondition("stage 1 has not passed".into()),
            Error::RateLimited {
                message: "slow down".into(),
                retry_after: std::time::Duration::from_millis(300),
            },
        ];
        for error in errors {
            let code = code_for(&error);
            let back = from_status(to_status(error));
            assert_eq!(code_for(&back), code, "{back}");
            if let Error::InvalidArgument(v) = &back {
                assert_eq!(v[0].field, "header.cycle_year");
            }
            if let Error::RateLimited { retry_after, .. } = back {
                assert_eq!(retry_after, std::time::Duration::from_millis(300));
            }
        }
        // The CLI used to print every failure as "unavailable".
        let missing = from_status_in("release get")(Status::not_found("no release of cycle 2023"));
        assert_eq!(
            missing.to_string(),
            "not found: release get: no release of cycle 2023"
        );
        assert!(matches!(
            from_status(Status::deadline_exceeded("slow")),
            Error::Unavailable(_)
        ));
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
