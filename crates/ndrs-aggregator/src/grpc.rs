//! gRPC transport of the aggregator: authenticate, convert, call the domain, map the error.

use ndrs_core::{Error, Violations};
use ndrs_platform::IntoStatus;
use ndrs_platform::auth::{IdentityStore, Principal, Role};
use ndrs_platform::stage::check_cycle_year;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_server::{AggregatorService, AggregatorServiceServer};
use tonic::{Request, Response, Status};

use crate::benchmarks;
use crate::candidate::{Candidates, Trigger};
use crate::justify::JustifiedStage;
use crate::process::Process;
use crate::release::Format;
use crate::review::Verdict;
use crate::validation::{self, Validation};

/// Roles that may read candidates: the organisers who assemble them, the experts who review them
/// and the publishers who release them.
const CANDIDATE_READERS: &[Role] = &[Role::Organiser, Role::Expert, Role::Publisher];

/// Roles that may read releases: everyone with a token (the public reads through a reader token);
/// the embargo decides when.
const RELEASE_READERS: &[Role] = &[
    Role::Organiser,
    Role::Expert,
    Role::Publisher,
    Role::Reader,
    Role::Reporter,
];

fn derived_summary(
    d: &ndrs_platform::documents::Versioned<ndrs_content::DerivedDocument>,
) -> pb::DerivedFiguresSummary {
    pb::DerivedFiguresSummary {
        cycle_year: d.cycle_year,
        version: d.version,
        version_name: d.body.version.clone(),
        content_hash: d.content_hash.clone(),
        published_at: ndrs_platform::timestamp::from_text(&d.loaded_at),
        published_by: d.loaded_by.clone(),
        figures: u32::try_from(d.body.figures.len()).unwrap_or(u32::MAX),
        lineage_ref: crate::derived::lineage_ref(d),
    }
}

pub struct Aggregator {
    candidates: Candidates,
    validation: Validation,
    process: Process,
    identity: IdentityStore,
}

impl Aggregator {
    pub fn new(process: Process, identity: IdentityStore) -> Self {
        Self {
            candidates: process.candidates.clone(),
            validation: process.validation.clone(),
            process,
            identity,
        }
    }

    pub fn into_server(self, max_message_bytes: usize) -> AggregatorServiceServer<Self> {
        AggregatorServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes * 16)
    }
}

impl Aggregator {
    /// Authorises the caller for `action` and opens the request: every handler starts here, so
    /// none can read a request before its caller is checked.
    async fn admit<T>(
        &self,
        request: Request<T>,
        roles: &[Role],
        action: &str,
    ) -> Result<(Principal, T), Status> {
        self.identity.admit(request, roles, action).await
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
        let (principal, pb::AssembleCandidateRequest { cycle_year }) = self
            .admit(request, &[Role::Organiser], "assemble candidates")
            .await?;
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
        use pb::get_candidate_request::Candidate as Which;
        let (_, pb::GetCandidateRequest { candidate }) = self
            .admit(request, CANDIDATE_READERS, "read candidates")
            .await?;
        let candidate = match candidate {
            Some(Which::CandidateId(id)) if !id.is_empty() => self.candidates.get(&id).await,
            Some(Which::CycleYear(year)) => match cycle("cycle_year", year) {
                Ok(year) => self.candidates.latest(year).await,
                Err(e) => Err(e),
            },
            _ => Err(Error::invalid(
                "candidate",
                "give a candidate id or a cycle year",
            )),
        }
        .into_status()?;
        Ok(Response::new(candidate))
    }

    async fn list_candidates(
        &self,
        request: Request<pb::ListCandidatesRequest>,
    ) -> Result<Response<pb::ListCandidatesResponse>, Status> {
        let (_, pb::ListCandidatesRequest { cycle_year }) = self
            .admit(request, CANDIDATE_READERS, "list candidates")
            .await?;
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let candidates = self.candidates.list(cycle_year).await.into_status()?;
        Ok(Response::new(pb::ListCandidatesResponse { candidates }))
    }

