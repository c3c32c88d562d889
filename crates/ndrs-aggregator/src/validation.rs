//! Stage 1, cross-entity validation: versioned rule sets and validation reports.
//!
//! A rule set is compiled against the standard figure schema before it is stored, so a rule that
//! does not parse, names an unknown figure or mixes units never reaches a candidate. A report
//! records which candidate (by content hash) was checked with which rule-set version (by hash),
//! and every rule's outcome with the values it read.

use ndrs_core::{Error, FieldViolation, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use ndrs_rules::{FigureSchema, FigureValues, Outcome, RuleDef, Severity, compile_rules};
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::store::{self, rule_set, validation_report};

fn severity_from_proto(value: i32) -> Option<Severity> {
    match pb::Severity::try_from(value).ok()? {
        pb::Severity::Error => Some(Severity::Error),
        pb::Severity::Warning => Some(Severity::Warning),
        pb::Severity::Info | pb::Severity::Unspecified => None,
    }
}

fn severity_to_proto(s: Severity) -> pb::Severity {
    match s {
        Severity::Error => pb::Severity::Error,
        Severity::Warning => pb::Severity::Warning,
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
        .map_err(|refusals| {
            Error::InvalidArgument(
                refusals
                    .iter()
                    .map(|r| FieldViolation::new(r.field_path(), r.error.to_string()))
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
        loaded_at: ndrs_platform::timestamp::from_text(&row.loaded_at),
        loaded_by: row.loaded_by.clone(),
    }
}

async fn rule_set_row<C: ConnectionTrait>(
    conn: &C,
    cycle_year: i32,
    version: u32,
) -> Result<Option<rule_set::Model>> {
    let mut query = rule_set::Entity::find().filter(rule_set::Column::CycleYear.eq(cycle_year));
    if version != 0 {
        query =
            query.filter(rule_set::Column::Version.eq(i32::try_from(version).unwrap_or(i32::MAX)));
    }
    query
        .order_by_desc(rule_set::Column::Version)
        .one(conn)
        .await
        .map_err(db_error)
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
        rule_set_row(&self.db, cycle_year, version).await
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
        let txn = self.db.begin().await.map_err(db_error)?;
        let version = rule_set_row(&txn, cycle_year, 0)
            .await?
            .map_or(1, |r| r.version + 1);
        let row = rule_set::ActiveModel {
            cycle_year: Set(cycle_year),
            version: Set(version),
            content_hash: Set(content_hash),
            rules_json: Set(rules_json),
            loaded_by: Set(by.to_string()),
            loaded_at: Set(crate::store::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(crate::store::conflict_on_unique(
            "concurrent rule-set loads for the same cycle; retry",
        ))?;
        audit::append(
            &txn,
            audit::Entry {
                actor: by,
                action: "rule_set.loaded",
                subject: &format!("cycle {cycle_year}"),
                details: serde_json::json!({
                    "cycle_year": cycle_year,
                    "version": version,
                    "rules": defs.len(),
                    "content_hash": row.content_hash,
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
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
        let mut results: Vec<pb::RuleResult> = outcomes
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
        // What the candidate could not use (set-aside returns, withheld figures) are errors too.
        let data_quality = crate::withhold::data_quality_findings(candidate);
        let passed_errors = data_quality.is_empty()
            && outcomes
                .iter()
                .all(|o| o.severity != Severity::Error || o.outcome == Outcome::Passed);
        results.extend(data_quality);
        let open_warnings = outcomes
            .iter()
            .filter(|o| o.severity == Severity::Warning && o.needs_attention())
            .count() as u32;
        let created_at = crate::store::now();
        let report = pb::ValidationReport {
            report_id: uuid::Uuid::now_v7().to_string(),
            candidate_id: candidate.candidate_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            rule_set_version: row.version as u32,
            rule_set_hash: row.content_hash.clone(),
            results,
            passed_errors,
            open_warnings,
            created_at: ndrs_platform::timestamp::from_text(&created_at),
        };
        let row = validation_report::ActiveModel {
            report_id: Set(report.report_id.clone()),
            candidate_id: Set(report.candidate_id.clone()),
            candidate_hash: Set(report.candidate_hash.clone()),
            rule_set_version: Set(row.version),
            rule_set_hash: Set(row.content_hash),
            report: Set(report.encode_to_vec()),
            created_at: Set(created_at),
        };
        // The same candidate under the same rules was validated first elsewhere (another
        // replica, a repeated request): its report is this one's, by determinism.
        if !store::insert_unless_present(&self.db, row).await? {
            return self.latest_report(&candidate.candidate_id).await;
        }
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
        store::latest_report::<validation_report::Entity, _>(&self.db, candidate_id).await
    }

    /// Rules of the candidate's latest report that did not pass, with their severity: the
    /// findings a justification may (warnings) or may not (errors) address.
    pub async fn open_findings(&self, candidate_id: &str) -> Result<Vec<(String, Severity)>> {
        let report = self.latest_report(candidate_id).await?;
        Ok(report
            .results
            .iter()
            .filter(|r| r.status != pb::RuleStatus::Passed as i32)
            .map(|r| {
                let severity = severity_from_proto(r.severity).unwrap_or(Severity::Error);
                (r.rule_id.clone(), severity)
            })
            .collect())
    }

    /// Whether stage 1 passed on `candidate`: its latest report was made with the cycle's latest
    /// rule set, no error rule failed or lacked inputs, and every warning that did not pass is in
    /// `justified`. Returns the reasons it has not, and the rule set the report used.
    pub async fn stage_outcome(
        &self,
        candidate: &pb::Candidate,
        justified: &std::collections::BTreeSet<String>,
    ) -> Result<(pb::StageOutcome, Option<(u32, String)>)> {
        let mut reasons = Vec::new();
        let mut used = None;
        match self.latest_report(&candidate.candidate_id).await {
            Err(Error::NotFound(_)) => {
                reasons.push("stage 1 has not been run on this candidate".to_string())
            }
            Err(e) => return Err(e),
            Ok(report) => {
                let latest = self.rule_set_row(candidate.cycle_year, 0).await?;
                if let Some(latest) = latest
                    && latest.version as u32 != report.rule_set_version
                {
                    reasons.push(format!(
                        "rule set version {} was loaded after the report (version {}); validate again",
                        latest.version, report.rule_set_version
                    ));
                }
                for r in &report.results {
                    if r.status == pb::RuleStatus::Passed as i32 {
                        continue;
                    }
                    let status = pb::RuleStatus::try_from(r.status)
                        .map_or("unknown", |s| s.as_str_name())
                        .trim_start_matches("RULE_STATUS_")
                        .to_lowercase();
                    match severity_from_proto(r.severity) {
                        Some(Severity::Warning) if justified.contains(&r.rule_id) => {}
                        Some(Severity::Warning) => reasons.push(format!(
                            "warning rule {} {status} and has no justification",
                            r.rule_id
                        )),
                        _ => reasons.push(format!("error rule {} {status}", r.rule_id)),
                    }
                }
                used = Some((report.rule_set_version, report.rule_set_hash.clone()));
            }
        }
        Ok((
            pb::StageOutcome {
                stage: pb::ValidationStage::Rules as i32,
                passed: reasons.is_empty(),
                reasons,
            },
            used,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule is an error or a warning; INFO (a severity of returns' findings) and an unset or
    /// unknown severity are refused, naming the rule's place in the request.
    #[test]
    fn a_rule_severity_is_error_or_warning() {
        let rule = |severity: i32| pb::Rule {
            id: "r".into(),
            description: "r".into(),
            expression: "P04 <= P01".into(),
            severity,
            tolerance: 0.0,
        };
        let defs = rules_from_proto(vec![
            rule(pb::Severity::Error as i32),
            rule(pb::Severity::Warning as i32),
        ])
        .unwrap();
        assert_eq!(
            defs.iter().map(|d| d.severity).collect::<Vec<_>>(),
            [Severity::Error, Severity::Warning]
        );
        let err = rules_from_proto(vec![
            rule(pb::Severity::Error as i32),
            rule(pb::Severity::Info as i32),
            rule(pb::Severity::Unspecified as i32),
            rule(99),
        ])
        .unwrap_err();
        let fields: Vec<_> = err
            .field_violations()
            .iter()
            .map(|v| v.field.clone())
            .collect();
        assert_eq!(
            fields,
            [
                "rules[1].severity",
                "rules[2].severity",
                "rules[3].severity"
            ]
        );
        for def in &defs {
            assert_eq!(
                severity_from_proto(severity_to_proto(def.severity) as i32),
                Some(def.severity)
            );
        }
    }
}
