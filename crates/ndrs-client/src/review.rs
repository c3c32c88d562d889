//! Stage 3, expert sign-off: a review round over a frozen candidate, and an expert's vote on the
//! whole candidate or on one frozen figure.

use ndrs_core::Result;
use ndrs_proto::v1 as pb;

use crate::session::Session;

/// Opens a review round over a candidate (organisers); `quorum` distinct approvals pass it.
pub async fn open(session: &Session, candidate_id: &str, quorum: u32) -> Result<pb::ReviewRound> {
    let request = pb::OpenReviewRoundRequest {
        candidate_id: candidate_id.to_string(),
        quorum,
    };
    Ok(session
        .aggregator()?
        .open_review_round(request)
        .await
        .map_err(session.at_aggregator("open a review round"))?
        .into_inner())
}

/// A review round with its votes and frozen figures.
pub async fn show(session: &Session, round_id: &str) -> Result<pb::ReviewRound> {
    let request = pb::GetReviewRoundRequest {
        round_id: round_id.to_string(),
    };
    Ok(session
        .aggregator()?
        .get_review_round(request)
        .await
        .map_err(session.at_aggregator("get the review round"))?
        .into_inner())
}

/// A cycle's review rounds, oldest first, with their votes.
pub async fn rounds(session: &Session, cycle_year: i32) -> Result<Vec<pb::ReviewRound>> {
    Ok(session
        .aggregator()?
        .list_review_rounds(pb::ListReviewRoundsRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("list the review rounds"))?
        .into_inner()
        .rounds)
}

/// An expert's vote. `candidate_hash` is the hash of the candidate the expert reviewed: when it
/// is not the round's, the vote is refused, so no one signs off on figures they did not see.
/// With `candidate_hash` empty, the round's own is used (the expert votes on what `show` shows).
pub async fn vote(session: &Session, mut request: pb::CastVoteRequest) -> Result<pb::ReviewRound> {
    if request.candidate_hash.is_empty() {
        request.candidate_hash = show(session, &request.round_id).await?.candidate_hash;
    }
    Ok(session
        .aggregator()?
        .cast_vote(request)
        .await
        .map_err(session.at_aggregator("cast a vote"))?
        .into_inner())
}
