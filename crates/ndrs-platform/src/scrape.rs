//! The Prometheus scrape endpoint: the process's OpenTelemetry metrics in the Prometheus text
//! exposition format at `GET /metrics`, on a port of its own (`telemetry.metrics_port`, 9464 by
//! default, the port OpenTelemetry's Prometheus exporters use), as Kubernetes monitoring expects;
//! OTLP push to a collector works beside it. The pods carry the `prometheus.io/*` annotations.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use prometheus::{Encoder, TextEncoder};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The metrics a scrape reads: the registry the OpenTelemetry Prometheus reader fills.
#[derive(Clone)]
pub struct ScrapeRegistry(prometheus::Registry);

/// A meter-provider reader that exposes every instrument to scrapes, with its registry.
pub fn reader() -> Result<(opentelemetry_prometheus::PrometheusExporter, ScrapeRegistry), String> {
    let registry = prometheus::Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()
        .map_err(|e| format!("telemetry.metrics_port: {e}"))?;
    Ok((exporter, ScrapeRegistry(registry)))
}

impl ScrapeRegistry {
    /// The current metrics in the Prometheus text format.
    pub fn render(&self) -> (String, Vec<u8>) {
        let encoder = TextEncoder::new();
        let mut body = Vec::new();
        // Encoding into memory fails only on invalid metric families, which the exporter does
        // not produce; a failed scrape then shows what was encoded so far.
        let _ = encoder.encode(&self.0.gather(), &mut body);
        (encoder.format_type().to_string(), body)
    }

    /// Serves `GET /metrics` on `listener` until `shutdown` is cancelled.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) {
        loop {
            let stream = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "metrics endpoint: accept failed");
                        continue;
                    }
                },
            };
            let registry = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let response = registry.respond(&request);
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    fn respond<B>(&self, request: &hyper::Request<B>) -> hyper::Response<Full<Bytes>> {
        let reply = |status: u16, content_type: &str, body: Vec<u8>| {
            hyper::Response::builder()
                .status(status)
                .header("content-type", content_type)
                .body(Full::new(Bytes::from(body)))
                .unwrap_or_default()
        };
        match (request.method(), request.uri().path()) {
            (&hyper::Method::GET, "/metrics") => {
                let (content_type, body) = self.render();
                reply(200, &content_type, body)
            }
            _ => reply(
                404,
                "text/plain",
                b"only GET /metrics is served here\n".to_vec(),
            ),
        }
    }
}

/// Binds the metrics port on `host` and serves scrapes there in the background until
/// `shutdown`; the address it listens on (port 0 asks for any free port).
pub async fn spawn(
    registry: ScrapeRegistry,
    host: &str,
    port: u16,
    shutdown: CancellationToken,
) -> ndrs_core::Result<SocketAddr> {
    let listener = crate::server::bind(host, port).await?;
    let address = listener
        .local_addr()
        .map_err(|e| ndrs_core::Error::Internal(format!("metrics endpoint: {e}")))?;
    tracing::info!(%address, "serving metrics for scrapes at /metrics");
    tokio::spawn(registry.serve(listener, shutdown));
    Ok(address)
}
