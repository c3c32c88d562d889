//! The skeleton every stage service is built on, so the four services (and a fifth) differ only
//! in their domain:
//!
//! - [`StageReturn`]: what a return kind supplies (its message, conversion, edit rules and the
//!   numbers the plausibility bounds apply to);
//! - [`StageCore`]: the state every stage service holds and the one submit path (authenticate,
//!   convert, authorise, check, store with a receipt) and loading path (latest versions, screened);
//! - [`StageService`]: the service itself, from which the platform builds `GetStageResult`
//!   ([`stage_result_rpc`]), the read RPCs ([`crate::stage_rpcs!`]) and start-up ([`run_stage`]).

use ndrs_core::{Error, Result};
use ndrs_proto::v1 as pb;
use sea_orm_migration::MigratorTraitSelf;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use super::{ReturnReader, Runtime, StageFigures, receipt_to_proto, refuse_on_errors, screen};
use crate::IntoStatus;
use crate::auth::{IdentityStore, Principal, Role};
use crate::plausibility::{Plausibility, Reported};
use crate::questionnaires::service::QuestionnaireApi;
use crate::questionnaires::{Questionnaires, edit_finding, wire};
use crate::returns::{EditFinding, ReturnHeader, ReturnStore, StoredReturn};
use ndrs_content::{Answers, Checked, CompiledQuestionnaire, Respondent, TypedAnswers};

/// One kind of return a stage receives. Its conversion and rules live in the stage's domain
/// module; the platform runs them in the same order for every kind. A kind is received either as
/// a typed message checked in code ([`TypedReturn`]) or as answers checked against its published
/// questionnaire ([`AnsweredReturn`]).
pub trait StageReturn:
    serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
    /// The kind stored with every version and carried by its events; never renamed, since
    /// stored returns are found by it.
    const KIND: &'static str;
    /// The return's own edit rules, beyond its questionnaire's.
    fn edit_findings(&self) -> Vec<EditFinding>;
    /// The numbers the plausibility bounds apply to, both at submission (as findings) and at
    /// estimation (as the screen that sets a return aside).
    fn quantities(&self) -> Vec<Reported>;
}

/// A return kind whose message is its only form: the conversion names every bad field.
pub trait TypedReturn: StageReturn {
    /// The message a reporting unit submits (its header, as in every return message, field 1).
    type Proto: prost::Message + Send + 'static;
    /// Converts and validates the message, naming every offending field.
    fn from_proto(message: Self::Proto) -> Result<(ReturnHeader, Self)>;
}

/// A return kind whose questions are a questionnaire document: submitted as answers by question
/// id (`SubmitAnswers`) or as its typed message, which is read as answers; either way the one
/// check is the published questionnaire's ([`ndrs_content::CompiledQuestionnaire::check`]).
pub trait AnsweredReturn: StageReturn {
    /// The typed message, the convenience form (its header, as in every return message, field 1).
    type Proto: prost::Message + Send + 'static;
    /// Reads the typed message as the answers it gives (see [`TypedAnswers`]), refusing only
    /// what cannot be read at all (an unknown enum value, a missing header).
    fn typed_answers(message: Self::Proto) -> Result<(ReturnHeader, Respondent, TypedAnswers)>;
    /// The typed message's field holding the answer to `question_id`, so that a refusal of a
    /// typed submission names the caller's own field; by default the field is the question id.
    fn typed_field(question_id: &str) -> String {
        question_id.to_string()
    }
    /// The stored value of answers that passed the questionnaire's check, recording the
    /// questionnaire they were answered under so they keep that meaning.
    fn from_answers(
        respondent: Respondent,
        answers: Answers,
        questionnaire_ref: String,
    ) -> Result<Self>;
}

/// The header of any return message, read without converting the rest: every return message
/// carries its `ReturnHeader` as field 1, so its encoding decodes as this.
#[derive(Clone, PartialEq, prost::Message)]
struct HeaderOnly {
    #[prost(message, optional, tag = "1")]
    header: Option<pb::ReturnHeader>,
}

