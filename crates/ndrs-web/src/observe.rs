//! Every request as the OpenTelemetry HTTP conventions name it: a server span `{method} {route}`
//! with `http.request.method`, `http.route` and `http.response.status_code`, and the
//! `http.server.request.duration` histogram by the same attributes (`ndrs_platform::metrics`).
//! The route is the template (`/console/rounds/{id}`), never the path: ids and query strings
//! stay out of metrics and logs.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

pub async fn requests(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let span = tracing::info_span!(
        "http request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    ndrs_platform::metrics::record_http(&method, &route, status, started.elapsed().as_secs_f64());
    response
}
