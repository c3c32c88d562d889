//! Publishing a validated candidate, and reading what was published: a cycle's versions, one
//! version as a document, and what changed between two versions.

use ndrs_aggregator::release::{Change, Document};
use ndrs_core::{Error, Result};
use ndrs_proto::v1 as pb;

use crate::session::Session;

/// Publishes a candidate that passed all three stages, with an optional embargo and the note a
/// revision requires.
pub async fn publish(
    session: &Session,
    candidate_id: &str,
    embargo_until: Option<ndrs_proto::prost_types::Timestamp>,
    note: &str,
) -> Result<pb::ReleaseSummary> {
    let request = pb::PublishRequest {
        candidate_id: candidate_id.to_string(),
        embargo_until,
        note: note.to_string(),
    };
    Ok(session
        .aggregator()?
        .publish(request)
        .await
        .map_err(session.at_aggregator("publish"))?
        .into_inner())
}

/// A cycle's published versions, oldest first.
pub async fn list(session: &Session, cycle_year: i32) -> Result<Vec<pb::ReleaseSummary>> {
    Ok(session
        .aggregator()?
        .list_releases(pb::ListReleasesRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("list releases"))?
        .into_inner()
        .releases)
}

/// A version (0: the latest) exactly as published, in `format`.
pub async fn get(
    session: &Session,
    cycle_year: i32,
    version: u32,
    format: pb::ReleaseFormat,
) -> Result<pb::ReleaseDocument> {
    let request = pb::GetReleaseRequest {
        cycle_year,
        version,
        format: format as i32,
    };
    Ok(session
        .aggregator()?
        .get_release(request)
        .await
        .map_err(session.at_aggregator("get the release"))?
        .into_inner())
}

/// A version's JSON document, parsed.
pub async fn document(session: &Session, cycle_year: i32, version: u32) -> Result<Document> {
    let published = get(session, cycle_year, version, pb::ReleaseFormat::Json).await?;
    serde_json::from_slice(&published.content)
        .map_err(|e| Error::Internal(format!("the published document does not parse: {e}")))
}

/// What changed from version `from` to version `to` of a cycle's release, figure by figure
/// (added, removed, revised), computed here from the two published documents, so any two
/// versions compare, not only neighbours.
pub async fn diff(session: &Session, cycle_year: i32, from: u32, to: u32) -> Result<Vec<Change>> {
    let (before, after) = futures::try_join!(
        document(session, cycle_year, from),
        document(session, cycle_year, to)
    )?;
    Ok(ndrs_aggregator::release::diff(
        &before.figures,
        &after.figures,
    ))
}
