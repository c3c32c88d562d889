//! No single input may stop the survey (issue 12): each test here reproduces one of the defects an
//! outside test of the running services found, through the same gRPC calls, and checks that the
//! system answers with a clear error or sets the bad input aside while everything else goes on.

mod common;

use std::time::Duration;

use common::{
    as_organiser, as_reporter, assemble, candidate_by_id, latest_candidate, load_rules,
    publish_content, refused, start, validate, violated_fields, wait_for,
};
use ndrs_platform::client::AuthedChannel;
use ndrs_platform::grpc_status::field_violations;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_testkit::env::TestEnv;
use ndrs_testkit::sample;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn rule(id: &str, expression: &str) -> pb::Rule {
    pb::Rule {
        id: id.into(),
        description: id.into(),
        expression: expression.into(),
        severity: pb::Severity::Error as i32,
        tolerance: 0.0,
    }
}

/// A device return whose yearly data created per active unit is `bytes`.
fn set_created_bytes(device: &mut pb::DeviceParameterReturn, bytes: f64) {
    if let Some(created) = device
        .data_per_active_unit
        .as_mut()
        .and_then(|d| d.created_bytes.as_mut())
    {
        created.value = bytes;
    }
}

async fn all_serving(system: &ndrs_cli::system::RunningSystem) {
    for (service, endpoint) in system.endpoints.services() {
        let status = ndrs_cli::system::health_status(endpoint, service)
            .await
            .unwrap_or_else(|e| panic!("{service} is down: {e}"));
        assert_eq!(status, ServingStatus::Serving, "{service}");
    }
}

/// Defect 1: a rule whose expression aborted the process (stack overflow) is refused, naming the
/// rule and the limit, and every service is still up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_that_overflowed_the_stack_are_refused_and_every_service_stays_up() {
    let (_env, system) = start().await;
    let mut aggregator =
        AggregatorServiceClient::new(as_organiser(&system, &system.endpoints.aggregator).await);
    let terms = vec!["P01"; 5_400].join(" + ") + " > 0.0";
    let nested = format!("{}P01{} > 0.0", "(".repeat(13), ")".repeat(13));
    let calls = format!("{}P01{} > 0.0", "abs(".repeat(40), ")".repeat(40));
    let status = refused(
        load_rules(
            &mut aggregator,
            sample::CYCLE,
            vec![
                rule("terms", &terms),
                rule("fine", "P04 <= P01"),
                rule("calls", &calls),
            ],
            false,
        )
        .await,
        Code::InvalidArgument,
    );
    let violations = field_violations(&status);
    assert_eq!(
        violated_fields(&status),
        ["rules[0].expression", "rules[2].expression"]
    );
    assert!(
        violations[0].1.contains("terms") && violations[0].1.contains("limit"),
        "{violations:?}"
    );
    // Thirteen parentheses aborted a debug build; within the limits it now loads.
    load_rules(
        &mut aggregator,
        sample::CYCLE,
        vec![rule("nested", &nested)],
        false,
    )
    .await
    .unwrap();
    all_serving(&system).await;
    system.stop().await.unwrap();
}

/// Defects 4 and 9: megabyte values are echoed bounded (INVALID_ARGUMENT, not a refused
/// trailer), a message over the size limit is RESOURCE_EXHAUSTED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_values_are_bounded_and_oversize_messages_are_resource_exhausted() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut reporter =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "vendor").await);
    let mut medium = sample::medium(
        "vendor",
        "k1",
        pb::StorageMedium::Hdd,
        "enterprise",
        [1.0e21, 1.0e20, 1.0e19, 0.0],
    );
    medium.installed_capacity_bytes.as_mut().unwrap().unit = "Z".repeat(1_000_000);
    let status = reporter
        .submit_storage_medium(medium.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    assert!(status.message().len() < 4_000, "{}", status.message().len());
    assert_eq!(violated_fields(&status), ["installed_capacity_bytes.unit"]);

    let mut organiser = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let status = organiser
        .get_candidate(candidate_by_id(&"c".repeat(1_000_000)))
        .await
        .unwrap_err();
    assert!(
        matches!(status.code(), Code::InvalidArgument | Code::NotFound),
        "{status:?}"
    );
    assert!(status.message().len() < 4_000);

    // The console's listings check their input like every other call.
    for cycle_year in [0, -1, i32::MAX] {
        let status = refused(
            organiser
                .list_review_rounds(pb::ListReviewRoundsRequest { cycle_year })
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["cycle_year"], "{cycle_year}");
    }
    for candidate_id in [String::new(), "c".repeat(1_000_000), "a\nb".into()] {
        let status = refused(
            organiser
                .list_justifications(pb::ListJustificationsRequest {
                    candidate_id: candidate_id.clone(),
                })
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["candidate_id"]);
        assert!(status.message().len() < 4_000, "{}", status.message().len());
    }
    let unknown = organiser
        .list_justifications(pb::ListJustificationsRequest {
            candidate_id: "no-such-candidate".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.justifications.is_empty());
    // A reporting unit may not read the review rounds.
    let mut vendor =
        AggregatorServiceClient::new(as_reporter(&system, &e.aggregator, "vendor").await);
    refused(
        vendor
            .list_review_rounds(pb::ListReviewRoundsRequest { cycle_year: 2023 })
            .await,
        Code::PermissionDenied,
    );

    // Over server.max_message_bytes (4 MiB by default).
    medium.installed_capacity_bytes.as_mut().unwrap().unit = "Z".repeat(5 << 20);
    let status = reporter.submit_storage_medium(medium).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    system.stop().await.unwrap();
}

/// Defect 6: the largest cycle year is refused, not overflowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_cycle_year_is_refused() {
    let (_env, system) = start().await;
    let mut reporter = ProductionStorageServiceClient::new(
        as_reporter(&system, &system.endpoints.production, "vendor").await,
    );
    let mut device = sample::smartphones("vendor", "k1", 1.0e9, "s");
    device.header.as_mut().unwrap().cycle_year = i32::MAX;
    let status = refused(
        reporter.submit_device_parameters(device).await,
        Code::InvalidArgument,
    );
    assert!(violated_fields(&status).contains(&"header.cycle_year".to_string()));
    system.stop().await.unwrap();
}

