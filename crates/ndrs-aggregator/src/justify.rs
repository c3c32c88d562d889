//! Written justifications of findings that do not block by themselves: a warning rule that did
//! not pass (stage 1) and a benchmark deviation outside its band (stage 2).
//!
//! A justification belongs to one candidate (id and content hash): a new candidate is new content
//! and its findings are judged afresh. Justifications are appended, never edited, and each is
//! audited in the same transaction.

use std::collections::BTreeSet;

use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use crate::audit;
use crate::store::justification;

/// Longest justification text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// The stages whose findings can be justified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JustifiedStage {
    Rules,
    Benchmarks,
}

impl JustifiedStage {
    pub fn code(self) -> &'static str {
        match self {
            JustifiedStage::Rules => "rules",
            JustifiedStage::Benchmarks => "benchmarks",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [JustifiedStage::Rules, JustifiedStage::Benchmarks]
            .into_iter()
            .find(|s| s.code() == code)
    }

    fn to_proto(self) -> pb::ValidationStage {
        match self {
            JustifiedStage::Rules => pb::ValidationStage::Rules,
            JustifiedStage::Benchmarks => pb::ValidationStage::Benchmarks,
        }
    }

    /// The stage of a request; review is settled by votes, not justifications.
    pub fn from_proto(field: &str, value: i32) -> Result<Self> {
        match pb::ValidationStage::try_from(value) {
            Ok(pb::ValidationStage::Rules) => Ok(JustifiedStage::Rules),
            Ok(pb::ValidationStage::Benchmarks) => Ok(JustifiedStage::Benchmarks),
            Ok(pb::ValidationStage::Review) => Err(Error::invalid(
                field,
                "expert review is settled by votes, not justifications",
            )),
            _ => Err(Error::invalid(field, "must be rules or benchmarks")),
        }
    }
}

/// A justification text, trimmed; empty or oversize text is a field violation on `field`.
pub fn check_text(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "a written justification is required"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(text.to_string())
}

#[derive(Clone)]
pub struct Justifications {
    db: DatabaseConnection,
}

impl Justifications {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The subjects justified on this candidate in `stage`.
    pub async fn justified(
        &self,
        candidate: &pb::Candidate,
        stage: JustifiedStage,
    ) -> Result<BTreeSet<String>> {
        let rows = justification::Entity::find()
            .filter(justification::Column::CandidateId.eq(candidate.candidate_id.clone()))
            .filter(justification::Column::CandidateHash.eq(candidate.content_hash.clone()))
            .filter(justification::Column::Stage.eq(stage.code()))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| r.subject).collect())
    }

    /// Every justification written on the candidate `candidate_id` (on any of its hashes' stages),
    /// oldest first.
    pub async fn list(&self, candidate_id: &str) -> Result<Vec<pb::Justification>> {
        let rows = justification::Entity::find()
            .filter(justification::Column::CandidateId.eq(candidate_id.to_string()))
            .order_by_asc(justification::Column::JustifiedAt)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| pb::Justification {
                candidate_id: r.candidate_id,
                candidate_hash: r.candidate_hash,
                stage: JustifiedStage::from_code(&r.stage).map_or(0, |s| s.to_proto() as i32),
                subject: r.subject,
                text: r.text,
                justified_by: r.justified_by,
                justified_at: ndrs_platform::timestamp::from_text(&r.justified_at),
            })
            .collect())
    }

    /// Stores a justification (already checked by the caller against the stage's open findings)
    /// with its audit row.
    pub async fn record(
        &self,
        candidate: &pb::Candidate,
        stage: JustifiedStage,
        subject: &str,
        text: &str,
        by: &str,
    ) -> Result<pb::Justification> {
        let at = crate::store::now();
        let txn = self.db.begin().await.map_err(db_error)?;
        justification::ActiveModel {
            justification_id: Set(uuid::Uuid::now_v7().to_string()),
            candidate_id: Set(candidate.candidate_id.clone()),
            candidate_hash: Set(candidate.content_hash.clone()),
            stage: Set(stage.code().to_string()),
            subject: Set(subject.to_string()),
            text: Set(text.to_string()),
            justified_by: Set(by.to_string()),
            justified_at: Set(at.clone()),
        }
        .insert(&txn)
        .await
        .map_err(db_error)?;
        audit::append(
            &txn,
            audit::Entry {
                actor: by,
                action: "justification.recorded",
                subject: &candidate.candidate_id,
                details: serde_json::json!({
                    "candidate_hash": candidate.content_hash,
                    "stage": stage.code(),
                    "subject": subject,
                    "text": text,
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        tracing::info!(candidate = %candidate.candidate_id, stage = stage.code(), subject, "justification recorded");
        Ok(pb::Justification {
            candidate_id: candidate.candidate_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            stage: stage.to_proto() as i32,
            subject: subject.to_string(),
            text: text.to_string(),
            justified_by: by.to_string(),
            justified_at: ndrs_platform::timestamp::from_text(&at),
        })
    }
}
