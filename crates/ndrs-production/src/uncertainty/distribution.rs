//! The distributions a parameter's stated uncertainty describes, and their inverse CDFs.
//!
//! Each [`Parameter`] becomes a [`Distribution`]:
//! - `Exact` → a constant.
//! - `Normal { standard_deviation }` → a normal with mean = the stated value, **truncated** to the
//!   parameter's [`Bounds`]: `[0, ∞)` for counts and bytes, `[0, 1]` for shares. Truncation
//!   renormalises the density inside the bounds (no probability piles up at a bound, as it would
//!   if draws were clamped). When the standard deviation is large compared with the distance to a
//!   bound, the truncated mean moves away from the bound (e.g. a share stated as 0.95 ± 0.2 has a
//!   mean below 0.95); [`Distribution::mean`] gives the exact figure. The central value stays the
//!   stated value.
//! - `Range { low, high }` → a triangular distribution on `[low, high]` with its mode at the
//!   stated value. A reporter who gives "most likely x, somewhere between a and b" is giving the
//!   three points of an expert elicitation; the triangular is the least-assumption distribution
//!   that honours all three and has bounded support. PERT (a scaled beta with the same three
//!   points) would put less weight in the tails; we prefer the triangular because its tails are
//!   the conservative choice when the range is the reporter's own guess.
//!
//! # Sampling
//! Every draw of every parameter is the inverse CDF applied to one uniform number in the open
//! interval (0, 1), built from the top 52 bits of a `ChaCha8` output as `(k + 0.5) / 2^52`.
//! The normal quantile and CDF are those of the private `normal` module (pure Rust, so the same
//! seed gives the same bits on every machine).

use rand_chacha::rand_core::RngCore;

use super::InvalidDistribution;
use super::normal::{standard_normal_cdf, standard_normal_pdf, standard_normal_quantile};
use crate::domain::{Parameter, Uncertainty};

/// The interval a quantity lives in; normal distributions are truncated to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub low: f64,
    pub high: f64,
}

impl Bounds {
    /// Counts and byte volumes.
    pub const NON_NEGATIVE: Bounds = Bounds {
        low: 0.0,
        high: f64::INFINITY,
    };
    /// Shares (e.g. the active share of an installed base).
    pub const SHARE: Bounds = Bounds {
        low: 0.0,
        high: 1.0,
    };

    pub fn new(low: f64, high: f64) -> Result<Self, InvalidDistribution> {
        if low.is_nan() || high.is_nan() || low > high {
            return Err(InvalidDistribution(format!(
                "bounds must satisfy low <= high, got [{low}, {high}]"
            )));
        }
        Ok(Bounds { low, high })
    }

    fn contains(self, x: f64) -> bool {
        x >= self.low && x <= self.high
    }
}

/// A parameter's distribution, sampled by its inverse CDF (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distribution {
    central: f64,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Constant,
    /// Normal(mean = central, sd) restricted to [low, high]; `cdf_low` and `cdf_width` are
    /// Φ(α) and Φ(β) − Φ(α) for the standardised bounds α, β, computed once.
    TruncatedNormal {
        standard_deviation: f64,
        low: f64,
        high: f64,
        cdf_low: f64,
        cdf_width: f64,
    },
    /// Triangular on [low, high] with mode = central; `mode_cdf` = F(mode).
    Triangular {
        low: f64,
        high: f64,
        mode_cdf: f64,
    },
}

impl Distribution {
    pub fn constant(value: f64) -> Result<Self, InvalidDistribution> {
        if !value.is_finite() {
            return Err(InvalidDistribution(format!(
                "value must be finite, got {value}"
            )));
        }
        Ok(Distribution {
            central: value,
            kind: Kind::Constant,
        })
    }

    /// Normal with the given mean and standard deviation, truncated to `bounds`; the mean must
    /// lie within the bounds. A zero standard deviation gives a constant.
    pub fn truncated_normal(
        mean: f64,
        standard_deviation: f64,
        bounds: Bounds,
    ) -> Result<Self, InvalidDistribution> {
        let constant = Self::constant(mean)?;
        if !bounds.contains(mean) {
            return Err(InvalidDistribution(format!(
                "value {mean} is outside [{}, {}]",
                bounds.low, bounds.high
            )));
        }
        if !(standard_deviation.is_finite() && standard_deviation >= 0.0) {
            return Err(InvalidDistribution(format!(
                "standard deviation must be finite and non-negative, got {standard_deviation}"
            )));
        }
        if standard_deviation == 0.0 || bounds.low == bounds.high {
            return Ok(constant);
        }
        let cdf_low = standard_normal_cdf((bounds.low - mean) / standard_deviation);
        let cdf_high = standard_normal_cdf((bounds.high - mean) / standard_deviation);
        Ok(Distribution {
            central: mean,
            kind: Kind::TruncatedNormal {
                standard_deviation,
                low: bounds.low,
                high: bounds.high,
                cdf_low,
                cdf_width: cdf_high - cdf_low,
            },
        })
    }

