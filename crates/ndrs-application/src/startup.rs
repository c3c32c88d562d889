//! Start-up of the application survey service: the platform's stage start-up
//! ([`ndrs_platform::stage::run_stage`]) over [`ApplicationSurvey`].

use ndrs_platform::stage::{Runtime, run_stage};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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
    run_stage::<ApplicationSurvey>(runtime, listener, shutdown).await
}
