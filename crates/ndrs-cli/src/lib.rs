//! Library behind the `ndrs` command, so that tests drive exactly what the command runs.
//!
//! - [`cli`]: the command line (clap), parsing only.
//! - [`commands`]: what each command does, one module per command; each step of a survey round
//!   is a call into `ndrs-client`, the library the demo walk-through uses too.
//! - [`system`]: every service in one process, each on its own loopback port (`ndrs serve all`,
//!   `ndrs demo`, end-to-end tests).
//! - [`exit`]: the exit code of each class of error.
//! - [`output`]: how answers are printed (`--output table|json`).
//! - [`audit`]: the client-side check of the audit log's hash chain (`ndrs audit verify`).
//!
//! The demo itself is the `ndrs-demo` crate and the release's HTML report `ndrs-report`.

pub use ndrs_client::audit;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod output;
pub mod system;
