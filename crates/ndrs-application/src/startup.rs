//! Start-up of the application survey service.

use ndrs_platform::stage::{Runtime, run_stage_service};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::grpc::ApplicationSurvey;

/// This service's schema: the shared return store and outbox, and the versioned sample designs.
pub struct Migrator;

impl sea_orm_migration::MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(ndrs_platform::returns::migration::CreateReturnStore),
            Box::new(ndrs_platform::documents::migration::CreateCycleDocument),
        ]
    }
}

pub const SERVICE_NAMES: &[&str] = &["ndrs.v1.ApplicationSurveyService"];

/// Runs the service on `listener` until `shutdown` is cancelled.
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
            Routes::new(ApplicationSurvey::new(store, identity, plausibility).into_server(max))
        },
    )
    .await
}