/// Defect 2 at the edge: beyond a hard bound INVALID_ARGUMENT naming the field, beyond a soft
/// bound accepted with a warning in the receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implausible_numbers_are_refused_and_unusual_ones_flagged() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut vendor =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "vendor").await);
    let mut device = sample::smartphones("vendor", "k1", 1.0e9, "s");
    set_created_bytes(&mut device, 1e300);
    let status = refused(
        vendor.submit_device_parameters(device).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        ["data_per_active_unit.created_bytes.value"]
    );

    let mut centre =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-a").await);
    let status = refused(
        centre
            .submit_centre_return(sample::centre(
                "cc-a",
                "k1",
                pb::CentreType::Intelligent,
                "11",
                1e308,
            ))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["capacity[FP32].flops"]);
    let unusual = system.runtime.settings.plausibility.centre_flops.soft * 2.0;
    let receipt = centre
        .submit_centre_return(sample::centre(
            "cc-a",
            "k2",
            pb::CentreType::Intelligent,
            "11",
            unusual,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        receipt
            .findings
            .iter()
            .any(|f| f.rule_id == "plausibility.soft_bound"
                && f.severity == pb::Severity::Warning as i32
                && f.fields == ["capacity[FP32].flops"]),
        "{:?}",
        receipt.findings
    );
    system.stop().await.unwrap();
}

