//! Start-up of the circulation survey service: the platform's stage start-up
//! ([`ndrs_platform::stage_startup!`]) over [`CirculationSurvey`].

use crate::grpc::CirculationSurvey;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the platform's stage tables (return store, outbox, cycle documents).
pub use ndrs_platform::stage::StageMigrator as Migrator;

ndrs_platform::stage_startup!(CirculationSurvey);
