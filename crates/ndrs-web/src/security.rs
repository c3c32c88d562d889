//! The headers every response carries. The Content-Security-Policy allows no script at all, styles
//! only from this service (and the release report's one inline stylesheet, by its hash), images
//! only from here or inline, forms that post only here, and no framing: a page that is injected
//! into still cannot run anything or send a form elsewhere.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use http::HeaderValue;
use http::header;
use sha2::{Digest, Sha256};

/// The policy: `'sha256-…'` of the report's inline `<style>` is the only inline content allowed.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(ndrs_report::STYLE));
    format!(
        "default-src 'none'; style-src 'self' 'sha256-{hash}'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
});

/// Adds the security headers; console pages are never cached (they show what one person may
/// see), and behind TLS browsers are told to use it always.
pub async fn headers(secure: bool, request: Request, next: Next) -> Response {
    let private = request.uri().path().starts_with("/console");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
