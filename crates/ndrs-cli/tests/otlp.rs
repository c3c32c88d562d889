//! What an OpenTelemetry collector receives from two separate `ndrs serve <service>` processes:
//! an OTLP/gRPC receiver in the test (the collector protocol's own service definitions) takes
//! their spans and metrics. Each process names itself in its resource (`service.name`,
//! `service.version`, `service.instance.id`, `deployment.environment.name`), server spans follow
//! the RPC semantic conventions, and a health check makes no span. A CLI command run against them
//! exports its own span and a client span per call, and the server's span is the client span's
//! child in the same trace.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use tonic::{Request, Response, Status};

/// One span as received, with its process's resource.
#[derive(Debug, Clone)]
struct Received {
    resource: BTreeMap<String, String>,
    name: String,
    attributes: BTreeMap<String, String>,
    status: i32,
    kind: i32,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
}

#[derive(Default, Clone)]
struct Collector {
    spans: Arc<Mutex<Vec<Received>>>,
    /// Metric names by the `service.name` of the process that sent them.
    metrics: Arc<Mutex<BTreeMap<String, Vec<String>>>>,
}

fn text(v: &Option<AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => format!("int:{i}"),
        Some(any_value::Value::BoolValue(b)) => format!("bool:{b}"),
        Some(any_value::Value::DoubleValue(d)) => format!("double:{d}"),
        other => format!("{other:?}"),
    }
}

