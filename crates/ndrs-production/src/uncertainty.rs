//! Seeded Monte Carlo propagation of the parameters' stated uncertainty through the full-volume
//! model, to intervals (p5, p50, p95) and a ranking of the parameters that drive each output.
//!
//! The module is pure: no I/O, no clock, no threads, no global state. Everything a run produces
//! is a function of its inputs and a `u64` seed.
//!
//! # Distributions
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
//! The normal quantile is Wichura's algorithm AS241 (relative accuracy about 1e-16); the normal
//! CDF, needed for the truncation, is `erfc` from the pure-Rust `libm` crate rather than the
//! platform's C library, so that the same seed gives the same bits on every machine (Rust never
//! fuses multiply-adds on its own, and `sqrt` is correctly rounded everywhere).
//!
//! # Determinism
//! Each parameter draws from its own ChaCha8 stream: the key is the seed expanded by SplitMix64,
//! the stream number is the FNV-1a hash of the parameter's name. A parameter's draws therefore
//! depend only on the seed, its name and its distribution, not on the order of the parameter
//! list or on which other parameters are present, so two runs that differ by one parameter share
//! their other draws (common random numbers), which keeps a comparison between them free of
//! sampling noise. Draws are generated in chunks of [`CHUNK_DRAWS`] (parameter by parameter
//! within a chunk, draw by draw within a parameter), the model is evaluated draw by draw in
//! order, and every sum runs in a fixed order, so results are identical bit for bit across runs.
//!
//! # Summaries
//! Per output: the central value (the model at the parameters' central values, i.e. the point
//! estimate that [`crate::model`] publishes), the mean, the sample standard deviation
//! (denominator `n - 1`), and p5, p50, p95 by linear interpolation between order statistics
//! ("type 7" of Hyndman and Fan, numpy's and R's default): with the draws sorted ascending,
//! `h = (n - 1) p` and `q = x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`.
//!
//! # Sensitivity
//! For each output, the parameters are ranked by the squared Pearson correlation between the
//! parameter's draws and the output's draws, normalised to sum to 1 over the parameters
//! ([`Contribution::variance_share`]). With independent parameters (which is what the stated
//! uncertainties give us) and a model that is close to linear over the parameters' spread, the
//! squared correlation of parameter i is the fraction of the output's variance that a linear
//! effect of parameter i explains, so the shares read as "how much of the uncertainty comes from
//! this parameter". Limits: it sees only linear (first-order) effects; interactions and strong
//! curvature are attributed to no one. The sum of the unnormalised squared correlations,
//! [`OutputSummary::linear_r_squared`], says how much of the variance the linear view explains:
//! near 1 the ranking is trustworthy, well below 1 it is only indicative (a variance-based
//! method such as Sobol indices would then be needed). Parameters that do not influence an output
//! get shares of order 1/n from sampling noise. Correlations are accumulated chunk by chunk with
//! the pairwise update of Chan, Golub and LeVeque, so parameter draws never need to be held for
//! more than one chunk: memory is the output draws (`draws × outputs` values) plus one chunk.
//!
//! # Full-volume model
//! [`FullVolumeModel`] builds the model of [`crate::model`] over random parameters: each
//! source's return is its own set of independent random variables; sources for the same device
//! type (or medium and holder) are consolidated draw by draw by the unweighted mean, exactly as
//! the central-value model consolidates central values. All parameters are drawn independently,
//! so e.g. `used` and `installed capacity` of a medium can fall in a draw where used exceeds
//! capacity; utilisation above 1 in some draws is a sign that the stated uncertainties are wide
//! compared with the headroom, not a bug.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::domain::{
    DeviceParameters, Medium, Parameter, SourceCategory, StorageMediumFigures, Uncertainty,
};

/// Number of draws generated and folded into the correlation sums at a time. Part of the
/// definition of a run: changing it changes the last bits of the sensitivity figures (not the
/// draws, intervals or moments).
pub const CHUNK_DRAWS: usize = 1024;

/// Errors of the module; every one names what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum UncertaintyError {
    /// A parameter's value or stated uncertainty cannot describe a distribution.
    InvalidParameter { parameter: String, reason: String },
    /// Two parameters (or two outputs) share a name; names identify draw streams and results.
    DuplicateName { kind: &'static str, name: String },
    /// Two distinct parameter names hash to the same stream (astronomically unlikely; rename one).
    StreamCollision { first: String, second: String },
    /// Percentiles and a standard deviation need at least two draws.
    TooFewDraws(usize),
    /// The model returned a different number of values than there are outputs.
    OutputCountMismatch { expected: usize, got: usize },
    /// The model returned NaN or an infinity (e.g. a ratio whose denominator drew zero).
    /// `draw` is `None` at the central values.
    NonFiniteOutput { output: String, draw: Option<usize> },
    /// [`FullVolumeModel::evaluate`] was given the wrong number of parameter values.
    ParameterCountMismatch { expected: usize, got: usize },
}

impl fmt::Display for UncertaintyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameter { parameter, reason } => {
                write!(f, "parameter {parameter}: {reason}")
            }
            Self::DuplicateName { kind, name } => write!(f, "duplicate {kind} name {name:?}"),
            Self::StreamCollision { first, second } => write!(
                f,
                "parameter names {first:?} and {second:?} map to the same random stream; rename one"
            ),
            Self::TooFewDraws(n) => write!(f, "at least 2 draws are needed, got {n}"),
            Self::OutputCountMismatch { expected, got } => {
                write!(f, "model returned {got} values for {expected} outputs")
            }
            Self::NonFiniteOutput { output, draw } => match draw {
                Some(d) => write!(f, "output {output} is not finite at draw {d}"),
                None => write!(f, "output {output} is not finite at the central values"),
            },
            Self::ParameterCountMismatch { expected, got } => {
                write!(f, "expected {expected} parameter values, got {got}")
            }
        }
    }
}

impl std::error::Error for UncertaintyError {}

/// Why a distribution cannot be built; [`UncertaintyError::InvalidParameter`] adds the name.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidDistribution(pub String);

impl fmt::Display for InvalidDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidDistribution {}

impl InvalidDistribution {
    fn named(self, parameter: &str) -> UncertaintyError {
        UncertaintyError::InvalidParameter {
            parameter: parameter.to_string(),
            reason: self.0,
        }
    }
}

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

fn standard_normal_pdf(x: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * libm::exp(-0.5 * x * x)
}

/// Φ(x) = erfc(−x / √2) / 2, accurate in both tails.
fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in (0, 1): algorithm AS241 (PPND16) of M. J. Wichura, Applied Statistics 37
/// (1988) 477-484, accurate to about 1 part in 10^16.
// The coefficients are the published ones digit for digit, so the transcription can be checked
// against the paper; the compiler rounds them to the nearest binary64.
#[allow(clippy::excessive_precision)]
fn standard_normal_quantile(p: f64) -> f64 {
    fn poly(c: &[f64], x: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
    }
    const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_7e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_4e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        6.897_673_349_851_000_045_5e-1,
        1.481_039_764_274_800_745_9e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        2.965_605_718_285_048_912_3e-1,
        2.653_218_952_657_612_309_3e-2,
        1.242_660_947_388_078_438_6e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_9e-1,
        1.369_298_809_227_358_053_1e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-libm::log(tail)).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -z } else { z }
}

