//! gRPC transport of the compute census: authenticate, convert, call the domain, map the error.
//! Submission, the read RPCs and `GetStageResult` run on the platform's stage skeleton.

use ndrs_core::Error;
use ndrs_platform::IntoStatus;
use ndrs_platform::auth::Role;
use ndrs_platform::stage::{StageCore, StageFigures, StageReturn, StageService, stage_rpcs};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::compute_census_service_server::{
    ComputeCensusService, ComputeCensusServiceServer,
};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use crate::domain::CentreReturn;
use crate::estimate;
use crate::registry::{self, RegistryStore};

/// The gRPC services this process serves (health and reflection list these).
pub const SERVICE_NAMES: &[&str] = &["ndrs.v1.ComputeCensusService"];

pub struct ComputeCensus {
    core: StageCore,
    registry: RegistryStore,
}

impl StageService for ComputeCensus {
    const STAGE_NAME: &'static str = crate::STAGE_NAME;
    const STAGE: pb::Stage = pb::Stage::Compute;
    const SERVICE_NAMES: &'static [&'static str] = SERVICE_NAMES;
    const RETURN_KINDS: &'static [&'static str] =
        &[<crate::domain::CentreReturn as StageReturn>::KIND];
    type Migrator = crate::registry::migration::Migrator;
    const MIGRATOR: Self::Migrator = crate::registry::migration::Migrator;

    fn new(core: StageCore) -> Self {
        Self {
            registry: RegistryStore::new(&core.store),
            core,
        }
    }

    fn core(&self) -> &StageCore {
        &self.core
    }

    fn into_routes(self, max_message_bytes: usize) -> Routes {
        Routes::new(
            ComputeCensusServiceServer::new(self).max_decoding_message_size(max_message_bytes),
        )
    }

    async fn stage_figures(&self, cycle_year: i32) -> ndrs_core::Result<StageFigures> {
        estimate::stage_figures(&self.core, &self.registry, cycle_year).await
    }
}

impl ComputeCensus {
    /// Stores a checked return with what the cycle's register says of it (a centre outside the
    /// register is refused once one is loaded).
    async fn store_in_register(
        &self,
        submission: ndrs_platform::stage::Submission<CentreReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let register = self
            .registry
            .check_return(
                submission.header.cycle_year,
                &submission.header.reporting_unit_id,
                &submission.value,
            )
            .await
            .into_status()?;
        self.core.store(submission, register).await
    }
}

stage_rpcs! {
    impl ComputeCensusService for ComputeCensus {
        async fn submit_centre_return(
            &self,
            request: Request<pb::ComputeCentreReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            let submission = self.core.receive_typed::<CentreReturn>(request).await?;
            self.store_in_register(submission).await
        }

        async fn submit_answers(
            &self,
            request: Request<pb::AnswerReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            let submission = self.core.receive_answers::<CentreReturn>(request).await?;
            self.store_in_register(submission).await
        }

        async fn load_centre_registry(
            &self,
            request: Request<pb::LoadCentreRegistryRequest>,
        ) -> Result<Response<pb::CentreRegistrySummary>, Status> {
            let principal = self
                .core
                .authorise(&request, &[Role::Organiser], "load the centre register")
                .await?;
            let (cycle_year, centres) =
                registry::registry_from_proto(request.into_inner()).into_status()?;
            let loaded = self
                .registry
                .load(cycle_year, centres, &principal.name)
                .await
                .into_status()?;
            tracing::info!(
                cycle_year,
                version = loaded.version,
                centres = loaded.centres.len(),
                "centre register loaded"
            );
            Ok(Response::new(loaded.summary_proto()))
        }

        async fn get_centre_registry(
            &self,
            request: Request<pb::GetCentreRegistryRequest>,
        ) -> Result<Response<pb::CentreRegistry>, Status> {
            self.core
                .authorise(
                    &request,
                    &[Role::Organiser, Role::Service],
                    "read the centre register",
                )
                .await?;
            let pb::GetCentreRegistryRequest {
                cycle_year,
                version,
            } = request.into_inner();
            let registry = self
                .registry
                .get(cycle_year, version)
                .await
                .and_then(|r| {
                    r.ok_or_else(|| Error::NotFound(format!("centre register for cycle {cycle_year}")))
                })
                .into_status()?;
            Ok(Response::new(registry.to_proto()))
        }
    }
}
