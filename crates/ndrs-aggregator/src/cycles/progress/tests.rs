use chrono::TimeZone;
use ndrs_platform::calendar::{CycleEvent, CycleState};

use super::*;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, 12, 0, 0).unwrap()
}

fn ts(day: u32) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: at(day).timestamp(),
        nanos: 0,
    })
}

fn cycle() -> Cycle {
    let event = |day, action: &str, deadline| CycleEvent {
        at: at(day),
        actor: "organiser".into(),
        action: action.into(),
        deadline: Some(at(deadline)),
        reason: String::new(),
    };
    Cycle {
        cycle_year: 2024,
        reference_date: chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
        opens_at: at(1),
        deadline: at(20),
        state: CycleState::Open,
        // Deadline the 10th, extended on the 12th to the 20th.
        events: vec![event(1, "open", 10), event(12, "extend", 20)],
    }
}

fn unit(id: &str, kinds: &[&str], province: &str, stratum: &str, weight: f64) -> FrameUnit {
    FrameUnit {
        reporting_unit_id: id.into(),
        name: format!("unit {id}"),
        subject_type: "SUBJECT_TYPE_COMPUTE_CENTRE".into(),
        province_code: province.into(),
        industry: String::new(),
        size_class: String::new(),
        expected_kinds: kinds.iter().map(ToString::to_string).collect(),
        contact: format!("{id}@example.org"),
        stratum: stratum.into(),
        design_weight: weight,
    }
}

fn received(id: &str, kind: &str, first: u32, versions: u32, warned: bool) -> pb::UnitActivity {
    pb::UnitActivity {
        reporting_unit_id: id.into(),
        return_kind: kind.into(),
        returns: 1,
        max_version: versions,
        first_received_at: ts(first),
        last_received_at: ts(first),
        latest_has_warnings: warned,
        ..Default::default()
    }
}

/// Six expected returns, counted by hand: c-1 on time; c-2 late (the 11th, after the deadline
/// then in force, the 10th), revised and warned; c-3 refused twice, nothing accepted; k-1's
/// questionnaire on time and its sharing-hub return missing; k-2 nothing. x-9 is not in the frame.
#[test]
fn progress_matches_hand_counts() {
    let frame = Versioned {
        cycle_year: 2024,
        version: 3,
        content_hash: "h".into(),
        loaded_at: String::new(),
        loaded_by: "organiser".into(),
        body: FrameBody {
            units: vec![
                unit("c-1", &["compute_centre"], "11", "", 0.0),
                unit("c-2", &["compute_centre"], "31", "", 0.0),
                unit("c-3", &["compute_centre"], "31", "", 0.0),
                unit(
                    "k-1",
                    &["application_questionnaire", "sharing_hub"],
                    "11",
                    "S1",
                    10.0,
                ),
                unit("k-2", &["application_questionnaire"], "44", "S1", 30.0),
            ],
        },
    };
    let activity = vec![
        received("c-1", "compute_centre", 5, 1, false),
        received("c-2", "compute_centre", 11, 2, true),
        pb::UnitActivity {
            reporting_unit_id: "c-3".into(),
            return_kind: "compute_centre".into(),
            refusals: 2,
            last_refused_at: ts(6),
            last_refusal: "invalid argument: province_code".into(),
            ..Default::default()
        },
        received("k-1", "application_questionnaire", 5, 1, false),
        received("x-9", "compute_centre", 7, 1, false),
    ];
    let p = progress(&cycle(), Some(&frame), &activity, at(15));
    let total = p.total.unwrap();
    assert_eq!(
        (
            total.expected,
            total.received,
            total.late,
            total.revised,
            total.accepted_with_warnings,
            total.refused,
            total.outstanding
        ),
        (6, 3, 1, 1, 1, 1, 3)
    );
    assert_eq!(total.response_rate, 0.5);
    let cell = |dimension: &str, value: &str| {
        p.cells
            .iter()
            .find(|c| c.dimension == dimension && c.value == value)
            .unwrap_or_else(|| panic!("no {dimension}={value} cell"))
            .counts
            .unwrap()
    };
    let compute = cell("kind", "compute_centre");
    assert_eq!(
        (compute.expected, compute.received, compute.late),
        (3, 2, 1)
    );
    let shanghai = cell("province", "31");
    assert_eq!(
        (shanghai.expected, shanghai.received, shanghai.refused),
        (2, 1, 1)
    );
    let s1 = cell("stratum", "S1");
    assert_eq!((s1.expected, s1.received), (3, 1));
    assert_eq!(cell("subject_type", "COMPUTE_CENTRE").expected, 6);
    let rates = p.application.unwrap();
    assert_eq!((rates.sampled, rates.responded), (2, 1));
    assert_eq!(rates.unweighted, 0.5);
    assert_eq!(rates.weighted, 0.25);
    let missing: Vec<(&str, &str)> = p
        .outstanding
        .iter()
        .map(|o| (o.reporting_unit_id.as_str(), o.return_kind.as_str()))
        .collect();
    assert_eq!(
        missing,
        [
            ("c-3", "compute_centre"),
            ("k-1", "sharing_hub"),
            ("k-2", "application_questionnaire")
        ]
    );
    assert_eq!(p.outstanding[0].last_activity, ts(6));
    assert!(p.outstanding[0].last_refusal.contains("province"));
    let days: Vec<(&str, u32, u32)> = p
        .receipts_by_day
        .iter()
        .map(|d| (d.date.as_str(), d.receipts, d.cumulative))
        .collect();
    assert_eq!(days, [("2025-03-05", 2, 2), ("2025-03-11", 1, 3)]);
    assert_eq!(p.unexpected.get("compute_centre"), Some(&1));
    assert_eq!(p.frame_version, 3);
}

#[test]
fn without_a_frame_nothing_is_expected_and_every_receipt_is_unexpected() {
    let p = progress(
        &cycle(),
        None,
        &[received("c-1", "compute_centre", 5, 1, false)],
        at(15),
    );
    let total = p.total.unwrap();
    assert_eq!((total.expected, total.response_rate), (0, 0.0));
    assert_eq!(p.unexpected.get("compute_centre"), Some(&1));
}
