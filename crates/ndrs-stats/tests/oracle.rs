//! Agreement with an outside oracle (samplics 0.6.1, scipy), on fixtures made by
//! `scripts/oracle/make_fixtures.py`. Tolerances: 1e-9 relative on point estimates and weights,
//! 1e-6 relative on standard errors (the bar); the observed errors are far smaller.
//!
//! Documented method differences (see the crate README):
//! - samplics uses the full-design degrees of freedom for every domain; ndrs-stats counts the
//!   domain's own PSUs and strata. So interval bounds and df are compared for whole-population
//!   estimates only, where both conventions agree.
//! - samplics has no estimator for a ratio of two domain means; its JKn reference is the JKn
//!   formula applied (in numpy) to samplics' own replicate weights.
//! - samplics has no design effect, trimming or bootstrap we can reproduce bit-for-bit (its
//!   bootstrap draws from numpy's global RNG); those are covered by unit and property tests.

mod common;

use common::{fixture, read_csv, rel};
use ndrs_stats::*;
use serde_json::Value;

fn num(col: &[String]) -> Vec<f64> {
    col.iter().map(|s| s.parse::<f64>().unwrap()).collect()
}

struct Sample {
    design: Design,
    data: Data,
}

fn load(name: &str) -> Sample {
    let (_, c) = read_csv(name);
    let n = c["stratum"].len();
    let w = num(&c["weight"]);
    let units = (0..n)
        .map(|i| Unit::new(c["stratum"][i].clone(), c["psu"][i].clone(), w[i]))
        .collect();
    let design = Design::new(units).unwrap();
    let mut data = Data::new(n);
    for col in ["respondent", "applied", "interaction", "revenue"] {
        data = data.with_numeric(col, num(&c[col])).unwrap();
    }
    for col in ["nr_class", "region", "size", "subject"] {
        data = data.with_categorical(col, &c[col]).unwrap();
    }
    Sample { design, data }
}

fn expected() -> Value {
    let s = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str(&s).unwrap()
}

fn nr_rake_spec(exp: &Value) -> WeightingSpec {
    let rake = &exp["rake"];
    let margins = ["region", "size"]
        .iter()
        .map(|v| Margin {
            variable: v.to_string(),
            targets: rake["targets"][v]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, t)| (k.clone(), t.as_f64().unwrap()))
                .collect(),
        })
        .collect();
    WeightingSpec {
        steps: vec![
            WeightingStep::NonResponse {
                class: Some("nr_class".into()),
                respondent: "respondent".into(),
            },
            WeightingStep::Rake(Raking {
                margins,
                max_iterations: rake["max_iterations"].as_u64().unwrap() as usize,
                tolerance: rake["tolerance"].as_f64().unwrap(),
                bounds: None,
            }),
        ],
    }
}

fn domain_of(v: &Value) -> Domain {
    match v.as_str() {
        None => Domain::All,
        Some(d) => Domain::Category {
            column: "subject".into(),
            value: d.into(),
        },
    }
}

fn estimator_of(case: &Value) -> Estimator {
    let y = case["y"].as_str().unwrap().to_string();
    let domain = domain_of(&case["domain"]);
    match case["estimator"].as_str().unwrap() {
        "total" => Estimator::Total { y, domain },
        "mean" => Estimator::Mean { y, domain },
        "proportion" => Estimator::Proportion { y, domain },
        "ratio" => Estimator::Ratio {
            y,
            x: case["x"].as_str().unwrap().into(),
            domain,
        },
        "domain_mean_ratio" => Estimator::DomainMeanRatio {
            y,
            numerator: domain_of(&case["numerator"]),
            denominator: domain_of(&case["denominator"]),
        },
        other => panic!("unknown estimator {other}"),
    }
}