/// The header a return message names, if it can be read.
fn peek_header<M: prost::Message>(message: &M) -> Option<pb::ReturnHeader> {
    <HeaderOnly as prost::Message>::decode(message.encode_to_vec().as_slice())
        .ok()
        .and_then(|h| h.header)
}

/// A converted submission whose caller may report for its unit, not yet stored: a stage with
/// stored frames (a register, a design, a taxonomy) checks it against them before
/// [`StageCore::store`].
pub struct Submission<R> {
    pub principal: Principal,
    pub header: ReturnHeader,
    pub value: R,
    /// What the questionnaire's check found (warnings only: errors refused it).
    pub findings: Vec<EditFinding>,
    /// The questionnaire it was checked against, for an [`AnsweredReturn`].
    pub questionnaire_ref: String,
}

/// What every stage service holds: its return store, the identity store and the plausibility
/// bounds, with the read RPCs over its returns.
#[derive(Clone)]
pub struct StageCore {
    pub store: ReturnStore,
    pub identity: IdentityStore,
    pub plausibility: Plausibility,
    /// The questionnaires of the stage's return kinds.
    pub questionnaires: Questionnaires,
    reader: ReturnReader,
}

impl StageCore {
    pub fn new(
        store: ReturnStore,
        identity: IdentityStore,
        plausibility: Plausibility,
        questionnaires: Questionnaires,
    ) -> Self {
        Self {
            reader: ReturnReader::new(store.clone(), identity.clone()),
            store,
            identity,
            plausibility,
            questionnaires,
        }
    }

    /// Authenticates the caller of `request` and refuses unless it has one of `roles`.
    pub async fn authorise<M>(
        &self,
        request: &Request<M>,
        roles: &[Role],
        action: &str,
    ) -> std::result::Result<Principal, Status> {
        self.identity
            .authorise(request.metadata(), roles, action)
            .await
            .into_status()
    }

    /// Authenticates the caller of `request`, whatever its role.
    pub async fn principal<M>(
        &self,
        request: &Request<M>,
    ) -> std::result::Result<Principal, Status> {
        self.identity
            .principal(request.metadata())
            .await
            .into_status()
    }

    /// A whole submission RPC for a return that needs nothing but its own rules:
    /// [`receive`](Self::receive) then [`store`](Self::store).
    pub async fn submit<R: TypedReturn>(
        &self,
        request: Request<R::Proto>,
    ) -> std::result::Result<Response<pb::Receipt>, Status> {
        let submission = self.receive::<R>(request).await?;
        self.store(submission, Vec::new()).await
    }

