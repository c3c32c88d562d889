//! Running a round, the organiser's side: opening, extending and closing a cycle (in the
//! platform's calendar, which every stage service consults before it stores a return), the
//! reporting frame, and the progress report that sets the frame against what every stage
//! received. Served as `ndrs.v1.SurveyCycleService`; every change is audited.

pub mod frame;
mod grpc;
pub mod progress;

pub use grpc::{CycleApi, SERVICE_NAME};

use ndrs_platform::calendar::{Cycle, CycleState};
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    })
}

/// A cycle as the wire carries it.
pub fn cycle_to_proto(c: &Cycle) -> pb::Cycle {
    pb::Cycle {
        cycle_year: c.cycle_year,
        reference_date: c.reference_date.to_string(),
        opens_at: timestamp(c.opens_at),
        deadline: timestamp(c.deadline),
        state: match c.state {
            CycleState::Open => pb::CycleState::Open,
            CycleState::Closed => pb::CycleState::Closed,
        } as i32,
        events: c
            .events
            .iter()
            .map(|e| pb::CycleEvent {
                at: timestamp(e.at),
                actor: e.actor.clone(),
                action: e.action.clone(),
                deadline: e.deadline.and_then(timestamp),
                reason: e.reason.clone(),
            })
            .collect(),
    }
}

/// The progress report's counts per return kind as gauges (`ndrs.cycle.returns`), so a
/// dashboard shows the round's response as it was last reported.
pub fn record_metrics(report: &pb::CycleProgress) {
    use opentelemetry::KeyValue;
    let gauge = &ndrs_platform::metrics::metrics().cycle_returns;
    for cell in report.cells.iter().filter(|c| c.dimension == "kind") {
        let Some(c) = &cell.counts else { continue };
        for (state, value) in [
            ("expected", c.expected),
            ("received", c.received),
            ("late", c.late),
            ("revised", c.revised),
            ("refused", c.refused),
            ("outstanding", c.outstanding),
        ] {
            gauge.record(
                u64::from(value),
                &[
                    KeyValue::new("ndrs.cycle_year", i64::from(report.cycle_year)),
                    KeyValue::new("ndrs.return_kind", cell.return_kind.clone()),
                    KeyValue::new("state", state),
                ],
            );
        }
    }
}
