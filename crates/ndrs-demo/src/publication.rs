//! The demo's path from a candidate to a published release, acted out by the people who do it in
//! the survey: the organiser loads the rule set, runs the first two validation stages and writes a
//! justification for each finding that needs one; a panel of demo experts (named as such) reviews
//! the candidate; the publisher publishes; the release is fetched in every export format and
//! written to disk with an HTML report.
//!
//! Nothing here bypasses a stage: an error-severity rule that fails stops the walk-through with
//! the rule's id, exactly as it would stop a real publication.

use std::path::{Path, PathBuf};

use ndrs_core::{Error, Result};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;

use crate::target::Target;
pub use ndrs_report::Trail;

type Aggregator = AggregatorServiceClient<AuthedChannel>;

/// The demo's expert panel: three labelled demo accounts, a quorum of three.
pub const DEMO_EXPERTS: [&str; 3] = [
    "demo expert 1 (not a real reviewer)",
    "demo expert 2 (not a real reviewer)",
    "demo expert 3 (not a real reviewer)",
];

/// What a call answered, as the domain error it stands for, naming the call.
fn rpc(what: &str) -> impl FnOnce(tonic::Status) -> Error + '_ {
    ndrs_platform::grpc_status::from_status_in(what)
}

/// The message of the answer to the call `what`, or the domain error its status stands for.
fn answer<T>(
    what: &str,
    outcome: std::result::Result<tonic::Response<T>, tonic::Status>,
) -> Result<T> {
    ndrs_platform::grpc_status::answer(outcome).map_err(|e| e.in_context(what))
}

async fn client(target: &Target<'_>, name: &str, role: Role) -> Result<Aggregator> {
    let issued = target.identity.issue(name, role, None).await?;
    Ok(
        AggregatorServiceClient::new(channel(&target.endpoints.aggregator, Some(&issued.token))?)
            .max_decoding_message_size(crate::MAX_RESPONSE_BYTES),
    )
}

/// Assembles a cycle's candidate, as the organiser does before validating it.
pub async fn assemble(target: &Target<'_>, cycle_year: i32) -> Result<pb::Candidate> {
    let mut organiser = client(target, "demo organiser", Role::Organiser).await?;
    Ok(organiser
        .assemble_candidate(pb::AssembleCandidateRequest { cycle_year })
        .await
        .map_err(rpc("assemble candidate"))?
        .into_inner())
}

/// The releases already published for a cycle, oldest first.
pub async fn releases(target: &Target<'_>, cycle_year: i32) -> Result<Vec<pb::ReleaseSummary>> {
    let mut organiser = client(target, "demo organiser", Role::Organiser).await?;
    Ok(organiser
        .list_releases(pb::ListReleasesRequest { cycle_year })
        .await
        .map_err(rpc("list releases"))?
        .into_inner()
        .releases)
}

/// Loads the default rule set for the cycle, as the organiser does before validating.
pub async fn load_default_rules(
    target: &Target<'_>,
    cycle_year: i32,
) -> Result<pb::RuleSetSummary> {
    let mut organiser = client(target, "demo organiser", Role::Organiser).await?;
    Ok(organiser
        .load_rule_set(pb::LoadRuleSetRequest {
            cycle_year,
            source: Some(pb::load_rule_set_request::Source::UseDefault(true)),
        })
        .await
        .map_err(rpc("load the default rule set"))?
        .into_inner())
}

/// The stage-1 report on `candidate`: its cross-entity rules run by the organiser.
async fn stage_1(
    organiser: &mut Aggregator,
    candidate: &pb::Candidate,
) -> Result<pb::ValidationReport> {
    let request = pb::ValidateCandidateRequest {
        candidate_id: candidate.candidate_id.clone(),
    };
    answer(
        "validate the candidate",
        organiser.validate_candidate(request).await,
    )
}

/// Stage 1 alone on a candidate, as the working group runs it whenever data change.
pub async fn validate(
    target: &Target<'_>,
    candidate: &pb::Candidate,
) -> Result<(pb::ValidationReport, pb::CandidateStatus)> {
    let mut organiser = client(target, "demo organiser", Role::Organiser).await?;
    let report = stage_1(&mut organiser, candidate).await?;
    let request = pb::GetCandidateStatusRequest {
        candidate_id: candidate.candidate_id.clone(),
    };
    let status = answer(
        "candidate status",
        organiser.get_candidate_status(request).await,
    )?;
    Ok((report, status))
}