    /// The first half of a submission: authenticate, convert (naming every bad field), and check
    /// the caller may report for the unit, before anything stored is consulted, so a unit cannot
    /// learn about another's frame.
    pub async fn receive<R: TypedReturn>(
        &self,
        request: Request<R::Proto>,
    ) -> std::result::Result<Submission<R>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let peeked = peek_header(&message);
        let (header, value) = match R::from_proto(message) {
            Ok(converted) => converted,
            Err(e) => return Err(self.refused(R::KIND, &principal, peeked, e).await),
        };
        principal
            .require_reporter_for(&header.reporting_unit_id)
            .into_status()?;
        Ok(Submission {
            principal,
            header,
            value,
            findings: Vec::new(),
            questionnaire_ref: String::new(),
        })
    }

    /// [`receive`](Self::receive) for an [`AnsweredReturn`] sent as its typed message: read as
    /// answers, then checked against the questionnaire in force for the cycle.
    pub async fn receive_typed<R: AnsweredReturn>(
        &self,
        request: Request<<R as AnsweredReturn>::Proto>,
    ) -> std::result::Result<Submission<R>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let peeked = peek_header(&message);
        let (header, respondent, typed) = match R::typed_answers(message) {
            Ok(read) => read,
            Err(e) => return Err(self.refused(R::KIND, &principal, peeked, e).await),
        };
        self.under_questionnaire(principal, header, respondent, |q, r| {
            let (answers, checked) = q.check_typed(typed, r);
            (answers, in_typed_fields::<R>(checked))
        })
        .await
    }

    /// [`receive`](Self::receive) for answers by question id (`SubmitAnswers`), checked against
    /// the questionnaire in force for the cycle.
    pub async fn receive_answers<R: AnsweredReturn>(
        &self,
        request: Request<pb::AnswerReturn>,
    ) -> std::result::Result<Submission<R>, Status> {
        let principal = self.principal(&request).await?;
        let message = request.into_inner();
        let peeked = message.header.clone();
        let (header, respondent, answers) = match wire::answer_return_from_proto(message, R::KIND) {
            Ok(read) => read,
            Err(e) => return Err(self.refused(R::KIND, &principal, peeked, e).await),
        };
        self.under_questionnaire(principal, header, respondent, |q, r| {
            let checked = q.check(&answers, r);
            (answers, checked)
        })
        .await
    }

    /// The rest of an answered submission once read: the caller may report for the unit, then
    /// `check` runs under the questionnaire in force for the cycle.
    async fn under_questionnaire<R: AnsweredReturn>(
        &self,
        principal: Principal,
        header: ReturnHeader,
        respondent: Respondent,
        check: impl FnOnce(&CompiledQuestionnaire, &Respondent) -> (Answers, Checked) + Send + 'static,
    ) -> std::result::Result<Submission<R>, Status> {
        principal
            .require_reporter_for(&header.reporting_unit_id)
            .into_status()?;
        let in_force = self
            .questionnaires
            .in_force(header.cycle_year, R::KIND)
            .await
            .into_status()?;
        // Checking runs every rule of the questionnaire: CPU work, kept off the async workers.
        let questionnaire = in_force.questionnaire.clone();
        let (respondent, answers, checked) = tokio::task::spawn_blocking(move || {
            let (answers, checked) = check(&questionnaire, &respondent);
            (respondent, answers, checked)
        })
        .await
        .map_err(|e| Error::Internal(format!("the answer check did not finish: {e}")))
        .into_status()?;
        let (cycle_year, unit) = (header.cycle_year, header.reporting_unit_id.clone());
        let (value, findings) = match answered(respondent, answers, checked, &in_force.lineage_ref)
        {
            Ok(answered) => answered,
            Err(e) => {
                self.record_refusal(R::KIND, cycle_year, &unit, &e).await;
                return Err(crate::to_status(e));
            }
        };
        Ok(Submission {
            principal,
            header,
            value,
            findings,
            questionnaire_ref: in_force.lineage_ref,
        })
    }

    /// The second half: the return's edit rules, its plausibility findings and `context` (what a
    /// stored frame said about it), in that order; any error refuses it, otherwise it is stored
    /// and the receipt is built only after the commit.
    pub async fn store<R: StageReturn>(
        &self,
        submission: Submission<R>,
        context: Vec<EditFinding>,
    ) -> std::result::Result<Response<pb::Receipt>, Status> {
        let Submission {
            principal,
            header,
            value,
            findings: answered,
            questionnaire_ref,
        } = submission;
        let mut findings = answered;
        findings.extend(value.edit_findings());
        findings.extend(self.plausibility.findings(&value.quantities()));
        findings.extend(context);
        let (cycle_year, unit) = (header.cycle_year, header.reporting_unit_id.clone());
        let committed = self.commit(&principal, header, &value, findings).await;
        if let Err(e) = &committed {
            self.record_refusal(R::KIND, cycle_year, &unit, e).await;
        }
        let mut receipt = committed.into_status()?;
        receipt.questionnaire_ref = questionnaire_ref;
        Ok(Response::new(receipt))
    }

    /// A submission refused before its header was read: recorded against the unit its header
    /// names when the caller may report for that unit (so nobody can fill another unit's
    /// record), then answered as the status.
    async fn refused(
        &self,
        kind: &str,
        principal: &Principal,
        header: Option<pb::ReturnHeader>,
        error: Error,
    ) -> Status {
        if let Some(h) = header
            && principal.require_reporter_for(&h.reporting_unit_id).is_ok()
        {
            self.record_refusal(kind, h.cycle_year, &h.reporting_unit_id, &error)
                .await;
        }
        crate::to_status(error)
    }

    /// Keeps who was refused, and why, for response monitoring: refusals of the return itself
    /// (its content, or its cycle not being open), not of the caller (those name no unit the
    /// caller may speak for).
    async fn record_refusal(&self, kind: &str, cycle_year: i32, unit: &str, error: &Error) {
        if matches!(
            error,
            Error::InvalidArgument(_) | Error::FailedPrecondition(_)
        ) {
            self.store
                .record_refusal(kind, cycle_year, unit, &error.to_string())
                .await;
        }
    }

    async fn commit<R: StageReturn>(
        &self,
        principal: &Principal,
        header: ReturnHeader,
        value: &R,
        findings: Vec<EditFinding>,
    ) -> Result<pb::Receipt> {
        principal.require_reporter_for(&header.reporting_unit_id)?;
        // The calendar first: a return for a cycle that is not open is refused whatever it says.
        let admission = self
            .identity
            .calendar()
            .admit(header.cycle_year, chrono::Utc::now())
            .await?;
        let findings = refuse_on_errors(findings)?;
        let kind = R::KIND;
        let payload = serde_json::to_value(value)
            .map_err(|e| Error::Internal(format!("encode {kind}: {e}")))?;
        let receipt = self
            .store
            .submit(crate::returns::NewReturn {
                kind,
                header,
                payload,
                findings,
                submitted_by: principal.name.clone(),
            })
            .await?;
        tracing::info!(
            kind,
            return_id = %receipt.return_id,
            version = receipt.version,
            replayed = receipt.replayed,
            "return committed"
        );
        let outcome = match (receipt.replayed, receipt.version) {
            (true, _) => "replayed",
            (false, 1) => "new",
            (false, _) => "revised",
        };
        if admission.late && !receipt.replayed {
            tracing::info!(kind, return_id = %receipt.return_id, "return received after the deadline");
        }
        crate::metrics::metrics().returns_stored.add(
            1,
            &[
                opentelemetry::KeyValue::new("ndrs.return_kind", kind),
                opentelemetry::KeyValue::new("outcome", outcome),
            ],
        );
        let mut receipt = receipt_to_proto(receipt);
        receipt.late = admission.late;
        Ok(receipt)
    }

    /// The cycle's latest returns of kind `R` a stage may use, and those it sets aside
    /// ([`screen`]ed against the plausibility bounds).
    pub async fn load_usable<R: StageReturn>(
        &self,
        cycle_year: i32,
    ) -> Result<(Vec<(StoredReturn, R)>, Vec<pb::SetAsideReturn>)> {
        Ok(screen(
            load_latest(&self.store, cycle_year, R::KIND).await?,
            &self.plausibility,
            R::quantities,
        ))
    }

    /// `GetReturn` over this stage's returns (see [`ReturnReader`]).
    pub async fn get_return(
        &self,
        request: Request<pb::GetReturnRequest>,
    ) -> std::result::Result<Response<pb::ReturnHistory>, Status> {
        self.reader.get_return_rpc(request).await
    }

    /// `ListReturns` over this stage's returns (see [`ReturnReader`]).
    pub async fn list_returns(
        &self,
        request: Request<pb::ListReturnsRequest>,
    ) -> std::result::Result<Response<pb::ListReturnsResponse>, Status> {
        self.reader.list_returns_rpc(request).await
    }
}