/// Defect 2 behind the edge: returns stored under looser bounds (or that sum to infinity) never
/// stop the cycle. The stage sets such a return aside, the aggregator withholds a non-finite
/// figure, every other figure is assembled, and stage 1 carries an error finding for each, so the
/// candidate cannot be published until the units correct their returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_return_is_set_aside_and_a_non_finite_figure_withheld() {
    let env = TestEnv::new().await;
    // First the services run with bounds so loose that nothing is refused (as before bounds existed).
    let mut loose = env.settings.clone();
    for bound in [
        &mut loose.plausibility.bytes_per_device,
        &mut loose.plausibility.centre_flops,
    ] {
        bound.soft = f64::MAX;
        bound.hard = f64::MAX;
    }
    let system = ndrs_cli::system::start(loose.clone()).await.unwrap();
    let e = system.endpoints.clone();
    publish_content(&system).await;
    let mut vendor =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "vendor").await);
    vendor
        .submit_device_parameters(sample::smartphones("vendor", "good", 1.0e9, "s"))
        .await
        .unwrap();
    let mut other =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "other").await);
    let mut bad = sample::smartphones("other", "bad", 1.2e9, "t");
    set_created_bytes(&mut bad, 1e300);
    let bad_receipt = other
        .submit_device_parameters(bad)
        .await
        .unwrap()
        .into_inner();
    for unit in ["cc-a", "cc-b"] {
        let mut centre =
            ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, unit).await);
        centre
            .submit_centre_return(sample::centre(
                unit,
                "k",
                pb::CentreType::Intelligent,
                "11",
                1e308,
            ))
            .await
            .unwrap();
    }
    system.stop().await.unwrap();

    // Then on the same stored data with the default bound on device data (the stored 1e300 is
    // beyond it) and, still, none on FLOPS (each centre passes, their sum overflows).
    let mut defaults = env.settings.clone();
    defaults.plausibility.centre_flops = loose.plausibility.centre_flops;
    let system = ndrs_cli::system::start(defaults).await.unwrap();
    let e = system.endpoints.clone();
    let mut organiser = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let candidate = organiser
        .assemble_candidate(pb::AssembleCandidateRequest {
            cycle_year: sample::CYCLE,
        })
        .await
        .unwrap_or_else(|s| panic!("assembly must not fail on one bad return: {s:?}"))
        .into_inner();
    let stage = |s: pb::Stage| {
        candidate
            .stages
            .iter()
            .find(|r| r.stage == s as i32)
            .unwrap()
    };
    let production = stage(pb::Stage::ProductionStorage);
    assert_eq!(production.set_aside.len(), 1, "{:?}", production.set_aside);
    assert_eq!(production.set_aside[0].return_id, bad_receipt.return_id);
    assert_eq!(
        production.set_aside[0].field,
        "data_per_active_unit.created_bytes.value"
    );
    assert!(
        production
            .notes
            .iter()
            .any(|n| n.contains(&bad_receipt.return_id) && n.contains("set aside")),
        "{:?}",
        production.notes
    );
    // P01 is still produced, from the good return, and finite.
    let p01 = common::figure(&candidate, "P01");
    assert!(p01.value.is_finite() && p01.value > 0.0);
    // Two centres at 1e308 FLOPS each sum to infinity: C02 is withheld, not stored as inf.
    let compute = stage(pb::Stage::Compute);
    assert!(
        compute.withheld.iter().any(|w| w.id == "C02"),
        "{:?}",
        compute.withheld
    );
    assert!(
        candidate
            .stages
            .iter()
            .flat_map(|s| s.figures.iter())
            .all(|f| f.value.is_finite()),
        "a non-finite figure reached the candidate"
    );
    load_rules(
        &mut organiser,
        sample::CYCLE,
        vec![rule("fine", "P04 <= P01")],
        false,
    )
    .await
    .unwrap();
    let report = validate(&mut organiser, &candidate).await;
    assert!(!report.passed_errors, "stage 1 must not pass");
    let ids: Vec<&str> = report.results.iter().map(|r| r.rule_id.as_str()).collect();
    assert!(
        ids.contains(&format!("set_aside.{}", bad_receipt.return_id).as_str()),
        "{ids:?}"
    );
    assert!(ids.contains(&"withheld.C02"), "{ids:?}");

    // The unit corrects its return: the next candidate uses it and has no finding for it.
    let mut other =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "other").await);
    let mut corrected = sample::smartphones("other", "fix", 1.2e9, "t");
    corrected.header.as_mut().unwrap().return_id = bad_receipt.return_id.clone();
    other.submit_device_parameters(corrected).await.unwrap();
    let next = assemble(&mut organiser, sample::CYCLE).await;
    let production = next
        .stages
        .iter()
        .find(|r| r.stage == pb::Stage::ProductionStorage as i32)
        .unwrap();
    assert!(production.set_aside.is_empty());
    system.stop().await.unwrap();
}

/// Defect 8: a Watch on an unknown service sends SERVICE_UNKNOWN and stays open; with a Watch
/// open, shutdown ends promptly, "" turning NOT_SERVING first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_watches_follow_the_protocol_and_do_not_hold_up_shutdown() {
    let (_env, system) = start().await;
    let channel = tonic::transport::Endpoint::from_shared(system.endpoints.compute.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    let mut unknown = health
        .watch(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = unknown.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::ServiceUnknown);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), unknown.message())
            .await
            .is_err(),
        "the watch must stay open"
    );
    let mut whole = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        whole.message().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );
    tokio::time::timeout(Duration::from_secs(15), system.stop())
        .await
        .expect("shutdown hung with a health watch open")
        .unwrap();
    let mut last = None;
    while let Ok(Some(message)) = whole.message().await {
        last = Some(message.status());
    }
    assert_eq!(last, Some(ServingStatus::NotServing));
}

async fn latest(client: &mut AggregatorServiceClient<AuthedChannel>) -> Option<pb::Candidate> {
    client
        .get_candidate(latest_candidate(sample::CYCLE))
        .await
        .ok()
        .map(|c| c.into_inner())
}

