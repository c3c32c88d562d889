//! Stage 1, cross-entity validation: versioned rule sets and validation reports.
//!
//! A rule set is compiled against the standard figure schema before it is stored, so a rule that
//! does not parse, names an unknown figure or mixes units never reaches a candidate. A report
//! records which candidate (by content hash) was checked with which rule-set version (by hash),
//! and every rule's outcome with the values it read.

use chrono::{SecondsFormat, Utc};
use ndrs_core::{Error, FieldViolation, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use ndrs_rules::{FigureSchema, FigureValues, Outcome, RuleDef, Severity, compile_rules};
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use crate::store::{rule_set, validation_report};

fn severity_from_proto(value: i32) -> Option<Severity> {
    match pb::RuleSeverity::try_from(value).ok()? {
        pb::RuleSeverity::Error => Some(Severity::Error),
        pb::RuleSeverity::Warning => Some(Severity::Warning),
        pb::RuleSeverity::Unspecified => None,
    }
}

fn severity_to_proto(s: Severity) -> pb::RuleSeverity {
    match s {
        Severity::Error => pb::RuleSeverity::Error,
        Severity::Warning => pb::RuleSeverity::Warning,
    }
}

fn rule_to_proto(def: &RuleDef) -> pb::Rule {
    pb::Rule {
        id: def.id.clone(),
        description: def.description.clone(),
        expression: def.expression.clone(),
        severity: severity_to_proto(def.severity) as i32,
        tolerance: def.tolerance,
    }
}

/// Converts requested rules; an unknown severity is a field violation.
pub fn rules_from_proto(rules: Vec<pb::Rule>) -> Result<Vec<RuleDef>> {
    let mut violations = Vec::new();
    let defs = rules
        .into_iter()
        .enumerate()
        .map(
            |(
                i,
                pb::Rule {
                    id,
                    description,
                    expression,
                    severity,
                    tolerance,
                },
            )| {
                let severity = severity_from_proto(severity).unwrap_or_else(|| {
                    violations.push(FieldViolation::new(
                        format!("rules[{i}].severity"),
                        "must be error or warning",
                    ));
                    Severity::Error
                });
                RuleDef {
                    id,
                    description,
                    expression,
                    severity,
                    tolerance,
                }
            },
        )
        .collect();
    if violations.is_empty() {
        Ok(defs)
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

/// Compiles rules against the standard schema; every refusal becomes a field violation on the
/// offending rule, with the column of the problem in the message.
pub fn check_rules(defs: &[RuleDef]) -> Result<()> {
    compile_rules(defs.to_vec(), &FigureSchema::standard())
        .map(|_| ())
        .map_err(|errors| {
            Error::InvalidArgument(
                errors
                    .into_iter()
                    .map(|e| {
                        let index = defs.iter().position(|d| d.id == e.rule_id());
                        let field =
                            index.map_or("rules".to_string(), |i| format!("rules[{i}].expression"));
                        FieldViolation::new(field, e.to_string())
                    })
                    .collect(),
            )
        })
}

#[derive(Clone)]
pub struct Validation {
    db: DatabaseConnection,
}

fn summary(row: &rule_set::Model, rules: usize) -> pb::RuleSetSummary {
    pb::RuleSetSummary {
        cycle_year: row.cycle_year,
        version: row.version as u32,
        rules: rules as u32,
        content_hash: row.content_hash.clone(),
        loaded_at: row.loaded_at.clone(),
        loaded_by: row.loaded_by.clone(),
    }
}

fn decode_rules(row: &rule_set::Model) -> Result<Vec<RuleDef>> {
    serde_json::from_str(&row.rules_json)
        .map_err(|e| Error::Internal(format!("stored rule set unreadable: {e}")))
}

impl Validation {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn rule_set_row(&self, cycle_year: i32, version: u32) -> Result<Option<rule_set::Model>> {
        let mut query = rule_set::Entity::find().filter(rule_set::Column::CycleYear.eq(cycle_year));
        if version != 0 {
            query = query.filter(rule_set::Column::Version.eq(version as i32));
        }
        query
            .order_by_desc(rule_set::Column::Version)
            .one(&self.db)
            .await
            .map_err(db_error)
    }

    /// Checks and stores a new version of a cycle's rule set.
    pub async fn load(
        &self,
        cycle_year: i32,
        defs: Vec<RuleDef>,
        by: &str,
    ) -> Result<pb::RuleSetSummary> {
        check_rules(&defs)?;
        let rules_json =
            serde_json::to_string(&defs).map_err(|e| Error::Internal(e.to_string()))?;
        let content_hash = hex::encode(Sha256::digest(rules_json.as_bytes()));
        let version = self
            .rule_set_row(cycle_year, 0)
            .await?
            .map_or(1, |r| r.version + 1);
        let row = rule_set::ActiveModel {
            cycle_year: Set(cycle_year),
            version: Set(version),
            content_hash: Set(content_hash),
            rules_json: Set(rules_json),
            loaded_by: Set(by.to_string()),
            loaded_at: Set(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| {
            if e.to_string().to_lowercase().contains("unique") {
                Error::Conflict("concurrent rule-set loads for the same cycle; retry".into())
            } else {
                db_error(e)
            }
        })?;
        tracing::info!(cycle_year, version, rules = defs.len(), "rule set loaded");
        Ok(summary(&row, defs.len()))
    }

    pub async fn get(&self, cycle_year: i32, version: u32) -> Result<pb::RuleSet> {
        let row = self
            .rule_set_row(cycle_year, version)
            .await?
            .ok_or_else(|| Error::NotFound(format!("rule set for cycle {cycle_year}")))?;
        let defs = decode_rules(&row)?;
        Ok(pb::RuleSet {
            summary: Some(summary(&row, defs.len())),
            rules: defs.iter().map(rule_to_proto).collect(),
        })
    }

    /// Whether a rule set has been loaded for the cycle (automatic validation needs one).
    pub async fn has_rule_set(&self, cycle_year: i32) -> Result<bool> {
        Ok(self.rule_set_row(cycle_year, 0).await?.is_some())
    }

    /// Runs the cycle's latest rule set on a candidate and stores the report.
    pub async fn validate(&self, candidate: &pb::Candidate) -> Result<pb::ValidationReport> {
        let row = self
            .rule_set_row(candidate.cycle_year, 0)
            .await?
            .ok_or_else(|| {
                Error::FailedPrecondition(format!(
                    "no rule set loaded for cycle {}",
                    candidate.cycle_year
                ))
            })?;
        let set = compile_rules(decode_rules(&row)?, &FigureSchema::standard())
            .map_err(|e| Error::Internal(format!("stored rule set no longer compiles: {e:?}")))?;
        let mut values = FigureValues::new();
        for figure in candidate.stages.iter().flat_map(|s| s.figures.iter()) {
            let dims: Vec<(&str, &str)> = figure
                .dimensions
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            values.add(&figure.id, &dims, figure.value);
        }
        let outcomes = set.evaluate(&values.into_map());
        for o in &outcomes {
            let status = match o.outcome {
                Outcome::Passed => "passed",
                Outcome::Failed => "failed",
                Outcome::MissingInputs { .. } => "missing_inputs",
                Outcome::EvaluationError { .. } => "evaluation_error",
            };
            ndrs_platform::metrics::metrics().rule_outcomes.add(
                1,
                &[
                    opentelemetry::KeyValue::new(
                        "severity",
                        format!("{:?}", o.severity).to_lowercase(),
                    ),
                    opentelemetry::KeyValue::new("status", status),
                ],
            );
        }
        let results: Vec<pb::RuleResult> = outcomes
            .iter()
            .map(|o| {
                let (status, detail) = match &o.outcome {
                    Outcome::Passed => (pb::RuleStatus::Passed, String::new()),
                    Outcome::Failed => (pb::RuleStatus::Failed, String::new()),
                    Outcome::MissingInputs { figures } => {
                        (pb::RuleStatus::MissingInputs, figures.join(", "))
                    }
                    Outcome::EvaluationError { message } => {
                        (pb::RuleStatus::EvaluationError, message.clone())
                    }
                };
                pb::RuleResult {
                    rule_id: o.rule_id.clone(),
                    description: o.description.clone(),
                    severity: severity_to_proto(o.severity) as i32,
                    status: status as i32,
                    inputs: o.inputs.clone().into_iter().collect(),
                    detail,
                }
            })
            .collect();
        let passed_errors = outcomes
            .iter()
            .all(|o| o.severity != Severity::Error || o.outcome == Outcome::Passed);
        let open_warnings = outcomes
            .iter()
            .filter(|o| o.severity == Severity::Warning && o.needs_attention())
            .count() as u32;
        let report = pb::ValidationReport {
            report_id: uuid::Uuid::now_v7().to_string(),
            candidate_id: candidate.candidate_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            rule_set_version: row.version as u32,
            rule_set_hash: row.content_hash.clone(),
            results,
            passed_errors,
            open_warnings,
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        };
        validation_report::ActiveModel {
            report_id: Set(report.report_id.clone()),
            candidate_id: Set(report.candidate_id.clone()),
            candidate_hash: Set(report.candidate_hash.clone()),
            rule_set_version: Set(row.version),
            rule_set_hash: Set(row.content_hash),
            report: Set(report.encode_to_vec()),
            created_at: Set(report.created_at.clone()),
        }
        .insert(&self.db)
        .await
        .map_err(db_error)?;
        tracing::info!(
            candidate = %report.candidate_id,
            passed_errors,
            open_warnings,
            "cross-entity validation done"
        );
        Ok(report)
    }

    /// The latest report of a candidate.
    pub async fn latest_report(&self, candidate_id: &str) -> Result<pb::ValidationReport> {
        let row = validation_report::Entity::find()
            .filter(validation_report::Column::CandidateId.eq(candidate_id))
            .order_by_desc(validation_report::Column::CreatedAt)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| {
                Error::NotFound(format!("no validation report for candidate {candidate_id}"))
            })?;
        pb::ValidationReport::decode(row.report.as_slice())
            .map_err(|e| Error::Internal(format!("stored report unreadable: {e}")))
    }
}
