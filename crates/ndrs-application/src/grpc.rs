//! gRPC transport of the application survey: authenticate, convert, call the domain, map the error.

use ndrs_core::{Error, Result};
use ndrs_platform::IntoStatus;
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_platform::documents::{CycleDocuments, Versioned};
use ndrs_platform::plausibility::Plausibility;
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnStore, StoredReturn};
use ndrs_platform::stage::{self, ReturnReader, check_cycle_year};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_server::{
    ApplicationSurveyService, ApplicationSurveyServiceServer,
};
use tonic::{Request, Response, Status};

use crate::design::{self, SampleDesign};
use crate::domain::{self, Questionnaire};
use crate::estimate;
use crate::hub::{self, SharingHub};

pub const RETURN_KIND: &str = "application_questionnaire";
pub const HUB_KIND: &str = "sharing_hub";

pub struct ApplicationSurvey {
    store: ReturnStore,
    designs: CycleDocuments,
    identity: IdentityStore,
    reader: ReturnReader,
    plausibility: Plausibility,
}

impl ApplicationSurvey {
    pub fn new(store: ReturnStore, identity: IdentityStore, plausibility: Plausibility) -> Self {
        Self {
            reader: ReturnReader::new(store.clone(), identity.clone()),
            designs: CycleDocuments::new(&store, design::DOCUMENT_KIND),
            store,
            identity,
            plausibility,
        }
    }

    /// The cycle's latest questionnaires that estimation may use, and those set aside (a number
    /// beyond its plausibility bound). Under a sample design a set-aside unit counts as not having
    /// responded, so the non-response adjustment covers it until it corrects its return.
    async fn questionnaires(
        &self,
        cycle_year: i32,
    ) -> Result<(Vec<(StoredReturn, Questionnaire)>, Vec<pb::SetAsideReturn>)> {
        stage::load_usable(
            &self.store,
            cycle_year,
            RETURN_KIND,
            &self.plausibility,
            domain::questionnaire_quantities,
        )
        .await
    }

    async fn design(&self, cycle_year: i32) -> Result<Option<Versioned<SampleDesign>>> {
        self.designs.get(cycle_year, 0).await
    }

    /// With a design loaded, the frame is authoritative for a unit's classification: a
    /// questionnaire that disagrees is accepted with a warning (its answers still count, under
    /// the frame's classification), and a unit outside the sample is told it will not be used.
    async fn frame_findings(
        &self,
        cycle_year: i32,
        unit: &str,
        q: &Questionnaire,
    ) -> Result<Vec<EditFinding>> {
        let Some(design) = self.design(cycle_year).await? else {
            return Ok(Vec::new());
        };
        let Some(sampled) = design.body.unit(unit) else {
            return Ok(vec![EditFinding {
                rule_id: "application.outside_sample".into(),
                severity: FindingSeverity::Warning,
                message: format!(
                    "{unit} is not in the cycle's sample design (version {}); the return is kept \
                     but not used in estimates",
                    design.version
                ),
                fields: vec!["header.reporting_unit_id".into()],
            }]);
        };
        let fields = design::classification_mismatches(
            sampled,
            q.subject_type,
            q.size_class,
            &q.province_code,
        );
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![EditFinding {
            rule_id: "application.frame_classification".into(),
            severity: FindingSeverity::Warning,
            message: format!(
                "differs from the sample frame (version {}), whose classification is used",
                design.version
            ),
            fields: fields.into_iter().map(String::from).collect(),
        }])
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
        let mut findings = domain::edit_findings(&questionnaire);
        findings.extend(
            self.plausibility
                .findings(&domain::questionnaire_quantities(&questionnaire)),
        );
        findings.extend(
            self.frame_findings(header.cycle_year, &header.reporting_unit_id, &questionnaire)
                .await
                .into_status()?,
        );
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

