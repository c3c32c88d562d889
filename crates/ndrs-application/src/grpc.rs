//! gRPC transport of the application survey: authenticate, convert, call the domain, map the
//! error. Submission, the read RPCs and `GetStageResult` run on the platform's stage skeleton.

use std::sync::Arc;

use ndrs_platform::IntoStatus;
use ndrs_platform::auth::Role;
use ndrs_platform::indicators::service::{Estimation, IndicatorApi};
use ndrs_platform::indicators::{InForceIndicators, IndicatorSets};
use ndrs_platform::stage::{
    self, StageCore, StageFigures, StageReturn, StageService, Submission, stage_rpcs,
};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_server::{
    ApplicationSurveyService, ApplicationSurveyServiceServer,
};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use crate::design::{self, Designs};
use crate::domain::Questionnaire;
use crate::estimate;
use crate::hub::SharingHub;

/// The gRPC services this process serves (health and reflection list these).
pub const SERVICE_NAMES: &[&str] = &[
    "ndrs.v1.ApplicationSurveyService",
    ndrs_platform::indicators::service::SERVICE_NAME,
];

pub struct ApplicationSurvey {
    core: StageCore,
    designs: Designs,
    indicators: IndicatorSets,
    hub_indicators: IndicatorSets,
}

/// What a dry run of an indicator document estimates: the questionnaires' figures, as the
/// stage result would give them under it.
struct DryRunEstimation {
    core: StageCore,
    designs: Designs,
}

#[tonic::async_trait]
impl Estimation for DryRunEstimation {
    async fn figures(
        &self,
        cycle_year: i32,
        indicators: &InForceIndicators,
    ) -> ndrs_core::Result<(Vec<pb::Figure>, Vec<String>)> {
        // Which returns a document reads is its questionnaire's kind.
        if indicators.indicators.document.questionnaire == <SharingHub as StageReturn>::KIND {
            let (figures, _, _) = estimate::hub_figures(&self.core, cycle_year, indicators).await?;
            return Ok((figures, Vec::new()));
        }
        let (figures, notes, _, _) =
            estimate::questionnaire_figures(&self.core, &self.designs, cycle_year, indicators)
                .await?;
        Ok((figures, notes))
    }
}

impl StageService for ApplicationSurvey {
    const STAGE_NAME: &'static str = crate::STAGE_NAME;
    const STAGE: pb::Stage = pb::Stage::Application;
    const SERVICE_NAMES: &'static [&'static str] = SERVICE_NAMES;
    const RETURN_KINDS: &'static [&'static str] = &[
        <crate::domain::Questionnaire as StageReturn>::KIND,
        <crate::hub::SharingHub as StageReturn>::KIND,
    ];
    type Migrator = ndrs_platform::stage::StageMigrator;
    const MIGRATOR: Self::Migrator = ndrs_platform::stage::StageMigrator;

    fn new(core: StageCore) -> Self {
        Self {
            designs: Designs::new(&core.store),
            indicators: IndicatorSets::new(
                &core.store,
                estimate::INDICATOR_KIND,
                &estimate::BREAKDOWNS,
                core.questionnaires.clone(),
            ),
            hub_indicators: IndicatorSets::new(
                &core.store,
                estimate::HUB_INDICATOR_KIND,
                &[],
                core.questionnaires.clone(),
            ),
            core,
        }
    }

    fn core(&self) -> &StageCore {
        &self.core
    }

    fn into_routes(self, max_message_bytes: usize) -> Routes {
        let estimation = Arc::new(DryRunEstimation {
            core: self.core.clone(),
            designs: self.designs.clone(),
        });
        let indicators = IndicatorApi::new(
            self.core.identity.clone(),
            vec![self.indicators.clone(), self.hub_indicators.clone()],
            estimation,
        );
        Routes::new(
            ApplicationSurveyServiceServer::new(self).max_decoding_message_size(max_message_bytes),
        )
        .add_service(indicators.into_server(max_message_bytes))
    }

    async fn stage_figures(&self, cycle_year: i32) -> ndrs_core::Result<StageFigures> {
        estimate::stage_figures(
            &self.core,
            &self.designs,
            &self.indicators,
            &self.hub_indicators,
            cycle_year,
        )
        .await
    }
}