/// Checked answers as the stored value and the receipt's findings; any error refuses them, with
/// every offending answer named.
pub fn answered<R: AnsweredReturn>(
    respondent: Respondent,
    answers: Answers,
    checked: Checked,
    questionnaire_ref: &str,
) -> Result<(R, Vec<EditFinding>)> {
    let findings = refuse_on_errors(checked.findings.into_iter().map(edit_finding).collect())?;
    let value = R::from_answers(respondent, answers, questionnaire_ref.to_string())?;
    Ok((value, findings))
}

/// Findings on answers (`answers.<question id>...`) and on the respondent renamed to the typed
/// message's fields.
fn in_typed_fields<R: AnsweredReturn>(mut checked: Checked) -> Checked {
    for f in &mut checked.findings {
        if let Some(rest) = f.field.strip_prefix("answers.") {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            f.field = format!("{}{}", R::typed_field(&rest[..end]), &rest[end..]);
        } else if let Some(rest) = f.field.strip_prefix("respondent.") {
            // The typed messages carry the respondent's classification at their top level.
            f.field = rest.to_string();
        }
    }
    checked
}

/// A typed message's whole check against a compiled questionnaire, as the submit path runs it
/// once it has found the questionnaire in force; for callers without a service (fuzzing, tests).
pub fn check_typed<R: AnsweredReturn>(
    message: <R as AnsweredReturn>::Proto,
    questionnaire: &CompiledQuestionnaire,
    questionnaire_ref: &str,
) -> Result<(ReturnHeader, R, Vec<EditFinding>)> {
    let (header, respondent, typed) = R::typed_answers(message)?;
    let (answers, checked) = questionnaire.check_typed(typed, &respondent);
    let checked = in_typed_fields::<R>(checked);
    let (value, findings) = answered(respondent, answers, checked, questionnaire_ref)?;
    Ok((header, value, findings))
}

