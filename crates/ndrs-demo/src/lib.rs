//! The ndrs demo: the survey acted out, over gRPC, on a seeded dataset calibrated to the
//! published 2023 report, ending with the reproduction table of its 49 indicators. `ndrs demo`
//! runs it; so do the reproduction and report tests. Nothing in the services depends on it.
//!
//! - [`demo_data`]: the seeded dataset of cycles 2022 and 2023 for every reporting unit of the
//!   2023 sample, and the published figures it is calibrated to ([`demo_data::targets`], carried in
//!   `data/reference/` and embedded in the binary).
//! - [`target`]: where the demo runs (the services' endpoints and the identity store).
//! - [`dataset`]: the dataset submitted as the survey happens (frames, returns, model runs) and
//!   the reproduction table.
//! - [`publication`]: a candidate's path to a release: rules, benchmarks, expert review,
//!   publication, exports and the HTML report ([`ndrs_report`]) on disk.
//! - [`walkthrough`]: the whole walk-through `ndrs demo` performs.

pub mod dataset;
pub mod demo_data;
pub mod publication;
pub mod target;
pub mod walkthrough;

pub use target::{MAX_RESPONSE_BYTES, SystemEndpoints, Target};
