//! The demo's path from a candidate to a published release, acted out by the people who do it in
//! the survey: the organiser loads the rule set, runs the first two validation stages and writes a
//! justification for each finding that needs one; a panel of demo experts (named as such) reviews
//! the candidate; the publisher publishes; the release is fetched in every export format and
//! written to disk with an HTML report.
//!
//! Nothing here bypasses a stage: an error-severity rule that fails stops the walk-through with
//! the rule's id, exactly as it would stop a real publication.

use std::path::{Path, PathBuf};

use ndrs_client::validation::{self, RuleSource};
use ndrs_client::{Session, candidates, publication, review};
use ndrs_core::{Error, Result};
use ndrs_platform::auth::Role;
use ndrs_proto::v1 as pb;

use crate::target::Target;
pub use ndrs_report::Trail;

/// The demo's expert panel: three labelled demo accounts, a quorum of three.
pub const DEMO_EXPERTS: [&str; 3] = [
    "demo expert 1 (not a real reviewer)",
    "demo expert 2 (not a real reviewer)",
    "demo expert 3 (not a real reviewer)",
];

/// A session of a person the walk-through acts for, with a token issued for them.
async fn session(target: &Target<'_>, name: &str, role: Role) -> Result<Session> {
    let issued = target.identity.issue(name, role, None).await?;
    Session::new(target.endpoints.clone(), issued.token)
}

async fn organiser(target: &Target<'_>) -> Result<Session> {
    session(target, "demo organiser", Role::Organiser).await
}

/// Assembles a cycle's candidate, as the organiser does before validating it.
pub async fn assemble(target: &Target<'_>, cycle_year: i32) -> Result<pb::Candidate> {
    candidates::assemble(&organiser(target).await?, cycle_year).await
}

/// The releases already published for a cycle, oldest first.
pub async fn releases(target: &Target<'_>, cycle_year: i32) -> Result<Vec<pb::ReleaseSummary>> {
    publication::list(&organiser(target).await?, cycle_year).await
}

/// Loads the default rule set for the cycle, as the organiser does before validating.
pub async fn load_default_rules(
    target: &Target<'_>,
    cycle_year: i32,
) -> Result<pb::RuleSetSummary> {
    validation::load_rules(&organiser(target).await?, cycle_year, RuleSource::Default).await
}

/// Stage 1 alone on a candidate, as the working group runs it whenever data change.
pub async fn validate(
    target: &Target<'_>,
    candidate: &pb::Candidate,
) -> Result<(pb::ValidationReport, pb::CandidateStatus)> {
    let organiser = organiser(target).await?;
    let report = validation::check_rules(&organiser, &candidate.candidate_id).await?;
    let status = validation::status(&organiser, &candidate.candidate_id).await?;
    Ok((report, status))
}

/// Stages 1 to 3 and publication of `candidate`.
pub async fn validate_review_publish(
    target: &Target<'_>,
    candidate: &pb::Candidate,
    rule_set: pb::RuleSetSummary,
) -> Result<Trail> {
    let organiser = organiser(target).await?;
    let id = candidate.candidate_id.as_str();

    // Stage 1: cross-entity rules. Errors stop here; each failed warning gets a justification.
    let validation = validation::check_rules(&organiser, id).await?;
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
        let text = format!("(demo organiser) {why}");
        justifications.push(
            validation::justify(
                &organiser,
                id,
                pb::ValidationStage::Rules,
                &r.rule_id,
                &text,
            )
            .await?,
        );
    }

    // Stage 2: outside benchmarks; each deviation outside its band gets a justification.
    let benchmarks = validation::check_benchmarks(&organiser, id).await?;
    for c in benchmarks.comparisons.iter().filter(|c| {
        c.outcome == pb::BenchmarkOutcome::OutOfBand as i32
            || c.outcome == pb::BenchmarkOutcome::MissingInputs as i32
    }) {
        let text = format!(
            "(demo organiser) {} vs {}: {}; the definitions differ as the methods note explains",
            c.figure_id, c.benchmark_id, c.detail
        );
        justifications.push(
            validation::justify(
                &organiser,
                id,
                pb::ValidationStage::Benchmarks,
                &c.benchmark_id,
                &text,
            )
            .await?,
        );
    }

    // Stage 3: the demo panel reviews the frozen candidate.
    let round = review::open(&organiser, id, DEMO_EXPERTS.len() as u32).await?;
    let mut last = round.clone();
    for expert in DEMO_EXPERTS {
        let request = pb::CastVoteRequest {
            round_id: round.round_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            figure_id: String::new(),
            verdict: pb::Verdict::ApproveWithComments as i32,
            reason: "demo review: figures, intervals and lineage read; approved for the demo"
                .into(),
        };
        last = review::vote(&session(target, expert, Role::Expert).await?, request).await?;
    }

    let status = validation::status(&organiser, id).await?;
    let publisher = session(target, "demo publisher", Role::Publisher).await?;
    let release = publication::publish(&publisher, id, None, "").await?;
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
    let reader = session(target, "demo reader", Role::Reader).await?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Internal(format!("create {}: {e}", dir.display())))?;
    let mut written = Vec::new();
    let mut json = Vec::new();
    for (format, name) in [
        (pb::ReleaseFormat::Json, "release.json"),
        (pb::ReleaseFormat::Csv, "release.csv"),
        (pb::ReleaseFormat::Sdmx, "release.sdmx.xml"),
    ] {
        let doc = publication::get(
            &reader,
            trail.release.cycle_year,
            trail.release.version,
            format,
        )
        .await?;
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
