//! Tracing, OpenTelemetry and W3C trace-context propagation.
//!
//! Every process installs a tracing subscriber with an OpenTelemetry layer, so every span has a
//! real trace and span id even when nothing is exported; with `telemetry.otlp_endpoint` set the
//! spans also go to an OTLP collector. The W3C `traceparent` travels in gRPC metadata (see
//! [`inject_into_metadata`] and [`server_span`]) and in outbox event payloads
//! ([`current_traceparent`]), so one partner submission can be followed through the relay into the
//! aggregator's re-validation and its calls back to the stage services.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

use crate::settings::TelemetrySettings;

/// Keeps the tracer and meter providers alive; dropping it flushes pending spans and metrics.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
    meters: opentelemetry_sdk::metrics::SdkMeterProvider,
    /// What the Prometheus endpoint serves, when `telemetry.metrics_port` is set.
    scrape: Option<crate::scrape::ScrapeRegistry>,
    metrics_port: u16,
}

impl TelemetryGuard {
    /// Starts the Prometheus scrape endpoint on `host`, if `telemetry.metrics_port` asks for
    /// one; the address it listens on.
    pub async fn serve_metrics(
        &self,
        host: &str,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> ndrs_core::Result<Option<std::net::SocketAddr>> {
        match &self.scrape {
            Some(registry) => {
                crate::scrape::spawn(registry.clone(), host, self.metrics_port, shutdown)
                    .await
                    .map(Some)
            }
            None => Ok(None),
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
        let _ = self.meters.shutdown();
    }
}

/// Installs the global subscriber and propagator. Safe to call more than once per process (tests
/// do): later calls keep the first subscriber.
/// What the collector receives, whatever the log shows: ndrs's spans (server and client calls,
/// the relay, re-validation) are at info; libraries' debug spans stay out.
const TRACE_FILTER: &str = "info";

pub fn init(settings: &TelemetrySettings, service_name: &str) -> Result<TelemetryGuard, String> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = resource(service_name, &settings.environment);
    let mut meters =
        opentelemetry_sdk::metrics::SdkMeterProvider::builder().with_resource(resource.clone());
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    // One OTLP endpoint takes both metrics and spans.
    let endpoint = if settings.otlp_endpoint.is_empty() {
        std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_default()
    } else {
        settings.otlp_endpoint.clone()
    };
    if !endpoint.is_empty() {
        use opentelemetry_otlp::WithExportConfig;
        let metric_exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|e| format!("telemetry.otlp_endpoint: {e}"))?;
        meters = meters.with_reader(
            opentelemetry_sdk::metrics::PeriodicReader::builder(metric_exporter).build(),
        );
        let span_exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|e| format!("telemetry.otlp_endpoint: {e}"))?;
        builder = builder.with_batch_exporter(span_exporter);
    }
    let scrape = if settings.metrics_port == 0 {
        None
    } else {
        let (reader, registry) = crate::scrape::reader()?;
        meters = meters.with_reader(reader);
        Some(registry)
    };
    let meters = meters.build();
    opentelemetry::global::set_meter_provider(meters.clone());
    let provider = builder.build();
    let tracer = provider.tracer(service_name.to_string());
    opentelemetry::global::set_tracer_provider(provider.clone());
    // The log filter is the log's alone: an operator who quiets the log to warnings must not
    // lose the traces, whose spans are at info. Spans go to the collector at info and above.
    let log_filter = || {
        EnvFilter::try_new(&settings.log_filter).map_err(|e| format!("telemetry.log_filter: {e}"))
    };
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(EnvFilter::new(TRACE_FILTER));
    let registry = tracing_subscriber::registry().with(otel);
    let _ = if settings.json_logs {
        registry
            .with(json_log_layer(std::io::stderr).with_filter(log_filter()?))
            .try_init()
    } else {
        // Colour only for a person at a terminal: redirected logs stay plain text.
        use std::io::IsTerminal;
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr)
                    .with_filter(log_filter()?),
            )
            .try_init()
    };
    Ok(TelemetryGuard {
        provider,
        meters,
        scrape,
        metrics_port: settings.metrics_port,
    })
}

/// The JSON log layer: one object per line, with the `trace_id` and `span_id` of the span it was
/// written in at the top level, whatever span that is (a server call, the relay, a
/// re-validation), so a log search can jump to the trace.
pub fn json_log_layer<S, W>(
    writer: W,
) -> tracing_subscriber::fmt::Layer<S, tracing_subscriber::fmt::format::JsonFields, JsonWithTrace, W>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .event_format(JsonWithTrace(tracing_subscriber::fmt::format().json()))
        .with_writer(writer)
}

