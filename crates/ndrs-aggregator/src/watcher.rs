//! Automatic re-assembly: consumes "cycle inputs changed" events, re-assembles the affected
//! cycles' candidates and re-runs the automatic validation stages (cross-entity rules, external
//! benchmarks), so validation follows the data without anyone asking.
//!
//! Events are debounced (a burst of submissions triggers one assembly per cycle) and acknowledged
//! only after the assembly succeeded; an unacknowledged Redis entry is redelivered to this
//! consumer on restart. Each assembly joins the trace of the submission that caused it.

use std::collections::BTreeMap;
use std::time::Duration;

use ndrs_platform::bus::{Delivery, EventBus};
use ndrs_platform::returns::{INPUTS_CHANGED_TOPIC, InputsChanged};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::benchmarks::Benchmarks;
use crate::candidate::{Candidates, Trigger};
use crate::validation::Validation;

/// Consumer group of the aggregator on the inputs-changed topic.
pub const CONSUMER_GROUP: &str = "aggregator";

/// Runs until `shutdown` is cancelled.
pub async fn run(
    bus: std::sync::Arc<dyn EventBus>,
    consumer: String,
    candidates: Candidates,
    validation: Validation,
    benchmarks: Benchmarks,
    debounce: Duration,
    shutdown: CancellationToken,
) -> ndrs_core::Result<()> {
    let mut subscription = bus
        .subscribe(INPUTS_CHANGED_TOPIC, CONSUMER_GROUP, &consumer)
        .await?;
    loop {
        let first = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            next = subscription.next() => match next {
                Some(d) => d,
                None => return Ok(()),
            },
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + debounce;
        loop {
            // Shutting down mid-batch leaves the batch unacknowledged: the bus redelivers it to
            // whichever replica runs next, which is what at-least-once delivery is for.
            let next = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                next = tokio::time::timeout_at(deadline, subscription.next()) => next,
            };
            match next {
                Ok(Some(d)) => batch.push(d),
                _ => break,
            }
        }
        let mut by_cycle: BTreeMap<i32, (Vec<Delivery>, Option<String>)> = BTreeMap::new();
        for delivery in batch {
            match serde_json::from_str::<InputsChanged>(&delivery.payload) {
                Ok(event) => {
                    let entry = by_cycle.entry(event.cycle_year).or_default();
                    entry.0.push(delivery);
                    if entry.1.is_none() {
                        entry.1 = event.traceparent;
                    }
                }
                Err(e) => {
                    // A malformed event can never succeed; acknowledge it so it is not redelivered.
                    tracing::warn!(error = %e, id = %delivery.id, "ignoring malformed inputs-changed event");
                    delivery.ack();
                }
            }
        }
        for (cycle_year, (deliveries, traceparent)) in by_cycle {
            let span = tracing::info_span!(
                "aggregator.revalidate",
                cycle_year,
                events = deliveries.len()
            );
            if let Some(tp) = &traceparent {
                ndrs_platform::telemetry::set_parent_from_traceparent(&span, tp);
            }
            // The stage services stop with this one; an assembly racing them would only fail.
            // Abandoning it is safe: a candidate is stored in one insert, a missing report is
            // produced by the next re-validation, and the events stay unacknowledged.
            let outcome = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                outcome = revalidate(&candidates, &validation, &benchmarks, cycle_year)
                    .instrument(span) => outcome,
            };
            match outcome {
                Ok(_) => deliveries.into_iter().for_each(Delivery::ack),
                Err(e) => {
                    tracing::warn!(cycle_year, error = %e, "automatic re-assembly failed; will retry on the next change")
                }
            }
        }
    }
}

/// Re-assembles a cycle's candidate and re-runs the automatic stages on it: stage 1 when the cycle
/// has a rule set, and stage 2 (external benchmarks), each skipped when the candidate already has a
/// report. Stage 3 needs people: the organiser opens a review round.
async fn revalidate(
    candidates: &Candidates,
    validation: &Validation,
    benchmarks: &Benchmarks,
    cycle_year: i32,
) -> ndrs_core::Result<()> {
    let candidate = candidates
        .assemble(
            cycle_year,
            Trigger::InputsChanged,
            "aggregator (inputs changed)",
        )
        .await?;
    match benchmarks.latest_report(&candidate.candidate_id).await {
        Ok(_) => {}
        Err(ndrs_core::Error::NotFound(_)) => {
            benchmarks.check(&candidate).await?;
        }
        Err(e) => return Err(e),
    }
    if !validation.has_rule_set(cycle_year).await? {
        return Ok(());
    }
    match validation.latest_report(&candidate.candidate_id).await {
        Ok(_) => Ok(()),
        Err(ndrs_core::Error::NotFound(_)) => validation.validate(&candidate).await.map(|_| ()),
        Err(e) => Err(e),
    }
}
