//! Stage 3, expert sign-off in review rounds.
//!
//! Opening a round freezes a candidate: every figure is hashed with its lineage and the round
//! keeps the list, so what the experts were shown can be proved later. Experts vote approve,
//! approve with comments or reject, on the whole candidate or on one figure, always with the
//! candidate hash they reviewed.
//!
//! The state machine is deliberately strict, so a rejection cannot be voted away:
//! - a round passes when `quorum` distinct experts approved the whole candidate (with or without
//!   comments) and nobody rejected anything;
//! - one rejection, of the whole or of one figure, closes the round as rejected; the organiser
//!   must revise the candidate and open the next round on the revised one;
//! - opening a round supersedes a round still open in the cycle;
//! - a vote is refused (failed precondition) unless the round is open and the hash the expert
//!   reviewed is both the round's and the cycle's latest candidate's: a vote on stale content
//!   would sign off figures that are no longer the ones to be published.

use std::collections::BTreeSet;

use ndrs_core::{Error, FieldViolation, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::candidate::Candidates;
use crate::justify::MAX_TEXT_CHARS;
use crate::store::{conflict_on_unique, now, review_round, review_vote};

/// Largest quorum accepted (the 2023 survey had a little over twenty experts).
pub const MAX_QUORUM: u32 = 100;

crate::codes::coded_enum! {
    /// An expert's verdict on the whole candidate or on one figure.
    pub enum Verdict => pb::Verdict, unspecified Unspecified {
        Approve = "approve",
        ApproveWithComments = "approve_with_comments",
        Reject = "reject",
    }
}

const OPEN: &str = "open";
const PASSED: &str = "passed";
const REJECTED: &str = "rejected";
const SUPERSEDED: &str = "superseded";

fn state_to_proto(state: &str) -> pb::RoundState {
    match state {
        OPEN => pb::RoundState::Open,
        PASSED => pb::RoundState::Passed,
        REJECTED => pb::RoundState::Rejected,
        SUPERSEDED => pb::RoundState::Superseded,
        _ => pb::RoundState::Unspecified,
    }
}

/// The key a figure is voted on by: its id, and its sorted breakdown coordinates if any
/// (`C04{province=11}`).
pub fn figure_key(f: &pb::Figure) -> String {
    if f.dimensions.is_empty() {
        return f.id.clone();
    }
    let dims: std::collections::BTreeMap<_, _> = f.dimensions.iter().collect();
    let inner: Vec<String> = dims.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{}{{{}}}", f.id, inner.join(","))
}

/// Hash of one figure with its lineage. The protobuf encoding of a message without map fields is
/// deterministic, so the dimensions (a map) are hashed through the key and cleared before encoding.
pub fn figure_hash(f: &pb::Figure) -> String {
    let mut plain = f.clone();
    plain.dimensions.clear();
    let mut h = Sha256::new();
    h.update(figure_key(f).as_bytes());
    h.update([0u8]);
    h.update(plain.encode_to_vec());
    hex::encode(h.finalize())
}

/// Every figure's key and hash, in key order, and the hash over them.
pub fn freeze(candidate: &pb::Candidate) -> (Vec<(String, String)>, String) {
    let mut figures: Vec<(String, String)> = candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .map(|f| (figure_key(f), figure_hash(f)))
        .collect();
    figures.sort();
    let mut h = Sha256::new();
    h.update(candidate.content_hash.as_bytes());
    for (key, hash) in &figures {
        h.update((key.len() as u64).to_be_bytes());
        h.update(key.as_bytes());
        h.update(hash.as_bytes());
    }
    (figures, hex::encode(h.finalize()))
}

fn vote_to_proto(v: &review_vote::Model) -> pb::Vote {
    pb::Vote {
        expert: v.expert.clone(),
        figure_id: v.figure_key.clone(),
        verdict: Verdict::from_code(&v.verdict).map_or(pb::Verdict::Unspecified, Verdict::to_proto)
            as i32,
        reason: v.reason.clone(),
        cast_at: ndrs_platform::timestamp::from_text(&v.cast_at),
    }
}

fn round_to_proto(row: &review_round::Model, votes: &[review_vote::Model]) -> pb::ReviewRound {
    let figures: Vec<(String, String)> =
        serde_json::from_str(&row.figures_json).unwrap_or_default();
    pb::ReviewRound {
        round_id: row.round_id.clone(),
        cycle_year: row.cycle_year,
        number: row.number as u32,
        candidate_id: row.candidate_id.clone(),
        candidate_hash: row.candidate_hash.clone(),
        frozen_hash: row.frozen_hash.clone(),
        quorum: row.quorum as u32,
        state: state_to_proto(&row.state) as i32,
        votes: votes.iter().map(vote_to_proto).collect(),
        figures: figures
            .into_iter()
            .map(|(figure_id, hash)| pb::FrozenFigure { figure_id, hash })
            .collect(),
        opened_by: row.opened_by.clone(),
        opened_at: ndrs_platform::timestamp::from_text(&row.opened_at),
        closed_at: row
            .closed_at
            .as_deref()
            .and_then(ndrs_platform::timestamp::from_text),
    }
}

async fn votes_of<C: ConnectionTrait>(conn: &C, round_id: &str) -> Result<Vec<review_vote::Model>> {
    review_vote::Entity::find()
        .filter(review_vote::Column::RoundId.eq(round_id))
        .order_by_asc(review_vote::Column::CastAt)
        .all(conn)
        .await
        .map_err(db_error)
}

/// Distinct experts who approved the whole candidate.
fn approvals(votes: &[review_vote::Model]) -> usize {
    votes
        .iter()
        .filter(|v| v.figure_key.is_empty() && v.verdict != Verdict::Reject.code())
        .map(|v| v.expert.as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

#[derive(Clone)]
pub struct Review {
    db: DatabaseConnection,
    candidates: Candidates,
}

impl Review {
    pub fn new(db: DatabaseConnection, candidates: Candidates) -> Self {
        Self { db, candidates }
    }

    async fn rounds_of_cycle(&self, cycle_year: i32) -> Result<Vec<review_round::Model>> {
        review_round::Entity::find()
            .filter(review_round::Column::CycleYear.eq(cycle_year))
            .order_by_asc(review_round::Column::Number)
            .all(&self.db)
            .await
            .map_err(db_error)
    }

    /// Opens the cycle's next round on `candidate_id`, which must be the cycle's latest candidate.
    pub async fn open(&self, candidate_id: &str, quorum: u32, by: &str) -> Result<pb::ReviewRound> {
        if !(1..=MAX_QUORUM).contains(&quorum) {
            return Err(Error::invalid(
                "quorum",
                format!("must be between 1 and {MAX_QUORUM}"),
            ));
        }
        let candidate = self.candidates.get(candidate_id).await?;
        let latest = self.candidates.latest(candidate.cycle_year).await?;
        if latest.candidate_id != candidate.candidate_id {
            return Err(Error::FailedPrecondition(format!(
                "candidate {} is stale: candidate {} (#{}) is the cycle's latest",
                candidate.candidate_id, latest.candidate_id, latest.sequence
            )));
        }
        let rounds = self.rounds_of_cycle(candidate.cycle_year).await?;
        if let Some(last) = rounds.last()
            && last.candidate_hash == candidate.content_hash
        {
            match last.state.as_str() {
                OPEN => {
                    return Err(Error::FailedPrecondition(format!(
                        "round {} is already open on this candidate",
                        last.number
                    )));
                }
                REJECTED => {
                    return Err(Error::FailedPrecondition(format!(
                        "round {} rejected this candidate; revise it and open the next round on the revision",
                        last.number
                    )));
                }
                PASSED => {
                    return Err(Error::FailedPrecondition(format!(
                        "round {} already passed this candidate",
                        last.number
                    )));
                }
                _ => {}
            }
        }
        let number = rounds.last().map_or(1, |r| r.number + 1);
        let (figures, frozen_hash) = freeze(&candidate);
        let at = now();
        let txn = self.db.begin().await.map_err(db_error)?;
        for open in rounds.iter().filter(|r| r.state == OPEN) {
            review_round::ActiveModel {
                round_id: Set(open.round_id.clone()),
                state: Set(SUPERSEDED.to_string()),
                closed_at: Set(Some(at.clone())),
                ..Default::default()
            }
            .update(&txn)
            .await
            .map_err(db_error)?;
        }
        let row = review_round::ActiveModel {
            round_id: Set(uuid::Uuid::now_v7().to_string()),
            cycle_year: Set(candidate.cycle_year),
            number: Set(number),
            candidate_id: Set(candidate.candidate_id.clone()),
            candidate_hash: Set(candidate.content_hash.clone()),
            frozen_hash: Set(frozen_hash.clone()),
            figures_json: Set(
                serde_json::to_string(&figures).map_err(|e| Error::Internal(e.to_string()))?
            ),
            quorum: Set(quorum as i32),
            state: Set(OPEN.to_string()),
            opened_by: Set(by.to_string()),
            opened_at: Set(at),
            closed_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(conflict_on_unique(
            "another round was opened concurrently; retry",
        ))?;
        audit::append(
            &txn,
            audit::Entry {
                actor: by,
                action: "review.round_opened",
                subject: &row.round_id,
                details: serde_json::json!({
                    "cycle_year": candidate.cycle_year,
                    "number": number,
                    "candidate_id": candidate.candidate_id,
                    "candidate_hash": candidate.content_hash,
                    "frozen_hash": frozen_hash,
                    "figures": figures.len(),
                    "quorum": quorum,
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        tracing::info!(
            cycle_year = candidate.cycle_year,
            number,
            quorum,
            "review round opened"
        );
        Ok(round_to_proto(&row, &[]))
    }

    /// Every round of the cycle, oldest first, with its votes.
    pub async fn list(&self, cycle_year: i32) -> Result<Vec<pb::ReviewRound>> {
        let mut rounds = Vec::new();
        for row in self.rounds_of_cycle(cycle_year).await? {
            let votes = votes_of(&self.db, &row.round_id).await?;
            rounds.push(round_to_proto(&row, &votes));
        }
        Ok(rounds)
    }

    pub async fn get(&self, round_id: &str) -> Result<pb::ReviewRound> {
        let row = review_round::Entity::find_by_id(round_id.to_string())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::NotFound(format!("review round {round_id}")))?;
        let votes = votes_of(&self.db, round_id).await?;
        Ok(round_to_proto(&row, &votes))
    }

    /// Records an expert's vote and moves the round to passed or rejected when the vote decides it.
    pub async fn vote(
        &self,
        round_id: &str,
        candidate_hash: &str,
        figure_id: &str,
        verdict: Option<Verdict>,
        reason: &str,
        expert: &str,
    ) -> Result<pb::ReviewRound> {
        let mut v = Vec::new();
        if candidate_hash.is_empty() {
            v.push(FieldViolation::new(
                "candidate_hash",
                "give the hash of the candidate you reviewed",
            ));
        }
        let reason = reason.trim();
        match verdict {
            None => v.push(FieldViolation::new(
                "verdict",
                "must be approve, approve_with_comments or reject",
            )),
            Some(Verdict::Reject | Verdict::ApproveWithComments) if reason.is_empty() => v.push(
                FieldViolation::new("reason", "a rejection or a comment needs a reason"),
            ),
            _ => {}
        }
        if reason.chars().count() > MAX_TEXT_CHARS {
            v.push(FieldViolation::new(
                "reason",
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        let round = review_round::Entity::find_by_id(round_id.to_string())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::NotFound(format!("review round {round_id}")))?;
        if !figure_id.is_empty() {
            let figures: Vec<(String, String)> =
                serde_json::from_str(&round.figures_json).unwrap_or_default();
            if !figures.iter().any(|(key, _)| key == figure_id) {
                v.push(FieldViolation::new(
                    "figure_id",
                    format!("{figure_id} is not a figure of the frozen candidate"),
                ));
            }
        }
        let verdict = match (verdict, v.is_empty()) {
            (Some(verdict), true) => verdict,
            _ => return Err(Error::InvalidArgument(v)),
        };
        if round.state != OPEN {
            return Err(Error::FailedPrecondition(format!(
                "round {} is {}; votes go to the cycle's open round",
                round.number, round.state
            )));
        }
        if candidate_hash != round.candidate_hash {
            return Err(Error::FailedPrecondition(format!(
                "stale candidate: you reviewed {candidate_hash}, round {} froze {}",
                round.number, round.candidate_hash
            )));
        }
        let latest = self.candidates.latest(round.cycle_year).await?;
        if latest.content_hash != round.candidate_hash {
            return Err(Error::FailedPrecondition(format!(
                "stale candidate: the cycle's inputs changed since round {} froze it (latest candidate #{}); the organiser opens a round on the new candidate",
                round.number, latest.sequence
            )));
        }
        let at = now();
        let txn = self.db.begin().await.map_err(db_error)?;
        // Touch the round first: the row lock serialises concurrent votes on one round (so the
        // vote that completes the quorum sees every earlier one), and the state filter re-checks
        // inside the transaction that the round is still open.
        let touched = review_round::Entity::update_many()
            .col_expr(
                review_round::Column::State,
                Expr::col(review_round::Column::State),
            )
            .filter(review_round::Column::RoundId.eq(round.round_id.clone()))
            .filter(review_round::Column::State.eq(OPEN))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if touched.rows_affected == 0 {
            return Err(Error::FailedPrecondition(format!(
                "round {} was closed meanwhile",
                round.number
            )));
        }
        review_vote::ActiveModel {
            vote_id: Set(uuid::Uuid::now_v7().to_string()),
            round_id: Set(round.round_id.clone()),
            expert: Set(expert.to_string()),
            figure_key: Set(figure_id.to_string()),
            verdict: Set(verdict.code().to_string()),
            reason: Set(reason.to_string()),
            cast_at: Set(at.clone()),
        }
        .insert(&txn)
        .await
        .map_err(conflict_on_unique(format!(
            "{expert} already voted on {} in round {}",
            if figure_id.is_empty() {
                "the candidate"
            } else {
                figure_id
            },
            round.number
        )))?;
        let votes = votes_of(&txn, &round.round_id).await?;
        let new_state = if verdict == Verdict::Reject {
            Some(REJECTED)
        } else if approvals(&votes) >= round.quorum as usize {
            Some(PASSED)
        } else {
            None
        };
        let mut row = round.clone();
        if let Some(state) = new_state {
            row = review_round::ActiveModel {
                round_id: Set(round.round_id.clone()),
                state: Set(state.to_string()),
                closed_at: Set(Some(at.clone())),
                ..Default::default()
            }
            .update(&txn)
            .await
            .map_err(db_error)?;
        }
        audit::append(
            &txn,
            audit::Entry {
                actor: expert,
                action: "review.vote",
                subject: &round.round_id,
                details: serde_json::json!({
                    "round": round.number,
                    "candidate_hash": candidate_hash,
                    "figure": figure_id,
                    "verdict": verdict.code(),
                    "reason": reason,
                    "round_state": row.state,
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        tracing::info!(round = round.number, verdict = verdict.code(), state = %row.state, "vote recorded");
        Ok(round_to_proto(&row, &votes))
    }

    /// Whether stage 3 passed on `candidate`: the cycle's latest round is on its hash and passed.
    /// Returns the reasons it has not, and every round of the cycle (for the release's lineage).
    pub async fn stage_outcome(
        &self,
        candidate: &pb::Candidate,
    ) -> Result<(pb::StageOutcome, Vec<pb::ReviewRound>)> {
        let rows = self.rounds_of_cycle(candidate.cycle_year).await?;
        let mut reasons = Vec::new();
        match rows.last() {
            None => reasons.push("no review round has been opened".to_string()),
            Some(last) if last.candidate_hash != candidate.content_hash => reasons.push(format!(
                "the latest review round ({}) is on another candidate",
                last.number
            )),
            Some(last) => match last.state.as_str() {
                PASSED => {}
                OPEN => {
                    let votes = votes_of(&self.db, &last.round_id).await?;
                    reasons.push(format!(
                        "review round {} is open: {} of {} approvals",
                        last.number,
                        approvals(&votes),
                        last.quorum
                    ));
                }
                state => reasons.push(format!(
                    "review round {} is {state}; revise and open the next round",
                    last.number
                )),
            },
        }
        let mut rounds = Vec::new();
        for row in &rows {
            let votes = votes_of(&self.db, &row.round_id).await?;
            rounds.push(round_to_proto(row, &votes));
        }
        Ok((
            pb::StageOutcome {
                stage: pb::ValidationStage::Review as i32,
                passed: reasons.is_empty(),
                reasons,
            },
            rounds,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_hash_covers_its_lineage_and_not_its_map_order() {
        let mut f = pb::Figure {
            id: "C04".into(),
            value: 0.3,
            lineage: Some(pb::Lineage {
                method: "ratio".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        f.dimensions.insert("province".into(), "11".into());
        f.dimensions.insert("type".into(), "intelligent".into());
        assert_eq!(figure_key(&f), "C04{province=11,type=intelligent}");
        let before = figure_hash(&f);
        let mut g = f.clone();
        g.lineage.as_mut().unwrap().method = "ratio (imputed)".into();
        assert_ne!(
            before,
            figure_hash(&g),
            "lineage is part of the frozen figure"
        );
    }
}
