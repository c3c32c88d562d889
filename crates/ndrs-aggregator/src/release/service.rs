//! The release service: publishing the next version of a cycle's release, and reading releases
//! through the cache with the embargo applied.

use chrono::{DateTime, SecondsFormat, Utc};
use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::csv::to_csv;
use super::diff::diff;
use super::document::{Document, Lineage, SCHEMA};
use super::embargo::{timestamp_under_embargo, under_embargo};
use super::figures::release_figures;
use super::sdmx::{SDMX_MEDIA_TYPE, to_sdmx};
use crate::audit;
use crate::release_cache::ReleaseCache;
use crate::store::release;

/// Formats of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Sdmx,
}

/// The release cache's key of one version in one format. `v2` names the encoding, the one with
/// google.protobuf.Timestamp times: an entry written by a version that sent them as text is never
/// read, because decoded here its embargo would look unset.
pub fn cache_key(cycle_year: i32, version: u32, format: Format) -> String {
    format!("v2:{cycle_year}:{version}:{format:?}").to_lowercase()
}

fn summary(row: &release::Model) -> pb::ReleaseSummary {
    pb::ReleaseSummary {
        release_id: row.release_id.clone(),
        cycle_year: row.cycle_year,
        version: row.version as u32,
        candidate_id: row.candidate_id.clone(),
        candidate_hash: row.candidate_hash.clone(),
        document_sha256: row.document_sha256.clone(),
        published_at: ndrs_platform::timestamp::from_text(&row.published_at),
        published_by: row.published_by.clone(),
        embargo_until: ndrs_platform::timestamp::from_text(&row.embargo_until),
        note: row.note.clone(),
    }
}

#[derive(Clone)]
pub struct Releases {
    db: DatabaseConnection,
    cache: ReleaseCache,
}

impl Releases {
    pub fn new(db: DatabaseConnection, cache: ReleaseCache) -> Self {
        Self { db, cache }
    }

    async fn latest_row(&self, cycle_year: i32) -> Result<Option<release::Model>> {
        release::Entity::find()
            .filter(release::Column::CycleYear.eq(cycle_year))
            .order_by_desc(release::Column::Version)
            .one(&self.db)
            .await
            .map_err(db_error)
    }

