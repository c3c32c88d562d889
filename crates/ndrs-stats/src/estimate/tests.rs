//! Tests of [`super`] (estimate.rs), kept beside it so the module reads as its code.

use super::*;
use crate::design::{LonelyPsu, Unit};
use crate::weighting::WeightingStep;

/// Two strata of 3 PSUs plus a lonely stratum "z".
fn sample() -> (Design, Data) {
    let mut units = Vec::new();
    let mut y = Vec::new();
    for i in 0..20 {
        let (s, p) = if i < 16 {
            (["a", "b"][i % 2], format!("p{}", i % 3))
        } else {
            ("z", "p0".to_string())
        };
        units.push(Unit::new(s, p, 1.0 + (i % 5) as f64));
        y.push((i * 7 % 11) as f64);
    }
    let bin: Vec<f64> = y.iter().map(|v| f64::from(u8::from(*v > 4.0))).collect();
    let data = Data::new(20)
        .with_numeric("y", y)
        .unwrap()
        .with_numeric("bin", bin)
        .unwrap();
    (Design::new(units).unwrap(), data)
}

fn mean() -> Estimator {
    Estimator::Mean {
        y: "y".into(),
        domain: Domain::All,
    }
}

/// The total of column `y` over the whole population.
fn total(y: &str) -> Estimator {
    Estimator::Total {
        y: y.into(),
        domain: Domain::All,
    }
}

/// The proportion of ones in column `y` over the whole population.
fn proportion(y: &str) -> Estimator {
    Estimator::Proportion {
        y: y.into(),
        domain: Domain::All,
    }
}

/// `e` on the design weights as they are, with Taylor linearisation: the plainest estimate,
/// for tests about what the data or the design do rather than the weighting or the variance.
fn unweighted_taylor(design: &Design, data: &Data, e: &Estimator) -> Result<Estimate> {
    estimate(
        design,
        &WeightingSpec::none(),
        data,
        e,
        &VarianceMethod::Taylor,
    )
}

#[test]
fn lonely_adjust_adds_the_centred_lonely_psu() {
    let (design, data) = sample();
    let run = |policy| {
        let d = design.clone().with_lonely_psu(policy);
        unweighted_taylor(&d, &data, &mean()).unwrap()
    };
    let cert = run(LonelyPsu::Certainty);
    let adj = run(LonelyPsu::Adjust);
    // For a mean the scores sum to zero, so the grand mean is 0 and the lonely PSU adds
    // its squared score total: (Σ_z w (y - ȳ) / Σ w)².
    let (w, y) = (design.weights(), data.numeric("y").unwrap());
    let big_w: f64 = w.iter().sum();
    let ybar = w.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() / big_w;
    let z: f64 = (16..20).map(|i| w[i] * (y[i] - ybar) / big_w).sum();
    let extra = adj.se.unwrap().powi(2) - cert.se.unwrap().powi(2);
    assert!((extra - z * z).abs() < 1e-12, "{extra} vs {}", z * z);
    // Replicates cannot do Adjust; Fail names the stratum.
    let d = design.clone().with_lonely_psu(LonelyPsu::Adjust);
    assert!(matches!(
        estimate(
            &d,
            &WeightingSpec::none(),
            &data,
            &mean(),
            &VarianceMethod::Jackknife
        ),
        Err(StatsError::InvalidSetting {
            field: "lonely_psu",
            ..
        })
    ));
    assert!(matches!(
        unweighted_taylor(&design, &data, &mean()),
        Err(StatsError::LonelyPsu { stratum }) if stratum == "z"
    ));
}

