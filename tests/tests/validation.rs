//! Stage 1 over gRPC: rule sets are checked when loaded, candidates are validated on request and
//! automatically after new inputs, and a planted inconsistency is caught by the rule that covers it.

mod common;

use std::time::Duration;

use common::{
    as_organiser, as_reporter, assemble, latest_candidate, load_rules, refused, start,
    submit_samples, validate,
};
use ndrs_platform::client::AuthedChannel;
use ndrs_platform::grpc_status::field_violations;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

fn status_of<'a>(
    report: &'a pb::ValidationReport,
    rule_id: &str,
) -> (pb::RuleStatus, &'a pb::RuleResult) {
    let r = report
        .results
        .iter()
        .find(|r| r.rule_id == rule_id)
        .unwrap_or_else(|| panic!("no result for {rule_id}"));
    (pb::RuleStatus::try_from(r.status).unwrap(), r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_checked_on_load_and_a_planted_inconsistency_fails_its_rule() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut aggregator = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);

    let rule = |id: &str, expression: &str| pb::Rule {
        id: id.into(),
        description: id.into(),
        expression: expression.into(),
        severity: pb::Severity::Error as i32,
        tolerance: 0.0,
    };
    let status = refused(
        load_rules(
            &mut aggregator,
            sample::CYCLE,
            vec![
                rule("fine", "P04 <= P01"),
                rule("unknown", "P04 <= P99"),
                rule("units", "P01 <= C02"),
            ],
            false,
        )
        .await,
        Code::InvalidArgument,
    );
    let violations = field_violations(&status);
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert_eq!(violations[0].0, "rules[1].expression");
    assert!(
        violations[0].1.contains("P99") && violations[0].1.contains("column 8"),
        "{violations:?}"
    );
    assert_eq!(violations[1].0, "rules[2].expression");
    assert!(violations[1].1.contains("mixes units"), "{violations:?}");
    // Nothing was stored by the refused load.
    refused(
        aggregator
            .get_rule_set(pb::GetRuleSetRequest {
                cycle_year: sample::CYCLE,
                version: 0,
            })
            .await,
        Code::NotFound,
    );

    let loaded = load_rules(&mut aggregator, sample::CYCLE, Vec::new(), true)
        .await
        .unwrap();
    assert_eq!(loaded.version, 1);
    assert!(loaded.rules >= 15);

    submit_samples(&system).await;
    let candidate = assemble(&mut aggregator, sample::CYCLE).await;
    let report = validate(&mut aggregator, &candidate).await;
    assert_eq!(report.candidate_hash, candidate.content_hash);
    assert_eq!(
        status_of(&report, "storage.used_within_space").0,
        pb::RuleStatus::Passed
    );
    assert_eq!(
        status_of(&report, "compute.province_shares_sum_to_one").0,
        pb::RuleStatus::Passed
    );
    assert_eq!(
        status_of(&report, "compute.centre_storage_within_national_stock").0,
        pb::RuleStatus::Passed
    );
    // The enterprise side agrees with what the exchange and the carrier report.
    for rule in [
        "circulation.enterprise_purchases_within_turnover",
        "circulation.enterprise_flows_within_carrier_traffic",
    ] {
        assert_eq!(status_of(&report, rule).0, pb::RuleStatus::Passed, "{rule}");
    }
    // No previous release yet: the growth checks cannot run, and say which figure they lack.
    let (growth, result) = status_of(
        &report,
        "growth.production_consistent_with_previous_release",
    );
    assert_eq!(growth, pb::RuleStatus::MissingInputs);
    assert!(result.detail.contains("prev_P01"), "{}", result.detail);
    assert!(report.passed_errors, "{:#?}", report.results);

    // Plant an inconsistency: a compute centre claiming more stored data than the national stock.
    let mut reporter =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-huge").await);
    let mut huge = sample::centre("cc-huge", "k", pb::CentreType::General, "52", 1.0e18);
    huge.storage_capacity_bytes = 15_000_000_000_000_000_000;
    // More than the 9e18 bytes the storage vendors' figures give for the whole country.
    huge.storage_used_bytes = 10_000_000_000_000_000_000;
    huge.cloud_storage_bytes = 0;
    reporter.submit_centre_return(huge).await.unwrap();

    // The watcher re-assembles and re-validates on its own.
    let (planted, report) = next_report(&mut aggregator, &candidate.candidate_id).await;
    assert!(!report.passed_errors);
    let (status, result) = status_of(&report, "compute.centre_storage_within_national_stock");
    assert_eq!(status, pb::RuleStatus::Failed);
    assert!(result.inputs["check_compute_storage_used_bytes"] > result.inputs["P03"]);

    // Plant another: an enterprise claiming to have bought more on exchanges than the
    // exchanges' whole turnover (100 million yuan). A warning, so it does not block by itself.
    let mut enterprise =
        ApplicationSurveyServiceClient::new(as_reporter(&system, &e.application, "kie-huge").await);
    let mut q = sample::key_industry_enterprise("kie-huge", "k", true, 1_000, 100);
    q.data_purchased_on_exchanges_yuan = 5.0e8;
    enterprise.submit_questionnaire(q).await.unwrap();
    let (_, report) = next_report(&mut aggregator, &planted).await;
    let (status, result) = status_of(&report, "circulation.enterprise_purchases_within_turnover");
    assert_eq!(status, pb::RuleStatus::Failed);
    assert_eq!(
        pb::Severity::try_from(result.severity).unwrap(),
        pb::Severity::Warning
    );
    system.stop().await.unwrap();
}

/// Waits for the watcher to store a candidate newer than `previous` and validate it; returns the
/// new candidate's id and its report.
async fn next_report(
    aggregator: &mut AggregatorServiceClient<AuthedChannel>,
    previous: &str,
) -> (String, pb::ValidationReport) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let latest = aggregator
            .get_candidate(latest_candidate(sample::CYCLE))
            .await
            .unwrap()
            .into_inner();
        if latest.candidate_id != previous
            && let Ok(report) = aggregator
                .get_validation_report(pb::GetValidationReportRequest {
                    candidate_id: latest.candidate_id.clone(),
                })
                .await
        {
            return (latest.candidate_id, report.into_inner());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no automatic validation within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
