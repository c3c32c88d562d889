//! Take-all strata with non-response, item non-response and the two degrees-of-freedom
//! conventions, against samplics on `fixtures/takeall.*` (made by
//! `scripts/oracle/make_takeall_fixtures.py`, which says how each reference is obtained).
//!
//! The design is the full sample (non-respondents kept) with non-response adjustment within
//! stratum: two sampled strata with a finite population correction and three take-all strata
//! (T1 with non-response, T2 responding in full, T3 with a single respondent).

use std::collections::BTreeSet;

mod common;

use common::{fixture, read_csv, rel};
use ndrs_stats::*;
use serde_json::Value;

struct Survey {
    design: Design,
    data: Data,
    spec: WeightingSpec,
    expected: Value,
    /// Responding PSUs of T1 (each unit is its own PSU there).
    t1_respondents: usize,
}

fn survey() -> Survey {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("takeall.json")).unwrap()).unwrap();
    let (_, cols) = read_csv("takeall.csv");
    let num = |c: &str| -> Vec<f64> { cols[c].iter().map(|s| s.parse().unwrap()).collect() };
    let n = cols["stratum"].len();
    let weight = num("weight");
    let units = (0..n)
        .map(|i| {
            Unit::new(
                cols["stratum"][i].clone(),
                cols["psu"][i].clone(),
                weight[i],
            )
        })
        .collect();
    let mut design = Design::new(units).unwrap();
    let take_all: BTreeSet<&str> = expected["take_all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for (stratum, size) in expected["population_psus"].as_object().unwrap() {
        design = if take_all.contains(stratum.as_str()) {
            design.with_certainty(stratum).unwrap()
        } else {
            design
                .with_population_psus(stratum, size.as_f64().unwrap())
                .unwrap()
        };
    }
    let (respondent, answered) = (num("respondent"), num("answered"));
    let soe_answered: Vec<f64> = (0..n)
        .map(|i| {
            f64::from(u8::from(
                cols["subject"][i] == "central_soe" && answered[i] == 1.0,
            ))
        })
        .collect();
    let t1_respondents = (0..n)
        .filter(|&i| cols["stratum"][i] == "T1" && respondent[i] == 1.0)
        .count();
    let data = Data::new(n)
        .with_numeric("respondent", respondent)
        .unwrap()
        .with_numeric("revenue", num("revenue"))
        .unwrap()
        .with_numeric("flag", num("flag"))
        .unwrap()
        .with_numeric("spend", num("spend"))
        .unwrap()
        .with_numeric("central_soe_answered", soe_answered)
        .unwrap()
        .with_categorical("subject", &cols["subject"])
        .unwrap()
        .with_categorical("stratum", &cols["stratum"])
        .unwrap();
    let spec = WeightingSpec {
        steps: vec![WeightingStep::NonResponse {
            class: Some("stratum".into()),
            respondent: "respondent".into(),
        }],
    };
    Survey {
        design,
        data,
        spec,
        expected,
        t1_respondents,
    }
}

fn estimator(case: &Value) -> Estimator {
    let y = case["y"].as_str().unwrap().to_string();
    let domain = match case["domain"].as_str() {
        None => Domain::All,
        Some("central_soe") => Domain::Category {
            column: "subject".into(),
            value: "central_soe".into(),
        },
        Some("T2") => Domain::Category {
            column: "stratum".into(),
            value: "T2".into(),
        },
        Some("central_soe_answered") => Domain::Indicator("central_soe_answered".into()),
        Some(other) => panic!("unknown domain {other}"),
    };
    match case["estimator"].as_str().unwrap() {
        "total" => Estimator::Total { y, domain },
        "mean" => Estimator::Mean { y, domain },
        "proportion" => Estimator::Proportion { y, domain },
        other => panic!("unknown estimator {other}"),
    }
}

fn run(s: &Survey, variance: VarianceMethod, df: DegreesOfFreedom) -> EstimateSet {
    let cases = s.expected["cases"].as_array().unwrap();
    let estimators: Vec<Estimator> = cases.iter().map(estimator).collect();
    let options = Options {
        degrees_of_freedom: df,
        ..Options::default()
    };
    estimate_many(
        &s.design,
        &s.spec,
        &s.data,
        &estimators,
        &variance,
        &options,
    )
    .unwrap()
}

