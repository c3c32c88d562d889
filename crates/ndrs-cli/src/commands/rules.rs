//! `ndrs rules load|show`, `ndrs benchmarks add|show` and `ndrs justify`: what stages 1 and 2
//! check a candidate against, and the written reasons that accept a finding.

use ndrs_client::files;
use ndrs_client::validation::{self, RuleSource};
use ndrs_core::{Error, Result};
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::session;
use crate::cli::{BenchmarksCommand, Global, JustifyArgs, RulesCommand, StageArg};
use crate::output::{emit, fields, table};

fn severity(code: i32) -> String {
    pb::Severity::try_from(code)
        .map_or("unknown", |s| s.as_str_name())
        .trim_start_matches("SEVERITY_")
        .to_lowercase()
}

pub(super) async fn rules(command: RulesCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    match command {
        RulesCommand::Load {
            file,
            cycle,
            default,
        } => {
            let source = match (file, default) {
                (_, true) => RuleSource::Default,
                (Some(file), false) => RuleSource::Rules(files::read_message(&file)?),
                (None, false) => {
                    return Err(Error::invalid("file", "give a rules file or --default"));
                }
            };
            let s = validation::load_rules(&session, cycle, source).await?;
            emit(global.output, &s, |s| {
                fields(&[
                    ("cycle", s.cycle_year.to_string()),
                    ("version", s.version.to_string()),
                    ("rules", s.rules.to_string()),
                    ("content hash", s.content_hash.clone()),
                    ("loaded", display(s.loaded_at.as_ref())),
                ])
            });
        }
        RulesCommand::Show { cycle, version } => {
            let set = validation::rules(&session, cycle, version).await?;
            emit(global.output, &set, |set| {
                let rows: Vec<[String; 4]> = set
                    .rules
                    .iter()
                    .map(|r| {
                        [
                            r.id.clone(),
                            severity(r.severity),
                            r.tolerance.to_string(),
                            r.expression.clone(),
                        ]
                    })
                    .collect();
                let s = set.summary.clone().unwrap_or_default();
                format!(
                    "rule set v{} of {} ({})\n{}",
                    s.version,
                    s.cycle_year,
                    s.content_hash,
                    table(["rule", "severity", "tolerance", "expression"], &rows)
                )
            });
        }
    }
    Ok(())
}

pub(super) async fn benchmarks(command: BenchmarksCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    match command {
        BenchmarksCommand::Add { file } => {
            let request: pb::AddBenchmarksRequest = files::read_message(&file)?;
            let s = validation::add_benchmarks(&session, request).await?;
            emit(global.output, &s, |s| {
                fields(&[
                    ("version", s.version.to_string()),
                    ("benchmarks", s.benchmarks.to_string()),
                    ("content hash", s.content_hash.clone()),
                    ("note", s.note.clone()),
                ])
            });
        }
        BenchmarksCommand::Show { version } => {
            let registry = validation::benchmarks(&session, version).await?;
            emit(global.output, &registry, |r| {
                let rows: Vec<[String; 6]> = r
                    .benchmarks
                    .iter()
                    .map(|b| {
                        [
                            b.benchmark_id.clone(),
                            b.comparable_to.clone(),
                            format!("{} {}", b.value, b.unit),
                            b.year.to_string(),
                            b.publisher.clone(),
                            b.tolerance.to_string(),
                        ]
                    })
                    .collect();
                table(
                    [
                        "benchmark",
                        "compared with",
                        "value",
                        "year",
                        "publisher",
                        "tolerance",
                    ],
                    &rows,
                )
            });
        }
    }
    Ok(())
}

pub(super) async fn justify(args: JustifyArgs, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    let text = match (&args.text, &args.text_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => files::read_text(path)?,
        (None, None) => return Err(Error::invalid("text", "give --text or --text-file")),
    };
    let stage = match args.stage {
        StageArg::Rules => pb::ValidationStage::Rules,
        StageArg::Benchmarks => pb::ValidationStage::Benchmarks,
    };
    let j = validation::justify(&session, &args.candidate, stage, &args.subject, &text).await?;
    emit(global.output, &j, |j| {
        fields(&[
            ("candidate", j.candidate_id.clone()),
            ("candidate hash", j.candidate_hash.clone()),
            ("subject", j.subject.clone()),
            ("text", j.text.clone()),
        ])
    });
    Ok(())
}
