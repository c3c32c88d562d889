//! Start-up of the circulation survey service: the platform's stage start-up
//! ([`ndrs_platform::stage::run_stage`]) over [`CirculationSurvey`].

use ndrs_platform::stage::{Runtime, run_stage};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::grpc::CirculationSurvey;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the shared return store and outbox.
pub use ndrs_platform::returns::migration::ReturnStoreMigrator as Migrator;

/// Runs the service on `listener` until `shutdown` is cancelled.
pub async fn run(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> ndrs_core::Result<()> {
    run_stage::<CirculationSurvey>(runtime, listener, shutdown).await
}
