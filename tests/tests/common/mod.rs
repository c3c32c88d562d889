//! Helpers shared by the end-to-end test files.
#![allow(dead_code)]

pub mod http;
pub mod webdriver;

use ndrs_cli::system::{self, RunningSystem};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_testkit::env::TestEnv;

/// The system in process on a fresh test environment, with every cycle it knows open for a
/// year (tests of the calendar itself start from [`system::start`], where none is).
pub async fn start() -> (TestEnv, RunningSystem) {
    let env = TestEnv::new().await;
    let system = system::start(env.settings.clone())
        .await
        .unwrap_or_else(|e| panic!("system did not start on {}: {e}", env.backend));
    open_every_cycle(&system).await;
    (env, system)
}

/// Opens the collection window of every cycle year the services accept, for a year from now.
pub async fn open_every_cycle(system: &RunningSystem) {
    use chrono::Datelike as _;
    let this_year = chrono::Utc::now().year();
    for year in ndrs_platform::stage::FIRST_CYCLE_YEAR..=this_year {
        ndrs_testkit::submit::open_cycle(&system.endpoints, &system.runtime.identity, year)
            .await
            .unwrap_or_else(|e| panic!("open cycle {year}: {e}"));
    }
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

/// Where a candidate stands in `stage`.
pub fn stage(status: &pb::CandidateStatus, stage: pb::ValidationStage) -> &pb::StageOutcome {
    status
        .stages
        .iter()
        .find(|s| s.stage == stage as i32)
        .unwrap_or_else(|| panic!("no outcome for {stage:?}"))
}

pub async fn status(agg: &mut Aggregator, candidate: &pb::Candidate) -> pb::CandidateStatus {
    agg.get_candidate_status(pb::GetCandidateStatusRequest {
        candidate_id: candidate.candidate_id.clone(),
    })
    .await
    .unwrap()
    .into_inner()
}

pub async fn justify(
    agg: &mut Aggregator,
    candidate: &pb::Candidate,
    stage: pb::ValidationStage,
    subject: &str,
) -> Result<pb::Justification, tonic::Status> {
    agg.justify(pb::JustifyRequest {
        candidate_id: candidate.candidate_id.clone(),
        stage: stage as i32,
        subject: subject.into(),
        text: format!("{subject}: reviewed by the working group, explained in the methods note"),
    })
    .await
    .map(|r| r.into_inner())
}

/// Runs stages 1 and 2 on a candidate and justifies every open finding, as the working group
/// does once it has looked at each.
pub async fn pass_stages_1_and_2(agg: &mut Aggregator, candidate: &pb::Candidate) {
    let report = validate(agg, candidate).await;
    assert!(report.passed_errors, "{:#?}", report.results);
    for r in report
        .results
        .iter()
        .filter(|r| r.status != pb::RuleStatus::Passed as i32)
    {
        justify(agg, candidate, pb::ValidationStage::Rules, &r.rule_id)
            .await
            .unwrap();
    }
    let bench = agg
        .check_benchmarks(pb::CheckBenchmarksRequest {
            candidate_id: candidate.candidate_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    for c in bench.comparisons.iter().filter(|c| {
        c.outcome == pb::BenchmarkOutcome::OutOfBand as i32
            || c.outcome == pb::BenchmarkOutcome::MissingInputs as i32
    }) {
        justify(
            agg,
            candidate,
            pb::ValidationStage::Benchmarks,
            &c.benchmark_id,
        )
        .await
        .unwrap();
    }
    let s = status(agg, candidate).await;
    assert!(stage(&s, pb::ValidationStage::Rules).passed, "{s:#?}");
    assert!(stage(&s, pb::ValidationStage::Benchmarks).passed, "{s:#?}");
}

/// Changes the sample cycle's inputs (one more compute centre, `unit`, reports) and assembles
/// the new candidate.
pub async fn revise(system: &RunningSystem, agg: &mut Aggregator, unit: &str) -> pb::Candidate {
    use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
    let mut reporter =
        ComputeCensusServiceClient::new(as_reporter(system, &system.endpoints.compute, unit).await);
    reporter
        .submit_centre_return(ndrs_testkit::sample::centre(
            unit,
            "k",
            pb::CentreType::General,
            "52",
            1.0e18,
        ))
        .await
        .unwrap();
    assemble(agg, ndrs_testkit::sample::CYCLE).await
}

/// A revision that passes stages 1 and 2, with a review round (quorum 1) opened on it.
pub async fn revise_for_review(
    system: &RunningSystem,
    agg: &mut Aggregator,
    unit: &str,
) -> (pb::Candidate, pb::ReviewRound) {
    let candidate = revise(system, agg, unit).await;
    pass_stages_1_and_2(agg, &candidate).await;
    let round = open_round(agg, &candidate, 1).await;
    (candidate, round)
}

/// Opens the cycle's next review round on `candidate`; the test fails if the aggregator refuses.
pub async fn open_round(
    agg: &mut Aggregator,
    candidate: &pb::Candidate,
    quorum: u32,
) -> pb::ReviewRound {
    agg.open_review_round(pb::OpenReviewRoundRequest {
        candidate_id: candidate.candidate_id.clone(),
        quorum,
    })
    .await
    .unwrap()
    .into_inner()
}

/// An expert approves the whole of `candidate` in `round` (quorum 1 passes it) and a publisher
/// publishes it under an embargo that ends in an hour, with `note`.
pub async fn approve_and_publish_under_embargo(
    system: &RunningSystem,
    expert: &mut Aggregator,
    candidate: &pb::Candidate,
    round: &pb::ReviewRound,
    note: &str,
) -> pb::ReleaseSummary {
    expert
        .cast_vote(pb::CastVoteRequest {
            round_id: round.round_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            figure_id: String::new(),
            verdict: pb::Verdict::Approve as i32,
            reason: String::new(),
        })
        .await
        .unwrap();
    let mut publisher = Aggregator::new(
        channel(
            &system.endpoints.aggregator,
            Some(&token(system, Role::Publisher, None).await),
        )
        .unwrap(),
    );
    let embargo = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    publisher
        .publish(pb::PublishRequest {
            candidate_id: candidate.candidate_id.clone(),
            embargo_until: Some(embargo.into()),
            note: note.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// A review round as the aggregator has it now.
pub async fn review_round(agg: &mut Aggregator, round_id: &str) -> pb::ReviewRound {
    agg.get_review_round(pb::GetReviewRoundRequest {
        round_id: round_id.into(),
    })
    .await
    .unwrap()
    .into_inner()
}

/// Runs a long scenario test on a thread of its own with an 8 MiB stack and a two-worker runtime.
/// A debug build keeps every local of an async fn in its poll frame, and a scenario that walks a
/// whole round nests many of them; the test harness's 2 MiB thread is too small for that, and how
/// small depends on the build, not the code under test.
pub fn run_scenario<F>(scenario: impl FnOnce() -> F + Send + 'static)
where
    F: std::future::Future<Output = ()>,
{
    std::thread::Builder::new()
        .name("scenario".into())
        .stack_size(8 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(scenario())
        })
        .expect("a scenario thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

/// The application questionnaire of the tests' 2024 round: the shipped 2023 one and the
/// data-assets questions (whether the enterprise records data resources as assets, and for how
/// much, asked only of those that do).
pub fn application_questionnaire_2024() -> String {
    include_str!("../../../crates/ndrs-content/content/2023/application.toml")
        .replace("version = \"2023.1\"", "version = \"2024.1\"")
        + r#"
[[question]]
id = "records_data_assets"
label = { zh = "是否将数据资源计入资产负债表", en = "Records data resources as assets on its balance sheet" }
type = "boolean"
asked_of = ["enterprise"]

[[question]]
id = "data_assets_yuan"
label = { zh = "数据资源入表金额", en = "Amount recorded as data assets" }
type = "decimal"
unit = "yuan"
asked_of = ["enterprise"]
relevant = "has(a.records_data_assets) && a.records_data_assets"
required = true

[[question.constraint]]
expression = "value > 0.0"
severity = "error"
message = { zh = "入表金额应大于零", en = "an amount recorded must be positive" }
"#
}