#[test]
fn adjusted_weights_agree_with_samplics() {
    let s = survey();
    let (w, _) = s.spec.apply(&s.design, &s.data).unwrap();
    let expected = s.expected["adjusted_weights"].as_array().unwrap();
    assert_eq!(w.len(), expected.len());
    for (got, want) in w.iter().zip(expected) {
        assert!(rel(*got, want.as_f64().unwrap()) < 1e-12);
    }
}

#[test]
fn take_all_strata_carry_their_response_variance_and_nothing_more() {
    let s = survey();
    let set = run(&s, VarianceMethod::Taylor, DegreesOfFreedom::Domain);
    // T2 responded in full (no variance at all) and T3 has one respondent (not estimable).
    assert_eq!(set.response_phase_strata, vec!["T1".to_string()]);
    let cases = s.expected["cases"].as_array().unwrap();
    let mut zero_se = 0;
    for (case, got) in cases.iter().zip(&set.estimates) {
        let got = got.as_ref().unwrap();
        let want_se = case["se"].as_f64().unwrap();
        assert!(
            rel(got.point, case["point"].as_f64().unwrap()) < 1e-12,
            "{case}: {got:?}"
        );
        let se = got.se.expect("a standard error");
        assert!(rel(se, want_se) < 1e-10, "{case}: se {se} want {want_se}");
        if want_se == 0.0 {
            // No sampling and no response variance: SE exactly 0, the point as its interval.
            zero_se += 1;
            assert_eq!(se, 0.0);
            let ci = got.ci.expect("an interval");
            assert_eq!((ci.lower, ci.upper), (got.point, got.point));
            assert_eq!(ci.method, IntervalMethod::NoSamplingVariance);
            assert_eq!(
                got.df, 0,
                "T2 carries no variance, so no degrees of freedom"
            );
        }
        if let Some(sampling) = case.get("sampling_se") {
            assert!(se > sampling.as_f64().unwrap(), "the response part adds");
        }
    }
    assert_eq!(zero_se, 2);
    // Domain degrees of freedom of a central-SOE figure: T1's responding PSUs minus one.
    let soe_total = set.estimates[0].as_ref().unwrap();
    assert_eq!(soe_total.df, s.t1_respondents - 1);
}

#[test]
fn the_design_degrees_of_freedom_are_samplics_and_r_surveys() {
    let s = survey();
    let set = run(&s, VarianceMethod::Taylor, DegreesOfFreedom::Design);
    let cases = s.expected["cases"].as_array().unwrap();
    let mut intervals = 0;
    for (case, got) in cases.iter().zip(&set.estimates) {
        let got = got.as_ref().unwrap();
        assert_eq!(got.df as u64, case["design_df"].as_u64().unwrap());
        if let Some(lower) = case.get("design_ci_lower") {
            let ci = got.ci.unwrap();
            let upper = case["design_ci_upper"].as_f64().unwrap();
            assert!(
                rel(ci.lower, lower.as_f64().unwrap()) < 1e-9,
                "{case}: {ci:?}"
            );
            assert!(rel(ci.upper, upper) < 1e-9, "{case}: {ci:?}");
            intervals += 1;
        }
    }
    assert_eq!(intervals, 6);
}

#[test]
fn the_jackknife_reproduces_the_response_variance_of_a_total() {
    // For a total inside the take-all strata the JKn variance over the responding PSUs (with the
    // non-response adjustment re-applied to every replicate) equals the linearised one. (The
    // national total differs: re-adjusting a sampled stratum when one of its clusters is
    // deleted is variance that linearisation with fixed weights does not see.)
    let s = survey();
    let taylor = run(&s, VarianceMethod::Taylor, DegreesOfFreedom::Domain);
    let jkn = run(&s, VarianceMethod::Jackknife, DegreesOfFreedom::Domain);
    for k in [0, 3] {
        let (t, j) = (
            taylor.estimates[k].as_ref().unwrap(),
            jkn.estimates[k].as_ref().unwrap(),
        );
        assert!(
            rel(j.se.unwrap(), t.se.unwrap()) < 1e-9,
            "{:?}: jkn {:?} taylor {:?}",
            t.estimator,
            j.se,
            t.se
        );
    }
    let replicates = replicate_weights(&s.design, &s.spec, &s.data, VarianceMethod::Jackknife)
        .unwrap()
        .labels;
    // Sampled strata delete every PSU; T1 only its respondents; T2 and T3 none.
    assert_eq!(replicates.len(), 5 + 6 + s.t1_respondents);
    assert!(
        !replicates
            .iter()
            .any(|l| l.starts_with("jk:T2") || l.starts_with("jk:T3"))
    );
}
