//! Start-up of the circulation survey service: the platform's stage start-up
//! ([`ndrs_platform::stage_startup!`]) over [`CirculationSurvey`].

use crate::grpc::CirculationSurvey;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the shared return store and outbox.
pub use ndrs_platform::returns::migration::ReturnStoreMigrator as Migrator;

ndrs_platform::stage_startup!(CirculationSurvey);