#[test]
fn estimates_agree_with_samplics() {
    let exp = expected();
    let sample = load("data.csv");
    let fpc_design = exp["population_psus"]
        .as_object()
        .unwrap()
        .iter()
        .fold(sample.design.clone(), |d, (s, n)| {
            d.with_population_psus(s, n.as_f64().unwrap()).unwrap()
        });
    let nr_rake = nr_rake_spec(&exp);
    let none = WeightingSpec::none();
    let cases = exp["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    let (mut max_point, mut max_se, mut max_ci) = (0.0f64, 0.0f64, 0.0f64);
    let (mut n_ci, mut n_dmr) = (0, 0);
    for case in cases {
        let spec = match case["weighting"].as_str().unwrap() {
            "design" => &none,
            "nr_rake" => &nr_rake,
            w => panic!("unknown weighting {w}"),
        };
        let (design, method) = match case["variance"].as_str().unwrap() {
            "taylor" => (&sample.design, VarianceMethod::Taylor),
            "taylor_fpc" => (&fpc_design, VarianceMethod::Taylor),
            "jkn" => (&sample.design, VarianceMethod::Jackknife),
            v => panic!("unknown variance {v}"),
        };
        let est = estimator_of(case);
        if matches!(est, Estimator::DomainMeanRatio { .. }) {
            n_dmr += 1;
        }
        let got = estimate(design, spec, &sample.data, &est, &method)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let point = case["point"].as_f64().unwrap();
        let se = case["se"].as_f64().unwrap();
        let (ep, es) = (rel(got.point, point), rel(got.se.unwrap(), se));
        assert!(ep < 1e-9, "point {case}: got {} rel err {ep:e}", got.point);
        assert!(es < 1e-6, "se {case}: got {:?} rel err {es:e}", got.se);
        max_point = max_point.max(ep);
        max_se = max_se.max(es);
        if let Some(df) = case.get("df") {
            // Whole-population estimates: same df convention, so the intervals must agree too.
            assert_eq!(got.df as u64, df.as_u64().unwrap(), "df {case}");
            let ci = got.ci.expect("interval");
            let (lo, hi) = (
                case["ci_lower"].as_f64().unwrap(),
                case["ci_upper"].as_f64().unwrap(),
            );
            let e = rel(ci.lower, lo).max(rel(ci.upper, hi));
            assert!(e < 1e-8, "ci {case}: got {ci:?} rel err {e:e}");
            max_ci = max_ci.max(e);
            n_ci += 1;
        }
    }
    assert!(
        n_ci == 12 && n_dmr == 2,
        "{n_ci} intervals, {n_dmr} domain mean ratios"
    );
    eprintln!(
        "oracle: {} cases, max rel err point {max_point:e}, se {max_se:e}, ci {max_ci:e} ({n_ci} intervals)",
        cases.len()
    );
}

#[test]
fn weighting_agrees_with_samplics() {
    let exp = expected();
    let sample = load("data.csv");
    let (_, w) = read_csv("weights.csv");
    let nr_only = WeightingSpec {
        steps: nr_rake_spec(&exp).steps[..1].to_vec(),
    };
    let (got_nr, _) = nr_only.apply(&sample.design, &sample.data).unwrap();
    let (got, report) = nr_rake_spec(&exp)
        .apply(&sample.design, &sample.data)
        .unwrap();
    let mut max = 0.0f64;
    for (g, e) in got_nr.iter().zip(num(&w["w_nr"])) {
        assert!(rel(*g, e) < 1e-12 || (*g == 0.0 && e == 0.0));
    }
    for (g, e) in got.iter().zip(num(&w["w_nr_rake"])) {
        let r = if e == 0.0 { g.abs() } else { rel(*g, e) };
        assert!(r < 1e-9, "raked weight {g} vs {e}");
        max = max.max(r);
    }
    match &report.steps[1] {
        StepReport::Rake {
            iterations,
            max_relative_margin_error,
            ..
        } => {
            assert!(*iterations > 1 && *max_relative_margin_error <= 1e-13);
        }
        other => panic!("unexpected report {other:?}"),
    }
    eprintln!("oracle: raked weights max rel err {max:e}");
}

#[test]
fn jackknife_replicates_agree_with_samplics() {
    let exp = expected();
    let sample = load("data.csv");
    let (headers, cols) = read_csv("jk_design.csv");
    let reps = replicate_weights(
        &sample.design,
        &WeightingSpec::none(),
        &sample.data,
        VarianceMethod::Jackknife,
    )
    .unwrap();
    assert_eq!(reps.weights.len(), headers.len());
    for (r, label) in reps.labels.iter().enumerate() {
        // label "jk:stratum/psu"; samplics' column is named after the deleted psu
        let psu = label.rsplit('/').next().unwrap();
        let theirs = num(&cols[psu]);
        for (a, b) in reps.weights[r].iter().zip(&theirs) {
            assert!(rel(*a, *b) < 1e-12 || (*a == 0.0 && *b == 0.0), "{label}");
        }
        let c = exp["jk_coefficients"][psu].as_f64().unwrap();
        assert!(rel(reps.coefficients[r], c) < 1e-15);
    }
}

#[test]
fn lonely_psu_skip_agrees_with_samplics() {
    let exp = expected();
    let sample = load("lonely.csv");
    let mean = Estimator::Mean {
        y: "interaction".into(),
        domain: Domain::All,
    };
    let none = WeightingSpec::none();
    assert!(matches!(
        estimate(
            &sample.design,
            &none,
            &sample.data,
            &mean,
            &VarianceMethod::Taylor
        ),
        Err(StatsError::LonelyPsu { stratum }) if stratum == "L"
    ));
    for policy in [LonelyPsu::Certainty, LonelyPsu::Remove] {
        let design = sample.design.clone().with_lonely_psu(policy);
        for case in exp["lonely_cases"].as_array().unwrap() {
            let got = estimate(
                &design,
                &none,
                &sample.data,
                &estimator_of(case),
                &VarianceMethod::Taylor,
            )
            .unwrap();
            assert!(rel(got.point, case["point"].as_f64().unwrap()) < 1e-9);
            assert!(rel(got.se.unwrap(), case["se"].as_f64().unwrap()) < 1e-6);
        }
    }
}

#[test]
fn quantiles_agree_with_scipy() {
    let exp = expected();
    let mut max = 0.0f64;
    for q in exp["t_quantiles"].as_array().unwrap() {
        let got = interval::t_quantile(q["p"].as_f64().unwrap(), q["df"].as_f64().unwrap());
        let e = rel(got.unwrap(), q["q"].as_f64().unwrap());
        assert!(e < 1e-10, "{q}: {got:?}");
        max = max.max(e);
    }
    for q in exp["beta_quantiles"].as_array().unwrap() {
        let got = interval::beta_quantile(
            q["p"].as_f64().unwrap(),
            q["a"].as_f64().unwrap(),
            q["b"].as_f64().unwrap(),
        );
        let e = rel(got.unwrap(), q["q"].as_f64().unwrap());
        assert!(e < 1e-10, "{q}: {got:?}");
        max = max.max(e);
    }
    eprintln!("oracle: quantiles max rel err {max:e}");
}
