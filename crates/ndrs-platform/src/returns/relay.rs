//! The outbox relay: publishes committed outbox rows to the event bus and stamps them published.
//!
//! It wakes on every commit (via `Notify`) and also polls, so events committed by another replica
//! or left over from a crash are still published. Publishing before stamping means an event may be
//! published twice after a crash, never zero times; consumers are idempotent.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
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
    let mut published = 0;
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
        bus.publish(&event.topic, &event.payload_json)
            .instrument(span)
            .await?;
        let mut row: outbox_event::ActiveModel = event.into();
        row.published_at = Set(Some(crate::timestamp::now_text()));
        row.update(db).await.map_err(crate::db::db_error)?;
        published += 1;
    }
    Ok(published)
}

/// Runs the relay until `shutdown` resolves.
pub async fn run_relay(
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    wakeup: Arc<Notify>,
    poll_interval: Duration,
    batch_size: u64,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match publish_pending(&db, bus.as_ref(), batch_size).await {
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