/// Stages 1 to 3 and publication of `candidate`.
pub async fn validate_review_publish(
    target: &Target<'_>,
    candidate: &pb::Candidate,
    rule_set: pb::RuleSetSummary,
) -> Result<Trail> {
    let mut organiser = client(target, "demo organiser", Role::Organiser).await?;
    let id = || candidate.candidate_id.clone();

    // Stage 1: cross-entity rules. Errors stop here; each failed warning gets a justification.
    let validation = stage_1(&mut organiser, candidate).await?;
    if !validation.passed_errors {
        let failed: Vec<String> = validation
            .results
            .iter()
            .filter(|r| {
                r.severity == pb::Severity::Error as i32
                    && r.status != pb::RuleStatus::Passed as i32
            })
            .map(|r| format!("{} ({})", r.rule_id, r.detail))
            .collect();
        return Err(Error::FailedPrecondition(format!(
            "stage 1 blocks publication: {}",
            failed.join("; ")
        )));
    }
    let mut justifications = Vec::new();
    let mut justify = async |stage: pb::ValidationStage, subject: &str, why: String| {
        organiser
            .justify(pb::JustifyRequest {
                candidate_id: id(),
                stage: stage as i32,
                subject: subject.to_string(),
                text: format!("(demo organiser) {why}"),
            })
            .await
            .map_err(rpc("justify a finding"))
            .map(|r| r.into_inner())
    };
    for r in validation
        .results
        .iter()
        .filter(|r| r.status != pb::RuleStatus::Passed as i32)
    {
        let why = if r.status == pb::RuleStatus::MissingInputs as i32 {
            format!(
                "{} cannot be checked in this cycle ({}); accepted for the demo release",
                r.rule_id, r.detail
            )
        } else {
            format!(
                "{} ({}) reviewed with the reporting units; the difference is explained in the methods note",
                r.rule_id, r.description
            )
        };
        justifications.push(justify(pb::ValidationStage::Rules, &r.rule_id, why).await?);
    }

    // Stage 2: outside benchmarks; each deviation outside its band gets a justification.
    let mut organiser = client(target, "demo organiser", Role::Organiser).await?;
    let request = pb::CheckBenchmarksRequest { candidate_id: id() };
    let benchmarks = answer(
        "check benchmarks",
        organiser.check_benchmarks(request).await,
    )?;
    for c in benchmarks.comparisons.iter().filter(|c| {
        c.outcome == pb::BenchmarkOutcome::OutOfBand as i32
            || c.outcome == pb::BenchmarkOutcome::MissingInputs as i32
    }) {
        let why = format!(
            "{} vs {}: {}; the definitions differ as the methods note explains",
            c.figure_id, c.benchmark_id, c.detail
        );
        let request = pb::JustifyRequest {
            candidate_id: id(),
            stage: pb::ValidationStage::Benchmarks as i32,
            subject: c.benchmark_id.clone(),
            text: format!("(demo organiser) {why}"),
        };
        let j = answer(
            "justify a benchmark deviation",
            organiser.justify(request).await,
        )?;
        justifications.push(j);
    }

    // Stage 3: the demo panel reviews the frozen candidate.
    let request = pb::OpenReviewRoundRequest {
        candidate_id: id(),
        quorum: DEMO_EXPERTS.len() as u32,
    };
    let round = answer(
        "open a review round",
        organiser.open_review_round(request).await,
    )?;
    let mut last = round.clone();
    for expert in DEMO_EXPERTS {
        let mut e = client(target, expert, Role::Expert).await?;
        let request = pb::CastVoteRequest {
            round_id: round.round_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            figure_id: String::new(),
            verdict: pb::Verdict::ApproveWithComments as i32,
            reason: "demo review: figures, intervals and lineage read; approved for the demo"
                .into(),
        };
        last = answer("cast a vote", e.cast_vote(request).await)?;
    }

    let request = pb::GetCandidateStatusRequest { candidate_id: id() };

    let status = answer(
        "read the candidate's status",
        organiser.get_candidate_status(request).await,
    )?;
    let mut publisher = client(target, "demo publisher", Role::Publisher).await?;
    let request = pb::PublishRequest {
        candidate_id: id(),
        embargo_until: None,
        note: String::new(),
    };
    let release = answer("publish", publisher.publish(request).await)?;
    Ok(Trail {
        rule_set,
        validation,
        benchmarks,
        justifications,
        round: last,
        status,
        release,
    })
}

/// Fetches the release in every format and writes it, with the HTML report, under `dir`.
pub async fn write_release(target: &Target<'_>, trail: &Trail, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut reader = client(target, "demo reader", Role::Reader).await?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Internal(format!("create {}: {e}", dir.display())))?;
    let mut written = Vec::new();
    let mut json = Vec::new();
    for (format, name) in [
        (pb::ReleaseFormat::Json, "release.json"),
        (pb::ReleaseFormat::Csv, "release.csv"),
        (pb::ReleaseFormat::Sdmx, "release.sdmx.xml"),
    ] {
        let request = pb::GetReleaseRequest {
            cycle_year: trail.release.cycle_year,
            version: trail.release.version,
            format: format as i32,
        };
        let doc = answer("read the release", reader.get_release(request).await)?;
        let path = dir.join(name);
        std::fs::write(&path, &doc.content)
            .map_err(|e| Error::Internal(format!("write {}: {e}", path.display())))?;
        if format == pb::ReleaseFormat::Json {
            json = doc.content;
        }
        written.push(path);
    }
    let document: ndrs_aggregator::release::Document = serde_json::from_slice(&json)
        .map_err(|e| Error::Internal(format!("release JSON unreadable: {e}")))?;
    let html = ndrs_report::render(&document, Some(trail));
    let path = dir.join("report.html");
    std::fs::write(&path, html)
        .map_err(|e| Error::Internal(format!("write {}: {e}", path.display())))?;
    written.push(path);
    Ok(written)
}
