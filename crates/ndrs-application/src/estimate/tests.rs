//! Unit tests of the pieces of the estimator: the indicator table against the catalogue, the
//! adapter's conversion of an `ndrs_stats` estimate into a figure, and the runner's checks.

use std::collections::BTreeSet;

use ndrs_core::Error;
use ndrs_core::catalogue::{Catalogue, IndicatorStage};
use ndrs_platform::returns::StoredReturn;
use ndrs_proto::v1::{self as pb, FigureKind, Unit};
use ndrs_stats::{Estimate, Estimator, Interval, IntervalMethod, StepReport};

use super::indicators::{Cell, Indicator, indicators};
use super::runner::describe_step;
use super::sample::Sample;
use super::{INTERIM_METHOD, Row, estimates, figures};
use crate::domain::tests::checked_2023;

fn stored(unit: &str, n: i64) -> StoredReturn {
    StoredReturn {
        id: n,
        return_id: format!("r-{unit}"),
        version: 1,
        return_kind: "application_questionnaire".into(),
        cycle_year: 2023,
        reporting_unit_id: unit.into(),
        idempotency_key: "k".into(),
        content_hash: "h".into(),
        payload_json: "{}".into(),
        findings_json: "[]".into(),
        submitted_by: "t".into(),
        received_at: "2024-01-01T00:00:00Z".into(),
    }
}

/// Two responding key industry enterprises, one with a data management system.
fn rows() -> Vec<Row> {
    ["kie-1", "kie-2"]
        .into_iter()
        .enumerate()
        .map(|(i, unit)| {
            let (_, q) = checked_2023(pb::ApplicationReturn {
                header: Some(pb::ReturnHeader {
                    cycle_year: 2023,
                    reporting_unit_id: unit.into(),
                    idempotency_key: "k".into(),
                    ..Default::default()
                }),
                subject_type: pb::SubjectType::KeyIndustryEnterprise as i32,
                province_code: "11".into(),
                industry: "agriculture".into(),
                size_class: pb::SizeClass::Large as i32,
                has_data_management_system: i == 0,
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("fixture questionnaire refused: {e}"));
            (stored(unit, i as i64 + 1), q)
        })
        .collect()
}

fn estimate(point: f64, df: usize, ci: Option<(f64, f64)>) -> Estimate {
    Estimate {
        estimator: Estimator::Mean {
            y: "y".into(),
            domain: ndrs_stats::Domain::All,
        },
        point,
        se: Some(0.1),
        cv: Some(0.2),
        deff: Some(1.0),
        df,
        ci: ci.map(|(lower, upper)| Interval {
            lower,
            upper,
            level: 0.95,
            method: IntervalMethod::StudentT,
        }),
        n: 2,
        population: 2.0,
        reliable: true,
    }
}

fn national(indicator: Indicator) -> Cell {
    Cell {
        indicator,
        breakdown: None,
    }
}

fn published() -> Vec<Indicator> {
    indicators()
        .into_iter()
        .filter(|i| i.kind == FigureKind::Estimate)
        .collect()
}

/// A published share: bounded to [0, 1], not a growth rate.
fn a_share() -> Indicator {
    published()
        .into_iter()
        .find(|i| i.unit == Unit::Ratio && !i.growth)
        .unwrap()
}

#[test]
fn the_table_publishes_every_questionnaire_indicator_of_the_catalogue() {
    // A01-A03 are the sharing hub's reported figures (crate::hub); P09-P14 and F02-F03 come from
    // the questionnaire although the report files them under storage and circulation.
    let hub = ["A01", "A02", "A03"];
    let expected: BTreeSet<String> = Catalogue::embedded()
        .iter()
        .filter(|i| i.stage == IndicatorStage::Application && !hub.contains(&i.id.as_str()))
        .map(|i| i.id.clone())
        .chain(
            ["P09", "P10", "P11", "P12", "P13", "P14", "F02", "F03"]
                .into_iter()
                .map(String::from),
        )
        .collect();
    let table: BTreeSet<String> = published().iter().map(|i| i.id.to_string()).collect();
    assert_eq!(table, expected);
}

#[test]
fn every_published_indicator_is_defined_once_and_auxiliaries_say_their_cell() {
    let ids: Vec<&str> = published().iter().map(|i| i.id).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    for aux in indicators()
        .into_iter()
        .filter(|i| i.kind == FigureKind::Auxiliary)
    {
        assert!(!aux.dimensions.is_empty(), "{} has no cell", aux.id);
    }
}

#[test]
fn a_share_interval_beyond_zero_and_one_is_truncated_and_says_so() {
    let rows = rows();
    let sample = Sample::interim(&rows).unwrap();
    let share = a_share();
    let f = sample.figure(&national(share), &estimate(0.5, 1, Some((-0.2, 1.3))));
    let interval = f.interval.unwrap();
    assert_eq!((interval.lower, interval.upper), (0.0, 1.0));
    assert!(
        interval.method.ends_with("truncated to [0, 1]"),
        "{}",
        interval.method
    );
    let lineage = f.lineage.unwrap();
    assert_eq!(lineage.method, INTERIM_METHOD);
    assert!(
        lineage.weighting_spec.is_empty(),
        "no design, no weighting specification"
    );
}

#[test]
fn a_growth_figure_is_the_ratio_minus_one_and_its_interval_is_not_truncated() {
    let rows = rows();
    let sample = Sample::interim(&rows).unwrap();
    let growth = indicators().into_iter().find(|i| i.growth).unwrap();
    let f = sample.figure(&national(growth), &estimate(1.25, 1, Some((0.5, 2.5))));
    assert!((f.value - 0.25).abs() < 1e-12);
    let interval = f.interval.unwrap();
    assert!((interval.lower + 0.5).abs() < 1e-12);
    assert!((interval.upper - 1.5).abs() < 1e-12);
}

#[test]
fn a_standard_error_without_degrees_of_freedom_is_no_statement_of_precision() {
    let rows = rows();
    let sample = Sample::interim(&rows).unwrap();
    let share = a_share();
    let f = sample.figure(&national(share), &estimate(0.5, 0, None));
    let sampling = f.sampling.unwrap();
    assert!(sampling.standard_error.is_nan());
    assert!(sampling.cv.is_nan());
    assert!(!sampling.reliable);
    assert_eq!(sampling.respondents, 2);
}

#[test]
fn interim_figures_cite_every_respondent_of_their_domain() {
    let rows = rows();
    let figs = figures(&rows, None).unwrap();
    assert!(!figs.is_empty());
    let valid: u64 = figs
        .iter()
        .filter(|f| f.id == super::VALID_SAMPLE && f.dimensions.contains_key("subject_type"))
        .map(|f| f.value as u64)
        .sum();
    assert_eq!(valid, 2, "both respondents are in the valid sample");
    assert!(
        figures(&[], None).unwrap().is_empty(),
        "no returns, no figures"
    );
}

#[test]
fn get_estimates_names_an_unknown_indicator_and_breakdown() {
    let Err(Error::InvalidArgument(violations)) = estimates(&rows(), None, "X99", "colour") else {
        panic!("expected invalid arguments");
    };
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["indicator", "breakdown"]);
}

#[test]
fn the_weighting_report_describes_each_step() {
    let step = StepReport::NonResponse {
        factors: vec![("large".into(), 1.5)],
    };
    assert_eq!(
        describe_step(&step),
        "non-response adjustment: large x1.500000"
    );
}
