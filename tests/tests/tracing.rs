//! One trace spans a partner's submission, the outbox relay's event, the aggregator's automatic
//! re-validation and its calls back to every stage service: W3C trace context travels in gRPC
//! metadata and in the event payload. Spans are captured by an in-memory exporter (this file is its
//! own test binary, so the global subscriber it installs affects nothing else). The same run checks
//! the metrics: returns accepted and refused, and RPC durations.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{as_organiser, as_reporter, publish_content, wait_for};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_testkit::sample;
use opentelemetry::trace::{SpanKind, Status, TraceId, TracerProvider as _};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_submission_relay_revalidation_and_stage_calls() {
    let metric_exporter = InMemoryMetricExporter::default();
    let meters = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metric_exporter.clone()).build())
        .build();
    opentelemetry::global::set_meter_provider(meters.clone());
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("e2e")))
        .init();

    // A debounce long enough that the two submissions below always share one re-validation.
    let mut env = ndrs_testkit::env::TestEnv::new().await;
    env.settings.aggregator.revalidate_debounce_ms = 1_500;
    let system = ndrs_cli::system::start(env.settings.clone()).await.unwrap();
    let e = system.endpoints.clone();
    // Returns are taken once the questionnaires are published. The publication announces
    // changed inputs too; its re-validation is let pass (two debounce windows) so that it does
    // not share a batch with the traced submissions below.
    publish_content(&system).await;
    tokio::time::sleep(std::time::Duration::from_millis(
        2 * env.settings.aggregator.revalidate_debounce_ms,
    ))
    .await;
    let mut reporter =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-t").await);
    let submission = tracing::info_span!("partner.submit");
    let trace_id = submission.in_scope(ndrs_platform::telemetry::current_trace_id);
    reporter
        .submit_centre_return(sample::centre(
            "cc-t",
            "k",
            pb::CentreType::General,
            "11",
            1.0e18,
        ))
        .instrument(submission)
        .await
        .unwrap();

    // A second partner right after, in the same debounce window: the one re-validation continues
    // the first trace and links to the second, so each submission's trace leads to it.
    let second = tracing::info_span!("partner.submit.second");
    let second_trace =
        TraceId::from_hex(&second.in_scope(ndrs_platform::telemetry::current_trace_id)).unwrap();
    ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-t2").await)
        .submit_centre_return(sample::centre(
            "cc-t2",
            "k",
            pb::CentreType::General,
            "11",
            2.0e18,
        ))
        .instrument(second)
        .await
        .unwrap();
    // A refused return, for the metrics and the span status: the caller's error, status unset.
    let mut bad = sample::centre("cc-t", "k2", pb::CentreType::General, "11", -1.0);
    bad.average_utilisation = 2.0;
    let refusal = tracing::info_span!("partner.refused");
    let refused_trace =
        TraceId::from_hex(&refusal.in_scope(ndrs_platform::telemetry::current_trace_id)).unwrap();
    reporter
        .submit_centre_return(bad)
        .instrument(refusal)
        .await
        .unwrap_err();
    // A call the port does not serve: UNIMPLEMENTED, a server error by the conventions.
    let unimplemented = tracing::info_span!("partner.unimplemented");
    let unimplemented_trace =
        TraceId::from_hex(&unimplemented.in_scope(ndrs_platform::telemetry::current_trace_id))
            .unwrap();
    AggregatorServiceClient::new(as_organiser(&system, &e.compute).await)
        .list_candidates(pb::ListCandidatesRequest {
            cycle_year: sample::CYCLE,
        })
        .instrument(unimplemented)
        .await
        .unwrap_err();
    // Health probes make no spans.
    for _ in 0..3 {
        ndrs_cli::system::health_status(&e.compute, "ndrs.v1.ComputeCensusService")
            .await
            .unwrap();
    }

    // Wait until the watcher's automatic candidate exists and the re-validation of this
    // submission's event has run. (On Redis the aggregator also resynchronises every cycle when it
    // starts, which may assemble the candidate first, outside this trace; the event's own
    // re-validation follows it.)
    let expected = TraceId::from_hex(&trace_id).unwrap();
    let mut aggregator = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let traced = async || {
        let has_candidate = !aggregator
            .list_candidates(pb::ListCandidatesRequest {
                cycle_year: sample::CYCLE,
            })
            .await
            .unwrap()
            .into_inner()
            .candidates
            .is_empty();
        let finished = exporter.get_finished_spans().unwrap();
        let revalidated = finished
            .iter()
            .any(|s| s.name == "aggregator.revalidate" && s.span_context.trace_id() == expected);
        (has_candidate && revalidated).then_some(())
    };
    wait_for(
        Duration::from_secs(30),
        "no automatic candidate or re-validation in the submission's trace",
        traced,
    )
    .await;
    system.stop().await.unwrap();
    let _ = provider.force_flush();
    meters.force_flush().unwrap();
    let exported = metric_exporter.get_finished_metrics().unwrap();
    assert_eq!(
        counter_total(&exported, "ndrs.returns.received", "accepted"),
        2
    );
    assert_eq!(
        counter_total(&exported, "ndrs.returns.received", "InvalidArgument"),
        1
    );
    let rpc_calls: u64 = exported
        .iter()
        .flat_map(|r| r.scope_metrics())
        .flat_map(|s| s.metrics())
        .filter(|m| m.name() == "rpc.server.call.duration")
        .filter_map(|m| match m.data() {
            AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                Some(h.data_points().map(|p| p.count()).sum::<u64>())
            }
            _ => None,
        })
        .max()
        .unwrap_or(0);
    assert!(
        rpc_calls >= 6,
        "expected the submissions, candidate listings and stage calls, got {rpc_calls}"
    );

    let spans = exporter.get_finished_spans().unwrap();
    let in_trace: Vec<_> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() == expected)
        .collect();
    let names: BTreeSet<String> = in_trace.iter().map(|s| s.name.to_string()).collect();
    println!("trace {trace_id}: spans {names:?}");
    assert!(names.contains("partner.submit"), "{names:?}");
    assert!(names.contains("outbox.publish"), "{names:?}");
    assert!(names.contains("aggregator.revalidate"), "{names:?}");
    // Server spans are named and attributed by the OpenTelemetry RPC conventions.
    let submit = in_trace
        .iter()
        .find(|s| s.name == "ndrs.v1.ComputeCensusService/SubmitCentreReturn")
        .unwrap_or_else(|| panic!("no submission server span: {names:?}"));
    assert_eq!(attribute(submit, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        attribute(submit, "rpc.service").as_deref(),
        Some("ndrs.v1.ComputeCensusService")
    );
    assert_eq!(
        attribute(submit, "rpc.method").as_deref(),
        Some("SubmitCentreReturn")
    );
    assert_eq!(
        attribute(submit, "rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    for stage in [
        "ProductionStorageService",
        "ComputeCensusService",
        "CirculationSurveyService",
        "ApplicationSurveyService",
    ] {
        let name = format!("ndrs.v1.{stage}/GetStageResult");
        assert!(names.contains(&name), "{name} not in the trace: {names:?}");
    }
    // The aggregator's calls are client spans, and each stage's server span is their child.
    let client = in_trace
        .iter()
        .find(|s| {
            s.span_kind == SpanKind::Client
                && s.name == "ndrs.v1.ComputeCensusService/GetStageResult"
        })
        .unwrap_or_else(|| panic!("no client span for the aggregator's call: {names:?}"));
    assert_eq!(
        attribute(client, "rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    let served = in_trace.iter().find(|s| {
        s.span_kind == SpanKind::Server
            && s.name == "ndrs.v1.ComputeCensusService/GetStageResult"
            && s.parent_span_id == client.span_context.span_id()
    });
    assert!(
        served.is_some(),
        "the stage's server span is not the client span's child"
    );
    let server_span_of = |trace: TraceId| {
        spans
            .iter()
            .find(|s| s.span_context.trace_id() == trace && s.span_kind == SpanKind::Server)
            .unwrap_or_else(|| panic!("no server span in trace {trace}"))
    };
    let refused = server_span_of(refused_trace);
    assert_eq!(
        attribute(refused, "rpc.grpc.status_code").as_deref(),
        Some("3")
    );
    assert_eq!(refused.status, Status::Unset);
    let unimplemented = server_span_of(unimplemented_trace);
    assert_eq!(
        attribute(unimplemented, "rpc.grpc.status_code").as_deref(),
        Some("12")
    );
    assert!(
        matches!(unimplemented.status, Status::Error { .. }),
        "{:?}",
        unimplemented.status
    );
    let revalidation = spans
        .iter()
        .find(|s| s.name == "aggregator.revalidate" && s.span_context.trace_id() == expected)
        .expect("the re-validation continues the first submission's trace");
    let linked: Vec<TraceId> = revalidation
        .links
        .iter()
        .map(|l| l.span_context.trace_id())
        .collect();
    assert_eq!(
        linked,
        vec![second_trace],
        "the re-validation links the second submission"
    );
    let probes: Vec<_> = spans
        .iter()
        .filter(|s| s.name.starts_with("grpc.health") || s.name.starts_with("grpc.reflection"))
        .map(|s| s.name.to_string())
        .collect();
    assert!(probes.is_empty(), "probes made spans: {probes:?}");
}

fn attribute(span: &opentelemetry_sdk::trace::SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// Sum of a u64 counter's data points whose `outcome` attribute equals `outcome`.
fn counter_total(
    metrics: &[opentelemetry_sdk::metrics::data::ResourceMetrics],
    name: &str,
    outcome: &str,
) -> u64 {
    metrics
        .iter()
        .flat_map(|r| r.scope_metrics())
        .flat_map(|s| s.metrics())
        .filter(|m| m.name() == name)
        .filter_map(|m| match m.data() {
            AggregatedMetrics::U64(MetricData::Sum(sum)) => Some(
                sum.data_points()
                    .filter(|p| {
                        p.attributes()
                            .any(|kv| kv.key.as_str() == "outcome" && kv.value.as_str() == outcome)
                    })
                    .map(|p| p.value())
                    .sum::<u64>(),
            ),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}
