//! Service metrics, exported over OTLP with the traces when a collector is configured.
//!
//! - `rpc.server.call.duration` (histogram, seconds; the OpenTelemetry RPC convention): every
//!   gRPC call, by `rpc.system`, `rpc.service`, `rpc.method` and `rpc.grpc.status_code` (an integer).
//! - `ndrs.returns.received` (counter): every `Submit…` call, by service, method and outcome
//!   (`accepted` or the gRPC status that refused it, e.g. `InvalidArgument`).
//! - `ndrs.validation.rule_outcomes` (counter): cross-entity rule results, by severity and status.
//! - `ndrs.aggregator.revalidation_backlog` (gauge): cycles waiting for a successful automatic
//!   re-assembly, plus one while a full resynchronisation is due.
//! - `ndrs.aggregator.reassembly.duration` (histogram, seconds): one automatic re-assembly and
//!   re-validation, by `outcome` (`ok`, `failed`).
//! - `ndrs.outbox.backlog` (gauge) and `ndrs.outbox.lag` (gauge, seconds): committed events not yet
//!   published and the age of the oldest, by `ndrs.stage` (the relay's measure of bus trouble).
//! - `ndrs.returns.stored` (counter): returns stored, by `ndrs.return_kind` and `outcome`.
//! - `ndrs.cycle.returns` (gauge): a cycle's expected returns by `ndrs.cycle_year`,
//!   `ndrs.return_kind` and `state` (`expected`, `received`, `late`, `revised`, `refused`,
//!   `outstanding`), as of the last progress report.
//! - `http.server.request.duration` (histogram, seconds; the OpenTelemetry HTTP convention):
//!   every request to the web service, by `http.request.method`, `http.route` (the route
//!   template, never the path with its ids) and `http.response.status_code`.
//! - `db.client.connection.count` (gauge): each stage service's pool, by
//!   `db.client.connection.pool.name` and `db.client.connection.state` (`used`, `idle`), and
//!   `db.client.connection.wait_time` (histogram, seconds): how long a query waits for one of
//!   its connections, probed once a second.
//! - `ndrs.bus.pending` and `ndrs.bus.lag` (gauges): a consumer group's events delivered but not
//!   yet acknowledged, and those in the stream it has not read yet, by `messaging.system`
//!   (`redis`, `in_process`), `messaging.destination.name` (the topic) and
//!   `messaging.consumer.group.name` (the OpenTelemetry messaging attributes): a lag that grows
//!   while the outbox backlog is zero is an aggregator that does not keep up.
//!
//! RPC metrics are taken by a tower layer around every server ([`RpcMetricsLayer`]), so no handler
//! has to remember to record them.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram};

pub struct Metrics {
    pub rpc_duration: Histogram<f64>,
    pub http_duration: Histogram<f64>,
    pub returns_received: Counter<u64>,
    pub rule_outcomes: Counter<u64>,
    pub revalidation_backlog: Gauge<u64>,
    pub outbox_backlog: Gauge<u64>,
    pub outbox_lag: Gauge<f64>,
    pub reassembly_duration: Histogram<f64>,
    pub returns_stored: Counter<u64>,
    pub db_connections: Gauge<u64>,
    pub db_wait: Histogram<f64>,
    pub cycle_returns: Gauge<u64>,
    pub bus_pending: Gauge<u64>,
    pub bus_lag: Gauge<u64>,
}