/// The latest version of every return of `kind` in a cycle, decoded.
pub async fn load_latest<T: serde::de::DeserializeOwned>(
    store: &ReturnStore,
    cycle_year: i32,
    kind: &str,
) -> Result<Vec<(StoredReturn, T)>> {
    store
        .latest(cycle_year, None)
        .await?
        .into_iter()
        .filter(|r| r.return_kind == kind)
        .map(|r| {
            let value = serde_json::from_str(&r.payload_json).map_err(|e| {
                Error::Internal(format!("stored {kind} {} unreadable: {e}", r.return_id))
            })?;
            Ok((r, value))
        })
        .collect()
}

/// A stage service: what the platform needs to start it and to answer `GetStageResult`.
pub trait StageService: Sized + Send + Sync + 'static {
    /// Name of the service's database (SQLite file or PostgreSQL schema) and event source.
    const STAGE_NAME: &'static str;
    /// Which stage its results are.
    const STAGE: pb::Stage;
    /// The gRPC service names it serves (for health and reflection); the questionnaire service
    /// every stage serves is added by [`run_stage`].
    const SERVICE_NAMES: &'static [&'static str];
    /// The return kinds it receives ([`StageReturn::KIND`]), each with its questionnaire.
    const RETURN_KINDS: &'static [&'static str];
    /// Its schema: the shared return store and outbox, and whatever its domain stores.
    type Migrator: MigratorTraitSelf + Sync;
    const MIGRATOR: Self::Migrator;

    fn new(core: StageCore) -> Self;
    fn core(&self) -> &StageCore;
    /// The service's routes, refusing messages over `max_message_bytes`.
    fn into_routes(self, max_message_bytes: usize) -> Routes;
    /// The stage's figures for a cycle.
    fn stage_figures(
        &self,
        cycle_year: i32,
    ) -> impl std::future::Future<Output = Result<StageFigures>> + Send;
}

/// `GetStageResult`: authenticate, check the caller may read stage results and the cycle,
/// compute the stage's figures, wrap them as the stage result.
pub async fn stage_result_rpc<S: StageService>(
    service: &S,
    request: Request<pb::GetStageResultRequest>,
) -> std::result::Result<Response<pb::StageResult>, Status> {
    let cycle_year = super::stage_result_cycle(&service.core().identity, request).await?;
    let figures = service.stage_figures(cycle_year).await.into_status()?;
    Ok(Response::new(figures.into_result(S::STAGE, cycle_year)))
}

