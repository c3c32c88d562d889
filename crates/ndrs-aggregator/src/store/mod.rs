//! The aggregator's tables: [`entity`] holds one sea-orm entity per table, [`migration`] the
//! schema history that creates them.
//!
//! A candidate row is written once and never updated: it is the frozen set of stage results that
//! validation, review and publication refer to by its content hash. Rule sets, benchmarks,
//! justifications, votes, releases and audit rows are append-only too; only a review round's
//! state moves, once, from open to its outcome. Races between writers (two replicas, two
//! organisers) are decided by unique keys, never by a read before the write, so the helpers here
//! turn a unique-key violation into the domain's answer.

pub mod entity;
pub mod migration;

pub use entity::{
    audit_log, benchmark, benchmark_registry, benchmark_report, candidate, justification, release,
    review_round, review_vote, rule_set, validation_report,
};

use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

/// Whether a write failed on a unique key, from the database's error kind (SQLite and
/// PostgreSQL alike), not from its message text.
pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// The error of a write that a unique key guards: a violation means another writer took the key
/// first, a conflict the caller may retry (`message` says which); anything else is the database's.
pub(crate) fn conflict_on_unique(message: impl Into<String>) -> impl FnOnce(DbErr) -> Error {
    move |e| {
        if is_unique_violation(&e) {
            Error::Conflict(message.into())
        } else {
            db_error(e)
        }
    }
}

/// Inserts `row` unless a row with the same unique key exists: `Ok(false)` when one does. For
/// deterministic results (a report of the same inputs) whose second copy can only repeat the
/// first, so the caller answers with the stored one.
pub(crate) async fn insert_unless_present<A, C>(conn: &C, row: A) -> Result<bool>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as sea_orm::EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    match row.insert(conn).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(db_error(e)),
    }
}

/// Now, as every timestamp column stores it (RFC 3339, microseconds, UTC).
pub(crate) fn now() -> String {
    ndrs_platform::timestamp::now_text()
}

/// A table of protobuf-encoded reports on candidates (stage 1 and stage 2 keep one each), so
/// both read their latest report the same way.
pub(crate) trait ReportTable: EntityTrait {
    /// What the report is called in messages, e.g. `validation report`.
    const NAME: &'static str;
    const CANDIDATE_ID: Self::Column;
    const CREATED_AT: Self::Column;
    /// The encoded report.
    const REPORT: Self::Column;
}

/// Implements [`ReportTable`] for report entities, each with its name in messages: their columns
/// are named alike, so the impls would be the same but for the name.
macro_rules! report_tables {
    ($($entity:ident => $name:literal),+ $(,)?) => {
        $(impl ReportTable for entity::$entity::Entity {
            const NAME: &'static str = $name;
            const CANDIDATE_ID: entity::$entity::Column = entity::$entity::Column::CandidateId;
            const CREATED_AT: entity::$entity::Column = entity::$entity::Column::CreatedAt;
            const REPORT: entity::$entity::Column = entity::$entity::Column::Report;
        })+
    };
}

report_tables! {
    validation_report => "validation report",
    benchmark_report => "benchmark report",
}

/// The latest report on `candidate_id` in table `T`, decoded.
pub(crate) async fn latest_report<T: ReportTable, R: prost::Message + Default>(
    conn: &impl ConnectionTrait,
    candidate_id: &str,
) -> Result<R> {
    let bytes: Vec<u8> = T::find()
        .select_only()
        .column(T::REPORT)
        .filter(T::CANDIDATE_ID.eq(candidate_id))
        .order_by_desc(T::CREATED_AT)
        .into_tuple()
        .one(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::NotFound(format!("no {} for candidate {candidate_id}", T::NAME)))?;
    R::decode(bytes.as_slice())
        .map_err(|e| Error::Internal(format!("stored {} unreadable: {e}", T::NAME)))
}