    /// Triangular on `[low, high]` with the given mode. `low == high` gives a constant.
    pub fn triangular(low: f64, mode: f64, high: f64) -> Result<Self, InvalidDistribution> {
        let constant = Self::constant(mode)?;
        if !(low.is_finite() && high.is_finite()) {
            return Err(InvalidDistribution(format!(
                "range must be finite, got [{low}, {high}]"
            )));
        }
        if !(low <= mode && mode <= high) {
            return Err(InvalidDistribution(format!(
                "range must satisfy low <= value <= high, got low {low}, value {mode}, high {high}"
            )));
        }
        if low == high {
            return Ok(constant);
        }
        Ok(Distribution {
            central: mode,
            kind: Kind::Triangular {
                low,
                high,
                mode_cdf: (mode - low) / (high - low),
            },
        })
    }

    /// The distribution a parameter's stated uncertainty describes; the value and any range must
    /// lie within `bounds` (the same rule the return's validation applies).
    pub fn from_parameter(p: &Parameter, bounds: Bounds) -> Result<Self, InvalidDistribution> {
        if !(p.value.is_finite() && bounds.contains(p.value)) {
            return Err(InvalidDistribution(format!(
                "value {} is not a finite number in [{}, {}]",
                p.value, bounds.low, bounds.high
            )));
        }
        match p.uncertainty {
            Uncertainty::Exact => Self::constant(p.value),
            Uncertainty::Normal { standard_deviation } => {
                Self::truncated_normal(p.value, standard_deviation, bounds)
            }
            Uncertainty::Range { low, high } => {
                if !(bounds.contains(low) && bounds.contains(high)) {
                    return Err(InvalidDistribution(format!(
                        "range [{low}, {high}] is not within [{}, {}]",
                        bounds.low, bounds.high
                    )));
                }
                Self::triangular(low, p.value, high)
            }
        }
    }

    /// The stated (most likely) value: the normal's untruncated mean, the triangular's mode.
    pub fn central(&self) -> f64 {
        self.central
    }

    pub fn is_constant(&self) -> bool {
        matches!(self.kind, Kind::Constant)
    }

    /// The exact mean; differs from [`Self::central`] for a skewed triangular or when truncation
    /// bites.
    pub fn mean(&self) -> f64 {
        match self.kind {
            Kind::Constant => self.central,
            Kind::TruncatedNormal {
                standard_deviation: sd,
                low,
                high,
                cdf_width,
                ..
            } => {
                // μ + σ (φ(α) − φ(β)) / (Φ(β) − Φ(α)); φ(±∞) = 0.
                let alpha = (low - self.central) / sd;
                let beta = (high - self.central) / sd;
                self.central
                    + sd * (standard_normal_pdf(alpha) - standard_normal_pdf(beta)) / cdf_width
            }
            Kind::Triangular { low, high, .. } => (low + self.central + high) / 3.0,
        }
    }

    /// The inverse CDF at `u` in (0, 1); the result always lies within the distribution's
    /// support (arguments at or beyond 0 and 1 give its ends).
    pub fn quantile(&self, u: f64) -> f64 {
        match self.kind {
            Kind::Constant => self.central,
            Kind::TruncatedNormal {
                standard_deviation,
                low,
                high,
                cdf_low,
                cdf_width,
            } => {
                // Keep the probability strictly inside (0, 1) so the quantile stays finite, then
                // clamp the result against rounding at the bounds.
                let p =
                    (cdf_low + u * cdf_width).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
                (self.central + standard_deviation * standard_normal_quantile(p)).clamp(low, high)
            }
            Kind::Triangular {
                low,
                high,
                mode_cdf,
            } => {
                let u = u.clamp(0.0, 1.0);
                // Products of square roots rather than square roots of products, so that byte
                // volumes near 1e21 cannot overflow.
                let x = if u < mode_cdf {
                    low + (u * (high - low)).sqrt() * (self.central - low).sqrt()
                } else {
                    high - ((1.0 - u) * (high - low)).sqrt() * (high - self.central).sqrt()
                };
                x.clamp(low, high)
            }
        }
    }

    /// One draw; a constant does not consume the generator.
    pub fn sample<R: RngCore>(&self, rng: &mut R) -> f64 {
        match self.kind {
            Kind::Constant => self.central,
            _ => self.quantile(open_unit(rng)),
        }
    }
}

/// A uniform number in the open interval (0, 1): `(k + 0.5) / 2^52` for the top 52 bits `k` of
/// one 64-bit output. Every value is exact in binary64 and symmetric about 1/2, and neither 0
/// nor 1 can occur, so quantiles stay finite.
fn open_unit<R: RngCore>(rng: &mut R) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 52) as f64;
    ((rng.next_u64() >> 12) as f64 + 0.5) * SCALE
}
