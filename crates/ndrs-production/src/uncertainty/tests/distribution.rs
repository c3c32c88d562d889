//! Tests of the distributions: analytic moments, truncation rather than clamping, the normal
//! quantile, and the parameters that cannot describe a distribution.

use super::*;
use crate::uncertainty::normal::{standard_normal_cdf, standard_normal_quantile};

#[test]
fn triangular_draws_have_the_analytic_mean() {
    let (a, c, b) = (2.0, 3.0, 10.0);
    let d = Distribution::triangular(a, c, b).unwrap();
    assert_eq!(d.mean(), 5.0);
    assert_eq!(d.central(), 3.0);
    let x = parameter_draws("t", &d, N, 1);
    assert!(x.iter().all(|v| (a..=b).contains(v)));
    let n = N as f64;
    let (m, _) = mean_sd(&x);
    // Variance (a² + b² + c² − ab − ac − bc) / 18; allow 5 standard errors of the mean.
    let sd = ((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0_f64).sqrt();
    assert!((m - 5.0).abs() < 5.0 * sd / n.sqrt(), "mean {m}");
    // F(mode) = (c − a)/(b − a) = 1/8 of the draws lie below the mode.
    let below = x.iter().filter(|v| **v < c).count() as f64 / n;
    assert!(
        (below - 0.125).abs() < 5.0 * (0.125 * 0.875 / n).sqrt(),
        "{below}"
    );
    assert!((d.quantile(0.125) - c).abs() < 1e-12);
    assert_eq!(d.quantile(0.0), a);
    assert_eq!(d.quantile(1.0), b);
}

#[test]
fn a_normal_is_truncated_at_zero_not_clamped() {
    // Normal(0, 1) truncated to [0, ∞) is the half-normal: mean sqrt(2/π), sd sqrt(1 − 2/π).
    // Clamping instead would give mean 1/sqrt(2π) ≈ 0.399 and half the draws at 0.
    let d = normal(0.0, 1.0);
    let half_normal_mean = (2.0 / std::f64::consts::PI).sqrt();
    assert!((d.mean() - half_normal_mean).abs() < 1e-15);
    let x = parameter_draws("h", &d, N, 3);
    assert!(x.iter().all(|v| *v > 0.0));
    let (m, _) = mean_sd(&x);
    let sd = (1.0 - 2.0 / std::f64::consts::PI).sqrt();
    assert!(
        (m - half_normal_mean).abs() < 5.0 * sd / (N as f64).sqrt(),
        "{m}"
    );
}

#[test]
fn share_parameters_stay_within_the_unit_interval() {
    let wide = Parameter {
        value: 0.95,
        uncertainty: Uncertainty::Normal {
            standard_deviation: 0.2,
        },
    };
    let d = Distribution::from_parameter(&wide, Bounds::SHARE).unwrap();
    let x = parameter_draws("share", &d, N, 8);
    assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
    // Truncated, not clamped: no mass piles up at 1, yet the upper bound is approached.
    assert!(x.iter().all(|v| *v < 1.0));
    assert!(x.iter().any(|v| *v > 0.999));
    // The truncated mean lies below the stated value; the draws agree with it.
    assert!(d.mean() < 0.95);
    let (m, s) = mean_sd(&x);
    assert!(
        (m - d.mean()).abs() < 5.0 * s / (N as f64).sqrt(),
        "{m} vs {}",
        d.mean()
    );

    let ranged = Parameter {
        value: 0.98,
        uncertainty: Uncertainty::Range {
            low: 0.9,
            high: 1.0,
        },
    };
    let d = Distribution::from_parameter(&ranged, Bounds::SHARE).unwrap();
    assert!(
        parameter_draws("r", &d, N, 8)
            .iter()
            .all(|v| (0.9..=1.0).contains(v))
    );

    // And in the full-volume model: every active share parameter is bounded.
    let model = FullVolumeModel::new(&devices(), &media()).unwrap();
    let shares: Vec<_> = model
        .parameters()
        .iter()
        .filter(|(n, _)| n.ends_with("/active_share"))
        .collect();
    assert_eq!(shares.len(), 5);
    for (name, d) in shares {
        assert!(
            parameter_draws(name, d, 20_000, 1)
                .iter()
                .all(|v| (0.0..=1.0).contains(v)),
            "{name}"
        );
    }
}

#[test]
fn the_normal_quantile_inverts_the_normal_cdf() {
    assert_eq!(standard_normal_quantile(0.5), 0.0);
    assert!((standard_normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
    assert!((standard_normal_quantile(0.05) + 1.644_853_626_951_472_2).abs() < 1e-14);
    // Round trip through erfc over the lower tail down to 1e-300, in all three regions of
    // AS241, and over the upper half.
    let mut p = 0.5_f64;
    while p > 1e-300 {
        // The round trip's relative error is the quantile's error in z magnified by the
        // CDF's condition number (about z² in the tail): allow 1e-15 relative in z.
        let z = standard_normal_quantile(p);
        let back = standard_normal_cdf(z);
        assert!(
            (back - p).abs() <= 1e-15 * z.mul_add(z, 1.0) * p,
            "p {p}: {back}"
        );
        let upper = 1.0 - p;
        if upper < 1.0 {
            let back = standard_normal_cdf(standard_normal_quantile(upper));
            assert!((back - upper).abs() <= 2e-16, "p {upper}: {back}");
        }
        p *= 0.7;
    }
}

#[test]
fn invalid_parameters_are_rejected_with_a_reason() {
    let p = |value, uncertainty| Parameter { value, uncertainty };
    let nn = Bounds::NON_NEGATIVE;
    let range = |low, high| Uncertainty::Range { low, high };
    let sd = |s| Uncertainty::Normal {
        standard_deviation: s,
    };
    for (param, bounds) in [
        (p(5.0, range(6.0, 4.0)), nn),     // low > high
        (p(5.0, range(6.0, 8.0)), nn),     // value below the range
        (p(-1.0, Uncertainty::Exact), nn), // negative count
        (p(f64::NAN, Uncertainty::Exact), nn),
        (p(5.0, sd(-1.0)), nn),
        (p(5.0, sd(f64::INFINITY)), nn),
        (p(5.0, range(-1.0, 6.0)), nn), // range below the bound
        (p(1.2, Uncertainty::Exact), Bounds::SHARE),
        (p(0.9, range(0.8, 1.1)), Bounds::SHARE),
    ] {
        assert!(
            Distribution::from_parameter(&param, bounds).is_err(),
            "{param:?} accepted"
        );
    }
    assert!(Bounds::new(1.0, 0.0).is_err());
    assert!(Distribution::triangular(1.0, 0.5, 2.0).is_err());

    let mut bad = devices();
    bad[0].active_share.value = 1.2;
    let err = FullVolumeModel::new(&bad, &[]).unwrap_err();
    match &err {
        UncertaintyError::InvalidParameter { parameter, .. } => {
            assert_eq!(parameter, "smartphone/vendor-a/active_share")
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("smartphone/vendor-a/active_share"));
}
