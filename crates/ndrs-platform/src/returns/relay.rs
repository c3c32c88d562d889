//! The outbox relay: publishes committed outbox rows to the event bus and stamps them published.
//!
//! It wakes on every commit (via `Notify`) and also polls, so events committed by another replica
//! or left over from a crash are still published. Publishing before stamping means an event may be
//! published twice after a crash, never zero times; consumers are idempotent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Notify;
use tracing::Instrument;

use super::entity::outbox_event;
use crate::bus::EventBus;

/// Publishes one batch; returns how many events went out.
pub async fn publish_pending(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    batch_size: u64,
) -> Result<usize, ndrs_core::Error> {
    let pending = outbox_event::Entity::find()
        .filter(outbox_event::Column::PublishedAt.is_null())
        .order_by_asc(outbox_event::Column::Id)
        .limit(batch_size)
        .all(db)
        .await
        .map_err(crate::db::db_error)?;
    let mut published = Vec::with_capacity(pending.len());
    let mut failure = None;
    for event in pending {
        // The publish joins the trace of the submission that wrote the event.
        let span =
            tracing::info_span!("outbox.publish", topic = %event.topic, outbox_id = event.id);
        if let Some(tp) = serde_json::from_str::<serde_json::Value>(&event.payload_json)
            .ok()
            .and_then(|v| {
                v.get("traceparent")
                    .and_then(|t| t.as_str())
                    .map(str::to_string)
            })
        {
            crate::telemetry::set_parent_from_traceparent(&span, &tp);
        }
        match bus
            .publish(&event.topic, &event.payload_json)
            .instrument(span)
            .await
        {
            Ok(()) => published.push(event.id),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    // One statement marks the batch published (one commit, not one per event, which competes
    // with the submissions for the database). A crash before it only republishes the batch,
    // which at-least-once consumers tolerate; what was published before a failure is marked.
    if !published.is_empty() {
        outbox_event::Entity::update_many()
            .col_expr(
                outbox_event::Column::PublishedAt,
                Expr::value(crate::timestamp::now_text()),
            )
            .filter(outbox_event::Column::Id.is_in(published.clone()))
            .exec(db)
            .await
            .map_err(crate::db::db_error)?;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(published.len()),
    }
}

/// How often the relay measures its backlog for the metrics.
const BACKLOG_EVERY: Duration = Duration::from_secs(1);

/// Runs the relay until `shutdown` resolves.
pub async fn run_relay(
    stage: &'static str,
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    wakeup: Arc<Notify>,
    poll_interval: Duration,
    batch_size: u64,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut measured = None;
    loop {
        let outcome = publish_pending(&db, bus.as_ref(), batch_size).await;
        // At most once a second: during a burst the relay wakes on every commit, and the two
        // queries must not compete with the submissions for the (SQLite: single) connection.
        if measured.is_none_or(|at: Instant| at.elapsed() >= BACKLOG_EVERY) {
            measured = Some(Instant::now());
            if let Err(e) = record_backlog(stage, &db).await {
                tracing::debug!(error = %e, "outbox backlog not measured");
            }
            // The relay is the one loop every stage service runs, so it also samples the pool.
            crate::db::sample_pool(stage, &db).await;
        }
        match outcome {
            // A full batch may mean more is waiting: go again at once.
            Ok(n) if n as u64 == batch_size => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox relay could not publish; will retry"),
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = wakeup.notified() => {}
            _ = tokio::time::sleep(poll_interval) => {}
        }
    }
}

/// Records how many events wait to be published and how old the oldest is: a growing backlog is
/// the first sign that the bus is unreachable, before any re-validation is late.
async fn record_backlog(
    stage: &'static str,
    db: &DatabaseConnection,
) -> Result<(), ndrs_core::Error> {
    use sea_orm::PaginatorTrait;
    let unpublished =
        || outbox_event::Entity::find().filter(outbox_event::Column::PublishedAt.is_null());
    let backlog = unpublished().count(db).await.map_err(crate::db::db_error)?;
    let oldest = unpublished()
        .order_by_asc(outbox_event::Column::Id)
        .one(db)
        .await
        .map_err(crate::db::db_error)?;
    let lag = oldest
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(&e.created_at).ok())
        .map_or(0.0, |created| {
            (chrono::Utc::now() - created.with_timezone(&chrono::Utc))
                .num_milliseconds()
                .max(0) as f64
                / 1000.0
        });
    let attributes = [opentelemetry::KeyValue::new("ndrs.stage", stage)];
    let m = crate::metrics::metrics();
    m.outbox_backlog.record(backlog, &attributes);
    m.outbox_lag.record(lag, &attributes);
    Ok(())
}