/// SplitMix64 step (Steele, Lea and Flood 2014): expands the seed into the generator's key.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64 bits: a parameter name's stream number.
fn stream_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut state = seed;
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// The first `draws` draws of the named parameter under `seed`: exactly the values
/// [`simulate`] feeds the model for this parameter.
pub fn parameter_draws(
    name: &str,
    distribution: &Distribution,
    draws: usize,
    seed: u64,
) -> Vec<f64> {
    let mut rng = stream_rng(seed, stream_of(name));
    (0..draws).map(|_| distribution.sample(&mut rng)).collect()
}

/// The `p`-quantile (p in [0, 1]) of ascending `sorted` values by linear interpolation between
/// order statistics (type 7, numpy's default). `None` for no values or `p` outside [0, 1].
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = (h.floor() as usize).min(sorted.len() - 1);
    let hi = (lo + 1).min(sorted.len() - 1);
    let fraction = h - lo as f64;
    Some(sorted[lo] + fraction * (sorted[hi] - sorted[lo]))
}

/// A run's results, serialisable for storage with the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    pub seed: u64,
    pub draws: usize,
    /// Parameter names in the order the model received them.
    pub parameters: Vec<String>,
    /// One summary per output, in the order of the output names.
    pub outputs: Vec<OutputSummary>,
}

impl SimulationResult {
    pub fn output(&self, name: &str) -> Option<&OutputSummary> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSummary {
    pub name: String,
    /// The model at the parameters' central values: the published point estimate.
    pub central: f64,
    pub mean: f64,
    /// Sample standard deviation of the draws (denominator n − 1); exactly 0 when every draw is
    /// the same.
    pub standard_deviation: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    /// Sum of the squared correlations before normalisation: the share of the output's variance
    /// that linear effects of the parameters explain. `None` when the output does not vary.
    pub linear_r_squared: Option<f64>,
    /// Non-constant parameters, largest variance share first (ties by parameter order); empty
    /// when the output does not vary.
    pub sensitivity: Vec<Contribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub parameter: String,
    /// Pearson correlation between the parameter's draws and the output's draws.
    pub correlation: f64,
    /// Squared correlation divided by the sum of squared correlations over all parameters.
    pub variance_share: f64,
}

/// Running means, sums of squared deviations and co-moments of parameters (p) and outputs (k),
/// merged chunk by chunk (Chan, Golub and LeVeque, 1979).
struct CoMoments {
    n: usize,
    p: usize,
    mean_x: Vec<f64>,
    m2_x: Vec<f64>,
    mean_y: Vec<f64>,
    m2_y: Vec<f64>,
    /// `c[j * p + i]` = Σ (x_i − mean x_i)(y_j − mean y_j).
    c: Vec<f64>,
}

impl CoMoments {
    fn new(p: usize, k: usize) -> Self {
        CoMoments {
            n: 0,
            p,
            mean_x: vec![0.0; p],
            m2_x: vec![0.0; p],
            mean_y: vec![0.0; k],
            m2_y: vec![0.0; k],
            c: vec![0.0; p * k],
        }
    }

    /// Folds in `m` draws: `xs` is draw-major (`xs[d * p + i]`), `ys[j][start..start + m]`.
    fn add_chunk(&mut self, xs: &[f64], m: usize, ys: &[Vec<f64>], start: usize) {
        let (p, k) = (self.p, ys.len());
        let mf = m as f64;
        let mut cm_x = vec![0.0; p];
        for row in xs.chunks_exact(p.max(1)).take(m) {
            for (acc, x) in cm_x.iter_mut().zip(row) {
                *acc += x;
            }
        }
        cm_x.iter_mut().for_each(|v| *v /= mf);
        let cm_y: Vec<f64> = ys
            .iter()
            .map(|y| y[start..start + m].iter().sum::<f64>() / mf)
            .collect();
        let mut cm2_x = vec![0.0; p];
        let mut cm2_y = vec![0.0; k];
        let mut cc = vec![0.0; p * k];
        let mut dx = vec![0.0; p];
        for d in 0..m {
            let row = &xs[d * p..(d + 1) * p];
            for (((dxi, x), mean), m2) in dx.iter_mut().zip(row).zip(&cm_x).zip(&mut cm2_x) {
                *dxi = x - mean;
                *m2 += *dxi * *dxi;
            }
            for (j, y) in ys.iter().enumerate() {
                let dy = y[start + d] - cm_y[j];
                cm2_y[j] += dy * dy;
                for (acc, dxi) in cc[j * p..(j + 1) * p].iter_mut().zip(&dx) {
                    *acc += dxi * dy;
                }
            }
        }
        if self.n == 0 {
            (self.mean_x, self.m2_x, self.mean_y, self.m2_y, self.c) =
                (cm_x, cm2_x, cm_y, cm2_y, cc);
            self.n = m;
            return;
        }
        let (na, nb) = (self.n as f64, mf);
        let n = na + nb;
        let weight = na * nb / n;
        let delta_x: Vec<f64> = cm_x.iter().zip(&self.mean_x).map(|(b, a)| b - a).collect();
        let delta_y: Vec<f64> = cm_y.iter().zip(&self.mean_y).map(|(b, a)| b - a).collect();
        for j in 0..k {
            for i in 0..p {
                self.c[j * p + i] += cc[j * p + i] + delta_x[i] * delta_y[j] * weight;
            }
        }
        for i in 0..p {
            self.m2_x[i] += cm2_x[i] + delta_x[i] * delta_x[i] * weight;
            self.mean_x[i] += delta_x[i] * nb / n;
        }
        for j in 0..k {
            self.m2_y[j] += cm2_y[j] + delta_y[j] * delta_y[j] * weight;
            self.mean_y[j] += delta_y[j] * nb / n;
        }
        self.n += m;
    }

