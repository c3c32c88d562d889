//! `ndrs.v1.ReturnActivityService`, served by every stage service: per unit and return kind,
//! what the stage received for a cycle ([`crate::returns::UnitActivity`]). The aggregator's
//! progress report reads it from each stage; organisers may read it too.

use ndrs_core::Violations;
use ndrs_proto::v1 as pb;
use pb::return_activity_service_server::{ReturnActivityService, ReturnActivityServiceServer};
use tonic::{Request, Response, Status};

use crate::auth::{IdentityStore, Role};
use crate::grpc_status::IntoStatus;
use crate::returns::{ReturnStore, UnitActivity};
use crate::stage::check_cycle_year;
use crate::timestamp::from_text;

/// The gRPC name of the service, for health and reflection.
pub const SERVICE_NAME: &str = "ndrs.v1.ReturnActivityService";

#[derive(Clone)]
pub struct ActivityApi {
    identity: IdentityStore,
    store: ReturnStore,
}

impl ActivityApi {
    pub fn new(identity: IdentityStore, store: ReturnStore) -> Self {
        Self { identity, store }
    }

    /// The tonic service; its answers are census-sized, so they may be as large as a stage
    /// result.
    pub fn into_server(self, max_message_bytes: usize) -> ReturnActivityServiceServer<Self> {
        ReturnActivityServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes * 16)
    }
}

fn to_proto(a: UnitActivity) -> pb::UnitActivity {
    pb::UnitActivity {
        reporting_unit_id: a.reporting_unit_id,
        return_kind: a.return_kind,
        returns: a.returns,
        max_version: a.max_version,
        first_received_at: from_text(&a.first_received_at),
        last_received_at: from_text(&a.last_received_at),
        latest_has_warnings: a.latest_has_warnings,
        refusals: a.refusals,
        last_refused_at: from_text(&a.last_refused_at),
        last_refusal: a.last_refusal,
    }
}

#[tonic::async_trait]
impl ReturnActivityService for ActivityApi {
    async fn get_return_activity(
        &self,
        request: Request<pb::GetReturnActivityRequest>,
    ) -> Result<Response<pb::ReturnActivity>, Status> {
        self.identity
            .authorise(
                request.metadata(),
                &[Role::Organiser, Role::Service],
                "read return activity",
            )
            .await
            .into_status()?;
        let cycle_year = request.into_inner().cycle_year;
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        v.finish(()).into_status()?;
        let units = self.store.activity(cycle_year).await.into_status()?;
        Ok(Response::new(pb::ReturnActivity {
            units: units.into_iter().map(to_proto).collect(),
        }))
    }
}
