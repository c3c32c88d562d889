//! `ndrs returns list|show|history`: stored returns, as their services hold them.

use ndrs_client::Stage;
use ndrs_client::returns::{find_history, list};
use ndrs_core::{Error, Result};
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::session;
use crate::cli::{Global, Output, ReturnsCommand};
use crate::output::{emit, fields, table};

pub(super) async fn run(command: ReturnsCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    match command {
        ReturnsCommand::List { kind, cycle, unit } => {
            let stage = Stage::receiving(kind.code())?;
            let returns = list(&session, stage, cycle, unit.as_deref().unwrap_or("")).await?;
            let answer = pb::ListReturnsResponse {
                returns,
                next_page_token: String::new(),
            };
            emit(global.output, &answer, |a| versions_table(&a.returns));
        }
        ReturnsCommand::Show { return_id, version } => {
            let (_, versions) = find_history(&session, &return_id, version).await?;
            let shown = if version == 0 {
                versions.last()
            } else {
                versions.iter().find(|v| v.version == version)
            }
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("return {return_id} version {version}")))?;
            emit(global.output, &shown, |v| {
                let payload = serde_json::from_str::<serde_json::Value>(&v.payload_json)
                    .ok()
                    .and_then(|p| serde_json::to_string_pretty(&p).ok())
                    .unwrap_or_else(|| v.payload_json.clone());
                let mut text = fields(&[
                    ("return", v.return_id.clone()),
                    ("version", v.version.to_string()),
                    ("kind", v.return_kind.clone()),
                    ("cycle", v.cycle_year.to_string()),
                    ("unit", v.reporting_unit_id.clone()),
                    ("received", display(v.received_at.as_ref())),
                    ("submitted by", v.submitted_by.clone()),
                    ("content hash", v.content_hash.clone()),
                ]);
                text.push_str(&payload);
                text.push('\n');
                text
            });
        }
        ReturnsCommand::History { return_id } => {
            let (_, versions) = find_history(&session, &return_id, 0).await?;
            let answer = pb::ReturnHistory { versions };
            match global.output {
                Output::Json => emit(global.output, &answer, |_| String::new()),
                Output::Table => print!("{}", versions_table(&answer.versions)),
            }
        }
    }
    Ok(())
}

fn versions_table(versions: &[pb::ReturnVersion]) -> String {
    let rows: Vec<[String; 6]> = versions
        .iter()
        .map(|v| {
            [
                v.return_id.clone(),
                format!("v{}", v.version),
                v.return_kind.clone(),
                v.reporting_unit_id.clone(),
                display(v.received_at.as_ref()),
                v.submitted_by.clone(),
            ]
        })
        .collect();
    table(
        [
            "return",
            "version",
            "kind",
            "unit",
            "received",
            "submitted by",
        ],
        &rows,
    )
}