    /// Stores the next version of the cycle's release from `candidate`, which the caller has
    /// checked passed all three stages. The version number is unique per cycle, so two concurrent
    /// publications cannot both take it.
    pub async fn publish(
        &self,
        candidate: &pb::Candidate,
        lineage: Lineage,
        embargo_until: Option<DateTime<Utc>>,
        note: &str,
        by: &str,
    ) -> Result<pb::ReleaseSummary> {
        let note = note.trim();
        let previous = self.latest_row(candidate.cycle_year).await?;
        let previous_doc: Option<Document> = match &previous {
            Some(p) if p.candidate_hash == candidate.content_hash => {
                return Err(Error::FailedPrecondition(format!(
                    "this candidate is already published as version {} of cycle {}",
                    p.version, p.cycle_year
                )));
            }
            Some(_) if note.is_empty() => {
                return Err(Error::invalid(
                    "note",
                    "a revision needs a note saying what changed and why",
                ));
            }
            Some(p) => Some(serde_json::from_str(&p.document_json).map_err(|e| {
                Error::Internal(format!("stored release {} unreadable: {e}", p.release_id))
            })?),
            None => None,
        };
        let version = previous.as_ref().map_or(1, |p| p.version + 1) as u32;
        let figures = release_figures(candidate, &lineage.disclosure);
        let changes = previous_doc
            .as_ref()
            .map(|p| diff(&p.figures, &figures))
            .unwrap_or_default();
        let doc = Document {
            schema: SCHEMA.into(),
            release_id: uuid::Uuid::now_v7().to_string(),
            cycle_year: candidate.cycle_year,
            version,
            previous_version: previous.as_ref().map(|p| p.version as u32),
            published_at: crate::store::now(),
            published_by: by.to_string(),
            embargo_until: embargo_until.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            note: note.to_string(),
            lineage,
            figures,
            changes,
        };
        let json = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::Internal(format!("release rendering: {e}")))?;
        let csv = to_csv(&doc)?;
        let sdmx = to_sdmx(&doc);
        let sha = hex::encode(Sha256::digest(json.as_bytes()));
        let txn = self.db.begin().await.map_err(db_error)?;
        let row = release::ActiveModel {
            release_id: Set(doc.release_id.clone()),
            cycle_year: Set(doc.cycle_year),
            version: Set(version as i32),
            candidate_id: Set(candidate.candidate_id.clone()),
            candidate_hash: Set(candidate.content_hash.clone()),
            document_json: Set(json),
            document_csv: Set(csv),
            document_sdmx: Set(sdmx),
            document_sha256: Set(sha.clone()),
            published_at: Set(doc.published_at.clone()),
            published_by: Set(by.to_string()),
            embargo_until: Set(doc.embargo_until.clone().unwrap_or_default()),
            note: Set(doc.note.clone()),
        }
        .insert(&txn)
        .await
        .map_err(crate::store::conflict_on_unique(
            "another version was published concurrently; retry",
        ))?;
        audit::append(
            &txn,
            audit::Entry {
                actor: by,
                action: "release.published",
                subject: &format!("cycle {} v{version}", doc.cycle_year),
                details: serde_json::json!({
                    "release_id": doc.release_id,
                    "candidate_hash": candidate.content_hash,
                    "document_sha256": sha,
                    "embargo_until": doc.embargo_until,
                    "note": doc.note,
                    "changes": doc.changes.len(),
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        tracing::info!(cycle_year = doc.cycle_year, version, "release published");
        Ok(summary(&row))
    }

    /// A release version (0: the latest) in `format`. `sees_embargoed` is false for callers who
    /// must wait for the embargo. Served from the cache when it holds the version: a version's
    /// bytes never change, so a cached copy is never stale.
    pub async fn get(
        &self,
        cycle_year: i32,
        version: u32,
        format: Format,
        sees_embargoed: bool,
    ) -> Result<pb::ReleaseDocument> {
        let not_found = || {
            Error::NotFound(if version == 0 {
                format!("no release of cycle {cycle_year}")
            } else {
                format!("release of cycle {cycle_year} v{version}")
            })
        };
        let version = if version == 0 {
            // The latest version this caller may see: under embargo a release does not exist for
            // readers, so "the latest" is the latest whose embargo has passed.
            let versions: Vec<(i32, String)> = release::Entity::find()
                .select_only()
                .column(release::Column::Version)
                .column(release::Column::EmbargoUntil)
                .filter(release::Column::CycleYear.eq(cycle_year))
                .order_by_desc(release::Column::Version)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(db_error)?;
            versions
                .into_iter()
                .find(|(_, embargo)| sees_embargoed || !under_embargo(embargo))
                .ok_or_else(not_found)?
                .0 as u32
        } else {
            version
        };
        let key = cache_key(cycle_year, version, format);
        let cached = match self.cache.get(&key).await {
            Some(bytes) => pb::ReleaseDocument::decode(bytes.as_slice()).ok(),
            None => None,
        };
        let document = match cached {
            Some(document) => document,
            None => {
                let row = release::Entity::find()
                    .filter(release::Column::CycleYear.eq(cycle_year))
                    .filter(release::Column::Version.eq(i32::try_from(version).unwrap_or(i32::MAX)))
                    .one(&self.db)
                    .await
                    .map_err(db_error)?
                    .ok_or_else(not_found)?;
                let (media_type, content) = match format {
                    Format::Json => ("application/json", row.document_json.clone().into_bytes()),
                    Format::Csv => ("text/csv", row.document_csv.clone().into_bytes()),
                    Format::Sdmx => (SDMX_MEDIA_TYPE, row.document_sdmx.clone().into_bytes()),
                };
                let document = pb::ReleaseDocument {
                    summary: Some(summary(&row)),
                    media_type: media_type.into(),
                    content,
                };
                self.cache.put(&key, &document.encode_to_vec()).await;
                document
            }
        };
        let s = document.summary.clone().unwrap_or_default();
        if !sees_embargoed && timestamp_under_embargo(s.embargo_until.as_ref()) {
            // Not FAILED_PRECONDITION: that would tell a reader the release exists.
            return Err(not_found());
        }
        Ok(document)
    }

    /// The cycle's releases, oldest first. Callers who must wait for an embargo do not learn that
    /// an embargoed release exists: it is left out until its embargo has passed.
    pub async fn list(
        &self,
        cycle_year: i32,
        sees_embargoed: bool,
    ) -> Result<Vec<pb::ReleaseSummary>> {
        let rows = release::Entity::find()
            .filter(release::Column::CycleYear.eq(cycle_year))
            .order_by_asc(release::Column::Version)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .iter()
            .filter(|row| sees_embargoed || !under_embargo(&row.embargo_until))
            .map(summary)
            .collect())
    }
}
