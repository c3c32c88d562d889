//! gRPC transport of the circulation survey: authenticate, convert, call the domain, map the error.

use ndrs_platform::IntoStatus;
use ndrs_platform::auth::IdentityStore;
use ndrs_platform::plausibility::Plausibility;
use ndrs_platform::returns::ReturnStore;
use ndrs_platform::stage::{self, ReturnReader};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::circulation_survey_service_server::{
    CirculationSurveyService, CirculationSurveyServiceServer,
};
use tonic::{Request, Response, Status};

use crate::domain::{self, CarrierReturn, ExchangeReturn};
use crate::estimate;

pub const CARRIER_KIND: &str = "carrier_traffic";
pub const EXCHANGE_KIND: &str = "exchange_activity";

pub struct CirculationSurvey {
    store: ReturnStore,
    identity: IdentityStore,
    reader: ReturnReader,
    plausibility: Plausibility,
}

impl CirculationSurvey {
    pub fn new(store: ReturnStore, identity: IdentityStore, plausibility: Plausibility) -> Self {
        Self {
            reader: ReturnReader::new(store.clone(), identity.clone()),
            store,
            identity,
            plausibility,
        }
    }

    pub fn into_server(self, max_message_bytes: usize) -> CirculationSurveyServiceServer<Self> {
        CirculationSurveyServiceServer::new(self).max_decoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl CirculationSurveyService for CirculationSurvey {
    async fn submit_carrier_return(
        &self,
        request: Request<pb::CarrierReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let receipt = stage::receive(
            &self.store,
            &self.identity,
            request,
            CARRIER_KIND,
            domain::carrier_return_from_proto,
            |r| {
                let mut findings = domain::carrier_findings(r);
                findings.extend(self.plausibility.findings(&domain::carrier_quantities(r)));
                findings
            },
        )
        .await
        .into_status()?;
        Ok(Response::new(receipt))
    }

    async fn submit_exchange_return(
        &self,
        request: Request<pb::ExchangeReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let receipt = stage::receive(
            &self.store,
            &self.identity,
            request,
            EXCHANGE_KIND,
            domain::exchange_return_from_proto,
            |r| {
                let mut findings = domain::exchange_findings(r);
                findings.extend(self.plausibility.findings(&domain::exchange_quantities(r)));
                findings
            },
        )
        .await
        .into_status()?;
        Ok(Response::new(receipt))
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
        let p = &self.plausibility;
        let (carriers, mut set_aside) = stage::load_usable::<CarrierReturn>(
            &self.store,
            cycle_year,
            CARRIER_KIND,
            p,
            domain::carrier_quantities,
        )
        .await
        .into_status()?;
        let (exchanges, exchanges_set_aside) = stage::load_usable::<ExchangeReturn>(
            &self.store,
            cycle_year,
            EXCHANGE_KIND,
            p,
            domain::exchange_quantities,
        )
        .await
        .into_status()?;
        set_aside.extend(exchanges_set_aside);
        let figures = estimate::figures(&carriers, &exchanges);
        Ok(Response::new(stage::with_set_aside(
            stage::stage_result(
                pb::Stage::Circulation,
                cycle_year,
                figures,
                (carriers.len() + exchanges.len()) as u64,
            ),
            set_aside,
        )))
    }
}
