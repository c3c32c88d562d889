//! The Prometheus scrape endpoint, read as Prometheus reads it: after a submission and a
//! refusal, `GET /metrics` serves the RPC durations and the returns received in the text
//! exposition format, named by the conventions' Prometheus mapping. This file is its own test
//! binary because it installs the global meter provider.

mod common;

use std::io::{Read, Write};

use common::{as_reporter, publish_content, start, wait_for};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_testkit::sample;
use opentelemetry_sdk::metrics::SdkMeterProvider;

/// The body of `GET path` on `address`, over plain HTTP/1.1, with the status line.
fn get(address: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_rpc_and_return_metrics() {
    let (reader, registry) = ndrs_platform::scrape::reader().unwrap();
    let meters = SdkMeterProvider::builder().with_reader(reader).build();
    opentelemetry::global::set_meter_provider(meters.clone());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let address = ndrs_platform::scrape::spawn(registry, "127.0.0.1", 0, shutdown.clone())
        .await
        .unwrap();

    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut reporter =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-m").await);
    reporter
        .submit_centre_return(sample::centre(
            "cc-m",
            "k",
            pb::CentreType::General,
            "11",
            1.0e18,
        ))
        .await
        .unwrap();
    let mut bad = sample::centre("cc-m", "k2", pb::CentreType::General, "11", -1.0);
    bad.average_utilisation = 2.0;
    reporter.submit_centre_return(bad).await.unwrap_err();

    // The round's progress as gauges, once a progress report is computed over a frame.
    let organiser = ndrs_client::Session::new(
        e.clone(),
        common::token(&system, ndrs_platform::auth::Role::Organiser, None).await,
    )
    .unwrap();
    let frame = pb::LoadFrameRequest {
        cycle_year: sample::CYCLE,
        units: vec![pb::FrameUnit {
            reporting_unit_id: "cc-m".into(),
            subject_type: pb::SubjectType::ComputeCentre as i32,
            province_code: "11".into(),
            expected_kinds: vec!["compute_centre".into()],
            ..Default::default()
        }],
    };
    ndrs_client::cycles::load_frame(&organiser, frame)
        .await
        .unwrap();
    ndrs_client::cycles::progress(&organiser, sample::CYCLE)
        .await
        .unwrap();

    // A reader on the web: a release that does not exist yet (404), by route template.
    let web: std::net::SocketAddr = system.web.trim_start_matches("http://").parse().unwrap();
    let (not_yet, _) =
        tokio::task::spawn_blocking(move || get(web, &format!("/releases/{}", sample::CYCLE)))
            .await
            .unwrap();
    assert!(not_yet.contains("404"), "{not_yet}");

    // The automatic re-assembly after the submission, for its duration histogram.
    let scrape = || async move {
        tokio::task::spawn_blocking(move || get(address, "/metrics"))
            .await
            .unwrap()
    };
    wait_for(
        std::time::Duration::from_secs(30),
        "no automatic re-assembly was measured",
        async || {
            let (_, body) = scrape().await;
            body.contains("ndrs_aggregator_reassembly_duration_seconds_count{")
                .then_some(())
        },
    )
    .await;
    let (status, body) = scrape().await;
    assert!(status.contains("200"), "{status}");
    // The operators' view: returns stored by kind, and the relay's backlog per stage service.
    assert!(
        body.lines()
            .any(|l| l.starts_with("ndrs_returns_stored_total{")
                && l.contains(r#"ndrs_return_kind="compute_centre""#)
                && l.contains(r#"outcome="new""#)),
        "no stored-returns counter in:\n{body}"
    );
    assert!(
        body.lines().any(|l| l.starts_with("ndrs_outbox_backlog{")
            && l.contains(r#"ndrs_stage="compute""#)),
        "no outbox backlog gauge in:\n{body}"
    );
    assert!(
        body.lines().any(|l| l.starts_with("ndrs_cycle_returns{")
            && l.contains(r#"ndrs_return_kind="compute_centre""#)
            && l.contains(r#"state="received""#)
            && l.ends_with(" 1")),
        "no cycle progress gauge in:\n{body}"
    );
    assert!(
        body.contains("ndrs_outbox_lag_seconds{"),
        "no outbox lag in:\n{body}"
    );
    // The aggregator's subscription to the stage services' events (in process, or Redis
    // Streams when the test runs on Redis): unread and unacknowledged events by group.
    assert!(
        body.lines().any(
            |l| l.starts_with("db_client_connection_wait_time_seconds_count{")
                && l.contains(r#"db_client_connection_pool_name="compute""#)
        ),
        "no pool wait time in:\n{body}"
    );
    for gauge in ["ndrs_bus_lag{", "ndrs_bus_pending{"] {
        assert!(
            body.lines().any(|l| l.starts_with(gauge)
                && l.contains("messaging_system=")
                && l.contains("messaging_consumer_group_name=")),
            "no {gauge} in:\n{body}"
        );
    }
    let accepted = body.lines().any(|l| {
        l.starts_with("ndrs_returns_received_total{")
            && l.contains(r#"outcome="accepted""#)
            && l.contains(r#"rpc_method="SubmitCentreReturn""#)
    });
    assert!(accepted, "no accepted-returns counter in:\n{body}");
    assert!(
        body.lines().any(
            |l| l.starts_with("rpc_server_call_duration_seconds_bucket{")
                && l.contains(r#"rpc_grpc_status_code="3""#)
        ),
        "no RPC duration histogram for the refusal in:\n{body}"
    );
    assert!(
        body.lines().any(
            |l| l.starts_with("http_server_request_duration_seconds_bucket{")
                && l.contains(r#"http_route="/releases/{year}""#)
                && l.contains(r#"http_response_status_code="404""#)
        ),
        "no HTTP duration histogram by route template in:\n{body}"
    );
    let (missing, _) = tokio::task::spawn_blocking(move || get(address, "/other"))
        .await
        .unwrap();
    assert!(missing.contains("404"), "{missing}");

    // Parsed by Prometheus's own Python client when NDRS_TEST_PROMETHEUS_PYTHON names a Python
    // that has it (set but failing fails the test).
    if let Ok(python) = std::env::var("NDRS_TEST_PROMETHEUS_PYTHON") {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/check-prometheus.py"
        );
        let mut child = std::process::Command::new(python)
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the Prometheus parser");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "prometheus_client could not read the scrape: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    shutdown.cancel();
    system.stop().await.unwrap();
    let _ = meters.shutdown();
}
