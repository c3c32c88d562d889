//! `ndrs candidate assemble|show|list|status|validate`: the aggregator's candidate releases,
//! printed as a table of their published-indicator figures in presentation units, and stages 1
//! and 2 run on one.

use std::fmt::Write as _;

use ndrs_client::{candidates, validation};
use ndrs_core::catalogue::Catalogue;
use ndrs_core::units::{Unit, ZettabyteBase, present};
use ndrs_core::{Error, Result};
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::{load_settings, session};
use crate::cli::{CandidateCommand, Global, Output};
use crate::output::{emit, print_json, table};

pub(super) async fn run(
    command: CandidateCommand,
    global: &Global,
    url: Option<String>,
) -> Result<()> {
    let session = session(global, url)?;
    let base = load_settings()?.presentation.zettabyte_base;
    let output = global.output;
    match command {
        CandidateCommand::Assemble { cycle } => {
            let c = candidates::assemble(&session, cycle).await?;
            emit(output, &c, |c| render(c, base));
        }
        CandidateCommand::Show { cycle } => {
            let c = candidates::latest(&session, cycle).await?;
            emit(output, &c, |c| render(c, base));
        }
        CandidateCommand::Status { candidate_id } => {
            let s = validation::status(&session, &candidate_id).await?;
            emit(output, &s, render_status);
        }
        CandidateCommand::Validate { candidate_id } => {
            let rules = validation::check_rules(&session, &candidate_id).await?;
            let benchmarks = validation::check_benchmarks(&session, &candidate_id).await?;
            let status = validation::status(&session, &candidate_id).await?;
            match output {
                Output::Json => print_json(&serde_json::json!({
                    "rules": ndrs_proto::json::to_value(&rules),
                    "benchmarks": ndrs_proto::json::to_value(&benchmarks),
                    "status": ndrs_proto::json::to_value(&status),
                })),
                Output::Table => {
                    print!("{}", render_rule_report(&rules));
                    print!("{}", render_benchmark_report(&benchmarks));
                    print!("{}", render_status(&status));
                }
            }
            let automatic_passed = status
                .stages
                .iter()
                .filter(|s| s.stage != pb::ValidationStage::Review as i32)
                .all(|s| s.passed);
            if !automatic_passed {
                return Err(Error::FailedPrecondition(format!(
                    "candidate {candidate_id} has findings to fix or justify before review"
                )));
            }
        }
        CandidateCommand::List { cycle } => {
            let list = candidates::list(&session, cycle).await?;
            emit(output, &list, |list| {
                let rows: Vec<[String; 5]> = list
                    .candidates
                    .iter()
                    .map(|c| {
                        [
                            format!("#{}", c.sequence),
                            c.candidate_id.clone(),
                            c.content_hash.clone(),
                            display(c.assembled_at.as_ref()),
                            pb::CandidateTrigger::try_from(c.trigger)
                                .map_or("unknown", |t| t.as_str_name())
                                .to_string(),
                        ]
                    })
                    .collect();
                table(
                    ["seq", "candidate", "content hash", "assembled", "trigger"],
                    &rows,
                )
            });
        }
    }
    Ok(())
}

/// Where a candidate stands in the three stages, with the reasons a stage has not passed.
fn render_status(s: &pb::CandidateStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "candidate {} ({})", s.candidate_id, s.candidate_hash);
    for stage in &s.stages {
        let name = pb::ValidationStage::try_from(stage.stage)
            .map_or("unknown", |st| st.as_str_name())
            .trim_start_matches("VALIDATION_STAGE_")
            .to_lowercase();
        let _ = writeln!(
            out,
            "  {name:<10} {}",
            if stage.passed { "passed" } else { "not passed" }
        );
        for reason in &stage.reasons {
            let _ = writeln!(out, "    - {reason}");
        }
    }
    let _ = writeln!(
        out,
        "{}",
        if s.publishable {
            "publishable"
        } else {
            "not publishable"
        }
    );
    out
}

/// Stage 1's report: every rule with its outcome.
fn render_rule_report(report: &pb::ValidationReport) -> String {
    let rows: Vec<[String; 3]> = report
        .results
        .iter()
        .map(|r| {
            [
                r.rule_id.clone(),
                pb::RuleStatus::try_from(r.status)
                    .map_or("unknown", |s| s.as_str_name())
                    .trim_start_matches("RULE_STATUS_")
                    .to_lowercase(),
                r.detail.clone(),
            ]
        })
        .collect();
    format!(
        "stage 1: rule set v{} ({} open warnings, errors {})\n{}",
        report.rule_set_version,
        report.open_warnings,
        if report.passed_errors {
            "passed"
        } else {
            "failed"
        },
        table(["rule", "status", "detail"], &rows)
    )
}

/// Stage 2's report: every comparison with its outcome.
fn render_benchmark_report(report: &pb::BenchmarkReport) -> String {
    let rows: Vec<[String; 5]> = report
        .comparisons
        .iter()
        .map(|c| {
            [
                c.benchmark_id.clone(),
                c.figure_id.clone(),
                format!("{:+.4}", c.deviation),
                pb::BenchmarkOutcome::try_from(c.outcome)
                    .map_or("unknown", |o| o.as_str_name())
                    .trim_start_matches("BENCHMARK_OUTCOME_")
                    .to_lowercase(),
                c.detail.clone(),
            ]
        })
        .collect();
    format!(
        "stage 2: benchmark registry v{} ({} open deviations)\n{}",
        report.registry_version,
        report.open_deviations,
        table(
            ["benchmark", "figure", "deviation", "outcome", "detail"],
            &rows
        )
    )
}

/// A table of a candidate's published-indicator figures, in presentation units.
pub fn render(candidate: &pb::Candidate, base: ZettabyteBase) -> String {
    let catalogue = Catalogue::embedded();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "candidate {} (cycle {}, #{}), content hash {}",
        candidate.candidate_id, candidate.cycle_year, candidate.sequence, candidate.content_hash
    );
    let _ = writeln!(
        out,
        "{:<5} {:<48} {:>14}  {:<22} {:<27} inputs",
        "id", "indicator", "value", "unit", "95% interval"
    );
    for stage in &candidate.stages {
        for f in stage
            .figures
            .iter()
            .filter(|f| f.kind == pb::FigureKind::Estimate as i32)
        {
            let name = catalogue
                .get(&f.id)
                .map_or("(not in catalogue)", |i| i.name_en.as_str());
            let Some(unit) = Unit::from_i32(f.unit) else {
                continue;
            };
            let p = present(f.value, unit, base);
            let inputs = f.lineage.as_ref().map_or(0, |l| l.returns.len());
            let interval = f.interval.as_ref().map_or(String::new(), |i| {
                let scale = if f.value == 0.0 {
                    1.0
                } else {
                    p.value / f.value
                };
                format!("[{:.6}, {:.6}]", i.lower * scale, i.upper * scale)
            });
            let _ = writeln!(
                out,
                "{:<5} {:<48} {:>14.6}  {:<22} {:<27} {} returns",
                f.id, name, p.value, p.unit_label, interval, inputs
            );
        }
    }
    out
}
