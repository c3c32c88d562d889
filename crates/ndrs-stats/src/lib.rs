//! # ndrs-stats: design-based survey estimation
//!
//! A pure library (no I/O, no async; threads only to spread replicates over the cores, with the
//! same bits whatever their number) that turns a sample — strata, PSUs, design weights and
//! answers — into estimates with an honest statement of their precision. It is the
//! engine behind the application survey's figures ("96% of key industry enterprises apply data in
//! scenarios") and is checked against an outside oracle (samplics; see `tests/oracle.rs` and
//! `scripts/oracle/make_fixtures.py`).
//!
//! ## The pieces
//! - [`Design`]: units with stratum, PSU and design weight; finite population sizes, certainty
//!   strata and the [`LonelyPsu`] policy. Validated on construction, errors name the row.
//! - [`Data`]: survey variables by name (numeric and categorical columns).
//! - [`WeightingSpec`]: an ordered list of weighting steps (non-response adjustment, raking,
//!   trimming) stored as a value.
//! - [`Estimator`]: total, mean, proportion, ratio, ratio of two domain means, each for a
//!   [`Domain`].
//! - [`VarianceMethod`]: Taylor linearisation, stratified jackknife (JKn) or Rao-Wu bootstrap.
//! - [`estimate`] / [`estimate_many`]: point, SE, CV, design effect, degrees of freedom,
//!   confidence interval, respondent count and a reliability flag ([`Estimate`]).
//!
//! ```
//! use ndrs_stats::*;
//! let units: Vec<Unit> = (0..8).map(|i| Unit::new(["a", "b"][i % 2], format!("p{}", i % 4), 10.0)).collect();
//! let design = Design::new(units)?;
//! let data = Data::new(8).with_numeric("y", vec![1., 2., 3., 4., 5., 6., 7., 8.])?;
//! let mean = Estimator::Mean { y: "y".into(), domain: Domain::All };
//! let est = estimate(&design, &WeightingSpec::none(), &data, &mean, &VarianceMethod::Taylor)?;
//! assert_eq!(est.point, 4.5);
//! # Ok::<(), StatsError>(())
//! ```
//!
//! ## Why replicate weights with the weighting re-applied
//! Non-response adjustment and calibration are functions of the sample: had another sample been
//! drawn, the adjustment factors would have differed. Linearisation with the final weights held
//! fixed ignores that (calibration usually *reduces* variance for variables related to the
//! margins; non-response adjustment may increase it). Replicate methods capture it for free if,
//! and only if, every replicate's design weights go through the same weighting steps. That is why
//! weighting is a re-playable [`WeightingSpec`] rather than a column of final weights, and why
//! the replicate engine re-runs it for each replicate.
//!
//! ## Why domains never drop rows
//! A domain (say, platform enterprises in the west) is a subpopulation whose sample size is
//! random. Its variance must reflect the full design: every stratum and PSU, including those
//! where the domain happens to have no sampled unit (they contribute zero to the domain total,
//! which is information). Subsetting the rows first would drop those PSUs, miscount the PSUs per
//! stratum and understate the variance. Here out-of-domain units keep their place with values
//! zeroed, exactly as R `survey`'s `subset()` and samplics' `domain=` do.
//!
//! ## Determinism
//! Everything runs sequentially in a fixed order (strata and PSUs by identifier); bootstrap draws
//! come from ChaCha8 keyed by (seed, replicate number). Same inputs, same bits, on any machine.

pub mod data;
pub mod design;
pub mod error;
pub mod estimate;
pub mod interval;
pub mod variance;
pub mod weighting;

pub use data::{Data, Domain};
pub use design::{Design, LonelyPsu, Unit};
pub use error::{Result, StatsError};
pub use estimate::{
    DegreesOfFreedom, Estimate, EstimateSet, Estimator, Options, Reliability, estimate,
    estimate_many, set_default_threads,
};
pub use interval::{Interval, IntervalMethod, ProportionCi};
pub use variance::{Replicates, VarianceMethod, replicate_weights};
pub use weighting::{
    Margin, Raking, StepReport, TrimCap, Trimming, WeightingReport, WeightingSpec, WeightingStep,
};
