//! Helpers shared by the end-to-end test files.
#![allow(dead_code)]

use ndrs_cli::system::{self, RunningSystem};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_testkit::env::TestEnv;

pub async fn start() -> (TestEnv, RunningSystem) {
    let env = TestEnv::new().await;
    let system = system::start(env.settings.clone())
        .await
        .unwrap_or_else(|e| panic!("system did not start on {}: {e}", env.backend));
    (env, system)
}

pub async fn token(system: &RunningSystem, role: Role, unit: Option<&str>) -> String {
    system
        .runtime
        .identity
        .issue(&format!("test {role} {}", unit.unwrap_or("")), role, unit)
        .await
        .expect("issue token")
        .token
}

pub async fn as_reporter(system: &RunningSystem, endpoint: &str, unit: &str) -> AuthedChannel {
    channel(
        endpoint,
        Some(&token(system, Role::Reporter, Some(unit)).await),
    )
    .unwrap()
}

pub async fn as_organiser(system: &RunningSystem, endpoint: &str) -> AuthedChannel {
    channel(endpoint, Some(&token(system, Role::Organiser, None).await)).unwrap()
}

/// The status a refused call answered, after checking it is the expected code; the test fails
/// with the whole answer (a success, or the status with its message) otherwise.
pub fn refused<T: std::fmt::Debug>(
    answer: Result<T, tonic::Status>,
    expected: tonic::Code,
) -> tonic::Status {
    match answer {
        Ok(ok) => panic!("expected {expected:?}, the call succeeded: {ok:?}"),
        Err(status) if status.code() == expected => status,
        Err(status) => panic!("expected {expected:?}, got {status:?}"),
    }
}

/// What `attempt` answers once it answers something, asking again every 100 ms; the test fails
/// saying `what` did not happen if nothing came within `within`. For what the services do on
/// their own (the watcher assembling, re-validating) after a call has returned.
pub async fn wait_for<T>(
    within: std::time::Duration,
    what: &str,
    mut attempt: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(answer) = attempt().await {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The fields a refusal's `BadRequest` names, in order.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    ndrs_platform::grpc_status::field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// Checks that a refusal names each of `expected` among its fields (it may name more).
pub fn assert_names_fields(status: &tonic::Status, expected: &[&str]) {
    let fields = violated_fields(status);
    for field in expected {
        assert!(
            fields.iter().any(|f| f == field),
            "{field} not named in {fields:?}"
        );
    }
}

pub fn figure<'a>(candidate: &'a pb::Candidate, id: &str) -> &'a pb::Figure {
    candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .find(|f| f.id == id && f.dimensions.is_empty())
        .unwrap_or_else(|| panic!("candidate has no figure {id}"))
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: expected {expected}, got {actual}"
    );
}

/// The aggregator as an organiser calls it.
pub type Aggregator =
    ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient<AuthedChannel>;

/// Assembles a cycle's candidate; the test fails if the aggregator refuses.
pub async fn assemble(aggregator: &mut Aggregator, cycle_year: i32) -> pb::Candidate {
    aggregator
        .assemble_candidate(pb::AssembleCandidateRequest { cycle_year })
        .await
        .unwrap_or_else(|s| panic!("assemble cycle {cycle_year}: {s:?}"))
        .into_inner()
}

/// Stage 1 on a candidate; the test fails if the aggregator refuses.
pub async fn validate(
    aggregator: &mut Aggregator,
    candidate: &pb::Candidate,
) -> pb::ValidationReport {
    aggregator
        .validate_candidate(pb::ValidateCandidateRequest {
            candidate_id: candidate.candidate_id.clone(),
        })
        .await
        .unwrap_or_else(|s| panic!("validate {}: {s:?}", candidate.candidate_id))
        .into_inner()
}

/// Loads a rule set (the default one when `rules` is empty and `use_default`), as the aggregator
/// answers it.
pub async fn load_rules(
    aggregator: &mut Aggregator,
    cycle_year: i32,
    rules: Vec<pb::Rule>,
    use_default: bool,
) -> Result<pb::RuleSetSummary, tonic::Status> {
    aggregator
        .load_rule_set(pb::LoadRuleSetRequest {
            cycle_year,
            source: Some(if use_default {
                pb::load_rule_set_request::Source::UseDefault(true)
            } else {
                pb::load_rule_set_request::Source::Rules(pb::RuleList { rules })
            }),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The shipped content (questionnaires, indicators) of the sample cycle, published as the
/// organiser would.
pub async fn publish_content(system: &RunningSystem) {
    publish_content_for(system, ndrs_testkit::sample::CYCLE).await
}

/// The shipped content for `cycle_year` (and the later cycles that publish none).
pub async fn publish_content_for(system: &RunningSystem, cycle_year: i32) {
    let (e, identity) = (&system.endpoints, &system.runtime.identity);
    ndrs_testkit::submit::publish_content(e, identity, cycle_year)
        .await
        .expect("shipped content published")
}

/// The sample returns ([`ndrs_testkit::sample`]) submitted to `system`; how many.
pub async fn submit_samples(system: &RunningSystem) -> usize {
    ndrs_testkit::submit::submit_sample_returns(&system.endpoints, &system.runtime.identity)
        .await
        .expect("sample returns accepted")
}

/// Asks for the latest candidate of a cycle.
pub fn latest_candidate(cycle_year: i32) -> pb::GetCandidateRequest {
    pb::GetCandidateRequest {
        candidate: Some(pb::get_candidate_request::Candidate::CycleYear(cycle_year)),
    }
}

/// Asks for one candidate by its id.
pub fn candidate_by_id(candidate_id: &str) -> pb::GetCandidateRequest {
    pb::GetCandidateRequest {
        candidate: Some(pb::get_candidate_request::Candidate::CandidateId(
            candidate_id.to_string(),
        )),
    }
}
