//! gRPC transport of the aggregator: authenticate, convert, call the domain, map the error.

use ndrs_core::{Error, Violations};
use ndrs_platform::IntoStatus;
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_platform::stage::check_cycle_year;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_server::{AggregatorService, AggregatorServiceServer};
use tonic::{Request, Response, Status};

use crate::candidate::{Candidates, Trigger};
use crate::validation::{self, Validation};

/// Roles that may read candidates: the organisers who assemble them, the experts who review them
/// and the publishers who release them.
const CANDIDATE_READERS: &[Role] = &[Role::Organiser, Role::Expert, Role::Publisher];

pub struct Aggregator {
    candidates: Candidates,
    validation: Validation,
    identity: IdentityStore,
}

impl Aggregator {
    pub fn new(candidates: Candidates, validation: Validation, identity: IdentityStore) -> Self {
        Self {
            candidates,
            validation,
            identity,
        }
    }

    pub fn into_server(self, max_message_bytes: usize) -> AggregatorServiceServer<Self> {
        AggregatorServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes * 16)
    }
}

fn cycle(field: &str, year: i32) -> ndrs_core::Result<i32> {
    let mut v = Violations::new();
    check_cycle_year(field, year, &mut v);
    v.finish(year)
}

#[tonic::async_trait]
impl AggregatorService for Aggregator {
    async fn assemble_candidate(
        &self,
        request: Request<pb::AssembleCandidateRequest>,
    ) -> Result<Response<pb::Candidate>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(&[Role::Organiser], "assemble candidates")
            .into_status()?;
        let pb::AssembleCandidateRequest { cycle_year } = request.into_inner();
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let candidate = self
            .candidates
            .assemble(cycle_year, Trigger::Manual, &principal.name)
            .await
            .into_status()?;
        Ok(Response::new(candidate))
    }

    async fn get_candidate(
        &self,
        request: Request<pb::GetCandidateRequest>,
    ) -> Result<Response<pb::Candidate>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(CANDIDATE_READERS, "read candidates")
            .into_status()?;
        let pb::GetCandidateRequest {
            candidate_id,
            cycle_year,
        } = request.into_inner();
        let candidate = match (candidate_id.is_empty(), cycle_year) {
            (false, 0) => self.candidates.get(&candidate_id).await,
            (true, year) if year != 0 => match cycle("cycle_year", year) {
                Ok(year) => self.candidates.latest(year).await,
                Err(e) => Err(e),
            },
            _ => Err(Error::invalid(
                "candidate_id",
                "give either a candidate id or a cycle year, not both or neither",
            )),
        }
        .into_status()?;
        Ok(Response::new(candidate))
    }

    async fn list_candidates(
        &self,
        request: Request<pb::ListCandidatesRequest>,
    ) -> Result<Response<pb::ListCandidatesResponse>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(CANDIDATE_READERS, "list candidates")
            .into_status()?;
        let pb::ListCandidatesRequest { cycle_year } = request.into_inner();
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let candidates = self.candidates.list(cycle_year).await.into_status()?;
        Ok(Response::new(pb::ListCandidatesResponse { candidates }))
    }

    async fn load_rule_set(
        &self,
        request: Request<pb::LoadRuleSetRequest>,
    ) -> Result<Response<pb::RuleSetSummary>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(&[Role::Organiser], "load rule sets")
            .into_status()?;
        let pb::LoadRuleSetRequest {
            cycle_year,
            rules,
            use_default,
        } = request.into_inner();
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let defs = match (use_default, rules.is_empty()) {
            (true, true) => ndrs_rules::parse_rule_file(ndrs_rules::DEFAULT_RULES)
                .map_err(|e| Error::Internal(format!("built-in rule set unreadable: {e}"))),
            (false, false) => validation::rules_from_proto(rules),
            _ => Err(Error::invalid(
                "rules",
                "give rules, or set use_default, not both or neither",
            )),
        }
        .into_status()?;
        let summary = self
            .validation
            .load(cycle_year, defs, &principal.name)
            .await
            .into_status()?;
        Ok(Response::new(summary))
    }

    async fn get_rule_set(
        &self,
        request: Request<pb::GetRuleSetRequest>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(CANDIDATE_READERS, "read rule sets")
            .into_status()?;
        let pb::GetRuleSetRequest {
            cycle_year,
            version,
        } = request.into_inner();
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let set = self
            .validation
            .get(cycle_year, version)
            .await
            .into_status()?;
        Ok(Response::new(set))
    }

    async fn validate_candidate(
        &self,
        request: Request<pb::ValidateCandidateRequest>,
    ) -> Result<Response<pb::ValidationReport>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(&[Role::Organiser], "run validation")
            .into_status()?;
        let pb::ValidateCandidateRequest { candidate_id } = request.into_inner();
        let candidate = self.candidates.get(&candidate_id).await.into_status()?;
        let report = self.validation.validate(&candidate).await.into_status()?;
        Ok(Response::new(report))
    }

    async fn get_validation_report(
        &self,
        request: Request<pb::GetValidationReportRequest>,
    ) -> Result<Response<pb::ValidationReport>, Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        principal
            .require_role(CANDIDATE_READERS, "read validation reports")
            .into_status()?;
        let pb::GetValidationReportRequest { candidate_id } = request.into_inner();
        let report = self
            .validation
            .latest_report(&candidate_id)
            .await
            .into_status()?;
        Ok(Response::new(report))
    }
}
