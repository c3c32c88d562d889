//! Unit tests of the pieces of the estimator: the shipped indicator document against the
//! catalogue, the adapter's conversion of an `ndrs_stats` estimate into a figure, item
//! non-response, and the runner's checks.

use std::collections::BTreeSet;

use ndrs_core::Error;
use ndrs_core::catalogue::{Catalogue, IndicatorStage};
use ndrs_platform::returns::StoredReturn;
use ndrs_proto::v1 as pb;
use ndrs_stats::{Estimate, Estimator, Interval, IntervalMethod, StepReport};

use ndrs_content::indicators::{Estimator as IndicatorEstimator, Role};
use ndrs_platform::indicators::InForceIndicators;

use super::cells::Cell;
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

/// The shipped 2023 application indicators, compiled as if published.
fn shipped() -> InForceIndicators {
    ndrs_platform::indicators::shipped(super::INDICATOR_KIND, 2023, &super::BREAKDOWNS).unwrap()
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

fn national(indicator: usize) -> Cell {
    Cell {
        indicator,
        breakdown: Vec::new(),
    }
}

/// The published indicators' ids, in document order.
fn published(indicators: &InForceIndicators) -> Vec<String> {
    indicators
        .indicators
        .indicators
        .iter()
        .filter(|i| i.role == Role::Estimate)
        .map(|i| i.id.clone())
        .collect()
}

/// The first indicator for which `which` holds, by position.
fn find(
    indicators: &InForceIndicators,
    which: impl Fn(&ndrs_content::CompiledIndicator) -> bool,
) -> usize {
    indicators
        .indicators
        .indicators
        .iter()
        .position(which)
        .unwrap()
}

/// A published share: bounded to [0, 1], not a growth rate.
fn a_share(indicators: &InForceIndicators) -> usize {
    find(indicators, |i| {
        i.role == Role::Estimate && i.estimator == IndicatorEstimator::Share
    })
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
    let table: BTreeSet<String> = published(&shipped()).into_iter().collect();
    assert_eq!(table, expected);
}

#[test]
fn every_published_indicator_is_defined_once_and_auxiliaries_say_their_cell() {
    let indicators = shipped();
    let ids = published(&indicators);
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    for aux in indicators
        .indicators
        .indicators
        .iter()
        .filter(|i| i.role == Role::Auxiliary)
    {
        assert!(!aux.dimensions.is_empty(), "{} has no cell", aux.id);
    }
}

#[test]
fn a_share_interval_beyond_zero_and_one_is_truncated_and_says_so() {
    let rows = rows();
    let indicators = shipped();
    let sample = Sample::interim(&rows, &indicators).unwrap();
    let share = a_share(&indicators);
    let f = sample.figure(&national(share), &estimate(0.5, 1, Some((-0.2, 1.3))));
    let interval = f.interval.unwrap();
    assert_eq!((interval.lower, interval.upper), (0.0, 1.0));
    assert!(
        interval.method.ends_with("truncated to [0, 1]"),
        "{}",
        interval.method
    );
    let lineage = f.lineage.unwrap();
    assert!(
        lineage.method.starts_with(INTERIM_METHOD),
        "{}",
        lineage.method
    );
    assert!(
        lineage.parameters.contains(&indicators.lineage_ref),
        "the figure cites the indicator document it was estimated under: {:?}",
        lineage.parameters
    );
    assert!(
        lineage.weighting_spec.is_empty(),
        "no design, no weighting specification"
    );
}

#[test]
fn a_growth_figure_is_the_ratio_minus_one_and_its_interval_is_not_truncated() {
    let rows = rows();
    let indicators = shipped();
    let sample = Sample::interim(&rows, &indicators).unwrap();
    let growth = find(&indicators, |i| i.growth);
    let f = sample.figure(&national(growth), &estimate(1.25, 1, Some((0.5, 2.5))));
    assert!((f.value - 0.25).abs() < 1e-12);
    let interval = f.interval.unwrap();
    assert!((interval.lower + 0.5).abs() < 1e-12);
    assert!((interval.upper - 1.5).abs() < 1e-12);
}

#[test]
fn a_standard_error_without_degrees_of_freedom_is_no_statement_of_precision() {
    let rows = rows();
    let indicators = shipped();
    let sample = Sample::interim(&rows, &indicators).unwrap();
    let share = a_share(&indicators);
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
    let indicators = shipped();
    let figs = figures(&rows, None, &indicators).unwrap();
    assert!(!figs.is_empty());
    let valid: u64 = figs
        .iter()
        .filter(|f| f.id == super::VALID_SAMPLE && f.dimensions.contains_key("subject_type"))
        .map(|f| f.value as u64)
        .sum();
    assert_eq!(valid, 2, "both respondents are in the valid sample");
    assert!(
        figures(&[], None, &indicators).unwrap().is_empty(),
        "no returns, no figures"
    );
}

#[test]
fn a_unit_that_left_a_question_unanswered_is_left_out_of_the_figures_that_read_it() {
    let mut rows = rows();
    let indicators = shipped();
    // The first enterprise (the one with a data management system) skipped the question.
    rows[0].1.answers.0.remove("has_data_management_system");
    let figs = figures(&rows, None, &indicators).unwrap();
    let a14 = figs.iter().find(|f| f.id == "A14").unwrap();
    // Only the second enterprise (without a system) counts: the share is 1, not 1/2, and the
    // lineage says one unit was left out.
    assert_eq!(a14.value, 1.0);
    let lineage = a14.lineage.as_ref().unwrap();
    assert_eq!(lineage.returns.len(), 1);
    assert!(
        lineage.method.contains("1 responding unit(s) left out"),
        "{}",
        lineage.method
    );
    // A figure that does not read the question keeps both.
    let a16 = figs.iter().find(|f| f.id == "A16").unwrap();
    assert_eq!(a16.lineage.as_ref().unwrap().returns.len(), 2);
}

#[test]
fn a_return_stored_before_answers_were_kept_is_read_from_its_typed_fields() {
    let mut rows = rows();
    let indicators = shipped();
    let with_answers = figures(&rows, None, &indicators).unwrap();
    for (_, q) in &mut rows {
        q.answers = ndrs_content::Answers::default();
    }
    let legacy = figures(&rows, None, &indicators).unwrap();
    let values = |figs: &[pb::Figure]| -> Vec<(String, f64)> {
        figs.iter().map(|f| (f.id.clone(), f.value)).collect()
    };
    assert_eq!(values(&with_answers), values(&legacy));
}

#[test]
fn get_estimates_names_an_unknown_indicator_and_breakdown() {
    let Err(Error::InvalidArgument(violations)) =
        estimates(&rows(), None, &shipped(), "X99", "colour", None)
    else {
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

#[test]
fn an_empty_answer_says_why() {
    let indicators = shipped();
    let none = estimates(&[], None, &indicators, "A11", "", None).unwrap();
    assert!(none.figures.is_empty());
    assert!(
        none.weighting_report[0].contains("no return"),
        "{:?}",
        none.weighting_report
    );
    // Two key industry enterprises: nobody is a platform enterprise (A07's domain).
    let empty = estimates(&rows(), None, &indicators, "A07", "region", None).unwrap();
    assert!(empty.figures.is_empty());
    assert!(
        empty
            .weighting_report
            .iter()
            .any(|l| l.contains("no responding unit is in the domain of A07")),
        "{:?}",
        empty.weighting_report
    );
}

#[test]
fn a_breakdown_crosses_two_classifications() {
    let indicators = shipped();
    let mut rows = rows();
    rows[1].1.province_code = "44".into();
    let crossed = estimates(&rows, None, &indicators, "A11", "size_class, region", None).unwrap();
    let cells: BTreeSet<Vec<(String, String)>> = crossed
        .figures
        .iter()
        .map(|f| {
            f.dimensions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect();
    let cell = |region: &str| {
        vec![
            ("region".to_string(), region.to_string()),
            ("size_class".to_string(), "large".to_string()),
        ]
    };
    // Beijing (11) and Guangdong (44) are both eastern: one cell holds both units.
    assert_eq!(cells, [cell("east")].into_iter().collect());
    let by_province = estimates(&rows, None, &indicators, "A11", "province,size_class", None)
        .unwrap()
        .figures;
    assert_eq!(by_province.len(), 2);
    for bad in [
        "size_class,size_class",
        "region,province,size_class",
        "colour,region",
    ] {
        let Err(Error::InvalidArgument(violations)) =
            estimates(&rows, None, &indicators, "A11", bad, None)
        else {
            panic!("{bad} accepted");
        };
        assert_eq!(violations[0].field, "breakdown", "{bad}");
    }
    // The stratum is the design's.
    let Err(Error::InvalidArgument(violations)) =
        estimates(&rows, None, &indicators, "A11", "stratum", None)
    else {
        panic!("stratum accepted without a design");
    };
    assert!(violations[0].description.contains("sample design"));
}
