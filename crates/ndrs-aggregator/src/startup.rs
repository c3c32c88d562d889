//! How the aggregator starts: its database, its clients of the stage services, the watcher that
//! re-assembles on input changes, and the gRPC server.

use std::time::Duration;

use ndrs_core::Result;
use ndrs_platform::auth::Role;
use ndrs_platform::db::{DatabaseTarget, connect_and_migrate};
use ndrs_platform::settings::Settings;
use ndrs_platform::stage::Runtime;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::candidate::Candidates;
use crate::grpc::Aggregator;
use crate::stages::{StageClients, StageEndpoints};
/// This service's schema: every table of [`crate::store`], by its migrations.
pub use crate::store::migration::Migrator;

pub const SERVICE_NAMES: &[&str] = &[
    "ndrs.v1.AggregatorService",
    crate::cycles::SERVICE_NAME,
    ndrs_platform::auth::service::SERVICE_NAME,
];

/// Stage endpoints from settings: an explicit URL, or the service's configured port on the host.
pub fn endpoints_from_settings(settings: &Settings) -> StageEndpoints {
    let host = &settings.server.host;
    let pick = |url: &str, port: u16| {
        if url.is_empty() {
            format!("http://{host}:{port}")
        } else {
            url.to_string()
        }
    };
    let a = &settings.aggregator;
    let s = &settings.services;
    StageEndpoints {
        production: pick(&a.production_url, s.production.port),
        compute: pick(&a.compute_url, s.compute.port),
        circulation: pick(&a.circulation_url, s.circulation.port),
        application: pick(&a.application_url, s.application.port),
    }
}

/// Runs the aggregator on `listener` until `shutdown` is cancelled.
///
/// Without a configured `aggregator.service_token` (the embedded default), a service token is
/// issued at start, kept only in memory and revoked at shutdown.
pub async fn run(
    runtime: Runtime,
    listener: TcpListener,
    endpoints: StageEndpoints,
    shutdown: CancellationToken,
) -> Result<()> {
    let settings = &runtime.settings;
    let target = DatabaseTarget::resolve(settings, crate::SERVICE_NAME, "")?;
    let db = connect_and_migrate(&target, &Migrator).await?;
    // The registry starts from the sourced seed (version 1), before anything can read it.
    crate::benchmarks::Benchmarks::new(db.clone())
        .seed_if_empty()
        .await?;
    let cache = crate::release_cache::ReleaseCache::from_settings(settings).await?;
    let (token, issued_id) = if settings.aggregator.service_token.is_empty() {
        let issued = runtime
            .identity
            .issue(
                "aggregator (embedded service principal)",
                Role::Service,
                None,
            )
            .await?;
        (issued.token, Some(issued.token_id))
    } else {
        (settings.aggregator.service_token.clone(), None)
    };
    let clients = StageClients::connect(&endpoints, &token)?;
    let cycles =
        crate::cycles::CycleApi::new(db.clone(), runtime.identity.clone(), clients.clone());
    let monitor = (settings.aggregator.progress_interval_ms > 0).then(|| {
        tokio::spawn(cycles.clone().monitor(
            Duration::from_millis(settings.aggregator.progress_interval_ms),
            shutdown.clone(),
        ))
    });
    let candidates = Candidates::new(db.clone(), clients);
    let validation = crate::validation::Validation::new(db.clone());
    let watcher = tokio::spawn(crate::watcher::run(
        runtime.bus.clone(),
        consumer_name(settings),
        crate::watcher::Watcher {
            candidates: candidates.clone(),
            validation: validation.clone(),
            benchmarks: crate::benchmarks::Benchmarks::new(db.clone()),
            debounce: Duration::from_millis(settings.aggregator.revalidate_debounce_ms),
            max_delay: Duration::from_millis(
                settings
                    .aggregator
                    .revalidate_max_delay_ms
                    .max(settings.aggregator.revalidate_debounce_ms),
            ),
            max_backoff: Duration::from_millis(settings.aggregator.retry_max_backoff_ms),
        },
        shutdown.clone(),
    ));
    let process = crate::process::Process::new(
        db,
        candidates,
        validation,
        cache,
        crate::disclosure::DisclosureRule::from_settings(settings),
    );
    let routes = Routes::new(
        Aggregator::new(process, runtime.identity.clone())
            .into_server(settings.server.max_message_bytes),
    )
    .add_service(cycles.into_server(settings.server.max_message_bytes))
    .add_service(
        ndrs_platform::auth::service::IdentityApi::new(runtime.identity.clone()).into_server(),
    );
    let served =
        ndrs_platform::server::serve(listener, routes, SERVICE_NAMES, shutdown.cancelled_owned())
            .await;
    if let Some(monitor) = monitor
        && let Err(e) = monitor.await
    {
        tracing::warn!(error = %e, "cycle monitor task failed");
    }
    match watcher.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "watcher stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "watcher task failed"),
        Ok(Ok(())) => {}
    }
    if let Some(id) = issued_id
        && let Err(e) = runtime.identity.revoke(&id).await
    {
        tracing::warn!(error = %e, "could not revoke the embedded service token");
    }
    served
}

/// This replica's stable name in the consumer group: configured, else the host name (a pod's name
/// in Kubernetes), else random. A restarted replica with the same name finds its own pending
/// entries at once; entries of a name that never comes back are claimed by the others.
fn consumer_name(settings: &Settings) -> String {
    let configured = settings.aggregator.consumer_name.trim();
    if !configured.is_empty() {
        return configured.to_string();
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .map(|h| format!("aggregator-{}", h.trim()))
        .unwrap_or_else(|| format!("aggregator-{}", uuid::Uuid::now_v7()))
}
