//! `ndrs serve [all|<service>]`: every service in one process, or one service as its own
//! Deployment runs it.

use ndrs_core::{Error, Result};
use ndrs_platform::stage::{Runtime, cancel_on_signal, shutdown_signal};

use super::load_settings;
use crate::cli::Service;

pub(super) async fn run(service: Service) -> Result<()> {
    let settings = load_settings()?;
    // Each service process is its own `service.name` (ndrs-compute, ...); all of them in one
    // process are `ndrs`.
    let name = match service {
        Service::All => "ndrs",
        Service::Production => "ndrs-production",
        Service::Compute => "ndrs-compute",
        Service::Circulation => "ndrs-circulation",
        Service::Application => "ndrs-application",
        Service::Aggregator => "ndrs-aggregator",
        Service::Web => "ndrs-web",
    };
    let telemetry = ndrs_platform::telemetry::init(&settings.telemetry, name)
        .map_err(Error::FailedPrecondition)?;
    ndrs_stats::set_default_threads(settings.estimation.threads);
    // The scrape endpoint lives as long as this command.
    let metrics = tokio_util::sync::CancellationToken::new();
    let _metrics = metrics.clone().drop_guard();
    telemetry
        .serve_metrics(&settings.server.host, metrics)
        .await?;
    if let Service::All = service {
        let mut system = crate::system::start(settings).await?;
        for (name, endpoint) in system.endpoints.services() {
            println!("{name:<36} {endpoint}");
        }
        println!("{:<36} {}", "web console and public pages", system.web);
        println!("all services serving; Ctrl-C to stop");
        tokio::select! {
            _ = shutdown_signal() => {}
            e = system.any_stopped() => {
                let _ = system.stop().await;
                return Err(e);
            }
        }
        return system.stop().await;
    }
    if let Service::Web = service {
        return ndrs_web::run(&settings, cancel_on_signal()).await;
    }
    let s = &settings.services;
    let port = match service {
        Service::Production => s.production.port,
        Service::Compute => s.compute.port,
        Service::Circulation => s.circulation.port,
        Service::Application => s.application.port,
        Service::Aggregator | Service::All | Service::Web => s.aggregator.port,
    };
    let listener = ndrs_platform::server::bind(&settings.server.host, port).await?;
    let endpoints = ndrs_aggregator::startup::endpoints_from_settings(&settings);
    let runtime = Runtime::from_settings(settings).await?;
    let shutdown = cancel_on_signal();
    match service {
        Service::Production => ndrs_production::startup::run(runtime, listener, shutdown).await,
        Service::Compute => ndrs_compute::startup::run(runtime, listener, shutdown).await,
        Service::Circulation => ndrs_circulation::startup::run(runtime, listener, shutdown).await,
        Service::Application => ndrs_application::startup::run(runtime, listener, shutdown).await,
        Service::Aggregator | Service::All | Service::Web => {
            ndrs_aggregator::startup::run(runtime, listener, endpoints, shutdown).await
        }
    }
}
