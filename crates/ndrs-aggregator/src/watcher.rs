//! Automatic re-assembly: consumes "cycle inputs changed" events, re-assembles the affected
//! cycles' candidates and re-runs the automatic validation stages (cross-entity rules, external
//! benchmarks), so validation follows the data without anyone asking.
//!
//! It converges by itself after any fault:
//! - Events are debounced: a batch is assembled once no event has come for the debounce time, or
//!   at the latest `aggregator.revalidate_max_delay_ms` after its first event, and a batch costs
//!   one assembly per cycle, not one per event. During a burst of submissions the aggregator so
//!   assembles at most once per maximum delay instead of after every pause, and leaves the CPU
//!   and the stage services' databases to the receipts; a steady stream still cannot starve it.
//!   After an assembly the next waits at least [`BUSY_FACTOR`] times as long as it took (and the
//!   maximum delay grows to that), so however large the round, and however the events bunch up
//!   on their way from the outbox, assembling takes at most a fifth of a long burst.
//! - Events are acknowledged only after their cycle's assembly succeeded. A failed assembly (a
//!   stage service down) keeps its events and is retried with exponential backoff until it
//!   succeeds; the backlog is logged and exported (`ndrs.aggregator.revalidation_backlog`).
//! - Entries a crashed replica held are claimed by the bus (Redis XAUTOCLAIM) and arrive here.
//! - When the bus reports a gap (the stream or group deleted, entries trimmed, an in-process
//!   subscriber that fell behind), events may be lost, so every cycle the system accepts is
//!   re-assembled from the stage services, the source of truth ([`Candidates::resynchronise`]).
//! - Several replicas may handle the same cycle at once: candidates are stored under their
//!   content hash with optimistic sequencing, so they converge on one candidate per content.
//!
//! Each assembly joins the trace of the submission that caused it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Datelike;
use ndrs_platform::bus::{BusEvent, Delivery, EventBus};
use ndrs_platform::returns::{INPUTS_CHANGED_TOPIC, InputsChanged};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::benchmarks::Benchmarks;
use crate::candidate::{Candidates, Trigger};
use crate::validation::Validation;

/// Consumer group of the aggregator on the inputs-changed topic.
pub const CONSUMER_GROUP: &str = "aggregator";
/// While events keep coming, a batch waits at least this many times as long as the last
/// assembly took.
pub const BUSY_FACTOR: u32 = 4;
/// The first pause after a failed assembly; it doubles up to the configured maximum.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// What the watcher needs besides the bus.
pub struct Watcher {
    pub candidates: Candidates,
    pub validation: Validation,
    pub benchmarks: Benchmarks,
    /// Quiet time after the last event before a batch is assembled.
    pub debounce: Duration,
    /// Longest a batch waits after its first event, however busy the stream.
    pub max_delay: Duration,
    pub max_backoff: Duration,
}

/// The most submissions' traces one re-validation span links to; a burst beyond it is still
/// re-validated, its later traces just do not get a link.
const MAX_LINKED_TRACES: usize = 128;

/// Cycles waiting for a successful assembly, with the events to acknowledge after it.
#[derive(Default)]
struct Backlog {
    /// Per cycle, the events waiting and the distinct trace contexts they carry (at most
    /// [`MAX_LINKED_TRACES`]): the re-validation continues the first and links to the others,
    /// so each submission's trace leads to the re-validation it caused.
    cycles: BTreeMap<i32, (Vec<Delivery>, Vec<String>)>,
    /// Every cycle must be re-assembled: events may have been lost.
    resynchronise: bool,
    /// Consecutive failed attempts, for the backoff.
    failures: u32,
    /// When the first and the latest event of the waiting batch came.
    first_event: Option<Instant>,
    last_event: Option<Instant>,
    /// After a failure: not before this (the backoff), however many events come meanwhile.
    retry_at: Option<Instant>,
    /// How long the last assembly of a batch took, and when it ended.
    last_work: Duration,
    last_end: Option<Instant>,
}

impl Backlog {
    fn is_empty(&self) -> bool {
        self.cycles.is_empty() && !self.resynchronise
    }

    fn add(&mut self, event: BusEvent) {
        match event {
            BusEvent::Message(delivery) => {
                match serde_json::from_str::<InputsChanged>(&delivery.payload) {
                    Ok(event) => {
                        let entry = self.cycles.entry(event.cycle_year).or_default();
                        entry.0.push(delivery);
                        if let Some(tp) = event.traceparent
                            && entry.1.len() < MAX_LINKED_TRACES
                            && !entry.1.contains(&tp)
                        {
                            entry.1.push(tp);
                        }
                    }
                    Err(e) => {
                        // A malformed event can never succeed; acknowledge it so it is not
                        // redelivered.
                        tracing::warn!(error = %e, id = %delivery.id, "ignoring malformed inputs-changed event");
                        delivery.ack();
                    }
                }
            }
            BusEvent::Gap { reason } => {
                tracing::warn!(%reason, "events may have been lost; every cycle will be re-assembled");
                self.resynchronise = true;
            }
        }
        let now = Instant::now();
        self.first_event.get_or_insert(now);
        self.last_event = Some(now);
    }

