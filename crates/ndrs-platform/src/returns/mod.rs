//! The append-only return store every stage service keeps, with its transactional outbox.
//!
//! This is where the invariant "nothing acknowledged is lost" lives: a submission is inserted as
//! a new version row and its "cycle inputs changed" event is inserted into the outbox in the same
//! transaction, and only after the commit does the caller get a receipt. Idempotency keys are
//! stored with the return they guard, so a retried call finds the first answer in the same table.

pub mod entity;
pub mod migration;
pub mod relay;

use std::sync::Arc;

use ndrs_core::{Error, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::db::db_error;
use entity::{outbox_event, submitted_return};

mod activity;
pub use activity::UnitActivity;

/// Topic on which stage services announce that a cycle's inputs changed.
pub const INPUTS_CHANGED_TOPIC: &str = "ndrs.cycle-inputs-changed";

pub use crate::findings::{EditFinding, FindingSeverity};

/// Who sent a return and where it belongs, as validated from the request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnHeader {
    pub cycle_year: i32,
    pub reporting_unit_id: String,
    pub idempotency_key: String,
    /// Set when the submission corrects an existing return.
    pub corrects: Option<String>,
}

/// A validated return ready to be stored.
#[derive(Debug, Clone)]
pub struct NewReturn {
    pub kind: &'static str,
    pub header: ReturnHeader,
    pub payload: serde_json::Value,
    pub findings: Vec<EditFinding>,
    /// Name of the principal that submitted it.
    pub submitted_by: String,
}

/// Proof of a committed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReceipt {
    pub return_id: String,
    pub version: u32,
    pub kind: String,
    pub content_hash: String,
    pub received_at: String,
    pub findings: Vec<EditFinding>,
    pub replayed: bool,
}

/// Body of an `INPUTS_CHANGED_TOPIC` event. Consumers must treat it as a hint to recompute, not
/// as data: delivery is at-least-once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputsChanged {
    pub stage: String,
    pub cycle_year: i32,
    pub return_id: String,
    pub version: u32,
    pub content_hash: String,
    /// W3C `traceparent` of the submission, so the re-validation joins the submitter's trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// A stored version as read back.
pub type StoredReturn = submitted_return::Model;

#[derive(Clone)]
pub struct ReturnStore {
    db: DatabaseConnection,
    stage: &'static str,
    relay_wakeup: Arc<Notify>,
}

/// The last version of each return, from rows ordered by return id, then version.
fn last_versions(rows: Vec<StoredReturn>) -> Vec<StoredReturn> {
    let mut latest: Vec<StoredReturn> = Vec::new();
    for row in rows {
        match latest.last_mut() {
            Some(last) if last.return_id == row.return_id => *last = row,
            _ => latest.push(row),
        }
    }
    latest
}

fn now_rfc3339() -> String {
    crate::timestamp::now_text()
}