/// The process's instruments, created on first use from the global meter provider (installed by
/// `telemetry::init`, or a no-op one when telemetry was never initialised).
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let meter = opentelemetry::global::meter("ndrs");
        Metrics {
            rpc_duration: meter
                .f64_histogram("rpc.server.call.duration")
                .with_unit("s")
                .with_description("gRPC server call duration")
                .build(),
            http_duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("HTTP server request duration")
                .build(),
            returns_received: meter
                .u64_counter("ndrs.returns.received")
                .with_description("returns submitted, by method and outcome")
                .build(),
            rule_outcomes: meter
                .u64_counter("ndrs.validation.rule_outcomes")
                .with_description("cross-entity rule results, by severity and status")
                .build(),
            revalidation_backlog: meter
                .u64_gauge("ndrs.aggregator.revalidation_backlog")
                .with_description(
                    "cycles waiting for a successful automatic re-assembly (plus one while a full resynchronisation is due)",
                )
                .build(),
            outbox_backlog: meter
                .u64_gauge("ndrs.outbox.backlog")
                .with_description("committed events the relay has not yet published, by stage service")
                .build(),
            outbox_lag: meter
                .f64_gauge("ndrs.outbox.lag")
                .with_unit("s")
                .with_description("age of the oldest unpublished event, by stage service (0 when none)")
                .build(),
            reassembly_duration: meter
                .f64_histogram("ndrs.aggregator.reassembly.duration")
                .with_unit("s")
                .with_description("one automatic re-assembly and re-validation of a cycle, by outcome")
                .build(),
            db_connections: meter
                .u64_gauge("db.client.connection.count")
                .with_description("database pool connections, by pool and state (used, idle)")
                .build(),
            db_wait: meter
                .f64_histogram("db.client.connection.wait_time")
                .with_unit("s")
                .with_description("time to obtain a connection from the pool, probed once a second")
                .with_boundaries(vec![
                    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
                ])
                .build(),
            returns_stored: meter
                .u64_counter("ndrs.returns.stored")
                .with_description("returns stored, by return kind and outcome (new, revised, replayed)")
                .build(),
            bus_pending: meter
                .u64_gauge("ndrs.bus.pending")
                .with_description("events delivered to a consumer group and not yet acknowledged")
                .build(),
            bus_lag: meter
                .u64_gauge("ndrs.bus.lag")
                .with_description("events in the stream a consumer group has not read yet")
                .build(),
            cycle_returns: meter
                .u64_gauge("ndrs.cycle.returns")
                .with_description(
                    "a cycle's expected returns by return kind and state, as of its last progress report",
                )
                .build(),
        }
    })
}

/// Records a consumer group's pending and unread events (see the module's list).
pub fn record_bus(system: &'static str, topic: &str, group: &str, pending: u64, lag: u64) {
    let attributes = [
        KeyValue::new("messaging.system", system),
        KeyValue::new("messaging.destination.name", topic.to_string()),
        KeyValue::new("messaging.consumer.group.name", group.to_string()),
    ];
    let m = metrics();
    m.bus_pending.record(pending, &attributes);
    m.bus_lag.record(lag, &attributes);
}

/// The gRPC status of a response: from `grpc-status` when the call failed before any message
/// (tonic sends errors as trailers-only responses), `Ok` otherwise.
fn status_code<B>(response: &http::Response<B>) -> tonic::Code {
    grpc_status(response.headers()).unwrap_or(tonic::Code::Ok)
}

/// The `grpc-status` a header map (response headers or trailers) carries, if any.
pub(crate) fn grpc_status(headers: &http::HeaderMap) -> Option<tonic::Code> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(tonic::Code::from_i32(code))
}

/// Records what one finished call tells the metrics. `path` is the request's
/// `/package.Service/Method`.
pub fn record_rpc(path: &str, code: tonic::Code, seconds: f64) {
    let m = metrics();
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    m.rpc_duration.record(
        seconds,
        &[
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service.to_string()),
            KeyValue::new("rpc.method", method.to_string()),
            KeyValue::new("rpc.grpc.status_code", code as i64),
        ],
    );
    if method.starts_with("Submit") {
        let outcome = match code {
            tonic::Code::Ok => "accepted".to_string(),
            refused => format!("{refused:?}"),
        };
        m.returns_received.add(
            1,
            &[
                KeyValue::new("rpc.service", service.to_string()),
                KeyValue::new("rpc.method", method.to_string()),
                KeyValue::new("outcome", outcome),
            ],
        );
    }
}

/// Records one finished HTTP request (the web service's middleware calls this).
pub fn record_http(method: &str, route: &str, status: u16, seconds: f64) {
    metrics().http_duration.record(
        seconds,
        &[
            KeyValue::new("http.request.method", method.to_string()),
            KeyValue::new("http.route", route.to_string()),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ],
    );
}

/// Tower layer that times every call and records it with [`record_rpc`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcMetricsLayer;

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            let code = match &result {
                Ok(response) => status_code(response),
                Err(_) => tonic::Code::Unavailable,
            };
            crate::telemetry::record_server_status(&tracing::Span::current(), code);
            record_rpc(&method, code, started.elapsed().as_secs_f64());
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_comes_from_trailers_only_errors() {
        let ok = http::Response::new(());
        assert_eq!(status_code(&ok), tonic::Code::Ok);
        let mut refused = http::Response::new(());
        refused
            .headers_mut()
            .insert("grpc-status", "3".parse().unwrap());
        assert_eq!(status_code(&refused), tonic::Code::InvalidArgument);
    }
}
