//! gRPC transport of the production and storage service: authenticate, convert, call the domain,
//! map the error. Submission, the read RPCs and `GetStageResult` run on the platform's stage
//! skeleton; the figures and model runs are [`crate::figures`]'.

use ndrs_platform::IntoStatus;
use ndrs_platform::auth::Role;
use ndrs_platform::stage::{StageCore, StageFigures, StageReturn, StageService, stage_rpcs};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::production_storage_service_server::{
    ProductionStorageService, ProductionStorageServiceServer,
};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use crate::device_types;
use crate::domain::{DeviceParameters, StorageMediumFigures};
use crate::figures;
use crate::runs::ModelRuns;
use crate::taxonomy::{self, Taxonomies};

/// The gRPC services this process serves (health and reflection list these).
pub const SERVICE_NAMES: &[&str] = &["ndrs.v1.ProductionStorageService"];

pub struct ProductionStorage {
    core: StageCore,
    runs: ModelRuns,
    taxonomies: Taxonomies,
}

impl StageService for ProductionStorage {
    const STAGE_NAME: &'static str = crate::STAGE_NAME;
    const STAGE: pb::Stage = pb::Stage::ProductionStorage;
    const SERVICE_NAMES: &'static [&'static str] = SERVICE_NAMES;
    const RETURN_KINDS: &'static [&'static str] = &[
        <crate::domain::DeviceParameters as StageReturn>::KIND,
        <crate::domain::StorageMediumFigures as StageReturn>::KIND,
    ];
    type Migrator = crate::runs::migration::Migrator;
    const MIGRATOR: Self::Migrator = crate::runs::migration::Migrator;

    fn new(core: StageCore) -> Self {
        Self {
            runs: ModelRuns::new(core.store.connection().clone()),
            taxonomies: Taxonomies::new(&core.store),
            core,
        }
    }

    fn core(&self) -> &StageCore {
        &self.core
    }

    fn into_routes(self, max_message_bytes: usize) -> Routes {
        Routes::new(
            ProductionStorageServiceServer::new(self).max_decoding_message_size(max_message_bytes),
        )
    }

    async fn stage_figures(&self, cycle_year: i32) -> ndrs_core::Result<StageFigures> {
        figures::stage_figures(&self.core, &self.runs, cycle_year).await
    }
}

stage_rpcs! {
    impl ProductionStorageService for ProductionStorage {
        async fn submit_device_parameters(
            &self,
            request: Request<pb::DeviceParameterReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            let submission = self.core.receive::<DeviceParameters>(request).await?;
            let device = &submission.value;
            self.taxonomies
                .check(submission.header.cycle_year, &device.device_type, device.category)
                .await
                .into_status()?;
            self.core.store(submission, Vec::new()).await
        }

        async fn submit_storage_medium(
            &self,
            request: Request<pb::StorageMediumReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            self.core.submit::<StorageMediumFigures>(request).await
        }

        async fn run_model(
            &self,
            request: Request<pb::RunModelRequest>,
        ) -> Result<Response<pb::ModelRun>, Status> {
            let principal = self
                .core
                .authorise(&request, &[Role::Organiser], "run the model")
                .await?;
            let run = figures::run_model(&self.core, &self.runs, request.into_inner(), &principal.name)
                .await
                .into_status()?;
            Ok(Response::new(run.to_proto()))
        }

        async fn get_model_run(
            &self,
            request: Request<pb::GetModelRunRequest>,
        ) -> Result<Response<pb::ModelRun>, Status> {
            self.core
                .authorise(
                    &request,
                    &[Role::Organiser, Role::Service, Role::Expert],
                    "read model runs",
                )
                .await?;
            let run = figures::get_model_run(&self.runs, request.into_inner())
                .await
                .into_status()?;
            Ok(Response::new(run.to_proto()))
        }

        async fn load_device_taxonomy(
            &self,
            request: Request<pb::LoadDeviceTaxonomyRequest>,
        ) -> Result<Response<pb::DeviceTaxonomySummary>, Status> {
            let principal = self
                .core
                .authorise(&request, &[Role::Organiser], "load a device taxonomy")
                .await?;
            let (cycle_year, device_types) =
                taxonomy::taxonomy_from_proto(request.into_inner()).into_status()?;
            let loaded = self
                .taxonomies
                .load(cycle_year, device_types, &principal.name)
                .await
                .into_status()?;
            tracing::info!(
                cycle_year,
                version = loaded.version,
                device_types = loaded.body.len(),
                "device taxonomy loaded"
            );
            Ok(Response::new(taxonomy::summary_proto(&loaded)))
        }

        async fn get_device_taxonomy(
            &self,
            request: Request<pb::GetDeviceTaxonomyRequest>,
        ) -> Result<Response<pb::DeviceTaxonomy>, Status> {
            // Any authenticated caller: reporters need the taxonomy to name their device types.
            self.core.principal(&request).await?;
            let pb::GetDeviceTaxonomyRequest {
                cycle_year,
                version,
            } = request.into_inner();
            let loaded = self
                .taxonomies
                .get(cycle_year, version)
                .await
                .into_status()?;
            device_types::taxonomy_answer(loaded, cycle_year, version)
                .map(Response::new)
                .into_status()
        }
    }
}
