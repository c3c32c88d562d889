//! `ndrs demo`: the walk-through ([`ndrs_demo::walkthrough`]) on every service started in this
//! process on the embedded default (SQLite in a fresh data directory), or with `--remote` on
//! separately started services.

use std::path::{Path, PathBuf};

use ndrs_core::{Error, Result};
use ndrs_demo::demo_data::DemoOptions;
use ndrs_demo::{SystemEndpoints, Target, walkthrough};
use ndrs_platform::auth::IdentityStore;
use ndrs_platform::settings::Settings;

use super::load_settings;

pub(super) async fn run(
    data_dir: Option<PathBuf>,
    remote: bool,
    out: &Path,
    scale: f64,
) -> Result<()> {
    let options = DemoOptions {
        scale,
        ..Default::default()
    };
    if remote {
        on_running_services(out, &options).await
    } else {
        in_process(data_dir, out, &options).await
    }
}

async fn in_process(data_dir: Option<PathBuf>, out: &Path, options: &DemoOptions) -> Result<()> {
    let mut settings = Settings::defaults();
    let temporary = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
    settings.data_dir = data_dir.unwrap_or_else(|| temporary.path().to_path_buf());
    for port in [
        &mut settings.services.aggregator.port,
        &mut settings.services.production.port,
        &mut settings.services.compute.port,
        &mut settings.services.circulation.port,
        &mut settings.services.application.port,
        &mut settings.services.web.port,
    ] {
        *port = 0;
    }
    settings.telemetry.log_filter = "warn".into();
    // Thousands of returns arrive within two minutes: re-assembling after every 200 ms burst
    // would recompute every stage hundreds of times for nothing. The demo assembles itself.
    settings.aggregator.revalidate_debounce_ms = 3_000;
    let _telemetry = ndrs_platform::telemetry::init(&settings.telemetry, "ndrs-demo")
        .map_err(Error::FailedPrecondition)?;
    ndrs_stats::set_default_threads(settings.estimation.threads);
    println!(
        "starting every service on loopback (embedded SQLite in {})",
        settings.data_dir.display()
    );
    let system = crate::system::start(settings).await?;
    let outcome = walkthrough::walk_through(&(&system).into(), options, out)
        .await
        .map(|_| ());
    system.stop().await?;
    outcome
}

async fn on_running_services(out: &Path, options: &DemoOptions) -> Result<()> {
    let settings = load_settings()?;
    let endpoints = configured_endpoints(&settings);
    for (service, endpoint) in endpoints.services() {
        crate::system::health_status(endpoint, service).await?;
    }
    let identity = IdentityStore::open(&settings).await?;
    println!(
        "running the walk-through against the services at {}",
        settings.server.host
    );
    walkthrough::walk_through(
        &Target {
            endpoints: &endpoints,
            identity: &identity,
        },
        options,
        out,
    )
    .await
    .map(|_| ())
}

/// The services' addresses from the configuration.
pub(super) fn configured_endpoints(settings: &Settings) -> SystemEndpoints {
    let host = &settings.server.host;
    let s = &settings.services;
    let url = |port: u16| format!("http://{host}:{port}");
    SystemEndpoints {
        aggregator: url(s.aggregator.port),
        production: url(s.production.port),
        compute: url(s.compute.port),
        circulation: url(s.circulation.port),
        application: url(s.application.port),
    }
}
