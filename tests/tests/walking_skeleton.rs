//! End-to-end tests: all five services in-process on port 0, driven through the generated
//! clients exactly as partner agencies and organisers drive them. The same tests run on SQLite
//! and, when `NDRS_TEST_DATABASE_URL` / `NDRS_TEST_REDIS_URL` are set, on PostgreSQL and Redis.

mod common;

use std::time::Duration;

use common::{
    as_organiser, as_reporter, assemble, assert_close, assert_names_fields, candidate_by_id,
    figure, publish_content, refused, start, token,
};
use ndrs_cli::system;
use ndrs_platform::auth::Role;
use ndrs_platform::client::channel;
use ndrs_platform::grpc_status::field_violations;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::circulation_survey_service_client::CirculationSurveyServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_to_every_stage_reaches_the_aggregators_candidate() {
    let (_env, system) = start().await;
    publish_content(&system).await;
    let e = system.endpoints.clone();

    let mut production =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "vendor-a").await);
    let receipt = production
        .submit_device_parameters(sample::smartphones(
            "vendor-a",
            "k1",
            1.0e9,
            "vendor shipments",
        ))
        .await
        .expect("device parameters accepted")
        .into_inner();
    assert_eq!(receipt.version, 1);
    assert!(!receipt.replayed);
    assert_eq!(receipt.content_hash.len(), 64);
    let mut association =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "assoc-b").await);
    association
        .submit_device_parameters(sample::smartphones(
            "assoc-b",
            "k1",
            1.2e9,
            "association survey",
        ))
        .await
        .expect("second source accepted");

    let mut compute =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-1").await);
    compute
        .submit_centre_return(sample::centre(
            "cc-1",
            "k1",
            pb::CentreType::Intelligent,
            "11",
            3.0e18,
        ))
        .await
        .expect("centre return accepted");
    let mut compute2 =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-2").await);
    compute2
        .submit_centre_return(sample::centre(
            "cc-2",
            "k1",
            pb::CentreType::General,
            "52",
            7.0e18,
        ))
        .await
        .expect("centre return accepted");

    let mut exchange =
        CirculationSurveyServiceClient::new(as_reporter(&system, &e.circulation, "ex-1").await);
    exchange
        .submit_exchange_return(sample::exchange("ex-1", "k1", "31"))
        .await
        .expect("exchange return accepted");
    let mut carrier = CirculationSurveyServiceClient::new(
        as_reporter(&system, &e.circulation, "carrier-1").await,
    );
    carrier
        .submit_carrier_return(sample::carrier("carrier-1", "k1", 1_076, 1_000))
        .await
        .expect("carrier return accepted");

    let mut app1 =
        ApplicationSurveyServiceClient::new(as_reporter(&system, &e.application, "kie-1").await);
    app1.submit_questionnaire(sample::key_industry_enterprise(
        "kie-1", "k1", true, 1_000, 200,
    ))
    .await
    .expect("questionnaire accepted");
    let mut app2 =
        ApplicationSurveyServiceClient::new(as_reporter(&system, &e.application, "kie-2").await);
    app2.submit_questionnaire(sample::key_industry_enterprise(
        "kie-2", "k1", false, 3_000, 800,
    ))
    .await
    .expect("questionnaire accepted");

    let mut aggregator = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let candidate = aggregator
        .assemble_candidate(pb::AssembleCandidateRequest {
            cycle_year: sample::CYCLE,
        })
        .await
        .expect("candidate assembled")
        .into_inner();
    assert_eq!(candidate.stages.len(), 5);
    // Consolidated smartphones: mean base 1.1e9 x 0.8 active x 4.0e10 bytes per active unit.
    assert_close(figure(&candidate, "P01").value, 1.1e9 * 0.8 * 4.0e10, "P01");
    assert_eq!(
        figure(&candidate, "P01")
            .lineage
            .as_ref()
            .unwrap()
            .returns
            .len(),
        2
    );
    assert_close(figure(&candidate, "C01").value, 2.0, "C01");
    assert_close(figure(&candidate, "C02").value, 1.0e19, "C02");
    assert_close(figure(&candidate, "C04").value, 0.3, "C04");
    // Beijing (11) is in 京津冀, Guizhou (52) in none of the three clusters.
    assert_close(figure(&candidate, "C05").value, 0.3, "C05");
    // 180 of 1000 listed products transacted; 175 buyers for 100 sellers.
    assert_close(figure(&candidate, "F06").value, 0.18, "F06");
    assert_close(figure(&candidate, "F07").value, 1.75, "F07");
    assert_close(figure(&candidate, "F01").value, 0.076, "F01");
    assert_close(figure(&candidate, "F04").value, 0.42, "F04");
    assert_close(figure(&candidate, "F05").value, 1.0, "F05");
    assert_close(figure(&candidate, "F08").value, 2.4, "F08");
    assert_close(figure(&candidate, "F09").value, 0.1, "F09");
    assert_close(figure(&candidate, "A11").value, 0.5, "A11");
    // Cloud 1000 of 4000 stored bytes.
    assert_close(figure(&candidate, "P09").value, 0.25, "P09");

    // The same inputs give the same content hash; nothing new is stored.
    let again = assemble(&mut aggregator, sample::CYCLE).await;
    assert_eq!(again.candidate_id, candidate.candidate_id);
    assert_eq!(again.content_hash, candidate.content_hash);

    system.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_triggers_automatic_reassembly() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut compute =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-9").await);
    compute
        .submit_centre_return(sample::centre(
            "cc-9",
            "k1",
            pb::CentreType::Intelligent,
            "44",
            2.0e18,
        ))
        .await
        .unwrap();
    let mut aggregator = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    // The outbox relay publishes the event and the aggregator's watcher assembles on its own.
    // (Publishing the content assembled candidates before the return; the one wanted holds it.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let full = loop {
        let list = aggregator
            .list_candidates(pb::ListCandidatesRequest {
                cycle_year: sample::CYCLE,
            })
            .await
            .unwrap()
            .into_inner();
        let mut found = None;
        for c in list
            .candidates
            .iter()
            .filter(|c| c.trigger == pb::CandidateTrigger::InputsChanged as i32)
        {
            let full = aggregator
                .get_candidate(candidate_by_id(&c.candidate_id))
                .await
                .unwrap()
                .into_inner();
            let has_return = full
                .stages
                .iter()
                .flat_map(|s| s.figures.iter())
                .any(|f| f.id == "C02" && f.dimensions.is_empty());
            if has_return {
                found = Some(full);
                break;
            }
        }
        if let Some(full) = found {
            break full;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no automatic candidate with the return within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_close(
        figure(&full, "C02").value,
        2.0e18,
        "C02 of the automatic candidate",
    );
    system.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_cannot_read_or_correct_another_units_return() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut owner = ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-a").await);
    let mut other = ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-b").await);
    let receipt = owner
        .submit_centre_return(sample::centre(
            "cc-a",
            "k1",
            pb::CentreType::General,
            "11",
            1.0e18,
        ))
        .await
        .unwrap()
        .into_inner();

    // Reading another unit's return looks exactly like reading a return that does not exist.
    refused(
        other
            .get_return(pb::GetReturnRequest {
                return_id: receipt.return_id.clone(),
                version: 0,
            })
            .await,
        Code::NotFound,
    );
    refused(
        other.list_returns(sample::returns_of("cc-a")).await,
        Code::PermissionDenied,
    );

    // Submitting in another unit's name is refused by the token binding...
    let mut forged = sample::centre("cc-a", "k2", pb::CentreType::General, "11", 9.0e18);
    forged.header.as_mut().unwrap().return_id = receipt.return_id.clone();
    refused(
        other.submit_centre_return(forged).await,
        Code::PermissionDenied,
    );
    // ...and correcting another unit's return under one's own name by the return's owner.
    let mut hijack = sample::centre("cc-b", "k3", pb::CentreType::General, "11", 9.0e18);
    hijack.header.as_mut().unwrap().return_id = receipt.return_id.clone();
    refused(
        other.submit_centre_return(hijack).await,
        Code::PermissionDenied,
    );

    // The owner's correction is a new version; the first is still readable.
    let mut correction = sample::centre("cc-a", "k4", pb::CentreType::General, "11", 1.5e18);
    correction.header.as_mut().unwrap().return_id = receipt.return_id.clone();
    let corrected = owner
        .submit_centre_return(correction)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(corrected.return_id, receipt.return_id);
    assert_eq!(corrected.version, 2);
    let history = owner
        .get_return(pb::GetReturnRequest {
            return_id: receipt.return_id.clone(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.versions.len(), 2);
    let flops = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["capacity_flops"]["fp32"].as_f64().unwrap()
    };
    assert_eq!(flops(&history.versions[0].payload_json), 1.0e18);
    assert_eq!(flops(&history.versions[1].payload_json), 1.5e18);
    assert_eq!(history.versions[1].version, 2);
    system.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_submission_returns_the_same_receipt_and_stores_nothing_twice() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut carrier = CirculationSurveyServiceClient::new(
        as_reporter(&system, &e.circulation, "carrier-1").await,
    );
    let first = carrier
        .submit_carrier_return(sample::carrier("carrier-1", "retry-key", 1_076, 1_000))
        .await
        .unwrap()
        .into_inner();
    let retry = carrier
        .submit_carrier_return(sample::carrier("carrier-1", "retry-key", 1_076, 1_000))
        .await
        .unwrap()
        .into_inner();
    assert!(retry.replayed);
    assert_eq!(
        (
            &retry.return_id,
            retry.version,
            &retry.content_hash,
            &retry.received_at
        ),
        (
            &first.return_id,
            first.version,
            &first.content_hash,
            &first.received_at
        )
    );
    // The same key with a different payload is refused.
    refused(
        carrier
            .submit_carrier_return(sample::carrier("carrier-1", "retry-key", 2_000, 1_000))
            .await,
        Code::AlreadyExists,
    );

    let mut organiser =
        CirculationSurveyServiceClient::new(as_organiser(&system, &e.circulation).await);
    let stored = organiser
        .list_returns(sample::returns_of(""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.returns.len(), 1);
    let history = organiser
        .get_return(pb::GetReturnRequest {
            return_id: first.return_id.clone(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.versions.len(), 1);
    system.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_return_is_invalid_argument_naming_the_fields_and_stores_nothing() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut compute =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-x").await);
    let mut bad = sample::centre("cc-x", "k1", pb::CentreType::General, "11", 1.0e18);
    bad.storage_used_bytes = bad.storage_capacity_bytes + 1;
    bad.capacity[0].flops = -5.0;
    bad.province_code = "00".into();
    let mut app =
        ApplicationSurveyServiceClient::new(as_reporter(&system, &e.application, "kie-x").await);
    let mut wrong_cycle = sample::key_industry_enterprise("kie-x", "k1", true, 1_000, 200);
    wrong_cycle.header.as_mut().unwrap().cycle_year = 1999;
    let status = refused(
        app.submit_questionnaire(wrong_cycle).await,
        Code::InvalidArgument,
    );
    assert_names_fields(&status, &["header.cycle_year"]);
    // Before its questionnaire is published, a cycle takes no returns.
    let mut inconsistent = sample::key_industry_enterprise("kie-x", "k1", true, 1_000, 200);
    inconsistent.storage.as_mut().unwrap().cloud_stored_bytes = 5_000;
    refused(
        app.submit_questionnaire(inconsistent.clone()).await,
        Code::FailedPrecondition,
    );
    refused(
        compute.submit_centre_return(bad.clone()).await,
        Code::FailedPrecondition,
    );
    // Under it, one refusal names every bad field: the questionnaire's constraints and the
    // typed message's own (a province code not in the list), in the message's terms.
    publish_content(&system).await;
    let status = refused(
        compute.submit_centre_return(bad).await,
        Code::InvalidArgument,
    );
    assert_names_fields(
        &status,
        &["storage_used_bytes", "capacity[0].flops", "province_code"],
    );
    inconsistent
        .storage
        .as_mut()
        .unwrap()
        .unused_for_a_year_bytes = 5_000;
    let status = refused(
        app.submit_questionnaire(inconsistent).await,
        Code::InvalidArgument,
    );
    assert_names_fields(
        &status,
        &[
            "storage.cloud_stored_bytes",
            "storage.unused_for_a_year_bytes",
        ],
    );

    let mut organiser = ComputeCensusServiceClient::new(as_organiser(&system, &e.compute).await);
    let stored = organiser
        .list_returns(sample::returns_of(""))
        .await
        .unwrap()
        .into_inner();
    assert!(stored.returns.is_empty(), "a refused return was stored");
    system.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_valid_token_or_role_are_refused() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    let mut anonymous = ComputeCensusServiceClient::new(channel(&e.compute, None).unwrap());
    refused(
        anonymous
            .submit_centre_return(sample::centre(
                "cc-1",
                "k1",
                pb::CentreType::General,
                "11",
                1.0,
            ))
            .await,
        Code::Unauthenticated,
    );
    let mut forged =
        ComputeCensusServiceClient::new(channel(&e.compute, Some("ndrs_not-a-token")).unwrap());
    refused(
        forged
            .get_stage_result(pb::GetStageResultRequest { cycle_year: 2023 })
            .await,
        Code::Unauthenticated,
    );
    // A reporter may not read stage results, and an expert may not assemble candidates.
    let mut reporter =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-1").await);
    refused(
        reporter
            .get_stage_result(pb::GetStageResultRequest { cycle_year: 2023 })
            .await,
        Code::PermissionDenied,
    );
    let expert = token(&system, Role::Expert, None).await;
    let mut aggregator =
        AggregatorServiceClient::new(channel(&e.aggregator, Some(&expert)).unwrap());
    refused(
        aggregator
            .assemble_candidate(pb::AssembleCandidateRequest { cycle_year: 2023 })
            .await,
        Code::PermissionDenied,
    );
    system.stop().await.expect("clean shutdown");
}

/// Reflection as clients expect it: both protocol versions (grpcurl speaks v1; Python's
/// grpcio-reflection, older Postman and Evans speak v1alpha), each listing exactly what the port
/// serves: its service, the questionnaire and return-activity services on a stage's port, the
/// indicator service on the ports of stages whose figures are indicator documents, the cycle
/// and identity services on the aggregator's, health and reflection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_reports_serving_and_reflection_lists_what_its_port_serves() {
    let (_env, system) = start().await;
    let mut ports = Vec::new();
    for (service, endpoint) in system.endpoints.services() {
        let status = system::health_status(endpoint, service).await.unwrap();
        assert_eq!(
            status,
            tonic_health::pb::health_check_response::ServingStatus::Serving,
            "{service}"
        );
        let connection = tonic::transport::Endpoint::from_shared(endpoint.to_string())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut expected: Vec<String> = ndrs_platform::server::STANDARD_SERVICES
            .iter()
            .chain([&service])
            .map(|s| s.to_string())
            .collect();
        if service == "ndrs.v1.AggregatorService" {
            expected.push(ndrs_aggregator::cycles::SERVICE_NAME.into());
            expected.push(ndrs_platform::auth::service::SERVICE_NAME.into());
        } else {
            expected.push(ndrs_platform::questionnaires::service::SERVICE_NAME.into());
            expected.push(ndrs_platform::stage::activity::SERVICE_NAME.into());
        }
        if service == "ndrs.v1.ApplicationSurveyService" {
            expected.push(ndrs_platform::indicators::service::SERVICE_NAME.into());
        }
        expected.sort();
        assert_eq!(
            list_v1(connection.clone()).await,
            expected,
            "v1 at {endpoint}"
        );
        assert_eq!(
            list_v1alpha(connection).await,
            expected,
            "v1alpha at {endpoint}"
        );
        let own: Vec<_> = expected
            .iter()
            .filter(|s| !ndrs_platform::server::STANDARD_SERVICES.contains(&s.as_str()))
            .cloned()
            .collect();
        let address = endpoint.trim_start_matches("http://");
        ports.push(format!("{address}={}", own.join(",")));
    }
    // The same seen by Python's grpcio-reflection (v1alpha) and grpcio-health-checking, when
    // NDRS_TEST_GRPC_PYTHON names a Python that has them (set but failing fails the test).
    if let Ok(python) = std::env::var("NDRS_TEST_GRPC_PYTHON") {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/check-grpc-clients.py"
        );
        let out = std::process::Command::new(python)
            .arg(script)
            .args(&ports)
            .output()
            .expect("run the outside-client check");
        assert!(
            out.status.success(),
            "grpcio check failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{}", String::from_utf8_lossy(&out.stdout));
    }
    system.stop().await.expect("clean shutdown");
}

/// `ListServices` over one version of the reflection protocol: the two versions' messages are
/// the same but distinct types, so the client is written once for both.
macro_rules! list_services {
    ($name:ident, $version:ident) => {
        async fn $name(connection: tonic::transport::Channel) -> Vec<String> {
            use tonic_reflection::pb::$version::ServerReflectionRequest;
            use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
            use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
            use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
            let request = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            };
            let response = ServerReflectionClient::new(connection)
                .server_reflection_info(tokio_stream::iter([request]))
                .await
                .unwrap()
                .into_inner()
                .message()
                .await
                .unwrap()
                .expect("one reflection response");
            let Some(MessageResponse::ListServicesResponse(list)) = response.message_response
            else {
                panic!("unexpected reflection response");
            };
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
    };
}

list_services!(list_v1, v1);
list_services!(list_v1alpha, v1alpha);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_are_listed_in_pages_bound_to_their_query() {
    let (_env, system) = start().await;
    // Returns are taken once the cycle's questionnaires are published.
    publish_content(&system).await;
    let e = system.endpoints.clone();
    for i in 0..5 {
        let unit = format!("cc-page-{i}");
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, &unit).await)
            .submit_centre_return(sample::centre(
                &unit,
                "k",
                pb::CentreType::General,
                "11",
                1.0e17,
            ))
            .await
            .unwrap();
    }
    let mut organiser = ComputeCensusServiceClient::new(as_organiser(&system, &e.compute).await);
    let page = |token: String| pb::ListReturnsRequest {
        cycle_year: sample::CYCLE,
        reporting_unit_id: String::new(),
        page_size: 2,
        page_token: token,
    };
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let response = organiser
            .list_returns(page(token))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(response.returns.len() <= 2);
        seen.extend(response.returns.into_iter().map(|r| r.return_id));
        if response.next_page_token.is_empty() {
            break;
        }
        token = response.next_page_token;
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are in id order, without repeats");
    assert_eq!(seen.len(), 5);

    let first = organiser
        .list_returns(page(String::new()))
        .await
        .unwrap()
        .into_inner();
    let mut other_cycle = page(first.next_page_token);
    other_cycle.cycle_year = sample::CYCLE - 1;
    let status = refused(
        organiser.list_returns(other_cycle).await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&status)[0].0, "page_token");
    let status = organiser
        .list_returns(page("not a token".into()))
        .await
        .unwrap_err();
    assert_eq!(field_violations(&status)[0].0, "page_token");
    let mut too_big = page(String::new());
    too_big.page_size = 100_000;
    let status = organiser.list_returns(too_big).await.unwrap_err();
    assert_eq!(field_violations(&status)[0].0, "page_size");
    system.stop().await.unwrap();
}