    fn ranking(
        &self,
        j: usize,
        parameters: &[(String, Distribution)],
    ) -> (Option<f64>, Vec<Contribution>) {
        let m2_y = self.m2_y[j];
        if m2_y.is_nan() || m2_y <= 0.0 {
            return (None, Vec::new());
        }
        let row = &self.c[j * self.p..(j + 1) * self.p];
        let correlations: Vec<(usize, f64)> = parameters
            .iter()
            .enumerate()
            .filter(|(i, (_, d))| !d.is_constant() && self.m2_x[*i] > 0.0)
            .map(|(i, _)| {
                let r = row[i] / (self.m2_x[i] * m2_y).sqrt();
                (
                    i,
                    if r.is_finite() {
                        r.clamp(-1.0, 1.0)
                    } else {
                        0.0
                    },
                )
            })
            .collect();
        let total: f64 = correlations.iter().map(|(_, r)| r * r).sum();
        let mut ranking: Vec<(usize, Contribution)> = correlations
            .into_iter()
            .map(|(i, r)| {
                let share = if total > 0.0 { r * r / total } else { 0.0 };
                (
                    i,
                    Contribution {
                        parameter: parameters[i].0.clone(),
                        correlation: r,
                        variance_share: share,
                    },
                )
            })
            .collect();
        ranking.sort_by(|(ia, a), (ib, b)| {
            b.variance_share
                .total_cmp(&a.variance_share)
                .then(ia.cmp(ib))
        });
        (Some(total), ranking.into_iter().map(|(_, c)| c).collect())
    }
}

fn check_unique<'a>(
    names: impl Iterator<Item = &'a str>,
    kind: &'static str,
) -> Result<(), UncertaintyError> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(UncertaintyError::DuplicateName {
                kind,
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

fn evaluate_checked<F: Fn(&[f64]) -> Vec<f64>>(
    model: &F,
    values: &[f64],
    outputs: &[String],
    draw: Option<usize>,
) -> Result<Vec<f64>, UncertaintyError> {
    let y = model(values);
    if y.len() != outputs.len() {
        return Err(UncertaintyError::OutputCountMismatch {
            expected: outputs.len(),
            got: y.len(),
        });
    }
    if let Some(j) = y.iter().position(|v| !v.is_finite()) {
        return Err(UncertaintyError::NonFiniteOutput {
            output: outputs[j].clone(),
            draw,
        });
    }
    Ok(y)
}

/// Propagates the parameters' distributions through `model` with `draws` Monte Carlo draws.
///
/// `model` receives the parameter values in the order of `parameters` and returns one value per
/// name in `outputs`. It must be a pure function of its input for the run to be reproducible.
pub fn simulate<F>(
    parameters: &[(String, Distribution)],
    outputs: &[String],
    model: F,
    draws: usize,
    seed: u64,
) -> Result<SimulationResult, UncertaintyError>
where
    F: Fn(&[f64]) -> Vec<f64>,
{
    if draws < 2 {
        return Err(UncertaintyError::TooFewDraws(draws));
    }
    check_unique(parameters.iter().map(|(n, _)| n.as_str()), "parameter")?;
    check_unique(outputs.iter().map(String::as_str), "output")?;
    let mut streams: HashMap<u64, &str> = HashMap::new();
    for (name, _) in parameters {
        if let Some(first) = streams.insert(stream_of(name), name) {
            return Err(UncertaintyError::StreamCollision {
                first: first.to_string(),
                second: name.clone(),
            });
        }
    }
    let (p, k) = (parameters.len(), outputs.len());
    let central_values: Vec<f64> = parameters.iter().map(|(_, d)| d.central()).collect();
    let central = evaluate_checked(&model, &central_values, outputs, None)?;

    let mut rngs: Vec<ChaCha8Rng> = parameters
        .iter()
        .map(|(name, _)| stream_rng(seed, stream_of(name)))
        .collect();
    let mut ys: Vec<Vec<f64>> = (0..k).map(|_| Vec::with_capacity(draws)).collect();
    let mut moments = CoMoments::new(p, k);
    let mut buffer = vec![0.0; CHUNK_DRAWS.min(draws) * p];
    let mut start = 0;
    while start < draws {
        let m = CHUNK_DRAWS.min(draws - start);
        let xs = &mut buffer[..m * p];
        for (i, ((_, distribution), rng)) in parameters.iter().zip(&mut rngs).enumerate() {
            for d in 0..m {
                xs[d * p + i] = distribution.sample(rng);
            }
        }
        for d in 0..m {
            let y = evaluate_checked(&model, &xs[d * p..(d + 1) * p], outputs, Some(start + d))?;
            for (column, value) in ys.iter_mut().zip(y) {
                column.push(value);
            }
        }
        moments.add_chunk(xs, m, &ys, start);
        start += m;
    }

    let n = draws as f64;
    let summaries = outputs
        .iter()
        .zip(central)
        .zip(ys)
        .enumerate()
        .map(|(j, ((name, central), mut y))| {
            let mean = y.iter().sum::<f64>() / n;
            let variance = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
            y.sort_unstable_by(f64::total_cmp);
            let constant = y[0] == y[draws - 1];
            let (linear_r_squared, sensitivity) = if constant {
                (None, Vec::new())
            } else {
                moments.ranking(j, parameters)
            };
            // `draws >= 2`, so every percentile exists; the fallback is unreachable.
            let q = |p: f64| percentile(&y, p).unwrap_or(f64::NAN);
            OutputSummary {
                name: name.clone(),
                central,
                mean: if constant { y[0] } else { mean },
                standard_deviation: if constant { 0.0 } else { variance.sqrt() },
                p5: q(0.05),
                p50: q(0.5),
                p95: q(0.95),
                linear_r_squared,
                sensitivity,
            }
        })
        .collect();
    Ok(SimulationResult {
        seed,
        draws,
        parameters: parameters.iter().map(|(n, _)| n.clone()).collect(),
        outputs: summaries,
    })
}

/// Output names of [`FullVolumeModel`].
pub const TOTAL_PRODUCTION: &str = "P01";
pub const STORAGE_STOCK: &str = "P03";
pub const NEW_STORAGE: &str = "P04";
pub const CONVERSION_RATE: &str = "P05";
pub const CAPACITY: &str = "P06";
pub const UTILISATION: &str = "P07";
pub const IOT_SHARE_OF_PUBLIC_ACQUISITION: &str = "P15";

/// Output name of the production of one category of data sources.
pub fn category_output(category: SourceCategory) -> String {
    format!("production.bytes/{}", category.code())
}

fn medium_code(medium: Medium) -> &'static str {
    match medium {
        Medium::Hdd => "hdd",
        Medium::Ssd => "ssd",
        Medium::Tape => "tape",
        Medium::Optical => "optical",
        Medium::TerminalFlash => "terminal_flash",
        Medium::Cloud => "cloud",
    }
}

const DEVICE_FIELDS: [&str; 6] = [
    "installed_base",
    "active_share",
    "created_bytes",
    "captured_bytes",
    "replicated_bytes",
    "consumed_bytes",
];
const MEDIUM_FIELDS: [&str; 4] = [
    "installed_capacity_bytes",
    "used_bytes",
    "newly_added_bytes",
    "overwritten_bytes",
];

/// Index of a source's public share, which follows its `DEVICE_FIELDS` when it reports one.
const PUBLIC_SHARE_FIELD: usize = DEVICE_FIELDS.len();

/// One device type: the index of its category's output slot and, per source, the index of the
/// source's first parameter (fields in the order of `DEVICE_FIELDS`); `public_sources` are the
/// sources that also report a public share (at `PUBLIC_SHARE_FIELD`).
#[derive(Debug, Clone)]
struct DeviceGroup {
    category_slot: usize,
    iot_sensing: bool,
    sources: Vec<usize>,
    public_sources: Vec<usize>,
}

/// One medium and holder; sources as in [`DeviceGroup`], fields in the order of `MEDIUM_FIELDS`.
#[derive(Debug, Clone)]
struct MediumGroup {
    sources: Vec<usize>,
}

/// The full-volume model of [`crate::model`] over random parameters.
///
/// Outputs, in order: P01 and production by category (in the order of [`SourceCategory`]) when
/// there are device returns; P03, P04, P06 when there are medium returns; P05 = P04 / P01 when
/// there are both and the central P01 is not zero; P07 = P03 / P06 when the central P06 is not
/// zero (as the central-value model, which does not publish a ratio over zero); P15 (the IoT
/// sensing share of public data acquisition) when a source reports a public share and the
/// central public acquisition is not zero.
#[derive(Debug, Clone)]
pub struct FullVolumeModel {
    parameters: Vec<(String, Distribution)>,
    outputs: Vec<String>,
    categories: usize,
    devices: Vec<DeviceGroup>,
    media: Vec<MediumGroup>,
    conversion_rate: bool,
    utilisation: bool,
    public_iot_share: bool,
}

/// Appends `prefix` made unique with `#2`, `#3`, ... (the same device type and source can
/// appear in two returns, and a `/` inside a source can make two prefixes alike).
fn unique_prefix(prefix: String, used: &mut HashSet<String>) -> String {
    let mut candidate = prefix.clone();
    let mut index = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{prefix}#{index}");
        index += 1;
    }
    candidate
}