#[test]
fn per_estimator_errors_do_not_hide_others() {
    let (design, data) = sample();
    let design = design.with_lonely_psu(LonelyPsu::Remove);
    let ests = [mean(), proportion("y"), total("nope"), proportion("bin")];
    let set = estimate_many(
        &design,
        &WeightingSpec::none(),
        &data,
        &ests,
        &VarianceMethod::Taylor,
        &Options::default(),
    )
    .unwrap();
    assert!(set.estimates[0].is_ok());
    assert!(matches!(
        set.estimates[1],
        Err(StatsError::NotBinary { row: 1, .. })
    ));
    assert!(matches!(
        set.estimates[2],
        Err(StatsError::UnknownColumn { .. })
    ));
    let p = set.estimates[3].as_ref().unwrap();
    let ci = p.ci.unwrap();
    assert!(ci.lower < p.point && p.point < ci.upper);
    assert!(!p.reliable, "n = 20 < 30 must be flagged");
}

#[test]
fn missing_answers_of_nonrespondents_are_ignored() {
    let (design, data) = sample();
    let design = design.with_lonely_psu(LonelyPsu::Remove);
    let mut y: Vec<f64> = data.numeric("y").unwrap().to_vec();
    let resp: Vec<f64> = (0..20).map(|i| f64::from(u8::from(i != 3))).collect();
    y[3] = f64::NAN;
    let data = Data::new(20)
        .with_numeric("y", y.clone())
        .unwrap()
        .with_numeric("r", resp)
        .unwrap();
    let spec = WeightingSpec {
        steps: vec![WeightingStep::NonResponse {
            class: None,
            respondent: "r".into(),
        }],
    };
    let e = estimate(&design, &spec, &data, &mean(), &VarianceMethod::Jackknife).unwrap();
    assert!(e.point.is_finite() && e.se.unwrap().is_finite());
    assert_eq!(e.n, 19);
    // without the adjustment the respondent's NaN is an error naming the row
    let err = unweighted_taylor(&design, &data, &mean());
    assert!(matches!(
        err,
        Err(StatsError::NonFiniteValue { row: 3, .. })
    ));
}

#[test]
fn srs_without_replacement_has_design_effect_one() {
    // One stratum, every unit its own PSU, equal weights N/n, FPC declared: the design
    // variance is the SRSWOR variance, so deff = 1.
    let n = 25;
    let units = (0..n)
        .map(|i| Unit::new("s", format!("u{i}"), 8.0))
        .collect();
    let design = Design::new(units)
        .unwrap()
        .with_population_psus("s", 200.0)
        .unwrap();
    let y: Vec<f64> = (0..n).map(|i| ((i * 13) % 7) as f64).collect();
    let data = Data::new(n).with_numeric("y", y).unwrap();
    for e in [mean(), total("y")] {
        let got = unweighted_taylor(&design, &data, &e).unwrap();
        assert!((got.deff.unwrap() - 1.0).abs() < 1e-12, "{got:?}");
        assert_eq!(got.df, n - 1);
    }
}

#[test]
fn replicates_give_the_same_bits_on_any_number_of_threads() {
    let (design, data) = sample();
    let design = design.with_lonely_psu(LonelyPsu::Certainty);
    let estimators = [mean(), total("y"), proportion("bin")];
    let run = |threads: usize, variance: VarianceMethod| {
        let options = Options {
            threads,
            ..Options::default()
        };
        estimate_many(
            &design,
            &WeightingSpec::none(),
            &data,
            &estimators,
            &variance,
            &options,
        )
        .unwrap()
        .estimates
        .into_iter()
        .map(|e| e.unwrap().se.unwrap().to_bits())
        .collect::<Vec<u64>>()
    };
    // 37 replicates: three blocks, the last one short.
    let bootstrap = VarianceMethod::Bootstrap {
        replicates: 37,
        seed: 5,
    };
    let one = run(1, bootstrap);
    assert!(one.iter().all(|&b| f64::from_bits(b) > 0.0));
    for threads in [0, 2, 3, 8] {
        assert_eq!(run(threads, bootstrap), one, "{threads} threads");
        assert_eq!(
            run(threads, VarianceMethod::Jackknife),
            run(1, VarianceMethod::Jackknife)
        );
    }
}
