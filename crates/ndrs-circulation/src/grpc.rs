//! gRPC transport of the circulation survey: the submit handlers hand their return kind to the
//! platform's submit path; the read RPCs and `GetStageResult` are the platform's.

use ndrs_platform::stage::{StageCore, StageFigures, StageReturn, StageService, stage_rpcs};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::circulation_survey_service_server::{
    CirculationSurveyService, CirculationSurveyServiceServer,
};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use crate::domain::{CarrierReturn, ExchangeReturn};
use crate::estimate;

/// The gRPC services this process serves (health and reflection list these).
pub const SERVICE_NAMES: &[&str] = &["ndrs.v1.CirculationSurveyService"];

pub struct CirculationSurvey {
    core: StageCore,
}

impl StageService for CirculationSurvey {
    const STAGE_NAME: &'static str = crate::STAGE_NAME;
    const STAGE: pb::Stage = pb::Stage::Circulation;
    const SERVICE_NAMES: &'static [&'static str] = SERVICE_NAMES;
    const RETURN_KINDS: &'static [&'static str] = &[
        <crate::domain::CarrierReturn as StageReturn>::KIND,
        <crate::domain::ExchangeReturn as StageReturn>::KIND,
    ];
    type Migrator = ndrs_platform::stage::StageMigrator;
    const MIGRATOR: Self::Migrator = ndrs_platform::stage::StageMigrator;

    fn new(core: StageCore) -> Self {
        Self { core }
    }

    fn core(&self) -> &StageCore {
        &self.core
    }

    fn into_routes(self, max_message_bytes: usize) -> Routes {
        Routes::new(
            CirculationSurveyServiceServer::new(self).max_decoding_message_size(max_message_bytes),
        )
    }

    async fn stage_figures(&self, cycle_year: i32) -> ndrs_core::Result<StageFigures> {
        estimate::stage_figures(&self.core, cycle_year).await
    }
}

stage_rpcs! {
    impl CirculationSurveyService for CirculationSurvey {
        async fn submit_carrier_return(
            &self,
            request: Request<pb::CarrierReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            self.core.submit::<CarrierReturn>(request).await
        }

        async fn submit_exchange_return(
            &self,
            request: Request<pb::ExchangeReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            self.core.submit::<ExchangeReturn>(request).await
        }
    }
}
