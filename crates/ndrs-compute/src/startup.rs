//! Start-up of the compute census service: the platform's stage start-up
//! ([`ndrs_platform::stage::run_stage`]) over [`ComputeCensus`].

use ndrs_platform::stage::{Runtime, run_stage};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::grpc::ComputeCensus;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the return store, outbox and centre register.
pub use crate::registry::migration::Migrator;

/// Runs the service on `listener` until `shutdown` is cancelled.
pub async fn run(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> ndrs_core::Result<()> {
    run_stage::<ComputeCensus>(runtime, listener, shutdown).await
}
