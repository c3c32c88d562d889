//! How a round is going: the frame's expected returns against what every stage received
//! (`GetCycleProgress`). A pure function of the cycle, the frame and the stages' activity, so
//! its numbers are checked against hand counts without a running system.
//!
//! Each expected return is one (unit, return kind) pair of the frame. It is *received* once any
//! version is stored; *late* when its first version came after the deadline in force at that
//! moment; *revised* when a return has more than one version; *refused* when the unit sent
//! something that was refused and nothing was accepted; *outstanding* while not received.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ndrs_platform::calendar::Cycle;
use ndrs_platform::documents::Versioned;
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;

use super::frame::{FrameBody, FrameUnit};

/// The dimensions progress is broken down by, besides the return kind.
const DIMENSIONS: [&str; 4] = ["stratum", "subject_type", "province", "size_class"];

/// The application survey's kind, whose sampled units get response rates.
const SAMPLED_KIND: &str = "application_questionnaire";

pub const RATE_DEFINITION: &str = "AAPOR RR1 over the frame's sampled units (design weight > 0) \
    expected to send an application questionnaire: completes / sampled units, every sampled unit \
    counted eligible (the frame records no ineligibility) and a received return a complete; \
    weighted: the same with each unit at its design weight";

fn time(t: &Option<Timestamp>) -> Option<DateTime<Utc>> {
    t.as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.clamp(0, 999_999_999) as u32))
}

fn value_of<'a>(unit: &'a FrameUnit, dimension: &str) -> &'a str {
    match dimension {
        "stratum" => &unit.stratum,
        "subject_type" => unit
            .subject_type
            .strip_prefix("SUBJECT_TYPE_")
            .unwrap_or(&unit.subject_type),
        "province" => &unit.province_code,
        _ => &unit.size_class,
    }
}

/// One expected return's state.
#[derive(Default, Clone, Copy)]
struct State {
    received: bool,
    warnings: bool,
    refused: bool,
    revised: bool,
    late: bool,
}

#[derive(Default)]
struct Tally(pb::ProgressCounts);

impl Tally {
    fn add(&mut self, s: State) {
        let c = &mut self.0;
        c.expected += 1;
        c.received += u32::from(s.received);
        c.accepted_with_warnings += u32::from(s.warnings);
        c.refused += u32::from(s.refused);
        c.revised += u32::from(s.revised);
        c.late += u32::from(s.late);
        c.outstanding += u32::from(!s.received);
    }

    fn done(mut self) -> pb::ProgressCounts {
        let c = &mut self.0;
        c.response_rate = if c.expected == 0 {
            0.0
        } else {
            f64::from(c.received) / f64::from(c.expected)
        };
        self.0
    }
}

/// The progress of `cycle` against `frame` (none loaded: nothing is expected) from every stage's
/// `activity`.
pub fn progress(
    cycle: &Cycle,
    frame: Option<&Versioned<FrameBody>>,
    activity: &[pb::UnitActivity],
    now: DateTime<Utc>,
) -> pb::CycleProgress {
    let by_key: BTreeMap<(&str, &str), &pb::UnitActivity> = activity
        .iter()
        .map(|a| ((a.reporting_unit_id.as_str(), a.return_kind.as_str()), a))
        .collect();
    let empty = FrameBody::default();
    let units = frame.map_or(&empty, |f| &f.body);
    let mut total = Tally::default();
    let mut by_kind: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_dimension: BTreeMap<(&str, String), Tally> = BTreeMap::new();
    let mut outstanding = Vec::new();
    let mut first_receipts: BTreeMap<String, u32> = BTreeMap::new();
    let (mut sampled, mut responded, mut weight_sampled, mut weight_responded) =
        (0u32, 0u32, 0.0, 0.0);
    let mut expected_keys = std::collections::BTreeSet::new();
    for unit in &units.units {
        for kind in &unit.expected_kinds {
            expected_keys.insert((unit.reporting_unit_id.as_str(), kind.as_str()));
            let a = by_key.get(&(unit.reporting_unit_id.as_str(), kind.as_str()));
            let received = a.is_some_and(|a| a.returns > 0);
            let first = a.and_then(|a| time(&a.first_received_at));
            let state = State {
                received,
                warnings: received && a.is_some_and(|a| a.latest_has_warnings),
                refused: !received && a.is_some_and(|a| a.refusals > 0),
                revised: received && a.is_some_and(|a| a.max_version > 1),
                late: received && first.is_some_and(|t| cycle.is_late(t)),
            };
            total.add(state);
            by_kind.entry(kind).or_default().add(state);
            for dimension in DIMENSIONS {
                let value = value_of(unit, dimension);
                if !value.is_empty() {
                    by_dimension
                        .entry((dimension, value.to_string()))
                        .or_default()
                        .add(state);
                }
            }
            if let (true, Some(first)) = (received, first) {
                *first_receipts
                    .entry(first.date_naive().to_string())
                    .or_default() += 1;
            }
            if kind == SAMPLED_KIND && unit.design_weight > 0.0 {
                sampled += 1;
                weight_sampled += unit.design_weight;
                if received {
                    responded += 1;
                    weight_responded += unit.design_weight;
                }
            }
            if !received {
                let last_refused = a.and_then(|a| a.last_refused_at);
                outstanding.push(pb::OutstandingReturn {
                    reporting_unit_id: unit.reporting_unit_id.clone(),
                    name: unit.name.clone(),
                    return_kind: kind.clone(),
                    province_code: unit.province_code.clone(),
                    contact: unit.contact.clone(),
                    last_activity: last_refused,
                    last_refusal: a.map(|a| a.last_refusal.clone()).unwrap_or_default(),
                });
            }
        }
    }
    let mut unexpected: BTreeMap<String, u32> = BTreeMap::new();
    for a in activity {
        let key = (a.reporting_unit_id.as_str(), a.return_kind.as_str());
        if a.returns > 0 && !expected_keys.contains(&key) {
            *unexpected.entry(a.return_kind.clone()).or_default() += 1;
        }
    }
    let mut cells: Vec<pb::ProgressCell> = by_kind
        .into_iter()
        .map(|(kind, t)| pb::ProgressCell {
            dimension: "kind".into(),
            value: kind.to_string(),
            return_kind: kind.to_string(),
            counts: Some(t.done()),
        })
        .collect();
    cells.extend(
        by_dimension
            .into_iter()
            .map(|((dimension, value), t)| pb::ProgressCell {
                dimension: dimension.to_string(),
                value,
                return_kind: String::new(),
                counts: Some(t.done()),
            }),
    );
    let mut cumulative = 0;
    let receipts_by_day = first_receipts
        .into_iter()
        .map(|(date, receipts)| {
            cumulative += receipts;
            pb::DailyReceipts {
                date,
                receipts,
                cumulative,
            }
        })
        .collect();
    let rate = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
    pb::CycleProgress {
        cycle_year: cycle.cycle_year,
        cycle: Some(super::cycle_to_proto(cycle)),
        frame_version: frame.map_or(0, |f| f.version),
        total: Some(total.done()),
        cells,
        outstanding,
        receipts_by_day,
        application: Some(pb::ResponseRates {
            unweighted: rate(f64::from(responded), f64::from(sampled)),
            weighted: rate(weight_responded, weight_sampled),
            sampled,
            responded,
            definition: RATE_DEFINITION.into(),
        }),
        unexpected: unexpected.into_iter().collect(),
        computed_at: Some(Timestamp {
            seconds: now.timestamp(),
            nanos: now.timestamp_subsec_nanos() as i32,
        }),
    }
}

#[cfg(test)]
mod tests;
