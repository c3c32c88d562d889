//! `ndrs release list|get`: a cycle's published versions, and one version exactly as published.

use std::io::Write as _;

use ndrs_core::{Error, Result};
use ndrs_platform::grpc_status::answer;
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::{AggregatorTarget, load_settings};
use crate::cli::{ReleaseCommand, ReleaseFormatArg};

pub(super) async fn run(command: ReleaseCommand, target: AggregatorTarget) -> Result<()> {
    let settings = load_settings()?;
    let mut client = target.client(&settings)?;
    match command {
        ReleaseCommand::List { cycle } => {
            let request = pb::ListReleasesRequest { cycle_year: cycle };
            let list = answer(client.list_releases(request).await)?;
            for r in list.releases {
                let embargo = match &r.embargo_until {
                    None => "public".to_string(),
                    Some(until) => format!("embargo until {until}"),
                };
                println!(
                    "v{:<3} {} {} {} {} {}",
                    r.version,
                    display(r.published_at.as_ref()),
                    r.candidate_hash,
                    r.document_sha256,
                    embargo,
                    r.note
                );
            }
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
            let request = pb::GetReleaseRequest {
                cycle_year: cycle,
                version,
                format: wire as i32,
            };
            let document = answer(client.get_release(request).await)?;
            let content = match format {
                ReleaseFormatArg::Html => html_report(&document.content)?.into_bytes(),
                _ => document.content,
            };
            std::io::stdout()
                .write_all(&content)
                .map_err(|e| Error::Internal(format!("stdout: {e}")))?;
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