fn mean_of(values: &[f64], sources: &[usize], field: usize) -> f64 {
    // Same order and arithmetic as `model::mean`, so the central values agree bit for bit.
    let sum = sources
        .iter()
        .fold(0.0, |s, &base| s + values[base + field]);
    sum / sources.len() as f64
}

impl FullVolumeModel {
    /// Builds the model; parameter names are `{device_type}/{source}/{field}` and
    /// `{medium}/{holder}/{source}/{field}`. Fails on the first parameter whose value or stated
    /// uncertainty does not describe a distribution, naming it.
    pub fn new(
        devices: &[DeviceParameters],
        media: &[StorageMediumFigures],
    ) -> Result<Self, UncertaintyError> {
        let mut parameters = Vec::new();
        let mut used = HashSet::new();
        let mut push = |prefix: String,
                        fields: &[(&str, &Parameter, Bounds)],
                        parameters: &mut Vec<(String, Distribution)>|
         -> Result<usize, UncertaintyError> {
            let prefix = unique_prefix(prefix, &mut used);
            let base = parameters.len();
            for (field, p, bounds) in fields {
                let name = format!("{prefix}/{field}");
                let distribution =
                    Distribution::from_parameter(p, *bounds).map_err(|e| e.named(&name))?;
                parameters.push((name, distribution));
            }
            Ok(base)
        };

        // Per device type: every source's base, and whether it reports a public share.
        let mut by_device: BTreeMap<(SourceCategory, &str), Vec<(usize, bool)>> = BTreeMap::new();
        for d in devices {
            let nn = Bounds::NON_NEGATIVE;
            let mut fields = vec![
                (DEVICE_FIELDS[0], &d.installed_base, nn),
                (DEVICE_FIELDS[1], &d.active_share, Bounds::SHARE),
                (DEVICE_FIELDS[2], &d.created_bytes, nn),
                (DEVICE_FIELDS[3], &d.captured_bytes, nn),
                (DEVICE_FIELDS[4], &d.replicated_bytes, nn),
                (DEVICE_FIELDS[5], &d.consumed_bytes, nn),
            ];
            if let Some(public_share) = &d.public_share {
                fields.push(("public_share", public_share, Bounds::SHARE));
            }
            let base = push(
                format!("{}/{}", d.device_type, d.source),
                &fields,
                &mut parameters,
            )?;
            by_device
                .entry((d.category, d.device_type.as_str()))
                .or_default()
                .push((base, d.public_share.is_some()));
        }
        let mut by_medium: BTreeMap<(Medium, &str), Vec<usize>> = BTreeMap::new();
        for m in media {
            let nn = Bounds::NON_NEGATIVE;
            let fields = [
                (MEDIUM_FIELDS[0], &m.installed_capacity_bytes, nn),
                (MEDIUM_FIELDS[1], &m.used_bytes, nn),
                (MEDIUM_FIELDS[2], &m.newly_added_bytes, nn),
                (MEDIUM_FIELDS[3], &m.overwritten_bytes, nn),
            ];
            let base = push(
                format!("{}/{}/{}", medium_code(m.medium), m.holder, m.source),
                &fields,
                &mut parameters,
            )?;
            by_medium
                .entry((m.medium, m.holder.as_str()))
                .or_default()
                .push(base);
        }

        let categories: Vec<SourceCategory> = {
            let mut c: Vec<SourceCategory> = by_device.keys().map(|(c, _)| *c).collect();
            c.dedup(); // keys are sorted by category first
            c
        };
        let devices: Vec<DeviceGroup> = by_device
            .into_iter()
            .map(|((category, _), sources)| DeviceGroup {
                category_slot: categories.iter().position(|c| *c == category).unwrap_or(0),
                iot_sensing: category == SourceCategory::IotSensing,
                public_sources: sources
                    .iter()
                    .filter(|(_, public)| *public)
                    .map(|(base, _)| *base)
                    .collect(),
                sources: sources.into_iter().map(|(base, _)| base).collect(),
            })
            .collect();
        let media: Vec<MediumGroup> = by_medium
            .into_values()
            .map(|sources| MediumGroup { sources })
            .collect();

        let mut model = FullVolumeModel {
            parameters,
            outputs: Vec::new(),
            categories: categories.len(),
            devices,
            media,
            conversion_rate: false,
            utilisation: false,
            public_iot_share: false,
        };
        let central_values: Vec<f64> = model.parameters.iter().map(|(_, d)| d.central()).collect();
        let totals = model.totals(&central_values);
        model.conversion_rate =
            !model.devices.is_empty() && !model.media.is_empty() && totals.produced != 0.0;
        model.utilisation = !model.media.is_empty() && totals.space != 0.0;
        // Non-zero only when some source reports a public share.
        model.public_iot_share = totals.public_acquisition != 0.0;
        if !model.devices.is_empty() {
            model.outputs.push(TOTAL_PRODUCTION.to_string());
            model
                .outputs
                .extend(categories.iter().map(|c| category_output(*c)));
        }
        if !model.media.is_empty() {
            model.outputs.push(STORAGE_STOCK.to_string());
            model.outputs.push(NEW_STORAGE.to_string());
        }
        if model.conversion_rate {
            model.outputs.push(CONVERSION_RATE.to_string());
        }
        if !model.media.is_empty() {
            model.outputs.push(CAPACITY.to_string());
        }
        if model.utilisation {
            model.outputs.push(UTILISATION.to_string());
        }
        if model.public_iot_share {
            model
                .outputs
                .push(IOT_SHARE_OF_PUBLIC_ACQUISITION.to_string());
        }
        Ok(model)
    }

