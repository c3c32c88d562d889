//! Library behind the `ndrs` command, so that tests drive exactly what the command runs.
//!
//! - [`system`]: every service in one process, each on its own loopback port (`ndrs serve all`,
//!   `ndrs demo`, end-to-end tests).
//! - [`walkthrough`]: the walk-through that `ndrs demo` performs.
//! - [`demo`]: its pieces (where it runs, assembling and printing a candidate) and the small
//!   sample returns end-to-end tests submit.
//! - [`dataset`]: the demo dataset submitted as the survey happens, and the reproduction table.
//! - [`publication`]: its path from candidate to release: rules, benchmarks, expert review,
//!   publication, exports on disk.
//! - [`report`]: the release's HTML report (Chinese and English, charts as inline SVG).
//! - [`audit`]: `ndrs audit verify`, the client-side check of the audit log's hash chain.

pub mod audit;
pub mod dataset;
pub mod demo;
pub mod publication;
pub mod report;
pub mod system;
pub mod walkthrough;
