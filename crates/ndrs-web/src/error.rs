//! The one place a domain error becomes an HTTP response: the status a browser, a crawler or an
//! SDMX client expects for it, and a short message (bounded, never a token). The gRPC side of the
//! same mapping is `ndrs_platform::grpc_status`: an error that crossed it comes back as the same
//! [`Error`] variant, so a refusal by the aggregator reaches the reader as the matching status.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use maud::html;
use ndrs_core::Error;
use ndrs_core::error::bounded;

/// Longest error message shown, in characters.
const MAX_MESSAGE_CHARS: usize = 600;

/// An error as a response: an HTML page, or plain text for machine clients (SDMX).
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    plain: bool,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: bounded(&message.into(), MAX_MESSAGE_CHARS).into_owned(),
            plain: false,
        }
    }

    /// The same error as plain text (for the SDMX API, whose clients read the body as text).
    pub fn plain(mut self) -> Self {
        self.plain = true;
        self
    }
}

/// The HTTP status of a domain error.
pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::InvalidArgument(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::PermissionDenied(_) => StatusCode::FORBIDDEN,
        Error::Conflict(_) | Error::FailedPrecondition(_) => StatusCode::CONFLICT,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for WebError {
    fn from(error: Error) -> Self {
        let status = status_of(&error);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %error, "web request failed");
        }
        WebError::new(status, error.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.plain {
            return (self.status, self.message).into_response();
        }
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let page = crate::layout::page(
            reason,
            None,
            html! {
                h1 { (self.status.as_u16()) " " (reason) }
                p.error { (self.message) }
                p { a href="/" { "全国数据资源调查 · National data resource survey" } }
            },
        );
        (self.status, page).into_response()
    }
}
