//! Start-up of the production and storage service: the platform's stage start-up
//! ([`ndrs_platform::stage_startup!`]) over [`ProductionStorage`].

use crate::grpc::ProductionStorage;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the return store, outbox and model runs.
pub use crate::runs::migration::Migrator;

ndrs_platform::stage_startup!(ProductionStorage);
