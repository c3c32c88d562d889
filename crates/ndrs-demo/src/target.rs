//! Where the demo runs: the services' endpoints and the identity store that issues the tokens of
//! everyone the walk-through acts for (an in-process system, or separately started services that
//! share one identity database).

use ndrs_platform::auth::IdentityStore;
pub use ndrs_platform::client::SystemEndpoints;

/// Responses of census size (stage results, candidates) exceed gRPC's default 4 MiB.
pub const MAX_RESPONSE_BYTES: usize = ndrs_aggregator::stages::MAX_STAGE_RESULT_BYTES;

/// Where the walk-through runs: the services' endpoints and the identity store that issues its
/// tokens.
pub struct Target<'a> {
    pub endpoints: &'a SystemEndpoints,
    pub identity: &'a IdentityStore,
}
