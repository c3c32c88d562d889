//! `ndrs publish`, and `ndrs release list|get|diff`: a cycle's published versions, one version
//! exactly as published, and what changed between two.

use std::io::Write as _;

use ndrs_client::publication;
use ndrs_core::{Error, Result};
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::session;
use crate::cli::{Global, Output, PublishArgs, ReleaseCommand, ReleaseFormatArg};
use crate::output::{emit, fields, print_json, table};

pub(super) async fn publish(args: PublishArgs, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    let embargo = match args.embargo_until.as_deref() {
        None => None,
        Some(text) => ndrs_aggregator::release::parse_embargo(text)?.map(|at| {
            ndrs_proto::prost_types::Timestamp {
                seconds: at.timestamp(),
                nanos: 0,
            }
        }),
    };
    let summary = publication::publish(&session, &args.candidate, embargo, &args.note).await?;
    emit(global.output, &summary, |r| {
        fields(&[
            ("release", r.release_id.clone()),
            ("cycle", r.cycle_year.to_string()),
            ("version", r.version.to_string()),
            ("published", display(r.published_at.as_ref())),
            ("document sha256", r.document_sha256.clone()),
            ("embargo", embargo_text(r)),
        ])
    });
    Ok(())
}

fn embargo_text(r: &pb::ReleaseSummary) -> String {
    match &r.embargo_until {
        None => "public".to_string(),
        Some(until) => format!("until {}", display(Some(until))),
    }
}

pub(super) async fn run(
    command: ReleaseCommand,
    global: &Global,
    url: Option<String>,
) -> Result<()> {
    let session = session(global, url)?;
    match command {
        ReleaseCommand::List { cycle } => {
            let releases = pb::ListReleasesResponse {
                releases: publication::list(&session, cycle).await?,
            };
            emit(global.output, &releases, |list| {
                let rows: Vec<[String; 6]> = list
                    .releases
                    .iter()
                    .map(|r| {
                        [
                            format!("v{}", r.version),
                            display(r.published_at.as_ref()),
                            r.candidate_hash.clone(),
                            r.document_sha256.clone(),
                            embargo_text(r),
                            r.note.clone(),
                        ]
                    })
                    .collect();
                table(
                    [
                        "version",
                        "published",
                        "candidate hash",
                        "document sha256",
                        "embargo",
                        "note",
                    ],
                    &rows,
                )
            });
        }
        ReleaseCommand::Get {
            cycle,
            version,
            format,
        } => {
            let wire = match format {
                ReleaseFormatArg::Json | ReleaseFormatArg::Html => pb::ReleaseFormat::Json,
                ReleaseFormatArg::Csv => pb::ReleaseFormat::Csv,
                ReleaseFormatArg::Sdmx => pb::ReleaseFormat::Sdmx,
            };
            let document = publication::get(&session, cycle, version, wire).await?;
            let content = match format {
                ReleaseFormatArg::Html => html_report(&document.content)?.into_bytes(),
                _ => document.content,
            };
            std::io::stdout()
                .write_all(&content)
                .map_err(|e| Error::Internal(format!("stdout: {e}")))?;
        }
        ReleaseCommand::Diff { cycle, from, to } => {
            let changes = publication::diff(&session, cycle, from, to).await?;
            match global.output {
                Output::Json => print_json(&serde_json::json!({
                    "cycle_year": cycle, "from": from, "to": to, "changes": changes,
                })),
                Output::Table => {
                    let value = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v}"));
                    let rows: Vec<[String; 4]> = changes
                        .iter()
                        .map(|c| {
                            [
                                c.key.clone(),
                                c.change.clone(),
                                value(c.previous),
                                value(c.current),
                            ]
                        })
                        .collect();
                    println!(
                        "cycle {cycle}: v{from} -> v{to}, {} figures changed",
                        rows.len()
                    );
                    print!(
                        "{}",
                        table(
                            ["figure", "change", &format!("v{from}"), &format!("v{to}")],
                            &rows
                        )
                    );
                }
            }
        }
    }
    Ok(())
}

/// The HTML report of a release's published JSON document. The validation trail is not part of
/// the document, so the report a reader renders shows what was published, without it.
fn html_report(json: &[u8]) -> Result<String> {
    let document: ndrs_aggregator::release::Document = serde_json::from_slice(json)
        .map_err(|e| Error::Internal(format!("the release document does not parse: {e}")))?;
    Ok(ndrs_report::render(&document, None))
}