impl ApplicationSurvey {
    /// Stores a checked return with what the cycle's sample design says of it (a unit outside
    /// the frame, a stratum that disagrees with the answers).
    async fn store_in_frame(
        &self,
        submission: Submission<Questionnaire>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let frame = self
            .designs
            .frame_findings(
                submission.header.cycle_year,
                &submission.header.reporting_unit_id,
                &submission.value,
            )
            .await
            .into_status()?;
        self.core.store(submission, frame).await
    }
}

stage_rpcs! {
    impl ApplicationSurveyService for ApplicationSurvey {
        async fn submit_questionnaire(
            &self,
            request: Request<pb::ApplicationReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            let submission = self.core.receive_typed::<Questionnaire>(request).await?;
            self.store_in_frame(submission).await
        }

        async fn submit_answers(
            &self,
            request: Request<pb::AnswerReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            // The return kind decides the questionnaire; an unknown one is refused on `kind`
            // by the questionnaire path.
            if request.get_ref().kind == <SharingHub as StageReturn>::KIND {
                let submission = self.core.receive_answers::<SharingHub>(request).await?;
                return self.core.store(submission, Vec::new()).await;
            }
            let submission = self.core.receive_answers::<Questionnaire>(request).await?;
            self.store_in_frame(submission).await
        }

        async fn submit_sharing_hub_return(
            &self,
            request: Request<pb::SharingHubReturn>,
        ) -> Result<Response<pb::Receipt>, Status> {
            let submission = self.core.receive_typed::<SharingHub>(request).await?;
            self.core.store(submission, Vec::new()).await
        }

        async fn load_sample_design(
            &self,
            request: Request<pb::LoadSampleDesignRequest>,
        ) -> Result<Response<pb::SampleDesignSummary>, Status> {
            let principal = self
                .core
                .authorise(&request, &[Role::Organiser], "load a sample design")
                .await?;
            let (cycle_year, body) =
                design::design_from_proto(request.into_inner()).into_status()?;
            let loaded = self
                .designs
                .load(cycle_year, body, &principal.name)
                .await
                .into_status()?;
            Ok(Response::new(design::summary_proto(&loaded)))
        }

        async fn get_sample_design(
            &self,
            request: Request<pb::GetSampleDesignRequest>,
        ) -> Result<Response<pb::SampleDesign>, Status> {
            self.core
                .authorise(
                    &request,
                    &[Role::Organiser, Role::Service],
                    "read the sample design",
                )
                .await?;
            let pb::GetSampleDesignRequest {
                cycle_year,
                version,
            } = request.into_inner();
            let design = self.designs.get(cycle_year, version).await.into_status()?;
            Ok(Response::new(design::design_to_proto(&design)))
        }

        type ExportWeightsStream = std::pin::Pin<
            Box<dyn tokio_stream::Stream<Item = Result<pb::WeightsChunk, Status>> + Send>,
        >;

        async fn export_weights(
            &self,
            request: Request<pb::ExportWeightsRequest>,
        ) -> Result<Response<Self::ExportWeightsStream>, Status> {
            self.core
                .authorise(
                    &request,
                    &[Role::Organiser, Role::Expert],
                    "export the weights",
                )
                .await?;
            let chunks = estimate::export_weights_rpc(
                &self.core,
                &self.designs,
                &self.indicators,
                request.into_inner(),
            )
            .await
            .into_status()?;
            Ok(Response::new(Box::pin(tokio_stream::iter(
                chunks.into_iter().map(Ok),
            ))))
        }

        async fn get_estimates(
            &self,
            request: Request<pb::GetEstimatesRequest>,
        ) -> Result<Response<pb::GetEstimatesResponse>, Status> {
            let principal = self.core.principal(&request).await?;
            stage::require_stage_reader(&principal).into_status()?;
            estimate::get_estimates(
                &self.core,
                &self.designs,
                &self.indicators,
                request.into_inner(),
            )
                .await
                .map(Response::new)
                .into_status()
        }
    }
}
