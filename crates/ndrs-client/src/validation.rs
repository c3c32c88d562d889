//! The automatic validation stages as the working group drives them: the rule set (stage 1)
//! and the benchmark registry (stage 2) loaded from files, the checks run on a candidate, and a
//! written justification for a finding a person has judged acceptable.

use ndrs_core::Result;
use ndrs_proto::v1 as pb;

use crate::session::Session;

/// Where a cycle's rule set comes from.
pub enum RuleSource {
    /// Rules from a file (a `RuleList`: `{"rules": [...]}`).
    Rules(pb::RuleList),
    /// The survey's built-in default rule set.
    Default,
}

/// Loads a new version of a cycle's rule set.
pub async fn load_rules(
    session: &Session,
    cycle_year: i32,
    source: RuleSource,
) -> Result<pb::RuleSetSummary> {
    use pb::load_rule_set_request::Source;
    let source = match source {
        RuleSource::Rules(rules) => Source::Rules(rules),
        RuleSource::Default => Source::UseDefault(true),
    };
    let request = pb::LoadRuleSetRequest {
        cycle_year,
        source: Some(source),
    };
    Ok(session
        .aggregator()?
        .load_rule_set(request)
        .await
        .map_err(session.at_aggregator("load the rule set"))?
        .into_inner())
}

/// A cycle's rule set (`version` 0: the latest), whose `rules` can be edited and loaded again.
pub async fn rules(session: &Session, cycle_year: i32, version: u32) -> Result<pb::RuleSet> {
    let request = pb::GetRuleSetRequest {
        cycle_year,
        version,
    };
    Ok(session
        .aggregator()?
        .get_rule_set(request)
        .await
        .map_err(session.at_aggregator("get the rule set"))?
        .into_inner())
}

/// Adds outside figures to the benchmark registry as its next version.
pub async fn add_benchmarks(
    session: &Session,
    request: pb::AddBenchmarksRequest,
) -> Result<pb::BenchmarkRegistrySummary> {
    Ok(session
        .aggregator()?
        .add_benchmarks(request)
        .await
        .map_err(session.at_aggregator("add benchmarks"))?
        .into_inner())
}

/// The benchmark registry (`version` 0: the latest).
pub async fn benchmarks(session: &Session, version: u32) -> Result<pb::BenchmarkRegistry> {
    Ok(session
        .aggregator()?
        .get_benchmark_registry(pb::GetBenchmarkRegistryRequest { version })
        .await
        .map_err(session.at_aggregator("get the benchmark registry"))?
        .into_inner())
}

/// Runs stage 1 (the cross-entity rules) on a candidate.
pub async fn check_rules(session: &Session, candidate_id: &str) -> Result<pb::ValidationReport> {
    let request = pb::ValidateCandidateRequest {
        candidate_id: candidate_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .validate_candidate(request)
        .await
        .map_err(session.at_aggregator("validate the candidate"))?
        .into_inner())
}

/// Runs stage 2 (the external benchmarks) on a candidate.
pub async fn check_benchmarks(
    session: &Session,
    candidate_id: &str,
) -> Result<pb::BenchmarkReport> {
    let request = pb::CheckBenchmarksRequest {
        candidate_id: candidate_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .check_benchmarks(request)
        .await
        .map_err(session.at_aggregator("check the benchmarks"))?
        .into_inner())
}

/// Records why a failed warning rule (stage 1) or an out-of-band benchmark (stage 2) is
/// acceptable for a candidate.
pub async fn justify(
    session: &Session,
    candidate_id: &str,
    stage: pb::ValidationStage,
    subject: &str,
    text: &str,
) -> Result<pb::Justification> {
    let request = pb::JustifyRequest {
        candidate_id: candidate_id.to_string(),
        stage: stage as i32,
        subject: subject.to_string(),
        text: text.to_string(),
    };
    Ok(session
        .aggregator()?
        .justify(request)
        .await
        .map_err(session.at_aggregator("justify"))?
        .into_inner())
}

/// Where a candidate stands in the three stages.
pub async fn status(session: &Session, candidate_id: &str) -> Result<pb::CandidateStatus> {
    let request = pb::GetCandidateStatusRequest {
        candidate_id: candidate_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .get_candidate_status(request)
        .await
        .map_err(session.at_aggregator("get the candidate status"))?
        .into_inner())
}

/// The latest stage-1 report of a candidate: each rule with the values it read.
pub async fn rule_report(session: &Session, candidate_id: &str) -> Result<pb::ValidationReport> {
    let request = pb::GetValidationReportRequest {
        candidate_id: candidate_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .get_validation_report(request)
        .await
        .map_err(session.at_aggregator("get the validation report"))?
        .into_inner())
}

/// The latest stage-2 report of a candidate: each benchmark against its band.
pub async fn benchmark_report(
    session: &Session,
    candidate_id: &str,
) -> Result<pb::BenchmarkReport> {
    let request = pb::GetBenchmarkReportRequest {
        candidate_id: candidate_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .get_benchmark_report(request)
        .await
        .map_err(session.at_aggregator("get the benchmark report"))?
        .into_inner())
}

/// The justifications written on a candidate, oldest first.
pub async fn justifications(
    session: &Session,
    candidate_id: &str,
) -> Result<Vec<pb::Justification>> {
    let request = pb::ListJustificationsRequest {
        candidate_id: candidate_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .list_justifications(request)
        .await
        .map_err(session.at_aggregator("list the justifications"))?
        .into_inner()
        .justifications)
}
