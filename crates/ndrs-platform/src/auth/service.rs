//! `ndrs.v1.IdentityService`: tells a caller who its token stands for. The web console asks this
//! once at sign-in, so it can show an organiser's and an expert's pages without probing which
//! calls the token may make; every action is still authorised by the call that performs it.

use ndrs_proto::v1 as pb;
use pb::identity_service_server::{IdentityService, IdentityServiceServer};
use tonic::{Request, Response, Status};

use super::IdentityStore;

/// The gRPC name of the service, for health and reflection.
pub const SERVICE_NAME: &str = "ndrs.v1.IdentityService";

/// Serves `WhoAmI` from the identity store every service already opens.
#[derive(Clone)]
pub struct IdentityApi {
    identity: IdentityStore,
}

impl IdentityApi {
    pub fn new(identity: IdentityStore) -> Self {
        Self { identity }
    }

    pub fn into_server(self) -> IdentityServiceServer<Self> {
        IdentityServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityApi {
    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::Caller>, Status> {
        let (principal, expires_at) = self
            .identity
            .caller(request.metadata())
            .await
            .map_err(crate::grpc_status::to_status)?;
        Ok(Response::new(pb::Caller {
            name: principal.name,
            role: principal.role.code().to_string(),
            reporting_unit_id: principal.reporting_unit_id.unwrap_or_default(),
            expires_at: Some(std::time::SystemTime::from(expires_at).into()),
        }))
    }
}