/// tracing-subscriber's JSON format, with the OpenTelemetry ids of the current span added.
pub struct JsonWithTrace(
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
);

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for JsonWithTrace
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::new();
        self.0.format_event(
            ctx,
            tracing_subscriber::fmt::format::Writer::new(&mut line),
            event,
        )?;
        let ids = ctx.lookup_current().and_then(|span| {
            span.scope().find_map(|s| {
                let extensions = s.extensions();
                let data = extensions.get::<tracing_opentelemetry::OtelData>()?;
                Some((data.trace_id()?, data.span_id()?))
            })
        });
        match (ids, line.strip_prefix('{')) {
            (Some((trace, span)), Some(rest)) if trace != opentelemetry::TraceId::INVALID => {
                write!(
                    writer,
                    "{{\"trace_id\":\"{trace}\",\"span_id\":\"{span}\",{rest}"
                )
            }
            _ => writer.write_str(&line),
        }
    }
}

/// The process's telemetry resource, as the OpenTelemetry resource conventions name it. What
/// `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` say wins (the operator's word); otherwise
/// `service.name` is the process's (`ndrs-compute`, ...), `service.version` the build's,
/// `service.instance.id` the pod's name (`POD_NAME`, or `HOSTNAME`, which Kubernetes sets to it),
/// or a fresh id, and `deployment.environment.name` the `telemetry.environment` setting.
pub fn resource(service_name: &str, environment: &str) -> opentelemetry_sdk::Resource {
    use opentelemetry::{Key, KeyValue};
    let detected = opentelemetry_sdk::Resource::builder().build();
    let unset = |key: &'static str| detected.get(&Key::from_static_str(key)).is_none();
    let mut builder = opentelemetry_sdk::Resource::builder();
    let named = detected
        .get(&Key::from_static_str("service.name"))
        .is_some_and(|v| !v.as_str().starts_with("unknown_service"));
    if !named {
        builder = builder.with_service_name(service_name.to_string());
    }
    if unset("service.version") {
        builder =
            builder.with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    }
    if unset("service.instance.id") {
        let instance = ["POD_NAME", "HOSTNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        builder = builder.with_attribute(KeyValue::new("service.instance.id", instance));
    }
    if unset("deployment.environment.name") && !environment.is_empty() {
        builder = builder.with_attribute(KeyValue::new(
            "deployment.environment.name",
            environment.to_string(),
        ));
    }
    builder.build()
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Writes the current span's context into outgoing gRPC metadata.
pub fn inject_into_metadata(metadata: &mut MetadataMap) {
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut MetadataInjector(metadata));
}

/// The current span's W3C `traceparent`, for event payloads.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the remote context carried by a `traceparent` string.
pub fn set_parent_from_traceparent(span: &tracing::Span, traceparent: &str) {
    let _ = span.set_parent(remote_context(traceparent));
}

/// The remote context a `traceparent` string carries (empty when it is malformed).
fn remote_context(traceparent: &str) -> opentelemetry::Context {
    let carrier = HashMap::from([("traceparent".to_string(), traceparent.to_string())]);
    TraceContextPropagator::new().extract(&carrier)
}

/// Links `span` to the remote context carried by a `traceparent` string: work done for several
/// callers at once (one re-validation for a burst of submissions) is reachable from each trace.
pub fn link_traceparent(span: &tracing::Span, traceparent: &str) {
    use opentelemetry::trace::TraceContextExt;
    let context = remote_context(traceparent).span().span_context().clone();
    if context.is_valid() {
        span.add_link(context);
    }
}

/// Services whose calls make no spans: probes arrive every few seconds per pod and would bury
/// the survey's own traces in a collector.
const UNTRACED_SERVICES: [&str; 2] = ["grpc.health.", "grpc.reflection."];

/// The span every incoming gRPC request runs in, parented to the caller's trace when the request
/// carries a `traceparent`, and named and attributed as the OpenTelemetry RPC conventions say:
/// `package.Service/Method`, `rpc.system`, `rpc.service`, `rpc.method` (the method alone); the
/// status is recorded when the call ends ([`record_server_status`]). Health and reflection calls
/// get no span. Used as tonic's `trace_fn`.
pub fn server_span(request: &http::Request<()>) -> tracing::Span {
    let path = request.uri().path().trim_start_matches('/');
    let (service, method) = path.split_once('/').unwrap_or((path, ""));
    if UNTRACED_SERVICES.iter().any(|p| service.starts_with(p)) {
        return tracing::Span::none();
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %path,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    let _ = span.set_parent(parent);
    // The trace id as a plain field, so every JSON log line written during the call carries it
    // (under `span`) and a log search can jump to the trace.
    {
        use opentelemetry::trace::TraceContextExt;
        let trace_id = span.context().span().span_context().trace_id();
        span.record("trace_id", tracing::field::display(trace_id));
    }
    span
}

/// The span of an outgoing call, by the same conventions as [`server_span`] with kind client.
/// Instrument the call's future with it: the channel's interceptor runs inside the call, so the
/// `traceparent` it sends is this span's and the server's span becomes its child.
pub fn client_span(service: &str, method: &str) -> tracing::Span {
    tracing::info_span!(
        "grpc.client",
        otel.name = %format!("{service}/{method}"),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
    )
}

/// Records a finished outgoing call's status on its client span: the code always, Error for
/// any failure (for the caller every failed call is one).
pub fn record_client_code(span: &tracing::Span, code: tonic::Code) {
    span.record("rpc.grpc.status_code", code as i64);
    if code != tonic::Code::Ok {
        span.record("otel.status_code", "ERROR");
    }
}

/// Records a finished call's status on its server span: `rpc.grpc.status_code` always, and span
/// status Error for the codes the conventions count as server errors (a refused argument or a
/// missing permission is the caller's, and leaves the status unset).
pub fn record_server_status(span: &tracing::Span, code: tonic::Code) {
    use tonic::Code::*;
    span.record("rpc.grpc.status_code", code as i64);
    if matches!(
        code,
        Unknown | DeadlineExceeded | Unimplemented | Internal | Unavailable | DataLoss
    ) {
        span.record("otel.status_code", "ERROR");
    }
}

/// The trace id of the current span, as 32 hex digits (for logs and tests).
pub fn current_trace_id() -> String {
    use opentelemetry::trace::TraceContextExt;
    tracing::Span::current()
        .context()
        .span()
        .span_context()
        .trace_id()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_lines_carry_the_trace_id_of_the_span_they_were_written_in() {
        use std::io::Write;
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;

        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        use opentelemetry::trace::TracerProvider as _;
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(super::json_log_layer(move || writer.clone()));
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let request = http::Request::builder()
            .uri("/ndrs.v1.ComputeCensusService/SubmitCentreReturn")
            .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
            .body(())
            .unwrap();
        let background = tracing::subscriber::with_default(subscriber, || {
            let span = super::server_span(&request);
            span.in_scope(|| tracing::info!("return stored"));
            // Work outside any call (the relay, a re-validation) has its own trace.
            let relay = tracing::info_span!("outbox.publish");
            relay.in_scope(|| {
                tracing::warn!("bus unreachable");
                super::current_trace_id()
            })
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line = text.lines().find(|l| l.contains("return stored")).unwrap();
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json["span"]["trace_id"], trace, "{line}");
        assert_eq!(json["trace_id"], trace, "at the top level too: {line}");
        assert_eq!(json["span_id"].as_str().map(str::len), Some(16));
        let line = text
            .lines()
            .find(|l| l.contains("bus unreachable"))
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json["trace_id"], background.as_str(), "{line}");
        assert_ne!(background, trace);
    }

    #[test]
    fn the_resource_names_the_service_its_version_instance_and_environment() {
        let resource = super::resource("ndrs-compute", "staging");
        let get = |key: &'static str| {
            resource
                .get(&opentelemetry::Key::from_static_str(key))
                .map(|v| v.to_string())
        };
        // The test environment sets no OTEL_SERVICE_NAME, so the process's own name stands.
        if std::env::var("OTEL_SERVICE_NAME").is_err() {
            assert_eq!(get("service.name").as_deref(), Some("ndrs-compute"));
        }
        assert_eq!(
            get("service.version").as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert!(get("service.instance.id").is_some_and(|id| !id.is_empty()));
        assert_eq!(
            get("deployment.environment.name").as_deref(),
            Some("staging")
        );
        let unnamed = super::resource("ndrs", "");
        assert!(
            unnamed
                .get(&opentelemetry::Key::from_static_str(
                    "deployment.environment.name"
                ))
                .is_none()
        );
    }

    use super::*;

    #[test]
    fn trace_context_crosses_a_grpc_hop_and_an_event_payload() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let (metadata, client_trace) = {
                let client = tracing::info_span!("partner.submit");
                let _entered = client.enter();
                let mut metadata = MetadataMap::new();
                inject_into_metadata(&mut metadata);
                (metadata, current_trace_id())
            };
            assert_ne!(client_trace, "00000000000000000000000000000000");
            assert!(metadata.get("traceparent").is_some());

            let mut request = http::Request::new(());
            *request.headers_mut() = metadata.into_headers();
            let server = server_span(&request);
            let traceparent = {
                let _entered = server.enter();
                assert_eq!(
                    current_trace_id(),
                    client_trace,
                    "server span joins the caller's trace"
                );
                current_traceparent().expect("a traceparent for the outbox event")
            };

            let consumer = tracing::info_span!("aggregator.revalidate");
            set_parent_from_traceparent(&consumer, &traceparent);
            let _entered = consumer.enter();
            assert_eq!(
                current_trace_id(),
                client_trace,
                "event consumer joins the same trace"
            );
        });
    }
}
