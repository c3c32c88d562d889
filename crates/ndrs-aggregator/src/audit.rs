//! The hash-chained audit log.
//!
//! Every state change of the validation and publication process (a rule set loaded, a benchmark
//! added, a justification, a review round opened, a vote, a release) appends one row in the same
//! database transaction as the change itself, so a change without its audit row (or the reverse)
//! cannot be committed. Each row's hash is SHA-256 over the previous row's hash followed by the
//! row's canonical form; [`verify_chain`] recomputes the chain, so editing, deleting or reordering
//! any row is detected from that row on. The chain proves integrity relative to its head: whoever
//! can rewrite the whole table can recompute every hash, which is why `ndrs audit verify` prints
//! the head hash for the working group to record outside the system.

use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::audit_log;

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A state change to record.
pub struct Entry<'a> {
    pub actor: &'a str,
    /// What happened, e.g. `rule_set.loaded`, `review.vote`, `release.published`.
    pub action: &'a str,
    /// What it happened to, e.g. a candidate id or `cycle 2023 v2`.
    pub subject: &'a str,
    pub details: serde_json::Value,
}

/// The canonical form that is hashed: a JSON object with the fields in this order and `details`
/// as the exact stored text, so the verifier needs no JSON normalisation.
#[derive(Serialize)]
struct CanonicalRow<'a> {
    seq: u64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    details: &'a str,
}

/// The hash of a row given the previous row's hash.
pub fn row_hash(
    prev_hash: &str,
    seq: u64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    details: &str,
) -> String {
    let canonical = serde_json::to_string(&CanonicalRow {
        seq,
        at,
        actor,
        action,
        subject,
        details,
    })
    // Serialising a struct of strings and an integer cannot fail; an empty fallback would only
    // make the row unverifiable, never silently valid.
    .unwrap_or_default();
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// Appends `entry` after the current last row, on `conn` (the transaction of the change).
///
/// The sequence number is the primary key: a concurrent append after the same row fails on the
/// key, and the whole change is refused as a conflict to retry, so the chain never forks.
pub async fn append<C: ConnectionTrait>(conn: &C, entry: Entry<'_>) -> Result<pb::AuditEntry> {
    let last = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .one(conn)
        .await
        .map_err(db_error)?;
    let (seq, prev_hash) = match last {
        Some(row) => (row.seq as u64 + 1, row.hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let at = crate::store::now();
    let details =
        serde_json::to_string(&entry.details).map_err(|e| Error::Internal(e.to_string()))?;
    let hash = row_hash(
        &prev_hash,
        seq,
        &at,
        entry.actor,
        entry.action,
        entry.subject,
        &details,
    );
    let row = audit_log::ActiveModel {
        seq: Set(seq as i64),
        at: Set(at),
        actor: Set(entry.actor.to_string()),
        action: Set(entry.action.to_string()),
        subject: Set(entry.subject.to_string()),
        details: Set(details),
        prev_hash: Set(prev_hash),
        hash: Set(hash),
    }
    .insert(conn)
    .await
    .map_err(crate::store::conflict_on_unique(
        "a concurrent change was recorded first; retry",
    ))?;
    Ok(to_proto(row))
}

fn to_proto(row: audit_log::Model) -> pb::AuditEntry {
    pb::AuditEntry {
        seq: row.seq as u64,
        at: row.at,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        details: row.details,
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

/// Reads up to `limit` rows after `after_seq`, in order.
pub async fn list(
    db: &DatabaseConnection,
    after_seq: u64,
    limit: u64,
) -> Result<Vec<pb::AuditEntry>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.gt(i64::try_from(after_seq).unwrap_or(i64::MAX)))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows.into_iter().map(to_proto).collect())
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit row {}: {}", self.seq, self.reason)
    }
}

/// Recomputes the chain from the first row: sequence numbers must run 1, 2, 3 …, each row must
/// name its predecessor's hash, and each stored hash must equal the recomputed one. Returns the
/// head hash (the genesis hash for an empty log).
pub fn verify_chain(entries: &[pb::AuditEntry]) -> std::result::Result<String, ChainBreak> {
    let mut prev = GENESIS_HASH.to_string();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if e.seq != expected_seq {
            return Err(ChainBreak {
                seq: e.seq,
                reason: format!("expected sequence number {expected_seq} (a row is missing)"),
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "does not link to the previous row's hash".into(),
            });
        }
        let recomputed = row_hash(
            &prev, e.seq, &e.at, &e.actor, &e.action, &e.subject, &e.details,
        );
        if recomputed != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "content does not match its hash (the row was edited)".into(),
            });
        }
        prev = recomputed;
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<pb::AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let details = format!("{{\"n\":{seq}}}");
                let hash = row_hash(&prev, seq, "t", "alice", "act", "s", &details);
                let e = pb::AuditEntry {
                    seq,
                    at: "t".into(),
                    actor: "alice".into(),
                    action: "act".into(),
                    subject: "s".into(),
                    details,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_to_its_head() {
        let c = chain(3);
        assert_eq!(verify_chain(&c).unwrap(), c[2].hash);
        assert_eq!(verify_chain(&[]).unwrap(), GENESIS_HASH);
    }

    #[test]
    fn an_edited_row_is_detected_at_that_row() {
        let mut c = chain(3);
        c[1].details = "{\"n\":99}".into();
        assert_eq!(verify_chain(&c).unwrap_err().seq, 2);
    }

    #[test]
    fn a_rehashed_row_breaks_the_next_link() {
        let mut c = chain(3);
        c[1].actor = "mallory".into();
        c[1].hash = row_hash(
            &c[1].prev_hash,
            2,
            "t",
            "mallory",
            "act",
            "s",
            &c[1].details,
        );
        let err = verify_chain(&c).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("link"), "{err}");
    }

    #[test]
    fn a_deleted_row_is_detected() {
        let mut c = chain(3);
        c.remove(1);
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
    }
}
