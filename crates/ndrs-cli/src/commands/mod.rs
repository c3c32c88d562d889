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

/// Runs a parsed command line. A command that calls the services runs in one span, its calls
/// in client spans under it, exported when an OTLP endpoint is configured
/// (`telemetry.otlp_endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT`), so a working-group command and
/// everything the services did for it are one trace.
pub async fn run(cli: Cli) -> Result<()> {
    use tracing::Instrument;
    let calls_services = !matches!(
        cli.command,
        Command::Serve { .. } | Command::Demo { .. } | Command::Completions { .. }
    );
    let _telemetry = if calls_services {
        client_telemetry()
    } else {
        None
    };
    let name = command_name(std::env::args().skip(1));
    let span = tracing::info_span!("ndrs.cli", otel.name = %name, otel.kind = "internal");
    dispatch(cli).instrument(span).await
}

/// The command's name for its span: `ndrs` and the subcommand words (`ndrs candidate list`),
/// never an argument (a token, a path, an id).
fn command_name(args: impl Iterator<Item = String>) -> String {
    let words: Vec<String> = args
        .take_while(|a| {
            !a.is_empty()
                && !a.starts_with('-')
                && a.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .take(2)
        .collect();
    std::iter::once("ndrs".to_string())
        .chain(words)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Telemetry as `ndrs-cli`, when the configuration names an OTLP endpoint (none: the CLI keeps
/// its output to what it prints).
fn client_telemetry() -> Option<ndrs_platform::telemetry::TelemetryGuard> {
    let settings = Settings::load().ok()?;
    let configured = !settings.telemetry.otlp_endpoint.is_empty()
        || std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|e| !e.is_empty());
    if !configured {
        return None;
    }
    let mut telemetry = settings.telemetry.clone();
    // The CLI serves no scrape endpoint, whatever the services' configuration says.
    telemetry.metrics_port = 0;
    ndrs_platform::telemetry::init(&telemetry, "ndrs-cli").ok()
}

async fn dispatch(cli: Cli) -> Result<()> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_command_span_is_named_by_its_subcommands_only() {
        let name = |args: &[&str]| super::command_name(args.iter().map(|a| a.to_string()));
        assert_eq!(
            name(&["candidate", "list", "--cycle", "2023"]),
            "ndrs candidate list"
        );
        assert_eq!(name(&["--token", "secret", "release", "get"]), "ndrs");
        assert_eq!(
            name(&["returns", "show", "ret-2023-abc"]),
            "ndrs returns show"
        );
        assert_eq!(name(&["publish", "cand-7f3a"]), "ndrs publish");
    }
}
