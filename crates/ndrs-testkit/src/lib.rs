//! Test support, used only as a dev-dependency (nothing here is linked into the `ndrs` binary).
//!
//! - [`env`]: settings for one test: a fresh data directory, and when `NDRS_TEST_DATABASE_URL` /
//!   `NDRS_TEST_REDIS_URL` are set, a fresh PostgreSQL database and a private Redis namespace. A set
//!   variable whose server cannot be reached fails the test instead of skipping it, so CI cannot go
//!   green without having run against the real servers.
//! - [`sample`]: a small deterministic set of returns for every stage service, with the figures
//!   they must produce worked out by hand in the tests that use them.
//! - [`submit`]: those sample returns submitted over gRPC, each with its own unit's token.

pub mod env;
pub mod sample;
pub mod submit;