/// Defect 11: a new version of a cycle document (here the compute register) re-assembles the
/// cycle's candidate like a return does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_cycle_document_re_assembles_the_candidate() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut centre =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-a").await);
    centre
        .submit_centre_return(sample::centre(
            "cc-a",
            "k",
            pb::CentreType::Intelligent,
            "11",
            1.0e18,
        ))
        .await
        .unwrap();
    let mut aggregator = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let first = wait_for(
        Duration::from_secs(20),
        "no automatic candidate",
        async || latest(&mut aggregator).await,
    )
    .await;
    let mut organiser = ComputeCensusServiceClient::new(as_organiser(&system, &e.compute).await);
    organiser
        .load_centre_registry(pb::LoadCentreRegistryRequest {
            cycle_year: sample::CYCLE,
            centres: vec![
                sample::registered_centre("cc-a", pb::CentreType::Intelligent, "11", 1_000.0),
                sample::registered_centre("cc-b", pb::CentreType::Intelligent, "32", 2_000.0),
            ],
        })
        .await
        .unwrap();
    let now = wait_for(
        Duration::from_secs(20),
        "loading a register did not re-assemble the candidate",
        async || {
            latest(&mut aggregator)
                .await
                .filter(|now| now.sequence > first.sequence)
        },
    )
    .await;
    assert_ne!(now.content_hash, first.content_hash);
    system.stop().await.unwrap();
}

/// Defect 12: one client's flood is refused with RESOURCE_EXHAUSTED and a RetryInfo, and does not
/// touch another client's calls; an expired token is refused saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_reporter_is_limited_alone_and_expired_tokens_are_refused() {
    let env = TestEnv::new().await;
    let mut settings = env.settings.clone();
    settings.auth.rate_limit_per_second = 1.0;
    settings.auth.rate_limit_burst = 5.0;
    let system = ndrs_cli::system::start(settings).await.unwrap();
    let e = system.endpoints.clone();
    let mut flood =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-flood").await);
    let mut quiet =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-quiet").await);
    let mut limited = None;
    for _ in 0..20 {
        if let Err(status) = flood.list_returns(sample::returns_of("cc-flood")).await {
            limited = Some(status);
        }
    }
    let limited = limited.expect("twenty calls at once exceed a burst of five");
    assert_eq!(limited.code(), Code::ResourceExhausted, "{limited:?}");
    use tonic_types::StatusExt;
    let retry = limited
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("RetryInfo with a delay");
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_secs(2),
        "{retry:?}"
    );
    // The other reporter is not affected by the flood.
    quiet
        .list_returns(sample::returns_of("cc-quiet"))
        .await
        .unwrap();

    let short = system
        .runtime
        .identity
        .issue_valid_for(
            "short-lived",
            ndrs_platform::auth::Role::Organiser,
            None,
            Duration::from_millis(100),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut expired = AggregatorServiceClient::new(
        ndrs_platform::client::channel(&e.aggregator, Some(&short.token)).unwrap(),
    );
    let status = refused(
        expired
            .list_candidates(pb::ListCandidatesRequest {
                cycle_year: sample::CYCLE,
            })
            .await,
        Code::Unauthenticated,
    );
    assert!(status.message().contains("expired"), "{status:?}");
    system.stop().await.unwrap();
}

/// Defect 7: the benchmark registry refuses an oversize note, control characters and duplicate
/// benchmarks (within one addition and against what is registered), naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benchmark_additions_have_limits_and_no_duplicates() {
    let (_env, system) = start().await;
    let mut organiser =
        AggregatorServiceClient::new(as_organiser(&system, &system.endpoints.aggregator).await);
    let benchmark = |publisher: &str| pb::Benchmark {
        publisher: publisher.into(),
        indicator: "data produced".into(),
        scope: "national".into(),
        year: 2023,
        value: 30.0,
        unit: "ZB".into(),
        comparable_to: "P01".into(),
        comparability: pb::Comparability::SameDefinition as i32,
        tolerance: 0.1,
        ..Default::default()
    };
    let add = |benchmarks: Vec<pb::Benchmark>, note: String| pb::AddBenchmarksRequest {
        benchmarks,
        note,
    };
    let status = refused(
        organiser
            .add_benchmarks(add(vec![benchmark("A")], "n".repeat(3_900_000)))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["note"]);
    let mut bad = benchmark("B\0ad");
    bad.note = "line\u{1b}[31m".into();
    let status = organiser
        .add_benchmarks(add(vec![bad], String::new()))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["benchmarks[0].publisher", "benchmarks[0].note"]
    );
    let status = organiser
        .add_benchmarks(add(vec![benchmark("C"), benchmark(" c ")], String::new()))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["benchmarks[1]"]);
    organiser
        .add_benchmarks(add(vec![benchmark("C")], "first".into()))
        .await
        .unwrap();
    let status = refused(
        organiser
            .add_benchmarks(add(vec![benchmark("C")], "again".into()))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["benchmarks[0]"]);
    assert!(status.message().contains("already in the registry"));
    system.stop().await.unwrap();
}
