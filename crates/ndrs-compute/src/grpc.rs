//! gRPC transport of the compute census: authenticate, convert, call the domain, map the error.

use ndrs_core::Error;
use ndrs_platform::IntoStatus;
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_platform::plausibility::Plausibility;
use ndrs_platform::returns::ReturnStore;
use ndrs_platform::returns::{EditFinding, FindingSeverity};
use ndrs_platform::stage::{self, ReturnReader};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::compute_census_service_server::{
    ComputeCensusService, ComputeCensusServiceServer,
};
use tonic::{Request, Response, Status};

use crate::domain::{self, CentreReturn};
use crate::estimate::{self, CycleInputs};
use crate::registry::{self, RegistryStore};

pub const RETURN_KIND: &str = "compute_centre";

pub struct ComputeCensus {
    store: ReturnStore,
    registry: RegistryStore,
    identity: IdentityStore,
    reader: ReturnReader,
    plausibility: Plausibility,
}

impl ComputeCensus {
    pub fn new(store: ReturnStore, identity: IdentityStore, plausibility: Plausibility) -> Self {
        Self {
            reader: ReturnReader::new(store.clone(), identity.clone()),
            registry: RegistryStore::new(&store),
            store,
            identity,
            plausibility,
        }
    }

    /// With a register loaded for the cycle, only registered centres report, and a return that
    /// disagrees with the register on type or province is flagged (the register is authoritative).
    async fn check_against_registry(
        &self,
        cycle_year: i32,
        unit: &str,
        centre: &CentreReturn,
    ) -> ndrs_core::Result<Vec<EditFinding>> {
        let Some(registry) = self.registry.latest(cycle_year).await? else {
            return Ok(Vec::new());
        };
        let Some(registered) = registry.get(unit) else {
            return Err(Error::invalid(
                "header.reporting_unit_id",
                format!(
                    "not in the cycle's centre register (version {})",
                    registry.version
                ),
            ));
        };
        let mut findings = Vec::new();
        if registered.centre_type != centre.centre_type
            || registered.province_code != centre.province_code
        {
            findings.push(EditFinding {
                rule_id: "compute.differs_from_register".into(),
                severity: FindingSeverity::Warning,
                message: format!(
                    "register has {} in {}; the register's classification is used",
                    registered.centre_type.code(),
                    registered.province_code
                ),
                fields: vec!["centre_type".into(), "province_code".into()],
            });
        }
        Ok(findings)
    }

    pub fn into_server(self, max_message_bytes: usize) -> ComputeCensusServiceServer<Self> {
        ComputeCensusServiceServer::new(self).max_decoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl ComputeCensusService for ComputeCensus {
    async fn submit_centre_return(
        &self,
        request: Request<pb::ComputeCentreReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let (header, centre) =
            domain::centre_return_from_proto(request.into_inner()).into_status()?;
        principal
            .require_reporter_for(&header.reporting_unit_id)
            .into_status()?;
        let mut findings = domain::edit_findings(&centre);
        findings.extend(
            self.plausibility
                .findings(&domain::centre_quantities(&centre)),
        );
        findings.extend(
            self.check_against_registry(header.cycle_year, &header.reporting_unit_id, &centre)
                .await
                .into_status()?,
        );
        let receipt = stage::submit_return(
            &self.store,
            &principal,
            RETURN_KIND,
            header,
            &centre,
            findings,
        )
        .await
        .into_status()?;
        Ok(Response::new(receipt))
    }

    async fn load_centre_registry(
        &self,
        request: Request<pb::LoadCentreRegistryRequest>,
    ) -> Result<Response<pb::CentreRegistrySummary>, Status> {
        let principal = self
            .identity
            .authorise(
                request.metadata(),
                &[Role::Organiser],
                "load the centre register",
            )
            .await
            .into_status()?;
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
        self.identity
            .authorise(
                request.metadata(),
                &[Role::Organiser, Role::Service],
                "read the centre register",
            )
            .await
            .into_status()?;
        let pb::GetCentreRegistryRequest {
            cycle_year,
            version,
        } = request.into_inner();
        let registry = self
            .registry
            .get(cycle_year, version)
            .await
            .into_status()?
            .ok_or_else(|| Error::NotFound(format!("centre register for cycle {cycle_year}")))
            .into_status()?;
        Ok(Response::new(registry.to_proto()))
    }

    async fn get_return(
        &self,
        request: Request<pb::GetReturnRequest>,
    ) -> Result<Response<pb::ReturnHistory>, Status> {
        self.reader.get_return_rpc(request).await
    }

    async fn list_returns(
        &self,
        request: Request<pb::ListReturnsRequest>,
    ) -> Result<Response<pb::ListReturnsResponse>, Status> {
        self.reader.list_returns_rpc(request).await
    }

    async fn get_stage_result(
        &self,
        request: Request<pb::GetStageResultRequest>,
    ) -> Result<Response<pb::StageResult>, Status> {
        let cycle_year = stage::stage_result_cycle(&self.identity, request).await?;
        let load = |year| async move {
            let registry = self.registry.latest(year).await?;
            let (returns, set_aside) = stage::load_usable::<CentreReturn>(
                &self.store,
                year,
                RETURN_KIND,
                &self.plausibility,
                domain::centre_quantities,
            )
            .await?;
            Ok::<_, Error>((registry, returns, set_aside))
        };
        let (registry, returns, set_aside) = load(cycle_year).await.into_status()?;
        let (prev_registry, prev_returns, _) = load(cycle_year - 1).await.into_status()?;
        let previous =
            (prev_registry.is_some() || !prev_returns.is_empty()).then_some(CycleInputs {
                registry: prev_registry.as_ref(),
                returns: &prev_returns,
            });
        let figures = estimate::figures(
            CycleInputs {
                registry: registry.as_ref(),
                returns: &returns,
            },
            previous,
        );
        Ok(Response::new(stage::with_set_aside(
            stage::stage_result(
                pb::Stage::Compute,
                cycle_year,
                figures,
                returns.len() as u64,
            ),
            set_aside,
        )))
    }
}
