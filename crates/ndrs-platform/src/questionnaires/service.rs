//! `ndrs.v1.QuestionnaireService`, served by every stage service for its return kinds: each
//! handler authenticates, converts, calls [`Questionnaires`], maps the error.

use ndrs_core::{Error, Violations};
use ndrs_proto::v1 as pb;
use pb::questionnaire_service_server::{QuestionnaireService, QuestionnaireServiceServer};
use tonic::{Request, Response, Status};

use super::{Questionnaires, wire};
use crate::auth::{IdentityStore, Role};
use crate::grpc_status::IntoStatus;
use crate::stage::check_cycle_year;

/// The gRPC name of the service, for health and reflection.
pub const SERVICE_NAME: &str = "ndrs.v1.QuestionnaireService";

/// Every role reads published questionnaires: partners build their forms from them.
const READERS: &[Role] = &Role::ALL;

#[derive(Clone)]
pub struct QuestionnaireApi {
    identity: IdentityStore,
    questionnaires: Questionnaires,
}

impl QuestionnaireApi {
    pub fn new(identity: IdentityStore, questionnaires: Questionnaires) -> Self {
        Self {
            identity,
            questionnaires,
        }
    }

    /// The tonic service, refusing messages over `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> QuestionnaireServiceServer<Self> {
        QuestionnaireServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

/// A request's cycle year, refused unless it is a reference year the system knows.
fn known_cycle(cycle_year: i32) -> Result<i32, Status> {
    let mut v = Violations::new();
    check_cycle_year("cycle_year", cycle_year, &mut v);
    v.finish(cycle_year).into_status()
}

/// The request's draft once every field was checked. A missing source is itself a violation
/// (see [`wire::source_from_proto`]), so the fallback only guards that promise.
fn checked_source(v: Violations, source: Option<super::Source>) -> Result<super::Source, Status> {
    v.finish(source)
        .and_then(|s| s.ok_or_else(|| Error::invalid("source", "a questionnaire is required")))
        .into_status()
}

#[tonic::async_trait]
impl QuestionnaireService for QuestionnaireApi {
    async fn check_questionnaire(
        &self,
        request: Request<pb::CheckQuestionnaireRequest>,
    ) -> Result<Response<pb::CheckQuestionnaireResponse>, Status> {
        self.identity
            .authorise(
                request.metadata(),
                &[Role::Organiser],
                "check a questionnaire",
            )
            .await
            .into_status()?;
        let pb::CheckQuestionnaireRequest {
            cycle_year,
            source,
            examples,
        } = request.into_inner();
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        let source = wire::source_from_proto(source, &mut v);
        let examples = wire::examples_from_proto(examples, &mut v);
        let source = checked_source(v, source)?;
        let run = self
            .questionnaires
            .dry_run(cycle_year, source, examples)
            .await
            .into_status()?;
        Ok(Response::new(wire::dry_run_to_proto(run)))
    }

    async fn publish_questionnaire(
        &self,
        request: Request<pb::PublishQuestionnaireRequest>,
    ) -> Result<Response<pb::QuestionnaireSummary>, Status> {
        let principal = self
            .identity
            .authorise(
                request.metadata(),
                &[Role::Organiser],
                "publish a questionnaire",
            )
            .await
            .into_status()?;
        let pb::PublishQuestionnaireRequest { cycle_year, source } = request.into_inner();
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        let source = wire::source_from_proto(source, &mut v);
        let source = checked_source(v, source)?;
        let published = self
            .questionnaires
            .publish(cycle_year, source, &principal.name)
            .await
            .into_status()?;
        tracing::info!(
            cycle_year,
            kind = %published.body.kind,
            version = published.version,
            "questionnaire published"
        );
        Ok(Response::new(wire::summary_to_proto(&published)))
    }

    async fn get_questionnaire(
        &self,
        request: Request<pb::GetQuestionnaireRequest>,
    ) -> Result<Response<pb::QuestionnaireDocument>, Status> {
        self.identity
            .authorise(request.metadata(), READERS, "read a questionnaire")
            .await
            .into_status()?;
        let pb::GetQuestionnaireRequest {
            cycle_year,
            kind,
            version,
        } = request.into_inner();
        let cycle_year = known_cycle(cycle_year)?;
        let found = self
            .questionnaires
            .get(cycle_year, &kind, version)
            .await
            .and_then(|q| {
                q.ok_or_else(|| {
                    Error::NotFound(format!(
                        "no {} questionnaire {} for cycle {cycle_year}",
                        ndrs_core::error::bounded(&kind, 64),
                        if version == 0 {
                            "published".to_string()
                        } else {
                            format!("version {version}")
                        }
                    ))
                })
            })
            .into_status()?;
        Ok(Response::new(wire::document_to_proto(&found)))
    }

    async fn list_questionnaires(
        &self,
        request: Request<pb::ListQuestionnairesRequest>,
    ) -> Result<Response<pb::ListQuestionnairesResponse>, Status> {
        self.identity
            .authorise(request.metadata(), READERS, "list questionnaires")
            .await
            .into_status()?;
        let pb::ListQuestionnairesRequest { cycle_year } = request.into_inner();
        let cycle_year = known_cycle(cycle_year)?;
        let found = self.questionnaires.list(cycle_year).await.into_status()?;
        Ok(Response::new(pb::ListQuestionnairesResponse {
            questionnaires: found.iter().map(wire::summary_to_proto).collect(),
        }))
    }
}