    async fn submit_sharing_hub_return(
        &self,
        request: Request<pb::SharingHubReturn>,
    ) -> Result<Response<pb::Receipt>, Status> {
        let receipt = stage::receive(
            &self.store,
            &self.identity,
            request,
            HUB_KIND,
            hub::hub_return_from_proto,
            |h| {
                let mut findings = hub::hub_findings(h);
                findings.extend(self.plausibility.findings(&hub::hub_quantities(h)));
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
        let (rows, mut set_aside) = self.questionnaires(cycle_year).await.into_status()?;
        let design = self.design(cycle_year).await.into_status()?;
        // A design that cannot be estimated yet (a weighting class without respondents while
        // returns are still coming in) must not stop the other stages' figures from being
        // assembled and validated: the stage answers without figures and says why.
        let (mut figures, notes) = match estimate::figures(&rows, design.as_ref()) {
            Ok(figures) => (figures, Vec::new()),
            Err(Error::FailedPrecondition(reason)) => (Vec::new(), vec![reason]),
            Err(e) => return Err(e).into_status(),
        };
        let (hubs, hubs_set_aside) = stage::load_usable::<SharingHub>(
            &self.store,
            cycle_year,
            HUB_KIND,
            &self.plausibility,
            hub::hub_quantities,
        )
        .await
        .into_status()?;
        set_aside.extend(hubs_set_aside);
        figures.extend(hub::figures(&hubs));
        Ok(Response::new(stage::with_set_aside(
            stage::stage_result_with_notes(
                pb::Stage::Application,
                cycle_year,
                figures,
                (rows.len() + hubs.len()) as u64,
                notes,
            ),
            set_aside,
        )))
    }

    async fn load_sample_design(
        &self,
        request: Request<pb::LoadSampleDesignRequest>,
    ) -> Result<Response<pb::SampleDesignSummary>, Status> {
        let principal = self
            .identity
            .authorise(
                request.metadata(),
                &[Role::Organiser],
                "load a sample design",
            )
            .await
            .into_status()?;
        let (cycle_year, body) = design::design_from_proto(request.into_inner()).into_status()?;
        let loaded = self
            .designs
            .load(cycle_year, body, &principal.name)
            .await
            .into_status()?;
        tracing::info!(
            cycle_year,
            version = loaded.version,
            units = loaded.body.units.len(),
            "sample design loaded"
        );
        Ok(Response::new(design::summary_proto(&loaded)))
    }

    async fn get_sample_design(
        &self,
        request: Request<pb::GetSampleDesignRequest>,
    ) -> Result<Response<pb::SampleDesign>, Status> {
        self.identity
            .authorise(
                request.metadata(),
                &[Role::Organiser, Role::Service],
                "read the sample design",
            )
            .await
            .into_status()?;
        let pb::GetSampleDesignRequest {
            cycle_year,
            version,
        } = request.into_inner();
        let design = self
            .designs
            .get::<SampleDesign>(cycle_year, version)
            .await
            .into_status()?
            .ok_or_else(|| Error::NotFound(format!("sample design for cycle {cycle_year}")))
            .into_status()?;
        Ok(Response::new(design::design_to_proto(&design)))
    }

    async fn get_estimates(
        &self,
        request: Request<pb::GetEstimatesRequest>,
    ) -> Result<Response<pb::GetEstimatesResponse>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        stage::require_stage_reader(&principal).into_status()?;
        let pb::GetEstimatesRequest {
            cycle_year,
            indicator,
            breakdown,
        } = request.into_inner();
        let mut v = ndrs_core::Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        v.finish(()).into_status()?;
        let (rows, _) = self.questionnaires(cycle_year).await.into_status()?;
        let design = self.design(cycle_year).await.into_status()?;
        let estimates =
            estimate::estimates(&rows, design.as_ref(), &indicator, &breakdown).into_status()?;
        Ok(Response::new(pb::GetEstimatesResponse {
            figures: estimates.figures,
            design: design.as_ref().map(design::summary_proto),
            weighting_report: estimates.weighting_report,
        }))
    }
}
