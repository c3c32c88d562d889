//! Start-up of the application survey service: the platform's stage start-up
//! ([`ndrs_platform::stage_startup!`]) over [`ApplicationSurvey`].

use crate::grpc::ApplicationSurvey;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the platform's stage tables (return store, outbox, and the cycle
/// documents that hold its sample designs and questionnaires).
pub use ndrs_platform::stage::StageMigrator as Migrator;

ndrs_platform::stage_startup!(ApplicationSurvey);
