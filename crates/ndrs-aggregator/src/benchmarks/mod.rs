//! Stage 2, external benchmarks: a versioned registry of outside figures and the comparison of
//! a candidate's figures with the benchmarks that apply to them.
//!
//! The registry only grows: each addition is a new version holding every earlier benchmark, so a
//! report and a release can name the exact registry they were judged against. Version 1 is the
//! seed in `data/external-benchmarks.csv` (the sourced figures of the 2023 report's working
//! group, with the comparability and tolerance the working group assigned).
//!
//! How a benchmark is judged depends on how comparable it is:
//! - **same definition**: the candidate's national figure of the same indicator and year, relative
//!   deviation |ours − theirs| / theirs against the tolerance;
//! - **growth only**: the publisher's own growth (this year over its figure for the previous year,
//!   so both ends share their method) against the candidate's growth indicator (`P02` for `P01`,
//!   found in the catalogue by its definition), absolute difference in growth against the
//!   tolerance (0.05 = five percentage points);
//! - **different scope**: reported side by side, never judged.
//!
//! A deviation outside the band, or a judged comparison that could not be made because the
//! candidate lacks the figure, needs a written justification before the stage passes.
//!
//! - [`input`]: benchmarks as added (from a request or the seed file) and how they are checked.
//! - [`compare`](mod@compare): the comparison of a candidate with the registry (pure).
//! - [`registry`]: the registry's versions and the stage-2 reports in the database.

pub mod compare;
pub mod input;
pub mod registry;

pub use compare::compare;
pub use input::growth_indicator;
pub use input::{Comparability, NewBenchmark, benchmarks_from_proto, parse_seed, parse_unit};
pub use registry::Benchmarks;

/// The seed registry (version 1).
pub const SEED_CSV: &str = include_str!("../../data/external-benchmarks.csv");
/// The most benchmarks one `AddBenchmarks` call may add.
pub const MAX_BENCHMARKS_PER_ADDITION: usize = 500;
