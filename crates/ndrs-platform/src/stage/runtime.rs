//! Start-up shared by every service: the process-wide dependencies, a stage service's database,
//! relay and server, shutdown on a signal, and the whole `main` of a single-service binary.

use std::sync::Arc;
use std::time::Duration;

use ndrs_core::{Error, Result};
use sea_orm_migration::MigratorTraitSelf;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::auth::IdentityStore;
use crate::bus::EventBus;
use crate::returns::ReturnStore;
use crate::settings::Settings;

/// Shared process-wide dependencies handed to every service at start.
#[derive(Clone)]
pub struct Runtime {
    pub settings: Settings,
    pub identity: IdentityStore,
    pub bus: Arc<dyn EventBus>,
}

/// Connects a stage service's database, migrates it, starts its outbox relay and serves its routes
/// on `listener` until `shutdown` is cancelled.
pub async fn run_stage_service<M, F>(
    runtime: Runtime,
    stage_name: &'static str,
    service_names: &[&'static str],
    migrator: M,
    listener: TcpListener,
    shutdown: CancellationToken,
    routes: F,
) -> Result<()>
where
    M: MigratorTraitSelf + Sync,
    F: FnOnce(ReturnStore, IdentityStore) -> Routes,
{
    let target = crate::db::DatabaseTarget::resolve(&runtime.settings, stage_name, "")?;
    let db = crate::db::connect_and_migrate(&target, &migrator).await?;
    let store = ReturnStore::new(db.clone(), stage_name);
    let relay = tokio::spawn(crate::returns::relay::run_relay(
        stage_name,
        db,
        runtime.bus.clone(),
        store.relay_wakeup(),
        Duration::from_millis(runtime.settings.relay.poll_interval_ms),
        runtime.settings.relay.batch_size,
        shutdown.clone().cancelled_owned(),
    ));
    let routes = routes(store, runtime.identity.clone());
    let served =
        crate::server::serve(listener, routes, service_names, shutdown.cancelled_owned()).await;
    let _ = relay.await;
    served
}

impl Runtime {
    /// Builds the shared dependencies from settings: the identity store and the event bus.
    pub async fn from_settings(settings: Settings) -> Result<Self> {
        let identity = IdentityStore::open(&settings).await?;
        let bus = crate::bus::from_settings(&settings).await?;
        Ok(Self {
            settings,
            identity,
            bus,
        })
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM, as Kubernetes sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// A token cancelled when the process is asked to stop (see [`shutdown_signal`]).
pub fn cancel_on_signal() -> CancellationToken {
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    shutdown
}

/// The whole `main` of a single-service binary: load settings, start telemetry, bind the
/// service's configured port and run until a shutdown signal.
pub fn service_main<Fut>(
    name: &'static str,
    port: fn(&Settings) -> u16,
    start: fn(Runtime, TcpListener, CancellationToken) -> Fut,
) -> std::process::ExitCode
where
    Fut: std::future::Future<Output = Result<()>>,
{
    let run = async {
        let settings = Settings::load().map_err(|e| Error::FailedPrecondition(e.to_string()))?;
        let telemetry =
            crate::telemetry::init(&settings.telemetry, name).map_err(Error::FailedPrecondition)?;
        // The scrape endpoint lives as long as the service.
        let metrics = CancellationToken::new();
        let _metrics = metrics.clone().drop_guard();
        telemetry
            .serve_metrics(&settings.server.host, metrics)
            .await?;
        let listener = crate::server::bind(&settings.server.host, port(&settings)).await?;
        let runtime = Runtime::from_settings(settings).await?;
        start(runtime, listener, cancel_on_signal()).await
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
