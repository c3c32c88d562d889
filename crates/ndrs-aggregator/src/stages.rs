//! gRPC clients of the four stage services, authenticated as the aggregator's service principal.

use ndrs_core::{Error, Result};
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::circulation_survey_service_client::CirculationSurveyServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_proto::v1::return_activity_service_client::ReturnActivityServiceClient;

/// Where the stage services are.
#[derive(Debug, Clone)]
pub struct StageEndpoints {
    pub production: String,
    pub compute: String,
    pub circulation: String,
    pub application: String,
}

#[derive(Clone)]
pub struct StageClients {
    production: ProductionStorageServiceClient<AuthedChannel>,
    compute: ComputeCensusServiceClient<AuthedChannel>,
    circulation: CirculationSurveyServiceClient<AuthedChannel>,
    application: ApplicationSurveyServiceClient<AuthedChannel>,
    /// Each stage's `ReturnActivityService`, in stage order, for progress reports.
    activity: Vec<(&'static str, ReturnActivityServiceClient<AuthedChannel>)>,
}

/// A stage service that cannot answer (or is rate limiting) makes the whole assembly
/// unavailable, to be retried; any other error it answers is the system's own fault, not the
/// caller's, and is internal, with the stage's name.
fn stage_error(stage: &str, status: tonic::Status) -> Error {
    match ndrs_platform::grpc_status::from_status(status) {
        e @ (Error::Unavailable(_) | Error::RateLimited { .. }) => {
            Error::Unavailable(format!("{stage} service: {e}"))
        }
        e => Error::Internal(format!("{stage} service answered {e}")),
    }
}

/// Largest stage result the aggregator accepts. Stage results grow with the census: every figure's
/// lineage lists the returns behind it, so the compute census of 2,200 centres alone is over tonic's
/// default 4 MiB. They come from our own services; the bound is a sanity limit, not a defence.
pub const MAX_STAGE_RESULT_BYTES: usize = 256 * 1024 * 1024;

impl StageClients {
    pub fn connect(endpoints: &StageEndpoints, service_token: &str) -> Result<Self> {
        let token = Some(service_token);
        let max = MAX_STAGE_RESULT_BYTES;
        Ok(Self {
            production: ProductionStorageServiceClient::new(channel(&endpoints.production, token)?)
                .max_decoding_message_size(max),
            compute: ComputeCensusServiceClient::new(channel(&endpoints.compute, token)?)
                .max_decoding_message_size(max),
            circulation: CirculationSurveyServiceClient::new(channel(
                &endpoints.circulation,
                token,
            )?)
            .max_decoding_message_size(max),
            application: ApplicationSurveyServiceClient::new(channel(
                &endpoints.application,
                token,
            )?)
            .max_decoding_message_size(max),
            activity: [
                ("production", &endpoints.production),
                ("compute", &endpoints.compute),
                ("circulation", &endpoints.circulation),
                ("application", &endpoints.application),
            ]
            .into_iter()
            .map(|(stage, url)| {
                Ok((
                    stage,
                    ReturnActivityServiceClient::new(channel(url, token)?)
                        .max_decoding_message_size(max),
                ))
            })
            .collect::<Result<_>>()?,
        })
    }

    /// What every stage received for a cycle, per unit and kind, fetched concurrently.
    pub async fn activity(&self, cycle_year: i32) -> Result<Vec<pb::UnitActivity>> {
        let calls = self.activity.iter().map(|(stage, client)| {
            let mut client = client.clone();
            async move {
                client
                    .get_return_activity(pb::GetReturnActivityRequest { cycle_year })
                    .await
                    .map(|r| r.into_inner().units)
                    .map_err(|s| stage_error(stage, s))
            }
        });
        let answers = futures::future::join_all(calls).await;
        let mut units = Vec::new();
        for answer in answers {
            units.extend(answer?);
        }
        Ok(units)
    }

    /// Every stage's result for a cycle, in stage order, fetched concurrently.
    pub async fn stage_results(&self, cycle_year: i32) -> Result<Vec<pb::StageResult>> {
        let request = || pb::GetStageResultRequest { cycle_year };
        let (mut p, mut c, mut f, mut a) = (
            self.production.clone(),
            self.compute.clone(),
            self.circulation.clone(),
            self.application.clone(),
        );
        let (p, c, f, a) = tokio::join!(
            p.get_stage_result(request()),
            c.get_stage_result(request()),
            f.get_stage_result(request()),
            a.get_stage_result(request()),
        );
        Ok(vec![
            p.map_err(|s| stage_error("production", s))?.into_inner(),
            c.map_err(|s| stage_error("compute", s))?.into_inner(),
            f.map_err(|s| stage_error("circulation", s))?.into_inner(),
            a.map_err(|s| stage_error("application", s))?.into_inner(),
        ])
    }
}
