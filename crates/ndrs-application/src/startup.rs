//! Start-up of the application survey service: the platform's stage start-up
//! ([`ndrs_platform::stage::run_stage`]) over [`ApplicationSurvey`].

use ndrs_platform::stage::{Runtime, run_stage};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::grpc::ApplicationSurvey;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the shared return store and outbox, and the versioned sample designs.
pub use crate::schema::Migrator;

/// Runs the service on `listener` until `shutdown` is cancelled.
pub async fn run(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> ndrs_core::Result<()> {
    run_stage::<ApplicationSurvey>(runtime, listener, shutdown).await
}