    /// When the waiting batch is to be assembled: `debounce` after its latest event, at the latest
    /// `max_delay` after its first, and never before a failure's backoff has passed.
    fn due(&self, debounce: Duration, max_delay: Duration) -> Option<Instant> {
        if self.is_empty() {
            return None;
        }
        let (first, last) = (self.first_event?, self.last_event?);
        let rest = self.last_work.saturating_mul(BUSY_FACTOR);
        let cap = max_delay.max(rest);
        let due = (last + debounce).min(first + cap);
        // A pause in the events right after an assembly does not start the next one early.
        let due = self.last_end.map_or(due, |end| due.max(end + rest));
        Some(self.retry_at.map_or(due, |retry| due.max(retry)))
    }

    /// Everything waiting was assembled.
    fn succeeded(&mut self) {
        self.failures = 0;
        self.first_event = None;
        self.last_event = None;
        self.retry_at = None;
    }

    fn failed(&mut self, max_backoff: Duration) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let pause = FIRST_RETRY
            .saturating_mul(2u32.saturating_pow(self.failures - 1))
            .min(max_backoff);
        self.retry_at = Some(Instant::now() + pause);
        pause
    }

    fn report(&self) {
        let backlog = self.cycles.len() as u64 + u64::from(self.resynchronise);
        ndrs_platform::metrics::metrics()
            .revalidation_backlog
            .record(backlog, &[]);
    }
}

/// Runs until `shutdown` is cancelled.
pub async fn run(
    bus: std::sync::Arc<dyn EventBus>,
    consumer: String,
    watcher: Watcher,
    shutdown: CancellationToken,
) -> ndrs_core::Result<()> {
    let mut subscription = bus
        .subscribe(INPUTS_CHANGED_TOPIC, CONSUMER_GROUP, &consumer)
        .await?;
    let mut backlog = Backlog::default();
    loop {
        // Wait for the next event, or until the backlog is due, whichever comes first.
        let due = backlog.due(watcher.debounce, watcher.max_delay);
        // The due backlog goes first, so that a steady stream of events cannot starve it.
        let next = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return Ok(()),
            () = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => None,
            next = subscription.next() => Some(next),
        };
        match next {
            Some(Some(event)) => {
                backlog.add(event);
                continue;
            }
            // The bus shut down.
            Some(None) => return Ok(()),
            None => {}
        }
        // Due: resynchronise if asked, then assemble every waiting cycle. Shutting down here
        // leaves events unacknowledged: the bus redelivers them to whichever replica runs next.
        let started = Instant::now();
        let all_ok = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return Ok(()),
            ok = watcher.work_off(&mut backlog) => ok,
        };
        backlog.last_work = started.elapsed();
        backlog.last_end = Some(Instant::now());
        if all_ok {
            backlog.succeeded();
        } else {
            let pause = backlog.failed(watcher.max_backoff);
            tracing::warn!(
                cycles = backlog.cycles.len(),
                resynchronise = backlog.resynchronise,
                retry_in_ms = pause.as_millis() as u64,
                "automatic re-assembly failed; retrying"
            );
        }
        backlog.report();
    }
}

