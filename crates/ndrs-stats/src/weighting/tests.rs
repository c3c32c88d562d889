//! Tests of [`super`] (weighting.rs), kept beside it so the module reads as its code.

use super::*;
use crate::design::Unit;

fn setup() -> (Design, Data) {
    let units = (0..8)
        .map(|i| Unit::new("s", format!("{}", i % 4), 1.0 + i as f64))
        .collect();
    let d = Design::new(units).unwrap();
    let data = Data::new(8)
        .with_numeric("resp", vec![1., 0., 1., 1., 0., 1., 1., 1.])
        .unwrap()
        .with_categorical("cls", &["a", "a", "a", "a", "b", "b", "b", "b"])
        .unwrap()
        .with_categorical("sex", &["m", "f", "m", "f", "m", "f", "m", "f"])
        .unwrap();
    (d, data)
}

#[test]
fn nonresponse_keeps_class_totals() {
    let (d, data) = setup();
    let spec = WeightingSpec {
        steps: vec![WeightingStep::NonResponse {
            class: Some("cls".into()),
            respondent: "resp".into(),
        }],
    };
    let (w, _) = spec.apply(&d, &data).unwrap();
    assert_eq!(w[1], 0.0);
    assert_eq!(w[4], 0.0);
    let a: f64 = w[..4].iter().sum();
    let b: f64 = w[4..].iter().sum();
    assert!((a - 10.0).abs() < 1e-12 && (b - 26.0).abs() < 1e-12);
}

#[test]
fn raking_errors_are_named() {
    let (d, data) = setup();
    let rake = |targets: &[(&str, f64)]| WeightingSpec {
        steps: vec![WeightingStep::Rake(Raking {
            margins: vec![Margin {
                variable: "sex".into(),
                targets: targets.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            }],
            max_iterations: 50,
            tolerance: 1e-10,
            bounds: None,
        })],
    };
    assert!(matches!(
        rake(&[("m", 10.0)]).apply(&d, &data),
        Err(StatsError::MissingMarginTarget { category, .. }) if category == "f"
    ));
    assert!(matches!(
        rake(&[("m", 10.0), ("f", 5.0), ("x", 1.0)]).apply(&d, &data),
        Err(StatsError::EmptyMarginCategory { category, .. }) if category == "x"
    ));
    let (w, rep) = rake(&[("m", 10.0), ("f", 30.0)]).apply(&d, &data).unwrap();
    assert!((w.iter().sum::<f64>() - 40.0).abs() < 1e-9);
    assert!(matches!(
        rep.steps[0],
        StepReport::Rake { iterations: 1, .. }
    ));
}

#[test]
fn raking_reports_non_convergence_and_bounds() {
    let (d, data) = setup();
    let margins = vec![
        Margin {
            variable: "sex".into(),
            targets: [("m".to_string(), 10.0), ("f".to_string(), 30.0)].into(),
        },
        Margin {
            variable: "cls".into(),
            targets: [("a".to_string(), 30.0), ("b".to_string(), 10.0)].into(),
        },
    ];
    let spec = |max_iterations, bounds| WeightingSpec {
        steps: vec![WeightingStep::Rake(Raking {
            margins: margins.clone(),
            max_iterations,
            tolerance: 1e-12,
            bounds,
        })],
    };
    assert!(matches!(
        spec(1, None).apply(&d, &data),
        Err(StatsError::RakingNotConverged { iterations: 1, .. })
    ));
    assert!(spec(1000, None).apply(&d, &data).is_ok());
    assert!(matches!(
        spec(1000, Some((0.9, 1.1))).apply(&d, &data),
        Err(StatsError::RakingOutOfBounds { .. })
    ));
}

#[test]
fn trimming_caps_and_keeps_total() {
    let (d, data) = setup();
    let spec = WeightingSpec {
        steps: vec![WeightingStep::Trim(Trimming {
            cap: TrimCap::Absolute(6.0),
            max_iterations: 100,
        })],
    };
    let (w, rep) = spec.apply(&d, &data).unwrap();
    assert!(w.iter().all(|&x| x <= 6.0 * (1.0 + 1e-12)));
    assert!((w.iter().sum::<f64>() - 36.0).abs() < 1e-9);
    assert!(matches!(rep.steps[0], StepReport::Trim { .. }));
    let impossible = WeightingSpec {
        steps: vec![WeightingStep::Trim(Trimming {
            cap: TrimCap::Absolute(4.0),
            max_iterations: 100,
        })],
    };
    assert!(matches!(
        impossible.apply(&d, &data),
        Err(StatsError::TrimmingFailed { .. })
    ));
}