    pub fn parameters(&self) -> &[(String, Distribution)] {
        &self.parameters
    }

    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    fn totals(&self, values: &[f64]) -> Totals {
        let mut by_category = vec![0.0; self.categories];
        // Summed by category first, as the central-value model does, so they agree bit for bit.
        let mut public_by_category = vec![0.0; self.categories];
        let mut public_iot = 0.0;
        for g in &self.devices {
            let m = |field| mean_of(values, &g.sources, field);
            let per_unit = m(2) + m(3) + m(4) + m(5);
            by_category[g.category_slot] += m(0) * m(1) * per_unit;
            if !g.public_sources.is_empty() {
                let public_share = mean_of(values, &g.public_sources, PUBLIC_SHARE_FIELD);
                let captured = m(0) * m(1) * public_share * m(3);
                public_by_category[g.category_slot] += captured;
                if g.iot_sensing {
                    public_iot += captured;
                }
            }
        }
        let public_acquisition: f64 = public_by_category.iter().sum();
        let produced: f64 = by_category.iter().sum();
        let (mut stock, mut space, mut new) = (0.0, 0.0, 0.0);
        for g in &self.media {
            let m = |field| mean_of(values, &g.sources, field);
            stock += m(1);
            space += m(0);
            new += m(2) + m(3);
        }
        Totals {
            by_category,
            produced,
            stock,
            space,
            new,
            public_acquisition,
            public_iot,
        }
    }

    fn evaluate_unchecked(&self, values: &[f64]) -> Vec<f64> {
        let t = self.totals(values);
        let mut out = Vec::with_capacity(self.outputs.len());
        if !self.devices.is_empty() {
            out.push(t.produced);
            out.extend_from_slice(&t.by_category);
        }
        if !self.media.is_empty() {
            out.push(t.stock);
            out.push(t.new);
        }
        if self.conversion_rate {
            out.push(t.new / t.produced);
        }
        if !self.media.is_empty() {
            out.push(t.space);
        }
        if self.utilisation {
            out.push(t.stock / t.space);
        }
        if self.public_iot_share {
            out.push(t.public_iot / t.public_acquisition);
        }
        out
    }

    /// The outputs for one set of parameter values (in the order of [`Self::parameters`]).
    pub fn evaluate(&self, values: &[f64]) -> Result<Vec<f64>, UncertaintyError> {
        if values.len() != self.parameters.len() {
            return Err(UncertaintyError::ParameterCountMismatch {
                expected: self.parameters.len(),
                got: values.len(),
            });
        }
        Ok(self.evaluate_unchecked(values))
    }

    /// Runs [`simulate`] over this model.
    pub fn simulate(&self, draws: usize, seed: u64) -> Result<SimulationResult, UncertaintyError> {
        simulate(
            &self.parameters,
            &self.outputs,
            |x| self.evaluate_unchecked(x),
            draws,
            seed,
        )
    }
}

struct Totals {
    by_category: Vec<f64>,
    produced: f64,
    stock: f64,
    space: f64,
    new: f64,
    public_acquisition: f64,
    public_iot: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndrs_platform::returns::StoredReturn;

    const N: usize = 100_000;

    fn normal(mean: f64, sd: f64) -> Distribution {
        Distribution::truncated_normal(mean, sd, Bounds::NON_NEGATIVE).unwrap()
    }

    fn named(pairs: Vec<(&str, Distribution)>) -> Vec<(String, Distribution)> {
        pairs.into_iter().map(|(n, d)| (n.to_string(), d)).collect()
    }

    fn outs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn mean_sd(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
        (m, v.sqrt())
    }

    /// Every number in a result, as bits, for bit-for-bit comparison.
    fn bits(r: &SimulationResult) -> Vec<u64> {
        r.outputs
            .iter()
            .flat_map(|o| {
                let mut v = vec![
                    o.central,
                    o.mean,
                    o.standard_deviation,
                    o.p5,
                    o.p50,
                    o.p95,
                    o.linear_r_squared.unwrap_or(-1.0),
                ];
                v.extend(
                    o.sensitivity
                        .iter()
                        .flat_map(|c| [c.correlation, c.variance_share]),
                );
                v
            })
            .map(f64::to_bits)
            .collect()
    }

    #[test]
    fn zero_uncertainty_collapses_the_interval_to_the_central_value() {
        let params = named(vec![
            ("a", Distribution::constant(1.1).unwrap()),
            ("b", normal(2.3, 0.0)),
            ("c", Distribution::triangular(0.7, 0.7, 0.7).unwrap()),
        ]);
        assert!(params.iter().all(|(_, d)| d.is_constant()));
        let r = simulate(
            &params,
            &outs(&["y", "z"]),
            |x| vec![x[0] * x[1] + x[2], x[0] / x[1]],
            3000, // crosses chunk boundaries
            7,
        )
        .unwrap();
        for o in &r.outputs {
            let c = o.central.to_bits();
            assert_eq!(o.p5.to_bits(), c, "{}", o.name);
            assert_eq!(o.p50.to_bits(), c, "{}", o.name);
            assert_eq!(o.p95.to_bits(), c, "{}", o.name);
            assert_eq!(o.mean.to_bits(), c, "{}", o.name);
            assert_eq!(o.standard_deviation, 0.0);
            assert!(o.sensitivity.is_empty());
            assert_eq!(o.linear_r_squared, None);
        }
        assert_eq!(r.outputs[0].central, 1.1 * 2.3 + 0.7);
    }

    #[test]
    fn sum_of_independent_normals_has_the_analytic_variance() {
        // Ten terms with mean 100 and sd 1..=10: the nearest bound is 10 sd away, so the
        // truncated mass (Φ(-10) ≈ 8e-24) is negligible and the sum is normal with
        // variance Σ i² = 385.
        let params: Vec<(String, Distribution)> = (1..=10)
            .map(|i| (format!("x{i}"), normal(100.0, f64::from(i))))
            .collect();
        let r = simulate(&params, &outs(&["sum"]), |x| vec![x.iter().sum()], N, 2024).unwrap();
        let o = &r.outputs[0];
        let variance = 385.0_f64;
        let sd = variance.sqrt();
        let n = N as f64;
        // For a normal sample, (n-1)s²/σ² is chi-square with n-1 degrees of freedom, so the
        // relative standard error of s² is sqrt(2/(n-1)) ≈ 0.45% at n = 100k. Allow 5 SEs.
        let rel_se = (2.0 / (n - 1.0)).sqrt();
        let ratio = o.standard_deviation.powi(2) / variance;
        assert!((ratio - 1.0).abs() < 5.0 * rel_se, "variance ratio {ratio}");
        // Mean: SE σ/√n.
        assert!(
            (o.mean - 1000.0).abs() < 5.0 * sd / n.sqrt(),
            "mean {}",
            o.mean
        );
        // Quantiles: SE of the sample p-quantile is sqrt(p(1-p)/n) / φ(z_p) × σ.
        let z95 = 1.644_853_626_951_472_2;
        let se_q = (0.05 * 0.95 / n).sqrt() / standard_normal_pdf(z95) * sd;
        let se_median = (0.25 / n).sqrt() / standard_normal_pdf(0.0) * sd;
        assert!(
            (o.p5 - (1000.0 - z95 * sd)).abs() < 5.0 * se_q,
            "p5 {}",
            o.p5
        );
        assert!(
            (o.p95 - (1000.0 + z95 * sd)).abs() < 5.0 * se_q,
            "p95 {}",
            o.p95
        );
        assert!((o.p50 - 1000.0).abs() < 5.0 * se_median, "p50 {}", o.p50);
        assert_eq!(o.central, 1000.0);
        // Additive model: linear effects explain the whole variance, and each term's share is
        // its variance over the total.
        // Σ r² equals R² = 1 only if the inputs' sample cross-correlations were zero; they are
        // of order 1/√n ≈ 0.003, so allow 0.02.
        let r2 = o.linear_r_squared.unwrap();
        assert!((r2 - 1.0).abs() < 0.02, "R² {r2}");
        let x10 = o.sensitivity.iter().find(|c| c.parameter == "x10").unwrap();
        assert!((x10.variance_share - 100.0 / 385.0).abs() < 0.01);
    }

