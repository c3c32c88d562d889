//! Test and demo support.
//!
//! - [`env`]: settings for one test: a fresh data directory, and when `NDRS_TEST_DATABASE_URL` /
//!   `NDRS_TEST_REDIS_URL` are set, a fresh PostgreSQL database and a private Redis namespace. A set
//!   variable whose server cannot be reached fails the test instead of skipping it, so CI cannot go
//!   green without having run against the real servers.
//! - [`sample`]: a small deterministic set of returns for every stage service, with the figures
//!   they must produce worked out by hand in the tests that use them.
//! - [`demo_data`]: the seeded demo dataset of cycles 2022 and 2023 for every reporting unit of
//!   the 2023 sample, calibrated so that the pipeline reproduces the published report
//!   (`docs/demo-data.md`); `ndrs demo` and the reproduction test run it.

pub mod demo_data;
pub mod env;
pub mod sample;