impl Watcher {
    /// Assembles what the backlog holds; `true` when nothing is left. A resynchronisation covers
    /// every cycle the system accepts; a cycle with pending events is assembled once either way,
    /// in a span that joins the trace of the submission behind its events.
    async fn work_off(&self, backlog: &mut Backlog) -> bool {
        let resynchronise = backlog.resynchronise;
        let mut cycles: BTreeSet<i32> = backlog.cycles.keys().copied().collect();
        if resynchronise {
            cycles.extend(ndrs_platform::stage::FIRST_CYCLE_YEAR..=chrono::Utc::now().year());
        }
        let mut resynchronised = true;
        for cycle_year in cycles {
            let pending = backlog.cycles.get(&cycle_year);
            let span = tracing::info_span!(
                "aggregator.revalidate",
                cycle_year,
                events = pending.map_or(0, |(d, _)| d.len()),
                resynchronise = pending.is_none()
            );
            if let Some((_, traces)) = pending {
                if let Some(first) = traces.first() {
                    ndrs_platform::telemetry::set_parent_from_traceparent(&span, first);
                }
                for tp in traces.iter().skip(1) {
                    ndrs_platform::telemetry::link_traceparent(&span, tp);
                }
            }
            let started = Instant::now();
            let outcome = if pending.is_some() {
                revalidate(
                    &self.candidates,
                    &self.validation,
                    &self.benchmarks,
                    cycle_year,
                )
                .instrument(span)
                .await
            } else {
                self.resynchronise(cycle_year).instrument(span).await
            };
            ndrs_platform::metrics::metrics()
                .reassembly_duration
                .record(
                    started.elapsed().as_secs_f64(),
                    &[opentelemetry::KeyValue::new(
                        "outcome",
                        if outcome.is_ok() { "ok" } else { "failed" },
                    )],
                );
            match outcome {
                Ok(()) => {
                    if let Some((deliveries, _)) = backlog.cycles.remove(&cycle_year) {
                        deliveries.into_iter().for_each(Delivery::ack);
                    }
                }
                Err(e) => {
                    tracing::warn!(cycle_year, error = %e, "automatic re-assembly failed");
                    if pending.is_none() {
                        resynchronised = false;
                    }
                }
            }
        }
        if resynchronise && resynchronised {
            backlog.resynchronise = false;
            tracing::info!("resynchronised every cycle from the stage services");
        }
        backlog.is_empty()
    }

    /// Re-assembles one cycle without pending events, if it has any inputs at all.
    async fn resynchronise(&self, cycle_year: i32) -> ndrs_core::Result<()> {
        match self.candidates.resynchronise(cycle_year).await? {
            Some(candidate) => {
                validate_automatically(&self.validation, &self.benchmarks, &candidate).await
            }
            None => Ok(()),
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
    validate_automatically(validation, benchmarks, &candidate).await
}

/// Stages 1 and 2 on a candidate, each unless it already has a report.
async fn validate_automatically(
    validation: &Validation,
    benchmarks: &Benchmarks,
    candidate: &ndrs_proto::v1::Candidate,
) -> ndrs_core::Result<()> {
    let cycle_year = candidate.cycle_year;
    match benchmarks.latest_report(&candidate.candidate_id).await {
        Ok(_) => {}
        Err(ndrs_core::Error::NotFound(_)) => {
            benchmarks.check(candidate).await?;
        }
        Err(e) => return Err(e),
    }
    if !validation.has_rule_set(cycle_year).await? {
        return Ok(());
    }
    match validation.latest_report(&candidate.candidate_id).await {
        Ok(_) => Ok(()),
        Err(ndrs_core::Error::NotFound(_)) => validation.validate(candidate).await.map(|_| ()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_waits_for_a_quiet_moment_but_never_past_the_maximum_delay() {
        let (debounce, max_delay) = (Duration::from_millis(200), Duration::from_secs(5));
        let mut backlog = Backlog::default();
        assert_eq!(backlog.due(debounce, max_delay), None, "nothing waiting");
        backlog.add(BusEvent::Gap {
            reason: "test".into(),
        });
        let first = backlog.first_event.unwrap();
        assert_eq!(backlog.due(debounce, max_delay), Some(first + debounce));
        // Events keep coming: the batch waits for a pause after the latest...
        backlog.last_event = Some(first + Duration::from_secs(1));
        assert_eq!(
            backlog.due(debounce, max_delay),
            Some(first + Duration::from_millis(1_200))
        );
        // ... but not longer than the maximum delay after the first.
        backlog.last_event = Some(first + Duration::from_secs(30));
        assert_eq!(backlog.due(debounce, max_delay), Some(first + max_delay));
        // A failure's backoff holds the next attempt back whatever arrives meanwhile.
        let pause = backlog.failed(Duration::from_secs(60));
        let retry = backlog.retry_at.unwrap();
        assert!(retry >= first + pause);
        assert_eq!(
            backlog.due(debounce, max_delay),
            Some(retry.max(first + max_delay))
        );
        backlog.succeeded();
        backlog.resynchronise = false;
        assert_eq!(backlog.due(debounce, max_delay), None);
        assert_eq!(backlog.failures, 0);
        // After a slow assembly a busy stream waits longer: at most a fifth of the time goes to
        // assembling.
        backlog.last_work = Duration::from_secs(3);
        backlog.add(BusEvent::Gap {
            reason: "test".into(),
        });
        let first = backlog.first_event.unwrap();
        backlog.last_event = Some(first + Duration::from_secs(60));
        assert_eq!(
            backlog.due(debounce, max_delay),
            Some(first + Duration::from_secs(12))
        );
        // Nor does a pause right after it start the next one early.
        backlog.last_event = Some(first);
        backlog.last_end = Some(first);
        assert_eq!(
            backlog.due(debounce, max_delay),
            Some(first + Duration::from_secs(12))
        );
    }
}