/// SHA-256 over what makes two submissions "the same": kind, cycle, unit, the return corrected
/// and the payload. The idempotency key itself is not part of it.
fn content_hash(kind: &str, header: &ReturnHeader, payload: &serde_json::Value) -> String {
    let canonical = serde_json::json!({
        "kind": kind,
        "cycle_year": header.cycle_year,
        "reporting_unit_id": header.reporting_unit_id,
        "corrects": header.corrects,
        "payload": payload,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

impl ReturnStore {
    pub fn new(db: DatabaseConnection, stage: &'static str) -> Self {
        Self {
            db,
            stage,
            relay_wakeup: Arc::new(Notify::new()),
        }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Notified after every commit so the relay publishes without waiting for its next poll.
    pub fn relay_wakeup(&self) -> Arc<Notify> {
        self.relay_wakeup.clone()
    }

    /// Writes an inputs-changed event to the outbox within the caller's transaction, so that it is
    /// published if and only if what it announces is committed. Returns use it, and so does every
    /// cycle document that changes a stage's figures (designs, registers, taxonomies).
    pub async fn announce_in<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        event: &InputsChanged,
        created_at: &str,
    ) -> Result<()> {
        outbox_event::ActiveModel {
            topic: Set(INPUTS_CHANGED_TOPIC.to_string()),
            payload_json: Set(
                serde_json::to_string(event).map_err(|e| Error::Internal(e.to_string()))?
            ),
            created_at: Set(created_at.to_string()),
            published_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// The stage whose returns this store holds (the `stage` of its events).
    pub fn stage(&self) -> &'static str {
        self.stage
    }

    /// Tells the relay to publish now rather than at its next poll (after a commit).
    pub fn wake_relay(&self) {
        self.relay_wakeup.notify_one();
    }

    /// Stores a return (or a correction) and its outbox event in one transaction.
    pub async fn submit(&self, new: NewReturn) -> Result<StoredReceipt> {
        let hash = content_hash(new.kind, &new.header, &new.payload);
        if let Some(existing) = self.find_by_idempotency_key(&new.header).await? {
            return replay(existing, &hash);
        }
        match self.insert_version(&new, &hash).await {
            Ok(receipt) => {
                self.relay_wakeup.notify_one();
                Ok(receipt)
            }
            Err(e) => {
                // A concurrent retry with the same key may have committed first; answer it the
                // same way a sequential retry would be answered.
                if let Some(existing) = self.find_by_idempotency_key(&new.header).await? {
                    return replay(existing, &hash);
                }
                Err(e)
            }
        }
    }

    async fn find_by_idempotency_key(&self, header: &ReturnHeader) -> Result<Option<StoredReturn>> {
        submitted_return::Entity::find()
            .filter(submitted_return::Column::ReportingUnitId.eq(header.reporting_unit_id.clone()))
            .filter(submitted_return::Column::IdempotencyKey.eq(header.idempotency_key.clone()))
            .one(&self.db)
            .await
            .map_err(db_error)
    }

    async fn insert_version(&self, new: &NewReturn, hash: &str) -> Result<StoredReceipt> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let (return_id, version) = match &new.header.corrects {
            None => (uuid::Uuid::now_v7().to_string(), 1),
            Some(return_id) => {
                let latest = submitted_return::Entity::find()
                    .filter(submitted_return::Column::ReturnId.eq(return_id.clone()))
                    .order_by_desc(submitted_return::Column::Version)
                    .one(&txn)
                    .await
                    .map_err(db_error)?
                    .ok_or_else(|| {
                        Error::invalid("header.return_id", "no such return to correct")
                    })?;
                if latest.reporting_unit_id != new.header.reporting_unit_id {
                    return Err(Error::PermissionDenied(
                        "a return can only be corrected by the unit that submitted it".into(),
                    ));
                }
                let mut v = ndrs_core::Violations::new();
                v.check(
                    latest.return_kind == new.kind,
                    "header.return_id",
                    format!("return is a {}, not a {}", latest.return_kind, new.kind),
                );
                v.check(
                    latest.cycle_year == new.header.cycle_year,
                    "header.cycle_year",
                    format!("return belongs to cycle {}", latest.cycle_year),
                );
                v.finish(())?;
                (return_id.clone(), latest.version + 1)
            }
        };
        let received_at = now_rfc3339();
        let findings_json =
            serde_json::to_string(&new.findings).map_err(|e| Error::Internal(e.to_string()))?;
        submitted_return::ActiveModel {
            return_id: Set(return_id.clone()),
            version: Set(version),
            return_kind: Set(new.kind.to_string()),
            cycle_year: Set(new.header.cycle_year),
            reporting_unit_id: Set(new.header.reporting_unit_id.clone()),
            idempotency_key: Set(new.header.idempotency_key.clone()),
            content_hash: Set(hash.to_string()),
            payload_json: Set(new.payload.to_string()),
            findings_json: Set(findings_json),
            submitted_by: Set(new.submitted_by.clone()),
            received_at: Set(received_at.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| conflict_or_db(e, "concurrent correction of the same return; retry"))?;
        let event = InputsChanged {
            stage: self.stage.to_string(),
            cycle_year: new.header.cycle_year,
            return_id: return_id.clone(),
            version: version as u32,
            content_hash: hash.to_string(),
            traceparent: crate::telemetry::current_traceparent(),
        };
        self.announce_in(&txn, &event, &received_at).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(StoredReceipt {
            return_id,
            version: version as u32,
            kind: new.kind.to_string(),
            content_hash: hash.to_string(),
            received_at,
            findings: new.findings.clone(),
            replayed: false,
        })
    }

    /// Every version of one return, oldest first.
    pub async fn history(&self, return_id: &str) -> Result<Vec<StoredReturn>> {
        submitted_return::Entity::find()
            .filter(submitted_return::Column::ReturnId.eq(return_id))
            .order_by_asc(submitted_return::Column::Version)
            .all(&self.db)
            .await
            .map_err(db_error)
    }

    /// The latest version of every return of a cycle, optionally only one unit's, ordered by
    /// return id so that results computed from them are deterministic.
    /// One page of [`ReturnStore::latest`]: the latest versions of at most `limit` returns whose
    /// ids sort after `after`, and whether more follow. Two queries, both bounded by the page:
    /// the page's return ids, then their versions.
    pub async fn latest_page(
        &self,
        cycle_year: i32,
        reporting_unit_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<StoredReturn>, bool)> {
        let mut ids = submitted_return::Entity::find()
            .select_only()
            .column(submitted_return::Column::ReturnId)
            .distinct()
            .filter(submitted_return::Column::CycleYear.eq(cycle_year));
        if let Some(unit) = reporting_unit_id {
            ids = ids.filter(submitted_return::Column::ReportingUnitId.eq(unit));
        }
        if let Some(after) = after {
            ids = ids.filter(submitted_return::Column::ReturnId.gt(after));
        }
        let mut ids: Vec<String> = ids
            .order_by_asc(submitted_return::Column::ReturnId)
            .limit(limit + 1)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let more = ids.len() as u64 > limit;
        ids.truncate(limit as usize);
        if ids.is_empty() {
            return Ok((Vec::new(), false));
        }
        let rows = submitted_return::Entity::find()
            .filter(submitted_return::Column::ReturnId.is_in(ids))
            .order_by_asc(submitted_return::Column::ReturnId)
            .order_by_asc(submitted_return::Column::Version)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok((last_versions(rows), more))
    }

    pub async fn latest(
        &self,
        cycle_year: i32,
        reporting_unit_id: Option<&str>,
    ) -> Result<Vec<StoredReturn>> {
        let mut query = submitted_return::Entity::find()
            .filter(submitted_return::Column::CycleYear.eq(cycle_year));
        if let Some(unit) = reporting_unit_id {
            query = query.filter(submitted_return::Column::ReportingUnitId.eq(unit));
        }
        let rows = query
            .order_by_asc(submitted_return::Column::ReturnId)
            .order_by_asc(submitted_return::Column::Version)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(last_versions(rows))
    }

    /// Number of stored versions (all returns, all cycles); used by tests to prove that refused
    /// or replayed submissions stored nothing.
    pub async fn version_count(&self) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        submitted_return::Entity::find()
            .count(&self.db)
            .await
            .map_err(db_error)
    }
}

fn replay(existing: StoredReturn, hash: &str) -> Result<StoredReceipt> {
    if existing.content_hash != hash {
        return Err(Error::Conflict(format!(
            "idempotency key {} was already used for a different submission",
            existing.idempotency_key
        )));
    }
    let findings = serde_json::from_str(&existing.findings_json)
        .map_err(|e| Error::Internal(format!("stored findings unreadable: {e}")))?;
    Ok(StoredReceipt {
        return_id: existing.return_id,
        version: existing.version as u32,
        kind: existing.return_kind,
        content_hash: existing.content_hash,
        received_at: existing.received_at,
        findings,
        replayed: true,
    })
}

fn conflict_or_db(e: sea_orm::DbErr, conflict_message: &str) -> Error {
    if matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) {
        Error::Conflict(conflict_message.to_string())
    } else {
        db_error(e)
    }
}