/// Runs stage service `S` on `listener` until `shutdown` is cancelled: its database, relay and
/// server (see [`super::run_stage_service`]).
pub async fn run_stage<S: StageService>(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<()> {
    let max = runtime.settings.server.max_message_bytes;
    let plausibility = runtime.settings.plausibility.clone();
    let mut service_names = S::SERVICE_NAMES.to_vec();
    service_names.push(crate::questionnaires::service::SERVICE_NAME);
    service_names.push(super::activity::SERVICE_NAME);
    super::run_stage_service(
        runtime,
        S::STAGE_NAME,
        &service_names,
        S::MIGRATOR,
        listener,
        shutdown,
        |store, identity| {
            let documents = Questionnaires::new(&store, S::RETURN_KINDS);
            let questionnaires = QuestionnaireApi::new(identity.clone(), documents.clone());
            let activity = super::activity::ActivityApi::new(identity.clone(), store.clone());
            S::new(StageCore::new(store, identity, plausibility, documents))
                .into_routes(max)
                .add_service(questionnaires.into_server(max))
                .add_service(activity.into_server(max))
        },
    )
    .await
}

/// Defines a stage crate's `run(runtime, listener, shutdown)`: [`run_stage`] over its service
/// type, as a plain function so that callers (the service's binary, `ndrs serve`, the in-process
/// system) name the crate's start-up rather than its service type. Used as
/// `stage_startup!(Foo);` in the crate's `startup` module.
#[macro_export]
macro_rules! stage_startup {
    ($ty:ty) => {
        /// Runs the service on `listener` until `shutdown` is cancelled.
        pub async fn run(
            runtime: $crate::stage::Runtime,
            listener: $crate::stage::__rpc::TcpListener,
            shutdown: $crate::stage::__rpc::CancellationToken,
        ) -> $crate::stage::__rpc::Result<()> {
            $crate::stage::run_stage::<$ty>(runtime, listener, shutdown).await
        }
    };
}

/// Implements a stage's generated gRPC service trait from its own RPCs (the body) plus the
/// three every stage shares, `GetReturn`, `ListReturns` and `GetStageResult`, answered by the
/// platform through the type's [`StageService`] implementation. Used as
/// `stage_rpcs! { impl FooService for Foo { async fn submit_foo(...) ... } }`.
#[macro_export]
macro_rules! stage_rpcs {
    (impl $service:ident for $ty:ident { $($body:tt)* }) => {
        #[$crate::stage::__rpc::async_trait]
        impl $service for $ty {
            $($body)*

            async fn get_return(
                &self,
                request: $crate::stage::__rpc::Request<$crate::stage::__rpc::pb::GetReturnRequest>,
            ) -> ::std::result::Result<
                $crate::stage::__rpc::Response<$crate::stage::__rpc::pb::ReturnHistory>,
                $crate::stage::__rpc::Status,
            > {
                $crate::stage::StageService::core(self).get_return(request).await
            }

            async fn list_returns(
                &self,
                request: $crate::stage::__rpc::Request<$crate::stage::__rpc::pb::ListReturnsRequest>,
            ) -> ::std::result::Result<
                $crate::stage::__rpc::Response<$crate::stage::__rpc::pb::ListReturnsResponse>,
                $crate::stage::__rpc::Status,
            > {
                $crate::stage::StageService::core(self).list_returns(request).await
            }

            async fn get_stage_result(
                &self,
                request: $crate::stage::__rpc::Request<$crate::stage::__rpc::pb::GetStageResultRequest>,
            ) -> ::std::result::Result<
                $crate::stage::__rpc::Response<$crate::stage::__rpc::pb::StageResult>,
                $crate::stage::__rpc::Status,
            > {
                $crate::stage::stage_result_rpc(self, request).await
            }
        }
    };
}
