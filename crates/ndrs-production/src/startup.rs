//! Start-up of the production and storage service.

use ndrs_platform::stage::{Runtime, run_stage_service};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::grpc::ProductionStorage;

/// This service's schema: the return store, outbox and model runs.
pub use crate::runs::migration::Migrator;

pub const SERVICE_NAMES: &[&str] = &["ndrs.v1.ProductionStorageService"];

/// Runs the service (its schema is the shared return store and outbox) on `listener` until `shutdown` is cancelled.
pub async fn run(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> ndrs_core::Result<()> {
    let max = runtime.settings.server.max_message_bytes;
    let plausibility = runtime.settings.plausibility.clone();
    run_stage_service(
        runtime,
        crate::STAGE_NAME,
        SERVICE_NAMES,
        Migrator,
        listener,
        shutdown,
        |store, identity| {
            Routes::new(ProductionStorage::new(store, identity, plausibility).into_server(max))
        },
    )
    .await
}
