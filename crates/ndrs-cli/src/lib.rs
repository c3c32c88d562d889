//! Library behind the `ndrs` command, so that tests drive exactly what the command runs.
//!
//! - [`system`]: every service in one process, each on its own loopback port (`ndrs serve all`,
//!   `ndrs demo`, end-to-end tests).
//! - [`demo`]: the walk-through that `ndrs demo` performs.
//! - [`audit`]: `ndrs audit verify`, the client-side check of the audit log's hash chain.

pub mod audit;
pub mod demo;
pub mod system;
