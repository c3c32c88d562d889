//! Start-up of the application survey service: the platform's stage start-up
//! ([`ndrs_platform::stage_startup!`]) over [`ApplicationSurvey`].

use crate::grpc::ApplicationSurvey;
pub use crate::grpc::SERVICE_NAMES;

/// This service's schema: the shared return store and outbox, and the versioned sample designs.
pub use crate::schema::Migrator;

ndrs_platform::stage_startup!(ApplicationSurvey);
