//! The validation process over one candidate: which findings may be justified, and where the
//! candidate stands in each stage. The gRPC layer calls this; the stage modules own their data.

use ndrs_core::{Error, Result};
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;
use ndrs_rules::Severity;
use sea_orm::DatabaseConnection;

use crate::benchmarks::Benchmarks;
use crate::candidate::Candidates;
use crate::justify::{self, Justifications, JustifiedStage};
use crate::release::{self, Releases};
use crate::review::Review;
use crate::validation::Validation;

#[derive(Clone)]
pub struct Process {
    db: DatabaseConnection,
    pub candidates: Candidates,
    pub validation: Validation,
    pub benchmarks: Benchmarks,
    pub justifications: Justifications,
    pub review: Review,
    pub releases: Releases,
    disclosure: crate::disclosure::DisclosureRule,
}

impl Process {
    pub fn new(
        db: DatabaseConnection,
        candidates: Candidates,
        validation: Validation,
        cache: crate::release_cache::ReleaseCache,
        disclosure: crate::disclosure::DisclosureRule,
    ) -> Self {
        Self {
            disclosure,
            justifications: Justifications::new(db.clone()),
            benchmarks: Benchmarks::new(db.clone()),
            review: Review::new(db.clone(), candidates.clone()),
            releases: Releases::new(db.clone(), cache),
            db,
            candidates,
            validation,
        }
    }

    /// Records a justification of an open finding. Only a finding that is open on the
    /// candidate's latest report can be justified, and an error rule never: errors block.
    pub async fn justify(
        &self,
        candidate_id: &str,
        stage: JustifiedStage,
        subject: &str,
        text: &str,
        by: &str,
    ) -> Result<pb::Justification> {
        let mut violations = Vec::new();
        if subject.trim().is_empty() {
            violations.push(ndrs_core::FieldViolation::new(
                "subject",
                "name the rule or benchmark",
            ));
        }
        let text = justify::check_text("text", text).map_err(|e| {
            violations.extend(e.field_violations().iter().cloned());
        });
        let text = match (text, violations.is_empty()) {
            (Ok(text), true) => text,
            _ => return Err(Error::InvalidArgument(violations)),
        };
        let candidate = self.candidates.get(candidate_id).await?;
        match stage {
            JustifiedStage::Rules => {
                let open = match self.validation.open_findings(candidate_id).await {
                    Err(Error::NotFound(_)) => {
                        return Err(Error::FailedPrecondition(
                            "stage 1 has not been run on this candidate".into(),
                        ));
                    }
                    other => other?,
                };
                match open.iter().find(|(id, _)| id == subject) {
                    None => {
                        return Err(Error::FailedPrecondition(format!(
                            "rule {subject} has no open finding on this candidate"
                        )));
                    }
                    Some((_, Severity::Error)) => {
                        return Err(Error::FailedPrecondition(format!(
                            "rule {subject} is an error: it blocks publication and cannot be justified"
                        )));
                    }
                    Some((_, Severity::Warning)) => {}
                }
            }
            JustifiedStage::Benchmarks => {
                let open = match self.benchmarks.open_deviations(candidate_id).await {
                    Err(Error::NotFound(_)) => {
                        return Err(Error::FailedPrecondition(
                            "stage 2 has not been run on this candidate".into(),
                        ));
                    }
                    other => other?,
                };
                if !open.iter().any(|id| id == subject) {
                    return Err(Error::FailedPrecondition(format!(
                        "benchmark {subject} has no deviation to justify on this candidate"
                    )));
                }
            }
        }
        self.justifications
            .record(&candidate, stage, subject, &text, by)
            .await
    }

    /// Where a candidate stands in each validation stage.
    pub async fn status(&self, candidate_id: &str) -> Result<pb::CandidateStatus> {
        let candidate = self.candidates.get(candidate_id).await?;
        Ok(self.assess(&candidate).await?.0)
    }

