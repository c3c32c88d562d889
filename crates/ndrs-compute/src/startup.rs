//! Start-up of the compute census service: the platform's stage start-up
//! ([`ndrs_platform::stage_startup!`]) over [`ComputeCensus`].

use crate::grpc::ComputeCensus;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the return store, outbox and centre register.
pub use crate::registry::migration::Migrator;

ndrs_platform::stage_startup!(ComputeCensus);
