//! `ndrs-web`: the survey on the web. An HTTP service (axum, server-rendered HTML from maud
//! templates, no script) that is one more client of the gRPC services, like the `ndrs` CLI:
//! it holds no survey data of its own, and every action a page offers is the same gRPC call the
//! CLI makes, authorised by the aggregator with the signed-in person's token.
//!
//! - [`public`]: what anyone may read without signing in: each cycle's release versions with
//!   their notes, each version's report, and its JSON, CSV and SDMX files byte for byte as
//!   published. The pages read with a `reader` token, so an embargo is enforced by the
//!   aggregator, not here: under embargo a release does not exist for this service.
//! - [`sdmx`]: the SDMX 2.1 REST API over the same releases (`data`, `dataflow`,
//!   `datastructure`, `codelist`), answering SDMX-ML and SDMX-CSV, with a data structure and code
//!   lists built from what was published.
//! - [`console`]: the working group's and the experts' pages: cycles and their progress, a
//!   candidate's three validation stages with the organiser's actions, the expert's review page
//!   and vote, the audit log with its chain verified.
//! - [`sessions`]: signing in with a token, exchanged for a session cookie (HttpOnly,
//!   SameSite=Strict, Secure behind TLS), and the CSRF token every form carries.
//! - [`security`]: the headers every response carries (a strict Content-Security-Policy among
//!   them); [`error`]: the one place a domain error becomes an HTTP status; `observe`: a span and
//!   a duration per request, by route template.

pub mod console;
pub mod error;
mod layout;
mod observe;
pub mod public;
mod releases;
pub mod sdmx;
pub mod security;
pub mod sessions;
mod state;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use ndrs_core::{Error, Result};
use tokio_util::sync::CancellationToken;

pub use crate::state::Web;

/// The stylesheet of the console and public pages (served, not inline, under the CSP).
const CONSOLE_CSS: &str = include_str!("../static/console.css");

/// Every route of the service over `web`.
pub fn router(web: Web) -> Router {
    let secure = web.secure_cookies();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/static/console.css",
            get(|| async {
                (
                    [(http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    CONSOLE_CSS,
                )
            }),
        )
        .merge(public::routes())
        .nest("/sdmx", sdmx::routes())
        .nest("/console", console::routes())
        .fallback(|| async { error::WebError::from(Error::NotFound("no such page".into())) })
        .layer(axum::middleware::from_fn(move |request, next| {
            security::headers(secure, request, next)
        }))
        .route_layer(axum::middleware::from_fn(observe::requests))
        .with_state(web)
}

/// Serves the router on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Web,
    shutdown: CancellationToken,
) -> Result<()> {
    let address: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(address = ?address, "web console and public pages serving");
    axum::serve(listener, router(web))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(|e| Error::Internal(format!("web server: {e}")))
}

/// The web service on its own, as its Deployment runs it: a client of the aggregator at
/// `web.aggregator_url`, reading public pages with `web.reader_token`, on `services.web.port`.
pub async fn run(
    settings: &ndrs_platform::settings::Settings,
    shutdown: CancellationToken,
) -> Result<()> {
    if settings.web.reader_token.is_empty() {
        return Err(Error::FailedPrecondition(
            "web.reader_token: the web service on its own needs a reader token \
             (NDRS__WEB__READER_TOKEN; issue one with `ndrs admin issue-token --role reader`)"
                .into(),
        ));
    }
    let host = &settings.server.host;
    let aggregator = if settings.web.aggregator_url.is_empty() {
        format!("http://{host}:{}", settings.services.aggregator.port)
    } else {
        settings.web.aggregator_url.clone()
    };
    // The web calls only the aggregator; the stage addresses are the configured ones, unused.
    let stage = |port: u16| format!("http://{host}:{port}");
    let s = &settings.services;
    let endpoints = ndrs_platform::client::SystemEndpoints {
        aggregator,
        production: stage(s.production.port),
        compute: stage(s.compute.port),
        circulation: stage(s.circulation.port),
        application: stage(s.application.port),
    };
    let web = Web::new(endpoints, &settings.web.reader_token, &settings.web)?;
    let listener = ndrs_platform::server::bind(host, settings.services.web.port).await?;
    serve(listener, web, shutdown).await
}
