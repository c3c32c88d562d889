//! Property tests: invariants that must hold for any valid sample.

use ndrs_stats::*;
use proptest::prelude::*;

/// A random stratified sample: (stratum, psu, weight, y, x) per unit.
#[derive(Debug, Clone)]
struct Sample {
    units: Vec<Unit>,
    y: Vec<f64>,
    x: Vec<f64>,
}

fn sample() -> impl Strategy<Value = Sample> {
    // 2..4 strata, 2..4 PSUs each, 1..5 units per PSU
    prop::collection::vec(prop::collection::vec(1usize..5, 2..5), 2..5)
        .prop_flat_map(|shape| {
            let n: usize = shape.iter().flatten().sum();
            (
                Just(shape),
                prop::collection::vec(0.5f64..10.0, n),
                prop::collection::vec(-5.0f64..20.0, n),
                prop::collection::vec(0.5f64..3.0, n),
            )
        })
        .prop_map(|(shape, w, y, x)| {
            let mut units = Vec::new();
            for (h, psus) in shape.iter().enumerate() {
                for (j, &m) in psus.iter().enumerate() {
                    for _ in 0..m {
                        units.push(Unit::new(format!("s{h}"), format!("p{j}"), w[units.len()]));
                    }
                }
            }
            Sample { units, y, x }
        })
}