    async fn load_rule_set(
        &self,
        request: Request<pb::LoadRuleSetRequest>,
    ) -> Result<Response<pb::RuleSetSummary>, Status> {
        let (principal, pb::LoadRuleSetRequest { cycle_year, source }) = self
            .admit(request, &[Role::Organiser], "load rule sets")
            .await?;
        use pb::load_rule_set_request::Source;
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let defs = match source {
            Some(Source::UseDefault(true)) => {
                ndrs_rules::parse_rule_file(ndrs_rules::DEFAULT_RULES)
                    .map_err(|e| Error::Internal(format!("built-in rule set unreadable: {e}")))
            }
            Some(Source::Rules(pb::RuleList { rules })) if !rules.is_empty() => {
                validation::rules_from_proto(rules)
            }
            Some(Source::Rules(_)) => Err(Error::invalid("rules", "at least one rule")),
            _ => Err(Error::invalid(
                "source",
                "give rules, or set use_default to true",
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
        let (
            _,
            pb::GetRuleSetRequest {
                cycle_year,
                version,
            },
        ) = self
            .admit(request, CANDIDATE_READERS, "read rule sets")
            .await?;
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
        let (_, pb::ValidateCandidateRequest { candidate_id }) = self
            .admit(request, &[Role::Organiser], "run validation")
            .await?;
        let candidate = self.candidates.get(&candidate_id).await.into_status()?;
        let report = self.validation.validate(&candidate).await.into_status()?;
        Ok(Response::new(report))
    }

    async fn get_validation_report(
        &self,
        request: Request<pb::GetValidationReportRequest>,
    ) -> Result<Response<pb::ValidationReport>, Status> {
        let (_, pb::GetValidationReportRequest { candidate_id }) = self
            .admit(request, CANDIDATE_READERS, "read validation reports")
            .await?;
        let report = self
            .validation
            .latest_report(&candidate_id)
            .await
            .into_status()?;
        Ok(Response::new(report))
    }

    async fn justify(
        &self,
        request: Request<pb::JustifyRequest>,
    ) -> Result<Response<pb::Justification>, Status> {
        let (
            principal,
            pb::JustifyRequest {
                candidate_id,
                stage,
                subject,
                text,
            },
        ) = self
            .admit(request, &[Role::Organiser], "justify findings")
            .await?;
        let stage = JustifiedStage::from_proto("stage", stage).into_status()?;
        let justification = self
            .process
            .justify(&candidate_id, stage, &subject, &text, &principal.name)
            .await
            .into_status()?;
        Ok(Response::new(justification))
    }

    async fn get_candidate_status(
        &self,
        request: Request<pb::GetCandidateStatusRequest>,
    ) -> Result<Response<pb::CandidateStatus>, Status> {
        let (_, pb::GetCandidateStatusRequest { candidate_id }) = self
            .admit(request, CANDIDATE_READERS, "read candidate status")
            .await?;
        let status = self.process.status(&candidate_id).await.into_status()?;
        Ok(Response::new(status))
    }

    async fn list_audit_log(
        &self,
        request: Request<pb::ListAuditLogRequest>,
    ) -> Result<Response<pb::ListAuditLogResponse>, Status> {
        let (_, pb::ListAuditLogRequest { after_seq, limit }) = self
            .admit(request, &[Role::Organiser], "read the audit log")
            .await?;
        let entries = self
            .process
            .audit_log(after_seq, limit)
            .await
            .into_status()?;
        Ok(Response::new(pb::ListAuditLogResponse { entries }))
    }

    async fn add_benchmarks(
        &self,
        request: Request<pb::AddBenchmarksRequest>,
    ) -> Result<Response<pb::BenchmarkRegistrySummary>, Status> {
        let (principal, pb::AddBenchmarksRequest { benchmarks, note }) = self
            .admit(request, &[Role::Organiser], "extend the benchmark registry")
            .await?;
        let new = benchmarks::benchmarks_from_proto(benchmarks).into_status()?;
        let summary = self
            .process
            .benchmarks
            .add(new, &note, &principal.name)
            .await
            .into_status()?;
        Ok(Response::new(summary))
    }

    async fn get_benchmark_registry(
        &self,
        request: Request<pb::GetBenchmarkRegistryRequest>,
    ) -> Result<Response<pb::BenchmarkRegistry>, Status> {
        let (_, pb::GetBenchmarkRegistryRequest { version }) = self
            .admit(request, CANDIDATE_READERS, "read the benchmark registry")
            .await?;
        let registry = self
            .process
            .benchmarks
            .registry(version)
            .await
            .into_status()?;
        Ok(Response::new(registry))
    }

    async fn check_benchmarks(
        &self,
        request: Request<pb::CheckBenchmarksRequest>,
    ) -> Result<Response<pb::BenchmarkReport>, Status> {
        let (_, pb::CheckBenchmarksRequest { candidate_id }) = self
            .admit(request, &[Role::Organiser], "run benchmark validation")
            .await?;
        let candidate = self.candidates.get(&candidate_id).await.into_status()?;
        let report = self
            .process
            .benchmarks
            .check(&candidate)
            .await
            .into_status()?;
        Ok(Response::new(report))
    }

    async fn get_benchmark_report(
        &self,
        request: Request<pb::GetBenchmarkReportRequest>,
    ) -> Result<Response<pb::BenchmarkReport>, Status> {
        let (_, pb::GetBenchmarkReportRequest { candidate_id }) = self
            .admit(request, CANDIDATE_READERS, "read benchmark reports")
            .await?;
        let report = self
            .process
            .benchmarks
            .latest_report(&candidate_id)
            .await
            .into_status()?;
        Ok(Response::new(report))
    }

    async fn open_review_round(
        &self,
        request: Request<pb::OpenReviewRoundRequest>,
    ) -> Result<Response<pb::ReviewRound>, Status> {
        let (
            principal,
            pb::OpenReviewRoundRequest {
                candidate_id,
                quorum,
            },
        ) = self
            .admit(request, &[Role::Organiser], "open review rounds")
            .await?;
        let round = self
            .process
            .review
            .open(&candidate_id, quorum, &principal.name)
            .await
            .into_status()?;
        Ok(Response::new(round))
    }

    async fn cast_vote(
        &self,
        request: Request<pb::CastVoteRequest>,
    ) -> Result<Response<pb::ReviewRound>, Status> {
        let (
            principal,
            pb::CastVoteRequest {
                round_id,
                candidate_hash,
                figure_id,
                verdict,
                reason,
            },
        ) = self
            .admit(request, &[Role::Expert], "vote in review rounds")
            .await?;
        let round = self
            .process
            .review
            .vote(
                &round_id,
                &candidate_hash,
                &figure_id,
                Verdict::from_proto(verdict),
                &reason,
                &principal.name,
            )
            .await
            .into_status()?;
        Ok(Response::new(round))
    }

    async fn get_review_round(
        &self,
        request: Request<pb::GetReviewRoundRequest>,
    ) -> Result<Response<pb::ReviewRound>, Status> {
        let (_, pb::GetReviewRoundRequest { round_id }) = self
            .admit(request, CANDIDATE_READERS, "read review rounds")
            .await?;
        let round = self.process.review.get(&round_id).await.into_status()?;
        Ok(Response::new(round))
    }

    async fn list_review_rounds(
        &self,
        request: Request<pb::ListReviewRoundsRequest>,
    ) -> Result<Response<pb::ListReviewRoundsResponse>, Status> {
        let (_, pb::ListReviewRoundsRequest { cycle_year }) = self
            .admit(request, CANDIDATE_READERS, "read review rounds")
            .await?;
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let rounds = self.process.review.list(cycle_year).await.into_status()?;
        Ok(Response::new(pb::ListReviewRoundsResponse { rounds }))
    }

    async fn list_justifications(
        &self,
        request: Request<pb::ListJustificationsRequest>,
    ) -> Result<Response<pb::ListJustificationsResponse>, Status> {
        let (_, pb::ListJustificationsRequest { candidate_id }) = self
            .admit(request, CANDIDATE_READERS, "read justifications")
            .await?;
        let mut v = Violations::new();
        v.line(
            "candidate_id",
            &candidate_id,
            ndrs_core::limits::MAX_LINE_CHARS,
            true,
        );
        v.finish(()).into_status()?;
        let justifications = self
            .process
            .justifications
            .list(&candidate_id)
            .await
            .into_status()?;
        Ok(Response::new(pb::ListJustificationsResponse {
            justifications,
        }))
    }

    async fn publish(
        &self,
        request: Request<pb::PublishRequest>,
    ) -> Result<Response<pb::ReleaseSummary>, Status> {
        let (
            principal,
            pb::PublishRequest {
                candidate_id,
                embargo_until,
                note,
            },
        ) = self
            .admit(request, &[Role::Publisher], "publish releases")
            .await?;
        let summary = self
            .process
            .publish(
                &candidate_id,
                embargo_until.as_ref(),
                &note,
                &principal.name,
            )
            .await
            .into_status()?;
        // The next cycle's derived figures read this release (growth rates): its candidate, if it
        // has one, is re-assembled. Failing that is not this publication's failure; the next
        // assembly of that cycle reads the release anyway.
        if let Err(e) = self.candidates.resynchronise(summary.cycle_year + 1).await {
            tracing::warn!(error = %e, cycle_year = summary.cycle_year + 1, "re-assembly after a release failed");
        }
        Ok(Response::new(summary))
    }

    async fn publish_derived_figures(
        &self,
        request: Request<pb::PublishDerivedFiguresRequest>,
    ) -> Result<Response<pb::DerivedFiguresSummary>, Status> {
        let (principal, pb::PublishDerivedFiguresRequest { cycle_year, source }) = self
            .admit(request, &[Role::Organiser], "publish derived figures")
            .await?;
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        let source = ndrs_platform::indicators::wire::source_from_proto(source, &mut v);
        let source = v
            .finish(source)
            .and_then(|s| s.ok_or_else(|| Error::invalid("source", "a document is required")))
            .into_status()?;
        let known = self
            .candidates
            .known_figures(cycle_year)
            .await
            .into_status()?;
        let compiled = self
            .candidates
            .derived
            .compile(source, &|id| known.contains(id))
            .into_status()?;
        let published = self
            .candidates
            .derived
            .publish(cycle_year, compiled, &principal.name)
            .await
            .into_status()?;
        tracing::info!(
            cycle_year,
            version = published.version,
            "derived figures published"
        );
        // The cycle's candidate under the new definitions; a failure leaves the document in force
        // for the next assembly.
        if let Err(e) = self.candidates.resynchronise(cycle_year).await {
            tracing::warn!(error = %e, cycle_year, "re-assembly after derived figures failed");
        }
        Ok(Response::new(derived_summary(&published)))
    }

    async fn get_derived_figures(
        &self,
        request: Request<pb::GetDerivedFiguresRequest>,
    ) -> Result<Response<pb::DerivedFiguresDocument>, Status> {
        let (
            _,
            pb::GetDerivedFiguresRequest {
                cycle_year,
                version,
            },
        ) = self
            .admit(request, RELEASE_READERS, "read derived figures")
            .await?;
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let found = self
            .candidates
            .derived
            .get(cycle_year, version)
            .await
            .and_then(|d| {
                d.ok_or_else(|| {
                    Error::NotFound(format!(
                        "no derived-figures document for cycle {cycle_year}"
                    ))
                })
            })
            .into_status()?;
        Ok(Response::new(pb::DerivedFiguresDocument {
            summary: Some(derived_summary(&found)),
            document_json: found.body.to_json(),
        }))
    }

    async fn get_release(
        &self,
        request: Request<pb::GetReleaseRequest>,
    ) -> Result<Response<pb::ReleaseDocument>, Status> {
        let (
            principal,
            pb::GetReleaseRequest {
                cycle_year,
                version,
                format,
            },
        ) = self
            .admit(request, RELEASE_READERS, "read releases")
            .await?;
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let format = match pb::ReleaseFormat::try_from(format) {
            Ok(pb::ReleaseFormat::Unspecified | pb::ReleaseFormat::Json) => Format::Json,
            Ok(pb::ReleaseFormat::Csv) => Format::Csv,
            Ok(pb::ReleaseFormat::Sdmx) => Format::Sdmx,
            Err(_) => {
                return Err(Error::invalid("format", "must be json, csv or sdmx")).into_status();
            }
        };
        let sees_embargoed = sees_embargoed(&principal);
        let document = self
            .process
            .releases
            .get(cycle_year, version, format, sees_embargoed)
            .await
            .into_status()?;
        Ok(Response::new(document))
    }

    async fn list_releases(
        &self,
        request: Request<pb::ListReleasesRequest>,
    ) -> Result<Response<pb::ListReleasesResponse>, Status> {
        let (principal, pb::ListReleasesRequest { cycle_year }) = self
            .admit(request, RELEASE_READERS, "list releases")
            .await?;
        let cycle_year = cycle("cycle_year", cycle_year).into_status()?;
        let releases = self
            .process
            .releases
            .list(cycle_year, sees_embargoed(&principal))
            .await
            .into_status()?;
        Ok(Response::new(pb::ListReleasesResponse { releases }))
    }
}

/// Under embargo only the working group and publishers may see that a release exists.
fn sees_embargoed(principal: &Principal) -> bool {
    matches!(principal.role, Role::Organiser | Role::Publisher)
}
