//! Seeded Monte Carlo propagation of the parameters' stated uncertainty through the full-volume
//! model, to intervals (p5, p50, p95) and a ranking of the parameters that drive each output.
//!
//! The module is pure: no I/O, no clock, no threads, no global state. Everything a run produces
//! is a function of its inputs and a `u64` seed.
//!
//! The parts, one concept each:
//! - [`distribution`]: what a parameter's stated uncertainty describes (constant, truncated
//!   normal, triangular) and its inverse CDF, on the standard normal functions of the private
//!   `normal` module.
//! - [`streams`]: one seeded random stream per parameter, so a run is a function of its seed.
//! - [`engine`]: [`simulate`], the chunked draws and the summaries (mean, standard deviation,
//!   percentiles) of every output.
//! - [`sensitivity`]: the ranking of the parameters by the share of an output's variance they
//!   explain.
//! - [`full_volume`]: [`FullVolumeModel`], the formula of [`crate::formula`] over random
//!   parameters.
//! - [`error`]: what can go wrong, naming the parameter or output.

pub mod distribution;
pub mod engine;
pub mod error;
pub mod full_volume;
mod normal;
pub mod sensitivity;
pub mod streams;

pub use distribution::{Bounds, Distribution};
pub use engine::{CHUNK_DRAWS, OutputSummary, SimulationResult, percentile, simulate};
pub use error::{InvalidDistribution, UncertaintyError};
pub use full_volume::{
    CAPACITY, CONVERSION_RATE, FullVolumeModel, IOT_SHARE_OF_PUBLIC_ACQUISITION, NEW_STORAGE,
    STORAGE_STOCK, TOTAL_PRODUCTION, UTILISATION, category_output,
};
pub use sensitivity::Contribution;
pub use streams::parameter_draws;

#[cfg(test)]
mod tests;
