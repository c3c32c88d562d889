//! `ndrs.v1.IndicatorService`, served by the stages whose figures are indicator documents: each
//! handler authenticates, converts, calls [`IndicatorSets`] (and, for a dry run, the stage's
//! [`Estimation`]), maps the error.

use std::sync::Arc;

use ndrs_core::{Error, Violations};
use ndrs_proto::v1 as pb;
use pb::indicator_service_server::{IndicatorService, IndicatorServiceServer};
use tonic::{Request, Response, Status};

use super::{InForceIndicators, IndicatorSets, wire};
use crate::auth::{IdentityStore, Role};
use crate::grpc_status::IntoStatus;
use crate::stage::check_cycle_year;

/// The gRPC name of the service, for health and reflection.
pub const SERVICE_NAME: &str = "ndrs.v1.IndicatorService";

/// Every role reads published definitions: the public reads what a figure means.
const READERS: &[Role] = &Role::ALL;

/// The figures an indicator document gives over a cycle's stored returns, as the stage
/// estimates them: what a dry run compares.
#[tonic::async_trait]
pub trait Estimation: Send + Sync + 'static {
    /// The figures and the notes that qualify them (a design that cannot be estimated yet).
    async fn figures(
        &self,
        cycle_year: i32,
        indicators: &InForceIndicators,
    ) -> ndrs_core::Result<(Vec<pb::Figure>, Vec<String>)>;
}

#[derive(Clone)]
pub struct IndicatorApi {
    identity: IdentityStore,
    /// One per document kind the service estimates.
    sets: Vec<IndicatorSets>,
    estimation: Arc<dyn Estimation>,
}

impl IndicatorApi {
    pub fn new(
        identity: IdentityStore,
        sets: Vec<IndicatorSets>,
        estimation: Arc<dyn Estimation>,
    ) -> Self {
        Self {
            identity,
            sets,
            estimation,
        }
    }

    /// The documents of `kind`, or INVALID_ARGUMENT on `field` listing the kinds served.
    fn set(&self, kind: &str, field: &str) -> Result<&IndicatorSets, Status> {
        self.sets
            .iter()
            .find(|s| s.kind() == kind)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "this service estimates {} indicators, not `{}`",
                        self.sets
                            .iter()
                            .map(IndicatorSets::kind)
                            .collect::<Vec<_>>()
                            .join(", "),
                        ndrs_core::error::bounded(kind, 64)
                    ),
                )
            })
            .into_status()
    }

    /// A draft read once, and the documents it belongs to by the kind it names.
    fn read(
        &self,
        source: super::Source,
    ) -> Result<(&IndicatorSets, ndrs_content::IndicatorDocument), Status> {
        let document = super::parse(source).into_status()?;
        Ok((self.set(&document.kind, "source.kind")?, document))
    }

    /// The tonic service, refusing messages over `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> IndicatorServiceServer<Self> {
        IndicatorServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    /// The figures of `indicators` over the returns, or none with the reason as a note.
    async fn figures_or_note(
        &self,
        cycle_year: i32,
        indicators: &InForceIndicators,
        notes: &mut Vec<String>,
    ) -> Result<Vec<pb::Figure>, Status> {
        match self.estimation.figures(cycle_year, indicators).await {
            Ok((figures, more)) => {
                notes.extend(more);
                Ok(figures)
            }
            Err(Error::FailedPrecondition(reason)) => {
                notes.push(reason);
                Ok(Vec::new())
            }
            Err(e) => Err(e).into_status(),
        }
    }
}

#[tonic::async_trait]
impl IndicatorService for IndicatorApi {
    async fn check_indicators(
        &self,
        request: Request<pb::CheckIndicatorsRequest>,
    ) -> Result<Response<pb::CheckIndicatorsResponse>, Status> {
        self.identity
            .authorise(request.metadata(), &[Role::Organiser], "check indicators")
            .await
            .into_status()?;
        let pb::CheckIndicatorsRequest {
            cycle_year,
            source,
            returns_cycle_year,
        } = request.into_inner();
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        let returns_cycle_year = if returns_cycle_year == 0 {
            cycle_year
        } else {
            check_cycle_year("returns_cycle_year", returns_cycle_year, &mut v);
            returns_cycle_year
        };
        let source = wire::source_from_proto(source, &mut v);
        let source = v
            .finish(source)
            .and_then(|s| s.ok_or_else(|| Error::invalid("source", "a document is required")))
            .into_status()?;
        let (sets, document) = self.read(source)?;
        let draft = sets.draft(cycle_year, document).await.into_status()?;
        let mut notes = Vec::new();
        let draft_figures = self
            .figures_or_note(returns_cycle_year, &draft, &mut notes)
            .await?;
        let current = match sets.in_force(returns_cycle_year).await {
            Ok(current) => Some(current),
            Err(Error::FailedPrecondition(reason)) => {
                notes.push(reason);
                None
            }
            Err(e) => return Err(e).into_status(),
        };
        let current_figures = match &current {
            Some(current) => {
                self.figures_or_note(returns_cycle_year, current, &mut notes)
                    .await?
            }
            None => Vec::new(),
        };
        Ok(Response::new(wire::comparison_to_proto(
            &draft,
            current.as_ref(),
            returns_cycle_year,
            draft_figures,
            current_figures,
            notes,
        )))
    }

    async fn publish_indicators(
        &self,
        request: Request<pb::PublishIndicatorsRequest>,
    ) -> Result<Response<pb::IndicatorsSummary>, Status> {
        let principal = self
            .identity
            .authorise(request.metadata(), &[Role::Organiser], "publish indicators")
            .await
            .into_status()?;
        let pb::PublishIndicatorsRequest { cycle_year, source } = request.into_inner();
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        let source = wire::source_from_proto(source, &mut v);
        let source = v
            .finish(source)
            .and_then(|s| s.ok_or_else(|| Error::invalid("source", "a document is required")))
            .into_status()?;
        let (sets, document) = self.read(source)?;
        let published = sets
            .publish(cycle_year, document, &principal.name)
            .await
            .into_status()?;
        tracing::info!(
            cycle_year,
            kind = %published.body.kind,
            version = published.version,
            "indicators published"
        );
        Ok(Response::new(wire::summary_to_proto(&published)))
    }

    async fn get_indicators(
        &self,
        request: Request<pb::GetIndicatorsRequest>,
    ) -> Result<Response<pb::IndicatorsDocument>, Status> {
        self.identity
            .authorise(request.metadata(), READERS, "read indicators")
            .await
            .into_status()?;
        let pb::GetIndicatorsRequest {
            cycle_year,
            kind,
            version,
        } = request.into_inner();
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        v.finish(()).into_status()?;
        let sets = self.set(&kind, "kind")?;
        let found = sets
            .get(cycle_year, version)
            .await
            .and_then(|d| {
                d.ok_or_else(|| {
                    Error::NotFound(format!(
                        "no {} {} for cycle {cycle_year}",
                        sets.kind(),
                        if version == 0 {
                            "document published".to_string()
                        } else {
                            format!("version {version}")
                        }
                    ))
                })
            })
            .into_status()?;
        Ok(Response::new(wire::document_to_proto(&found)))
    }
}