    #[test]
    fn sensitivity_ranking_puts_the_dominating_parameter_first() {
        // The dominating parameter is last in the list so that the ranking cannot come from
        // the list order.
        let params = named(vec![
            ("b", normal(100.0, 1.0)),
            ("c", normal(100.0, 1.0)),
            ("a", normal(100.0, 10.0)),
        ]);
        let r = simulate(
            &params,
            &outs(&["sum", "product"]),
            |x| vec![x[0] + x[1] + x[2], x[0] * x[1] * x[2]],
            20_000,
            11,
        )
        .unwrap();
        for o in &r.outputs {
            assert_eq!(o.sensitivity[0].parameter, "a", "{}", o.name);
            assert_eq!(o.sensitivity.len(), 3);
            let total: f64 = o.sensitivity.iter().map(|c| c.variance_share).sum();
            assert!((total - 1.0).abs() < 1e-12);
            // Analytic share for the sum: 100 / 102; the product is nearly linear at 1-10% CV.
            assert!(
                (o.sensitivity[0].variance_share - 100.0 / 102.0).abs() < 0.01,
                "{}: {}",
                o.name,
                o.sensitivity[0].variance_share
            );
            assert!(o.sensitivity[0].correlation > 0.95);
        }
    }

    #[test]
    fn sensitivity_equals_the_direct_correlation_across_chunks() {
        let params = named(vec![
            ("base", Distribution::triangular(50.0, 80.0, 200.0).unwrap()),
            (
                "share",
                Distribution::truncated_normal(0.9, 0.3, Bounds::SHARE).unwrap(),
            ),
            ("fixed", Distribution::constant(3.0).unwrap()),
            ("bytes", normal(10.0, 4.0)),
        ]);
        let model = |x: &[f64]| vec![x[0] * x[1] * (x[2] + x[3]), x[3] - x[0]];
        let draws = 2 * CHUNK_DRAWS + 452; // two full chunks and a partial one
        let seed = 99;
        let r = simulate(&params, &outs(&["p", "d"]), model, draws, seed).unwrap();
        let columns: Vec<Vec<f64>> = params
            .iter()
            .map(|(n, d)| parameter_draws(n, d, draws, seed))
            .collect();
        let ys: Vec<Vec<f64>> = (0..draws)
            .map(|d| model(&columns.iter().map(|c| c[d]).collect::<Vec<_>>()))
            .collect();
        for (j, o) in r.outputs.iter().enumerate() {
            let y: Vec<f64> = ys.iter().map(|v| v[j]).collect();
            let (my, sy) = mean_sd(&y);
            assert!((o.mean - my).abs() <= 1e-12 * my.abs());
            assert!((o.standard_deviation - sy).abs() <= 1e-12 * sy);
            assert!(o.sensitivity.iter().all(|c| c.parameter != "fixed"));
            assert_eq!(o.sensitivity.len(), 3);
            for c in &o.sensitivity {
                let i = params.iter().position(|(n, _)| *n == c.parameter).unwrap();
                let (mx, sx) = mean_sd(&columns[i]);
                let cov = columns[i]
                    .iter()
                    .zip(&y)
                    .map(|(x, y)| (x - mx) * (y - my))
                    .sum::<f64>()
                    / (draws as f64 - 1.0);
                let r_direct = cov / (sx * sy);
                assert!(
                    (c.correlation - r_direct).abs() < 1e-12,
                    "{} / {}: {} vs {r_direct}",
                    o.name,
                    c.parameter,
                    c.correlation
                );
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_bits_and_another_seed_other_draws() {
        let params = named(vec![
            ("a", normal(10.0, 3.0)),
            ("b", Distribution::triangular(0.0, 1.0, 5.0).unwrap()),
            (
                "s",
                Distribution::truncated_normal(0.5, 0.4, Bounds::SHARE).unwrap(),
            ),
        ]);
        let run = |seed| {
            simulate(
                &params,
                &outs(&["y"]),
                |x| vec![x[0] * x[2] + x[1]],
                5000,
                seed,
            )
            .unwrap()
        };
        let (first, again, other) = (run(42), run(42), run(43));
        assert_eq!(bits(&first), bits(&again));
        assert_eq!(first, again);
        assert_ne!(first.outputs[0].mean, other.outputs[0].mean);
        for (name, d) in &params {
            let x = parameter_draws(name, d, 100, 42);
            assert_eq!(x, parameter_draws(name, d, 100, 42));
            let y = parameter_draws(name, d, 100, 43);
            assert!(x.iter().zip(&y).all(|(a, b)| a != b), "{name}");
        }
    }

    #[test]
    fn a_parameters_draws_do_not_depend_on_the_other_parameters() {
        let a = ("a", normal(10.0, 2.0));
        let alone = simulate(
            &named(vec![a]),
            &outs(&["y"]),
            |x| vec![2.0 * x[0]],
            3000,
            5,
        )
        .unwrap();
        let with_z = simulate(
            &named(vec![("z", normal(1.0, 0.5)), a]),
            &outs(&["y"]),
            |x| vec![2.0 * x[1]],
            3000,
            5,
        )
        .unwrap();
        let (p, q) = (&alone.outputs[0], &with_z.outputs[0]);
        for (u, v) in [
            (p.mean, q.mean),
            (p.standard_deviation, q.standard_deviation),
            (p.p5, q.p5),
            (p.p50, q.p50),
            (p.p95, q.p95),
        ] {
            assert_eq!(u.to_bits(), v.to_bits());
        }
        assert_eq!(q.sensitivity[0].parameter, "a");
    }

    #[test]
    fn pinned_draws_guard_reproducibility_across_platforms_and_upgrades() {
        // Recorded once; a change means a dependency upgrade or a platform changed the streams
        // (ChaCha8, SplitMix64 seeding, the uniform mapping or libm), which would break the
        // promise that stored runs can be reproduced from their seed.
        let n = parameter_draws("x", &normal(10.0, 2.0), 3, 2024);
        let t = parameter_draws(
            "y",
            &Distribution::triangular(1.0, 2.0, 4.0).unwrap(),
            3,
            2024,
        );
        let got: Vec<u64> = n.iter().chain(&t).map(|v| v.to_bits()).collect();
        assert_eq!(got, PINNED, "{n:?} {t:?}");
    }
    const PINNED: [u64; 6] = [
        4624505249136591140, // 14.771528146142892
        4621840436261720526, // 10.037869570144633
        4622470902219029844, // 11.157802085420066
        4612735811133080950, // 2.466201613177584
        4610561188118225388, // 1.7502374983943083
        4608833833409774616, // 1.366687704590964
    ];

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
    fn percentiles_interpolate_linearly_between_order_statistics() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1, 2, 3, 4], [5, 50, 95]) = [1.15, 2.5, 3.85]
        assert!((percentile(&x, 0.05).unwrap() - 1.15).abs() < 1e-12);
        assert_eq!(percentile(&x, 0.5), Some(2.5));
        assert!((percentile(&x, 0.95).unwrap() - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&x, 0.0), Some(1.0));
        assert_eq!(percentile(&x, 1.0), Some(4.0));
        assert_eq!(percentile(&[7.0], 0.95), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&x, 1.5), None);
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

