//! gRPC transport of the application survey: authenticate, convert, call the domain, map the error.

use ndrs_platform::IntoStatus;
use ndrs_platform::auth::IdentityStore;
use ndrs_platform::returns::ReturnStore;
use ndrs_platform::stage::{self, ReturnReader};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_server::{
    ApplicationSurveyService, ApplicationSurveyServiceServer,
};
use tonic::{Request, Response, Status};

use crate::domain::{self, Questionnaire};
use crate::estimate;

pub const RETURN_KIND: &str = "application_questionnaire";

pub struct ApplicationSurvey {
    store: ReturnStore,
    identity: IdentityStore,
    reader: ReturnReader,
}

impl ApplicationSurvey {
    pub fn new(store: ReturnStore, identity: IdentityStore) -> Self {
        Self {
            reader: ReturnReader {
                store: store.clone(),
            },
            store,
            identity,
        }
    }

    pub fn into_server(self, max_message_bytes: usize) -> ApplicationSurveyServiceServer<Self> {
        ApplicationSurveyServiceServer::new(self).max_decoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl ApplicationSurveyService for ApplicationSurvey {
    async fn submit_questionnaire(
        &self,
        request: Request<pb::ApplicationReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let (header, questionnaire) =
            domain::questionnaire_from_proto(request.into_inner()).into_status()?;
        let findings = domain::edit_findings(&questionnaire);
        let receipt = stage::submit_return(
            &self.store,
            &principal,
            RETURN_KIND,
            header,
            &questionnaire,
            findings,
        )
        .await
        .into_status()?;
        Ok(Response::new(receipt))
    }

    async fn get_return(
        &self,
        request: Request<pb::GetReturnRequest>,
    ) -> Result<Response<pb::ReturnHistory>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let history = self
            .reader
            .get_return(&principal, request.into_inner())
            .await
            .into_status()?;
        Ok(Response::new(history))
    }

    async fn list_returns(
        &self,
        request: Request<pb::ListReturnsRequest>,
    ) -> Result<Response<pb::ListReturnsResponse>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let list = self
            .reader
            .list_returns(&principal, request.into_inner())
            .await
            .into_status()?;
        Ok(Response::new(list))
    }

    async fn get_stage_result(
        &self,
        request: Request<pb::GetStageResultRequest>,
    ) -> Result<Response<pb::StageResult>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        let cycle_year =
            stage::stage_result_request(&principal, request.into_inner()).into_status()?;
        let rows = stage::load_latest::<Questionnaire>(&self.store, cycle_year, RETURN_KIND)
            .await
            .into_status()?;
        let figures = estimate::figures(&rows);
        Ok(Response::new(stage::stage_result(
            pb::Stage::Application,
            cycle_year,
            figures,
            rows.len() as u64,
        )))
    }
}
