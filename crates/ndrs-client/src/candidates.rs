//! Candidate releases: assembled from the stage services' current results, read back, listed.

use ndrs_core::Result;
use ndrs_proto::v1 as pb;

use crate::session::Session;

/// Assembles a new candidate for a cycle from the stage services' current results.
pub async fn assemble(session: &Session, cycle_year: i32) -> Result<pb::Candidate> {
    Ok(session
        .aggregator()?
        .assemble_candidate(pb::AssembleCandidateRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("assemble a candidate"))?
        .into_inner())
}

/// The latest candidate of a cycle.
pub async fn latest(session: &Session, cycle_year: i32) -> Result<pb::Candidate> {
    fetch(
        session,
        pb::get_candidate_request::Candidate::CycleYear(cycle_year),
    )
    .await
}

/// A cycle's candidates, oldest first.
pub async fn list(session: &Session, cycle_year: i32) -> Result<pb::ListCandidatesResponse> {
    Ok(session
        .aggregator()?
        .list_candidates(pb::ListCandidatesRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("list candidates"))?
        .into_inner())
}

/// One candidate by its id.
pub async fn get(session: &Session, candidate_id: &str) -> Result<pb::Candidate> {
    let which = pb::get_candidate_request::Candidate::CandidateId(candidate_id.to_string());
    fetch(session, which).await
}

async fn fetch(
    session: &Session,
    which: pb::get_candidate_request::Candidate,
) -> Result<pb::Candidate> {
    let request = pb::GetCandidateRequest {
        candidate: Some(which),
    };
    Ok(session
        .aggregator()?
        .get_candidate(request)
        .await
        .map_err(session.at_aggregator("get the candidate"))?
        .into_inner())
}