    /// The stage outcomes of a candidate and, when all three passed, the lineage a release of it
    /// records.
    async fn assess(
        &self,
        candidate: &pb::Candidate,
    ) -> Result<(pb::CandidateStatus, Option<release::Lineage>)> {
        let candidate = candidate.clone();
        let justified = self
            .justifications
            .justified(&candidate, JustifiedStage::Rules)
            .await?;
        let (rules, rule_set) = self
            .validation
            .stage_outcome(&candidate, &justified)
            .await?;
        let justified = self
            .justifications
            .justified(&candidate, JustifiedStage::Benchmarks)
            .await?;
        let (benchmarks, registry) = self
            .benchmarks
            .stage_outcome(&candidate, &justified)
            .await?;
        let (review, rounds) = self.review.stage_outcome(&candidate).await?;
        let stages = vec![rules, benchmarks, review];
        let publishable = stages.iter().all(|s| s.passed);
        let lineage = match (publishable, rule_set, registry) {
            (true, Some(rule_set), Some(registry)) => Some(release::Lineage {
                candidate_id: candidate.candidate_id.clone(),
                candidate_sequence: candidate.sequence,
                candidate_hash: candidate.content_hash.clone(),
                stage_hashes: candidate
                    .stages
                    .iter()
                    .map(|s| {
                        let name = pb::Stage::try_from(s.stage)
                            .map_or("unspecified", |st| st.as_str_name())
                            .trim_start_matches("STAGE_")
                            .to_lowercase();
                        (name, s.content_hash.clone())
                    })
                    .collect(),
                rule_set: release::VersionRef {
                    version: rule_set.0,
                    content_hash: rule_set.1,
                },
                benchmark_registry: release::VersionRef {
                    version: registry.0,
                    content_hash: registry.1,
                },
                review_rounds: rounds
                    .iter()
                    .map(|r| release::RoundRef {
                        number: r.number,
                        round_id: r.round_id.clone(),
                        candidate_hash: r.candidate_hash.clone(),
                        frozen_hash: r.frozen_hash.clone(),
                        state: pb::RoundState::try_from(r.state)
                            .map_or("unspecified", |st| st.as_str_name())
                            .trim_start_matches("ROUND_STATE_")
                            .to_lowercase(),
                        votes: r.votes.len(),
                    })
                    .collect(),
                disclosure: self.disclosure,
                software: release::Software {
                    name: "ndrs-aggregator".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
            }),
            _ => None,
        };
        Ok((
            pb::CandidateStatus {
                candidate_id: candidate.candidate_id,
                candidate_hash: candidate.content_hash,
                publishable,
                stages,
            },
            lineage,
        ))
    }

    /// Publishes a candidate that passed all three stages on its hash; otherwise refuses with
    /// every reason.
    pub async fn publish(
        &self,
        candidate_id: &str,
        embargo_until: Option<&Timestamp>,
        note: &str,
        by: &str,
    ) -> Result<pb::ReleaseSummary> {
        let embargo = release::embargo_from_request(embargo_until)?;
        let candidate = self.candidates.get(candidate_id).await?;
        let (status, lineage) = self.assess(&candidate).await?;
        let Some(lineage) = lineage else {
            let reasons: Vec<String> = status
                .stages
                .iter()
                .flat_map(|s| s.reasons.iter().cloned())
                .collect();
            return Err(Error::FailedPrecondition(format!(
                "not all three validation stages passed on candidate {}: {}",
                candidate.content_hash,
                reasons.join("; ")
            )));
        };
        self.releases
            .publish(&candidate, lineage, embargo, note, by)
            .await
    }

    /// Audit rows after `after_seq`.
    pub async fn audit_log(&self, after_seq: u64, limit: u32) -> Result<Vec<pb::AuditEntry>> {
        let limit = match limit {
            0 => 500,
            1..=1000 => limit,
            _ => return Err(Error::invalid("limit", "at most 1000")),
        };
        crate::audit::list(&self.db, after_seq, limit as u64).await
    }
}
