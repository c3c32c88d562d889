//! What each command does, one module per command; `main.rs` only parses and calls [`run`].
//! Commands that talk to the aggregator share one way to reach it ([`AggregatorTarget`]); their
//! failures come back as the domain error the gRPC status stands for
//! ([`ndrs_platform::grpc_status::from_status`]), so `ndrs` says "not found" for a missing release,
//! not "unavailable".

mod admin;
mod audit;
mod candidate;
mod content;
mod demo;
mod health;
mod migrate;
mod release;
mod serve;

use ndrs_core::{Error, Result};
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_platform::settings::Settings;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;

use crate::cli::{Cli, Command};

pub use candidate::render as render_candidate;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
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
        Command::Candidate {
            command,
            url,
            token,
        } => candidate::run(command, AggregatorTarget { url, token }).await,
        Command::Release {
            command,
            url,
            token,
        } => release::run(command, AggregatorTarget { url, token }).await,
        Command::Content { command, token } => content::run(command, token).await,
        Command::Audit {
            command,
            url,
            token,
        } => audit::run(command, AggregatorTarget { url, token }).await,
    }
}

/// The configuration (`config/*.toml`, `NDRS_*` variables), as a clear error when it is wrong.
fn load_settings() -> Result<Settings> {
    Settings::load().map_err(|e| Error::FailedPrecondition(e.to_string()))
}

/// The aggregator a command talks to: `--url` (default: the configured host and port) and the
/// bearer token (`--token` or `NDRS_TOKEN`).
struct AggregatorTarget {
    url: Option<String>,
    token: Option<String>,
}

impl AggregatorTarget {
    /// A channel to the aggregator carrying the token.
    fn channel(self, settings: &Settings) -> Result<AuthedChannel> {
        let url = self.url.unwrap_or_else(|| {
            format!(
                "http://{}:{}",
                settings.server.host, settings.services.aggregator.port
            )
        });
        let token = self
            .token
            .ok_or_else(|| Error::Unauthenticated("pass --token or set NDRS_TOKEN".into()))?;
        channel(&url, Some(&token))
    }

    fn client(self, settings: &Settings) -> Result<AggregatorServiceClient<AuthedChannel>> {
        Ok(AggregatorServiceClient::new(self.channel(settings)?))
    }
}