fn map(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), text(&kv.value)))
        .collect()
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            let resource = rs.resource.map(|r| map(&r.attributes)).unwrap_or_default();
            for scope in rs.scope_spans {
                for span in scope.spans {
                    spans.push(Received {
                        resource: resource.clone(),
                        name: span.name,
                        attributes: map(&span.attributes),
                        status: span.status.map_or(0, |s| s.code),
                        kind: span.kind,
                        trace_id: span.trace_id,
                        span_id: span.span_id,
                        parent_span_id: span.parent_span_id,
                    });
                }
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let mut metrics = self.metrics.lock().unwrap();
        for rm in request.into_inner().resource_metrics {
            let resource = rm.resource.map(|r| map(&r.attributes)).unwrap_or_default();
            let service = resource.get("service.name").cloned().unwrap_or_default();
            let names = metrics.entry(service).or_default();
            for scope in rm.scope_metrics {
                names.extend(scope.metrics.into_iter().map(|m| m.name));
            }
        }
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    /// SIGTERM, and wait: the process flushes its telemetry on the way out.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.0.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(service: &str, port: u16, collector: u16, dir: &std::path::Path) -> Process {
    let data = dir.join(service);
    std::fs::create_dir_all(&data).unwrap();
    let log = std::fs::File::create(dir.join(format!("{service}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ndrs"))
        .args(["serve", service])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NDRS__SERVER__HOST", "127.0.0.1")
        .env("NDRS__DATA_DIR", &data)
        .env(
            format!("NDRS__SERVICES__{}__PORT", service.to_uppercase()),
            port.to_string(),
        )
        .env(
            "NDRS__TELEMETRY__OTLP_ENDPOINT",
            format!("http://127.0.0.1:{collector}"),
        )
        .env("NDRS__TELEMETRY__ENVIRONMENT", "otlp-test")
        .env("NDRS__TELEMETRY__LOG_FILTER", "warn")
        .env("POD_NAME", format!("{service}-0"))
        // Export within a fraction of a second rather than the SDK's 5 s (spans) and 60 s
        // (metrics), so the test need not wait.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "500")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Process(child)
}

async fn wait_serving(endpoint: &str, grpc_name: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !matches!(
        ndrs_cli::system::health_status(endpoint, grpc_name).await,
        Ok(tonic_health::pb::health_check_response::ServingStatus::Serving)
    ) {
        assert!(Instant::now() < deadline, "{endpoint} did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_sees_each_process_by_name_and_calls_by_convention() {
    let collector = Collector::default();
    let collector_port = free_port();
    let server = {
        let collector = collector.clone();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector.clone()))
                .add_service(MetricsServiceServer::new(collector))
                .serve(format!("127.0.0.1:{collector_port}").parse().unwrap()),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let (compute_port, circulation_port) = (free_port(), free_port());
    let compute = serve("compute", compute_port, collector_port, dir.path());
    let circulation = serve("circulation", circulation_port, collector_port, dir.path());
    let compute_url = format!("http://127.0.0.1:{compute_port}");
    let circulation_url = format!("http://127.0.0.1:{circulation_port}");
    wait_serving(&compute_url, "ndrs.v1.ComputeCensusService").await;
    wait_serving(&circulation_url, "ndrs.v1.CirculationSurveyService").await;

    // An unauthenticated call on each, and on compute a method its port does not serve.
    let request = ndrs_proto::v1::GetStageResultRequest { cycle_year: 2023 };
    let status = ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient::new(
        ndrs_platform::client::channel(&compute_url, None).unwrap(),
    )
    .get_stage_result(request)
    .await
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status =
        ndrs_proto::v1::circulation_survey_service_client::CirculationSurveyServiceClient::new(
            ndrs_platform::client::channel(&circulation_url, None).unwrap(),
        )
        .get_stage_result(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let status = ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient::new(
        ndrs_platform::client::channel(&compute_url, None).unwrap(),
    )
    .list_candidates(ndrs_proto::v1::ListCandidatesRequest::default())
    .await
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    // A CLI command, as the working group runs it, with a token the service does not know.
    let cli = Command::new(env!("CARGO_BIN_EXE_ndrs"))
        .args([
            "returns",
            "list",
            "--kind",
            "compute_centre",
            "--cycle",
            "2023",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NDRS__SERVER__HOST", "127.0.0.1")
        .env("NDRS__DATA_DIR", dir.path().join("cli"))
        .env("NDRS__SERVICES__COMPUTE__PORT", compute_port.to_string())
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{collector_port}"),
        )
        .env("NDRS__TELEMETRY__LOG_FILTER", "warn")
        .env("NDRS_TOKEN", "not-a-token")
        .output()
        .unwrap();
    assert!(!cli.status.success(), "an unknown token is refused");
    let cli_stderr = String::from_utf8_lossy(&cli.stderr).to_string();
    assert!(cli_stderr.contains("unauthenticated"), "{cli_stderr}");

    // Wait until both processes' spans and metrics have arrived.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spans = collector.spans.lock().unwrap().len();
        let metrics = collector.metrics.lock().unwrap().len();
        if (spans >= 6 && metrics >= 2) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    compute.stop();
    circulation.stop();
    let logs: String = ["compute", "circulation"]
        .iter()
        .map(|s| std::fs::read_to_string(dir.path().join(format!("{s}.log"))).unwrap_or_default())
        .collect();
    let spans = collector.spans.lock().unwrap().clone();
    assert!(
        !spans.is_empty(),
        "no span received; the processes said:\n{logs}"
    );
    let server_spans: Vec<&Received> = spans
        .iter()
        .filter(|s| {
            s.attributes.get("rpc.system").map(String::as_str) == Some("grpc")
                && s.kind == SpanKind::Server as i32
        })
        .collect();

    // Each process under its own name, with version, instance and environment.
    for (process, service) in [
        ("ndrs-compute", "ndrs.v1.ComputeCensusService"),
        ("ndrs-circulation", "ndrs.v1.CirculationSurveyService"),
    ] {
        let span = server_spans
            .iter()
            .find(|s| s.name == format!("{service}/GetStageResult"))
            .unwrap_or_else(|| panic!("no GetStageResult span from {process}: {spans:#?}"));
        let r = &span.resource;
        assert_eq!(r["service.name"], process, "{r:?}");
        assert_eq!(r["service.version"], env!("CARGO_PKG_VERSION"));
        let short = process.trim_start_matches("ndrs-");
        assert_eq!(r["service.instance.id"], format!("{short}-0"));
        assert_eq!(r["deployment.environment.name"], "otlp-test");
        assert_eq!(span.attributes["rpc.service"], service);
        assert_eq!(span.attributes["rpc.method"], "GetStageResult");
        // UNAUTHENTICATED (16) is the caller's fault: the span's status stays unset.
        assert_eq!(span.attributes["rpc.grpc.status_code"], "int:16");
        assert_eq!(span.status, StatusCode::Unset as i32);
    }
    // A method the port does not serve is a server error.
    let unimplemented = server_spans
        .iter()
        .find(|s| s.attributes.get("rpc.grpc.status_code").map(String::as_str) == Some("int:12"))
        .unwrap_or_else(|| panic!("no UNIMPLEMENTED span: {spans:#?}"));
    assert_eq!(unimplemented.resource["service.name"], "ndrs-compute");
    assert_eq!(unimplemented.status, StatusCode::Error as i32);
    // The readiness probes above made no span.
    assert!(
        !spans.iter().any(|s| s.name.contains("grpc.health")),
        "health checks traced: {spans:#?}"
    );
    // The CLI's command span, its client span, and the server's span below it in one trace.
    let command = spans
        .iter()
        .find(|s| {
            s.resource.get("service.name").map(String::as_str) == Some("ndrs-cli")
                && s.name == "ndrs returns list"
        })
        .unwrap_or_else(|| panic!("no command span from the CLI ({cli_stderr}): {spans:#?}"));
    let client = spans
        .iter()
        .find(|s| {
            s.resource.get("service.name").map(String::as_str) == Some("ndrs-cli")
                && s.name == "ndrs.v1.ComputeCensusService/ListReturns"
        })
        .unwrap_or_else(|| panic!("no client span from the CLI: {spans:#?}"));
    assert_eq!(client.kind, SpanKind::Client as i32);
    assert_eq!(client.attributes["rpc.system"], "grpc");
    assert_eq!(client.attributes["rpc.method"], "ListReturns");
    assert_eq!(client.attributes["rpc.grpc.status_code"], "int:16");
    assert_eq!(
        client.status,
        StatusCode::Error as i32,
        "a failed call fails the caller"
    );
    assert_eq!(client.trace_id, command.trace_id);
    assert_eq!(client.parent_span_id, command.span_id);
    let served = server_spans
        .iter()
        .find(|s| s.name == "ndrs.v1.ComputeCensusService/ListReturns")
        .unwrap_or_else(|| panic!("no server span for the CLI's call: {spans:#?}"));
    assert_eq!(served.resource["service.name"], "ndrs-compute");
    assert_eq!(served.kind, SpanKind::Server as i32);
    assert_eq!(
        served.trace_id, client.trace_id,
        "one trace from the CLI to the service"
    );
    assert_eq!(served.parent_span_id, client.span_id);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    for s in [command, client, *served] {
        println!(
            "trace {} span {} parent {:16} {} {:?} {:?}",
            hex(&s.trace_id),
            hex(&s.span_id),
            hex(&s.parent_span_id),
            s.resource["service.name"],
            s.name,
            s.attributes
        );
    }

    // Metrics arrive under each process's name too.
    let metrics = collector.metrics.lock().unwrap().clone();
    for process in ["ndrs-compute", "ndrs-circulation"] {
        assert!(
            metrics
                .get(process)
                .is_some_and(|names| names.iter().any(|n| n == "rpc.server.call.duration")),
            "no rpc.server.call.duration from {process}: {metrics:?}"
        );
    }
    println!(
        "collector received {} spans and metrics from {:?}",
        spans.len(),
        metrics.keys().collect::<Vec<_>>()
    );
    server.abort();
}