fn data(s: &Sample) -> Data {
    let n = s.units.len();
    let k1: Vec<String> = (0..n).map(|i| format!("a{}", i % 2)).collect();
    let k2: Vec<String> = (0..n).map(|i| format!("b{}", (i / 2) % 2)).collect();
    let all_one = vec![1.0; n];
    let first_half: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i < n / 2))).collect();
    let same: Vec<String> = vec!["only".to_string(); n];
    Data::new(n)
        .with_numeric("y", s.y.clone())
        .unwrap()
        .with_numeric("x", s.x.clone())
        .unwrap()
        .with_numeric("one", all_one)
        .unwrap()
        .with_numeric("half", first_half)
        .unwrap()
        .with_categorical("k1", &k1)
        .unwrap()
        .with_categorical("k2", &k2)
        .unwrap()
        .with_categorical("same", &same)
        .unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// After raking, every margin is reproduced and the weights sum to the population total.
    #[test]
    fn raking_reproduces_margins(s in sample(), t1 in 0.2f64..0.8, t2 in 0.2f64..0.8,
                                 total in 100.0f64..10_000.0) {
        prop_assume!(s.units.len() >= 4); // every k1 x k2 cell is then non-empty
        let d = data(&s);
        let design = Design::new(s.units.clone()).unwrap();
        let margin = |var: &str, prefix: &str, share: f64| Margin {
            variable: var.into(),
            targets: [(format!("{prefix}0"), total * share), (format!("{prefix}1"), total * (1.0 - share))]
                .into_iter().collect(),
        };
        let spec = WeightingSpec { steps: vec![WeightingStep::Rake(Raking {
            margins: vec![margin("k1", "a", t1), margin("k2", "b", t2)],
            max_iterations: 10_000,
            tolerance: 1e-11,
            bounds: None,
        })]};
        let (w, report) = spec.apply(&design, &d).unwrap();
        prop_assert!(close(w.iter().sum::<f64>(), total, 1e-9));
        let sum_where = |col: usize, level: usize| -> f64 {
            w.iter().enumerate()
                .filter(|(i, _)| if col == 1 { i % 2 == level } else { (i / 2) % 2 == level })
                .map(|(_, x)| x).sum()
        };
        prop_assert!(close(sum_where(1, 0), total * t1, 1e-9));
        prop_assert!(close(sum_where(2, 0), total * t2, 1e-9));
        let ok = matches!(report.steps[0], StepReport::Rake { max_relative_margin_error, .. }
            if max_relative_margin_error <= 1e-11);
        prop_assert!(ok);
    }

    /// A census (every unit, weight 1, every stratum take-all or N_h = n_h) has no sampling
    /// variance under every method.
    #[test]
    fn census_has_zero_variance(s in sample(), by_fpc in any::<bool>()) {
        let units: Vec<Unit> = s.units.iter().map(|u| Unit::new(u.stratum.clone(), u.psu.clone(), 1.0)).collect();
        let mut design = Design::new(units).unwrap();
        let strata: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            s.units.iter().fold(Default::default(), |mut m, u| {
                m.entry(u.stratum.clone()).or_default().insert(u.psu.clone());
                m
            });
        for (h, psus) in &strata {
            design = if by_fpc {
                design.with_population_psus(h, psus.len() as f64).unwrap()
            } else {
                design.with_certainty(h).unwrap()
            };
        }
        let d = data(&s);
        for method in [VarianceMethod::Taylor, VarianceMethod::Jackknife,
                       VarianceMethod::Bootstrap { replicates: 20, seed: 7 }] {
            for e in [Estimator::Total { y: "y".into(), domain: Domain::All },
                      Estimator::Mean { y: "y".into(), domain: Domain::Indicator("half".into()) },
                      Estimator::Ratio { y: "y".into(), x: "x".into(), domain: Domain::All }] {
                let got = estimate(&design, &WeightingSpec::none(), &d, &e, &method);
                if let Ok(got) = got {
                    prop_assert_eq!(got.se, Some(0.0));
                    prop_assert_eq!(got.df, 0);
                } else {
                    // only an empty domain may fail
                    let undefined = matches!(got, Err(StatsError::Undefined { .. }));
                    prop_assert!(undefined);
                }
            }
        }
    }

    /// A domain equal to the whole population gives the full-population estimate, and a domain
    /// total equals the total of the zero-extended variable (no rows are dropped).
    #[test]
    fn whole_population_domain_equals_full(s in sample()) {
        let design = Design::new(s.units.clone()).unwrap().with_lonely_psu(LonelyPsu::Certainty);
        let d = data(&s);
        for method in [VarianceMethod::Taylor, VarianceMethod::Jackknife] {
            for (a, b) in [
                (Domain::All, Domain::Indicator("one".into())),
                (Domain::All, Domain::Category { column: "same".into(), value: "only".into() }),
            ] {
                let full = estimate(&design, &WeightingSpec::none(), &d,
                    &Estimator::Mean { y: "y".into(), domain: a }, &method).unwrap();
                let dom = estimate(&design, &WeightingSpec::none(), &d,
                    &Estimator::Mean { y: "y".into(), domain: b }, &method).unwrap();
                prop_assert!(close(full.point, dom.point, 1e-12));
                prop_assert!(close(full.se.unwrap(), dom.se.unwrap(), 1e-12));
                prop_assert_eq!(full.df, dom.df);
                prop_assert_eq!(full.n, dom.n);
            }
        }
        // domain total == total of y * indicator over the full sample, point and SE
        let n = s.units.len();
        let yd: Vec<f64> = (0..n).map(|i| if i < n / 2 { s.y[i] } else { 0.0 }).collect();
        let d2 = data(&s).with_numeric("yd", yd).unwrap();
        let dom = estimate(&design, &WeightingSpec::none(), &d2,
            &Estimator::Total { y: "y".into(), domain: Domain::Indicator("half".into()) },
            &VarianceMethod::Taylor).unwrap();
        let ext = estimate(&design, &WeightingSpec::none(), &d2,
            &Estimator::Total { y: "yd".into(), domain: Domain::All }, &VarianceMethod::Taylor).unwrap();
        prop_assert!(close(dom.point, ext.point, 1e-12));
        prop_assert!(close(dom.se.unwrap(), ext.se.unwrap(), 1e-9));
    }

    /// For a total (a linear estimator) without weighting, JKn and Taylor variances coincide.
    #[test]
    fn jackknife_equals_taylor_for_totals(s in sample()) {
        let design = Design::new(s.units.clone()).unwrap();
        let d = data(&s);
        let e = Estimator::Total { y: "y".into(), domain: Domain::Indicator("half".into()) };
        let t = estimate(&design, &WeightingSpec::none(), &d, &e, &VarianceMethod::Taylor).unwrap();
        let j = estimate(&design, &WeightingSpec::none(), &d, &e, &VarianceMethod::Jackknife).unwrap();
        prop_assert!(close(t.se.unwrap(), j.se.unwrap(), 1e-9));
    }

    /// Bootstrap replicates are a function of the seed only.
    #[test]
    fn bootstrap_is_reproducible(s in sample(), seed in any::<u64>()) {
        let design = Design::new(s.units.clone()).unwrap();
        let d = data(&s);
        let method = VarianceMethod::Bootstrap { replicates: 30, seed };
        let spec = WeightingSpec { steps: vec![WeightingStep::Trim(Trimming {
            cap: TrimCap::MeanMultiple(3.0), max_iterations: 50 })] };
        let a = replicate_weights(&design, &spec, &d, method).unwrap();
        let b = replicate_weights(&design, &spec, &d, method).unwrap();
        prop_assert_eq!(&a, &b);
        let e = Estimator::Ratio { y: "y".into(), x: "x".into(), domain: Domain::All };
        let ea = estimate(&design, &spec, &d, &e, &method).unwrap();
        let eb = estimate(&design, &spec, &d, &e, &method).unwrap();
        prop_assert_eq!(ea.se.map(f64::to_bits), eb.se.map(f64::to_bits));
        // a different seed gives different replicates
        let c = replicate_weights(&design, &spec, &d,
            VarianceMethod::Bootstrap { replicates: 30, seed: seed ^ 1 }).unwrap();
        prop_assert_ne!(&a.weights, &c.weights);
    }
}