    #[test]
    fn simulate_rejects_bad_runs_naming_the_problem() {
        let params = named(vec![("a", normal(10.0, 1.0))]);
        let y = outs(&["y"]);
        let ok = |x: &[f64]| vec![x[0]];
        assert_eq!(
            simulate(&params, &y, ok, 1, 0).unwrap_err(),
            UncertaintyError::TooFewDraws(1)
        );
        assert_eq!(
            simulate(&params, &y, |x| vec![x[0], x[0]], 10, 0).unwrap_err(),
            UncertaintyError::OutputCountMismatch {
                expected: 1,
                got: 2
            }
        );
        let err = simulate(
            &params,
            &y,
            |x| vec![if x[0] > 12.0 { f64::NAN } else { x[0] }],
            10_000,
            0,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            UncertaintyError::NonFiniteOutput { ref output, draw: Some(_) } if output == "y"
        ));
        let twice = named(vec![("a", normal(1.0, 1.0)), ("a", normal(2.0, 1.0))]);
        assert!(matches!(
            simulate(&twice, &y, ok, 10, 0).unwrap_err(),
            UncertaintyError::DuplicateName {
                kind: "parameter",
                ..
            }
        ));
        assert!(matches!(
            simulate(&params, &outs(&["y", "y"]), |x| vec![x[0], x[0]], 10, 0).unwrap_err(),
            UncertaintyError::DuplicateName { kind: "output", .. }
        ));
    }

    // Full-volume fixtures: two sources for smartphones (one of them twice) and for enterprise
    // HDDs, mixed uncertainties.
    fn param(value: f64, uncertainty: Uncertainty) -> Parameter {
        Parameter { value, uncertainty }
    }

    fn sd(value: f64, s: f64) -> Parameter {
        param(
            value,
            Uncertainty::Normal {
                standard_deviation: s,
            },
        )
    }

    fn range(low: f64, value: f64, high: f64) -> Parameter {
        param(value, Uncertainty::Range { low, high })
    }

    fn exact(value: f64) -> Parameter {
        param(value, Uncertainty::Exact)
    }

    fn device(
        category: SourceCategory,
        device_type: &str,
        source: &str,
        base: Parameter,
        share: Parameter,
        created: f64,
    ) -> DeviceParameters {
        DeviceParameters {
            category,
            device_type: device_type.into(),
            installed_base: base,
            active_share: share,
            created_bytes: sd(created, created * 0.1),
            captured_bytes: range(created * 0.5, created, created * 3.0),
            replicated_bytes: exact(created * 0.3),
            consumed_bytes: sd(created * 2.0, created * 0.2),
            source: source.into(),
            vintage: 2023,
            public_share: None,
        }
    }

    fn devices() -> Vec<DeviceParameters> {
        use SourceCategory::*;
        vec![
            device(
                DailyLife,
                "smartphone",
                "vendor-a",
                sd(1.1e9, 5e7),
                sd(0.9, 0.05),
                2e10,
            ),
            device(
                DailyLife,
                "smartphone",
                "assoc-b",
                range(0.9e9, 1.0e9, 1.3e9),
                range(0.8, 0.85, 0.95),
                2.2e10,
            ),
            device(
                DailyLife,
                "smartphone",
                "vendor-a",
                exact(1.2e9),
                exact(0.88),
                1.9e10,
            ),
            device(
                DailyLife,
                "pc",
                "vendor-a",
                sd(3e8, 3e7),
                sd(0.7, 0.1),
                5e10,
            ),
            device(
                IotSensing,
                "camera",
                "assoc-c",
                range(1e8, 5e8, 2e9),
                sd(0.95, 0.2),
                3e12,
            ),
        ]
    }

    fn medium(
        medium: Medium,
        holder: &str,
        source: &str,
        capacity: f64,
        used: f64,
    ) -> StorageMediumFigures {
        StorageMediumFigures {
            medium,
            holder: holder.into(),
            installed_capacity_bytes: sd(capacity, capacity * 0.05),
            used_bytes: range(used * 0.8, used, used * 1.1),
            newly_added_bytes: sd(used * 0.4, used * 0.05),
            overwritten_bytes: exact(used * 0.1),
            source: source.into(),
            vintage: 2023,
        }
    }

    fn media() -> Vec<StorageMediumFigures> {
        vec![
            medium(Medium::Hdd, "enterprise", "vendor-x", 1e21, 6e20),
            medium(Medium::Hdd, "enterprise", "assoc-y", 1.2e21, 6.5e20),
            medium(Medium::Cloud, "compute_centre", "vendor-z", 8e20, 5e20),
        ]
    }

    fn stored(n: i64) -> StoredReturn {
        StoredReturn {
            id: n,
            return_id: format!("r-{n}"),
            version: 1,
            return_kind: "device_parameters".into(),
            cycle_year: 2023,
            reporting_unit_id: format!("u-{n}"),
            idempotency_key: format!("k-{n}"),
            content_hash: "h".into(),
            payload_json: "{}".into(),
            findings_json: "[]".into(),
            submitted_by: "t".into(),
            received_at: "2024-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn full_volume_central_values_equal_the_central_model() {
        let (d, m) = (devices(), media());
        let model = FullVolumeModel::new(&d, &m).unwrap();
        assert_eq!(
            model.outputs(),
            outs(&[
                "P01",
                "production.bytes/daily_life",
                "production.bytes/iot_sensing",
                "P03",
                "P04",
                "P05",
                "P06",
                "P07"
            ])
            .as_slice()
        );
        let names: Vec<&str> = model.parameters().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 5 * 6 + 3 * 4);
        assert!(names.contains(&"smartphone/vendor-a/installed_base"));
        assert!(names.contains(&"smartphone/vendor-a#2/installed_base"));
        assert!(names.contains(&"hdd/enterprise/assoc-y/overwritten_bytes"));

        let sd_: Vec<_> = d
            .iter()
            .enumerate()
            .map(|(i, x)| (stored(i as i64), x.clone()))
            .collect();
        let sm: Vec<_> = m
            .iter()
            .enumerate()
            .map(|(i, x)| (stored(100 + i as i64), x.clone()))
            .collect();
        let figures = crate::model::figures(&sd_, &sm);
        let expected = |id: &str, category: Option<&str>| {
            figures
                .iter()
                .find(|f| {
                    f.id == id && f.dimensions.get("category").map(String::as_str) == category
                })
                .unwrap_or_else(|| panic!("{id} {category:?}"))
                .value
        };
        let result = model.simulate(2000, 1).unwrap();
        for (name, id, category) in [
            ("P01", "P01", None),
            (
                "production.bytes/daily_life",
                "production.bytes",
                Some("daily_life"),
            ),
            (
                "production.bytes/iot_sensing",
                "production.bytes",
                Some("iot_sensing"),
            ),
            ("P03", "P03", None),
            ("P04", "P04", None),
            ("P05", "P05", None),
            ("P06", "P06", None),
            ("P07", "P07", None),
        ] {
            let o = result.output(name).unwrap();
            assert_eq!(
                o.central.to_bits(),
                expected(id, category).to_bits(),
                "{name}"
            );
            assert!(o.p5 <= o.p50 && o.p50 <= o.p95, "{name}");
            assert!(o.standard_deviation > 0.0, "{name}");
        }
    }

    #[test]
    fn full_volume_consolidates_sources_by_the_mean_of_their_draws() {
        let two = vec![
            device(
                SourceCategory::Transport,
                "train",
                "s1",
                exact(10.0),
                exact(0.5),
                1.0,
            ),
            device(
                SourceCategory::Transport,
                "train",
                "s2",
                exact(30.0),
                exact(0.5),
                1.0,
            ),
        ];
        let store = vec![medium(Medium::Tape, "government", "t", 100.0, 40.0)];
        let model = FullVolumeModel::new(&two, &store).unwrap();
        // Set the draws by hand: each source is its own random variable, the device type
        // sees their mean.
        let mut values: Vec<f64> = model
            .parameters()
            .iter()
            .map(|(_, d)| d.central())
            .collect();
        let index = |name: &str| {
            model
                .parameters()
                .iter()
                .position(|(n, _)| n == name)
                .unwrap()
        };
        values[index("train/s1/installed_base")] = 12.0;
        values[index("train/s2/installed_base")] = 36.0;
        values[index("train/s1/created_bytes")] = 2.0;
        values[index("train/s2/created_bytes")] = 4.0;
        values[index("tape/government/t/used_bytes")] = 50.0;
        values[index("tape/government/t/installed_capacity_bytes")] = 80.0;
        let y = model.evaluate(&values).unwrap();
        let out = |name: &str| y[model.outputs().iter().position(|n| n == name).unwrap()];
        // per unit: created mean 3 + captured 1 + replicated 0.3 + consumed 2
        let produced = 24.0 * 0.5 * (3.0 + 1.0 + 0.3 + 2.0);
        assert!((out("P01") - produced).abs() < 1e-12);
        assert_eq!(out("P01"), out("production.bytes/transport"));
        assert_eq!(out("P03"), 50.0);
        assert_eq!(out("P06"), 80.0);
        assert_eq!(out("P07"), 50.0 / 80.0);
        assert_eq!(out("P04"), 16.0 + 4.0);
        assert!((out("P05") - 20.0 / produced).abs() < 1e-15);
        assert!(model.evaluate(&values[1..]).is_err());
    }

    /// P15: cameras (IoT sensing) and PCs report public shares, one smartphone source does too
    /// and the other does not; the model's central P15 is the central-value model's, bit for bit,
    /// and a hand-set draw follows the definition.
    #[test]
    fn iot_share_of_public_acquisition_follows_its_definition() {
        let mut d = devices();
        d[0].public_share = Some(range(0.0, 0.02, 0.05)); // smartphone/vendor-a
        d[3].public_share = Some(sd(0.2, 0.05)); // pc
        d[4].public_share = Some(range(0.3, 0.4, 0.5)); // camera
        let m = media();
        let model = FullVolumeModel::new(&d, &m).unwrap();
        assert_eq!(model.outputs().last().map(String::as_str), Some("P15"));
        assert_eq!(
            model
                .parameters()
                .iter()
                .filter(|(n, _)| n.ends_with("/public_share"))
                .count(),
            3
        );
        let stored_d: Vec<_> = d
            .iter()
            .enumerate()
            .map(|(i, x)| (stored(i as i64), x.clone()))
            .collect();
        let figures = crate::model::figures(&stored_d, &[]);
        let p15 = figures.iter().find(|f| f.id == "P15").unwrap();
        let result = model.simulate(2000, 1).unwrap();
        let o = result.output("P15").unwrap();
        assert_eq!(o.central.to_bits(), p15.value.to_bits());
        assert!(o.p5 < o.central && o.central < o.p95, "{o:?}");
        // The domain's lineage lists the returns of every device type some source splits: all
        // three smartphone sources, the pc and the camera.
        assert_eq!(p15.lineage.as_ref().unwrap().returns.len(), 5);

        // By hand at the central values: captured data of the public units, IoT part over all.
        // The smartphones' public share is the one reporting source's; the rest their mean.
        let phone_mean = |f: fn(&DeviceParameters) -> f64| d[..3].iter().map(f).sum::<f64>() / 3.0;
        let phones = phone_mean(|x| x.installed_base.value)
            * phone_mean(|x| x.active_share.value)
            * 0.02
            * phone_mean(|x| x.captured_bytes.value);
        let c = |x: &DeviceParameters| x.captured_bytes.value;
        let pcs = d[3].installed_base.value * d[3].active_share.value * 0.2 * c(&d[3]);
        let cameras = d[4].installed_base.value * d[4].active_share.value * 0.4 * c(&d[4]);
        let expected = cameras / (phones + pcs + cameras);
        assert!(
            (p15.value - expected).abs() < 1e-12,
            "{} {expected}",
            p15.value
        );
        let public: f64 = figures
            .iter()
            .filter(|f| f.id == "production.public_acquisition_bytes")
            .map(|f| f.value)
            .sum();
        assert!((public - (phones + pcs + cameras)).abs() / public < 1e-12);

        // Without any public share there is no P15 and no public acquisition.
        let model = FullVolumeModel::new(&devices(), &m).unwrap();
        assert!(!model.outputs().iter().any(|o| o == "P15"));
        let plain: Vec<_> = devices()
            .into_iter()
            .enumerate()
            .map(|(i, x)| (stored(i as i64), x))
            .collect();
        assert!(
            crate::model::figures(&plain, &[])
                .iter()
                .all(|f| f.id != "P15" && f.id != "production.public_acquisition_bytes")
        );
    }

    #[test]
    fn full_volume_simulation_ranks_the_widest_parameter_first() {
        let model = FullVolumeModel::new(&devices(), &media()).unwrap();
        let r = model.simulate(20_000, 3).unwrap();
        // Cameras produce most of the data and their installed base has a range of 1e8..2e9
        // around 5e8: by far the widest relative uncertainty on the largest term.
        let p01 = r.output("P01").unwrap();
        assert_eq!(
            p01.sensitivity[0].parameter,
            "camera/assoc-c/installed_base"
        );
        assert!(p01.sensitivity[0].variance_share > 0.5);
        // Utilisation is driven by used bytes and capacities only.
        let p07 = r.output("P07").unwrap();
        assert!(
            p07.sensitivity[..4]
                .iter()
                .all(|c| c.parameter.ends_with("/used_bytes")
                    || c.parameter.ends_with("/installed_capacity_bytes"))
        );
        assert_eq!(r.parameters.len(), model.parameters().len());
    }
}
