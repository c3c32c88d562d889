//! What each command does, one module per command; `main.rs` only parses and calls [`run`].
//!
//! Every step of a survey round is a thin shell over `ndrs-client` (the library the demo
//! walk-through calls too): parse the arguments, make one [`Session`], call, print with
//! [`crate::output`]. Failures come back as the domain error the gRPC status stands for
//! ([`ndrs_platform::grpc_status::from_status`]), naming the call and, when a service could not
//! be reached, its address; [`crate::exit`] turns their class into the exit code.

mod admin;
mod audit;
mod candidate;
mod content;
mod cycle;
mod demo;
mod frames;
mod health;
mod migrate;
mod release;
mod returns;
mod review;
mod rules;
mod serve;
mod submit;
mod tokens;

use ndrs_client::Session;
use ndrs_core::{Error, Result};
use ndrs_platform::client::SystemEndpoints;
use ndrs_platform::settings::Settings;

use crate::cli::{Cli, Command, Global};

pub use candidate::render as render_candidate;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Serve { service } => serve::run(service).await,
        Command::Demo {
            data_dir,
            remote,
            out,
            scale,
        } => demo::run(data_dir, remote, &out, scale).await,
        Command::Health => health::run().await,
        Command::Migrate => migrate::run().await,
        Command::Admin { command } => admin::run(command).await,
        Command::Cycle { command } => cycle::run(command, &global).await,
        Command::Frame { command } => cycle::frame(command, &global).await,
        Command::Tokens { command } => tokens::run(command, &global).await,
        Command::Submit(args) => submit::run(args, &global).await,
        Command::Returns { command } => returns::run(command, &global).await,
        Command::Design { command } => frames::design(command, &global).await,
        Command::Register { command } => frames::register(command, &global).await,
        Command::Rules { command } => rules::rules(command, &global).await,
        Command::Benchmarks { command } => rules::benchmarks(command, &global).await,
        Command::Justify(args) => rules::justify(args, &global).await,
        Command::Candidate { command, url } => candidate::run(command, &global, url).await,
        Command::Review { command } => review::run(command, &global).await,
        Command::Publish(args) => release::publish(args, &global).await,
        Command::Release { command, url } => release::run(command, &global, url).await,
        Command::Content { command } => content::run(command, global.token).await,
        Command::Audit { command, url } => audit::run(command, &global, url).await,
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "ndrs", &mut std::io::stdout());
            Ok(())
        }
    }
}

/// The configuration (`config/*.toml`, `NDRS_*` variables), as a clear error when it is wrong.
fn load_settings() -> Result<Settings> {
    Settings::load().map_err(|e| Error::FailedPrecondition(e.to_string()))
}

/// The services' addresses from the configuration, the aggregator's replaced by `--url` where
/// a command has one.
fn endpoints(settings: &Settings, aggregator_url: Option<String>) -> SystemEndpoints {
    let mut endpoints = demo::configured_endpoints(settings);
    if let Some(url) = aggregator_url {
        endpoints.aggregator = url;
    }
    endpoints
}

/// The caller's session: the configured addresses and `--token` (or `NDRS_TOKEN`).
fn session(global: &Global, aggregator_url: Option<String>) -> Result<Session> {
    let settings = load_settings()?;
    let token = global
        .token
        .clone()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::Unauthenticated("pass --token or set NDRS_TOKEN".into()))?;
    Session::new(endpoints(&settings, aggregator_url), token)
}
