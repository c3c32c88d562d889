//! Confidence intervals and the distribution functions they need (Student t and beta quantiles),
//! implemented here so that the crate has no numerical dependency; they are checked against
//! scipy values in the oracle fixtures.
//!
//! - Means, totals, ratios: `estimate ± t_{df, 1-α/2} · SE` with the design degrees of freedom.
//! - Proportions: a symmetric Wald interval can leave [0, 1] near the edges, so two intervals are
//!   offered: the logit interval (default; what samplics computes): `expit(logit(p) ± t · SE /
//!   (p(1-p)))`, and the Korn-Graubard (1998) interval as in R `svyciprop(method = "beta")`: a
//!   Clopper-Pearson interval at the effective sample size `p(1-p)/Var(p)`, itself scaled by
//!   `(t_{n-1} / t_df)^2`. Both stay inside [0, 1]; Korn-Graubard is the more conservative near 0
//!   and 1 and is recommended by NCHS for small proportions.

use serde::{Deserialize, Serialize};

/// How proportion intervals are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProportionCi {
    /// Logit-transformed t interval (samplics' default).
    #[default]
    Logit,
    /// Korn-Graubard (R `svyciprop(method = "beta")`).
    KornGraubard,
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    pub method: IntervalMethod,
}

/// Which formula produced an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntervalMethod {
    StudentT,
    Logit,
    KornGraubard,
    /// The standard error is exactly 0 (every unit of the domain is in take-all strata that
    /// responded in full): the interval is the point itself.
    NoSamplingVariance,
}

/// `estimate ± t · se`.
pub fn t_interval(estimate: f64, se: f64, df: f64, level: f64) -> Option<Interval> {
    let t = t_quantile(0.5 + level / 2.0, df)?;
    Some(Interval {
        lower: estimate - t * se,
        upper: estimate + t * se,
        level,
        method: IntervalMethod::StudentT,
    })
}

/// Logit interval for a proportion; `(p, p)` when p is 0 or 1 (as samplics).
pub fn logit_interval(p: f64, se: f64, df: f64, level: f64) -> Option<Interval> {
    let t = t_quantile(0.5 + level / 2.0, df)?;
    let (lower, upper) = if p <= 0.0 || p >= 1.0 {
        (p, p)
    } else {
        let loc = (p / (1.0 - p)).ln();
        let scale = se / (p * (1.0 - p));
        // overflow-safe inverse logit
        let expit = |x: f64| {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                x.exp() / (1.0 + x.exp())
            }
        };
        (expit(loc - t * scale), expit(loc + t * scale))
    };
    Some(Interval {
        lower,
        upper,
        level,
        method: IntervalMethod::Logit,
    })
}

/// Korn-Graubard interval for a proportion with `n` respondents and `df` design degrees of
/// freedom (R `svyciprop(method = "beta")`).
pub fn korn_graubard_interval(p: f64, se: f64, n: usize, df: f64, level: f64) -> Option<Interval> {
    let alpha = 1.0 - level;
    let var = se * se;
    let (lower, upper) = if var <= 0.0 || p <= 0.0 || p >= 1.0 {
        // No sampling variability (or a boundary estimate): the effective sample size is
        // unbounded (or undefined) and the interval collapses to the point, as in samplics.
        (p, p)
    } else {
        let mut n_eff = p * (1.0 - p) / var;
        if n >= 2 {
            let ratio = t_quantile(alpha / 2.0, (n - 1) as f64)? / t_quantile(alpha / 2.0, df)?;
            n_eff *= ratio * ratio;
        }
        let x = n_eff * p;
        let lower = if x <= 0.0 {
            0.0
        } else {
            beta_quantile(alpha / 2.0, x, n_eff - x + 1.0)?
        };
        let upper = if n_eff - x <= 0.0 {
            1.0
        } else {
            beta_quantile(1.0 - alpha / 2.0, x + 1.0, n_eff - x)?
        };
        (lower, upper)
    };
    Some(Interval {
        lower,
        upper,
        level,
        method: IntervalMethod::KornGraubard,
    })
}

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction for the incomplete beta (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / lentz_floor(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Each iteration takes the even and then the odd term of the fraction.
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(even, &mut c, &mut d);
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        let del = lentz_step(odd, &mut c, &mut d);
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// One term `aa` of a modified-Lentz evaluation: updates the running ratios `c` and `d` and
/// returns the factor `c·d` the convergent is multiplied by. Every term needs the same update,
/// so the even and odd terms of [`beta_cf`] share it.
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 / lentz_floor(1.0 + aa * *d);
    *c = lentz_floor(1.0 + aa / *c);
    *d * *c
}

/// Replaces a denominator that is (nearly) zero by a tiny positive number, the modified Lentz
/// guard against dividing by zero.
fn lentz_floor(v: f64) -> f64 {
    const TINY: f64 = 1e-300;
    if v.abs() < TINY { TINY } else { v }
}

/// Regularised incomplete beta `I_x(a, b)`.
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Quantile of the beta distribution, by bisection on [`beta_cdf`] (robust; ~1e-15 absolute).
pub fn beta_quantile(p: f64, a: f64, b: f64) -> Option<f64> {
    if !(p.is_finite() && a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
        return None;
    }
    if p <= 0.0 {
        return Some(0.0);
    }
    if p >= 1.0 {
        return Some(1.0);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if beta_cdf(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Quantile of Student's t with `df` degrees of freedom (df >= 1, may be fractional).
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0 && df.is_finite() && df > 0.0) {
        return None;
    }
    if p == 0.5 {
        return Some(0.0);
    }
    // P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2); solve for x = df/(df+t^2).
    let tail = 2.0 * p.min(1.0 - p);
    let x = beta_quantile(tail, df / 2.0, 0.5)?;
    let t = (df * (1.0 - x) / x).sqrt();
    Some(if p > 0.5 { t } else { -t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // Closed forms (t with 1 df is Cauchy; symmetry); scipy values are in tests/oracle.rs.
        let cauchy = (std::f64::consts::PI * (0.975 - 0.5)).tan();
        assert!((t_quantile(0.975, 1.0).unwrap() - cauchy).abs() < 1e-9);
        let (lo, hi) = (
            t_quantile(0.025, 10.0).unwrap(),
            t_quantile(0.975, 10.0).unwrap(),
        );
        assert!((lo + hi).abs() < 1e-12);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((beta_cdf(0.5, 2.0, 2.0) - 0.5).abs() < 1e-15);
        assert_eq!(t_quantile(0.975, 0.0), None);
    }

    #[test]
    fn proportion_intervals_stay_in_unit_interval() {
        for &p in &[1e-4, 0.01, 0.5, 0.99, 0.9999] {
            for &se in &[1e-3, 0.05, 0.3] {
                let l = logit_interval(p, se, 12.0, 0.95).unwrap();
                let k = korn_graubard_interval(p, se, 40, 12.0, 0.95).unwrap();
                for i in [l, k] {
                    assert!(
                        0.0 <= i.lower && i.lower <= p && p <= i.upper && i.upper <= 1.0,
                        "{p} {se} {i:?}"
                    );
                    assert!(0.0 <= i.lower && i.lower <= p && p <= i.upper && i.upper <= 1.0);
                }
            }
        }
    }
}
