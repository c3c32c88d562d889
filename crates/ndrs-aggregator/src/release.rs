//! Published releases: immutable, versioned documents with their lineage.
//!
//! A release is rendered once, at publication, into canonical JSON, CSV and SDMX-ML, and the bytes are
//! stored; every later read returns exactly those bytes, so a release cannot drift when the code
//! that renders it changes. A revision is a new version of the cycle's release with a note and a
//! figure-by-figure diff against the previous version, which stays readable. An embargoed release
//! is visible to the working group and publishers at once and to everyone else from its embargo
//! time. Reads go through [`ReleaseCache`] (Redis in production).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::disclosure::DisclosureRule;
use crate::release_cache::ReleaseCache;
use crate::review::figure_key;
use crate::store::release;

/// Identifies the document layout; bump when fields change meaning.
pub const SCHEMA: &str = "ndrs.release.v1";

/// What a release records about how it was produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    pub candidate_id: String,
    pub candidate_sequence: u32,
    /// Content hash of the inputs: the candidate's hash over every stage result.
    pub candidate_hash: String,
    /// Each stage service's content hash, by stage name.
    pub stage_hashes: BTreeMap<String, String>,
    pub rule_set: VersionRef,
    pub benchmark_registry: VersionRef,
    pub review_rounds: Vec<RoundRef>,
    /// The disclosure-control rule applied to breakdown cells.
    pub disclosure: DisclosureRule,
    pub software: Software,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRef {
    pub version: u32,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRef {
    pub number: u32,
    pub round_id: String,
    pub candidate_hash: String,
    pub frozen_hash: String,
    pub state: String,
    pub votes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Software {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureLineage {
    pub method: String,
    pub returns: Vec<String>,
    pub parameters: Vec<String>,
    pub weighting_spec: String,
    pub inputs_hash: String,
    pub imputed_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
    pub level: f64,
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub id: String,
    pub dimensions: BTreeMap<String, String>,
    pub label: String,
    pub kind: String,
    /// Withheld (`null`) when the cell is suppressed.
    pub value: Option<f64>,
    pub unit: String,
    pub precision: String,
    pub interval: Option<Interval>,
    /// `final`, or `suppressed` by disclosure control.
    pub status: String,
    /// Why the cell is suppressed.
    pub suppression: Option<String>,
    pub lineage: Option<FigureLineage>,
}

/// One figure's difference from the previous version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub key: String,
    /// `added`, `removed` or `revised`.
    pub change: String,
    pub previous: Option<f64>,
    pub current: Option<f64>,
}

/// The release document. Field order is the canonical order of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub schema: String,
    pub release_id: String,
    pub cycle_year: i32,
    pub version: u32,
    pub previous_version: Option<u32>,
    pub published_at: String,
    pub published_by: String,
    pub embargo_until: Option<String>,
    pub note: String,
    pub lineage: Lineage,
    pub figures: Vec<Figure>,
    pub changes: Vec<Change>,
}

fn enum_name(name: Option<&str>, prefix: &str) -> String {
    name.unwrap_or("unspecified")
        .trim_start_matches(prefix)
        .to_lowercase()
}

/// The published figures: estimates and their breakdowns, not the check figures that only serve
/// validation; in key order. Breakdown cells that `rule` suppresses keep their key, unit and
/// method, and lose their value, interval and the list of returns behind them.
pub fn release_figures(candidate: &pb::Candidate, rule: &DisclosureRule) -> Vec<Figure> {
    let mut figures: Vec<Figure> = candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .filter(|f| f.kind != pb::FigureKind::Check as i32)
        .map(|f| {
            let suppression = rule.suppression(f);
            let shown = suppression.is_none();
            Figure {
                key: figure_key(f),
                id: f.id.clone(),
                dimensions: f
                    .dimensions
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                label: f.label.clone(),
                kind: enum_name(
                    pb::FigureKind::try_from(f.kind)
                        .ok()
                        .map(|k| k.as_str_name()),
                    "FIGURE_KIND_",
                ),
                value: shown.then_some(f.value),
                unit: enum_name(
                    pb::Unit::try_from(f.unit).ok().map(|u| u.as_str_name()),
                    "UNIT_",
                ),
                precision: if f.precision == 0 {
                    String::new()
                } else {
                    enum_name(
                        pb::Precision::try_from(f.precision)
                            .ok()
                            .map(|p| p.as_str_name()),
                        "PRECISION_",
                    )
                },
                interval: f.interval.as_ref().filter(|_| shown).map(|i| Interval {
                    lower: i.lower,
                    upper: i.upper,
                    level: i.level,
                    method: i.method.clone(),
                }),
                status: if shown { "final" } else { "suppressed" }.into(),
                suppression,
                lineage: f.lineage.as_ref().map(|l| FigureLineage {
                    method: l.method.clone(),
                    returns: if shown { l.returns.clone() } else { Vec::new() },
                    parameters: l.parameters.clone(),
                    weighting_spec: l.weighting_spec.clone(),
                    inputs_hash: l.inputs_hash.clone(),
                    imputed_share: l.imputed_share,
                }),
            }
        })
        .collect();
    figures.sort_by(|a, b| a.key.cmp(&b.key));
    complementary_suppression(&mut figures);
    figures
}

/// Reason given for a cell withheld only to protect another.
pub const COMPLEMENTARY: &str =
    "complementary suppression: protects another cell of this breakdown";

/// When exactly one cell of a breakdown (same figure id and dimension names) is suppressed, it
/// could be recovered from the published total (or from shares summing to one) minus the other
/// cells; the smallest other cell is withheld too, so that at least two unknowns remain.
fn complementary_suppression(figures: &mut [Figure]) {
    let mut groups: BTreeMap<(String, Vec<String>), Vec<usize>> = BTreeMap::new();
    for (i, f) in figures.iter().enumerate() {
        if !f.dimensions.is_empty() {
            let names = f.dimensions.keys().cloned().collect();
            groups.entry((f.id.clone(), names)).or_default().push(i);
        }
    }
    for cells in groups.values() {
        let suppressed = cells
            .iter()
            .filter(|&&i| figures[i].value.is_none())
            .count();
        if suppressed != 1 {
            continue;
        }
        let partner = cells
            .iter()
            .copied()
            .filter(|&i| figures[i].value.is_some())
            .min_by(|&a, &b| {
                let (x, y) = (
                    figures[a].value.unwrap_or(0.0),
                    figures[b].value.unwrap_or(0.0),
                );
                x.total_cmp(&y)
                    .then_with(|| figures[a].key.cmp(&figures[b].key))
            });
        if let Some(i) = partner {
            let f = &mut figures[i];
            f.value = None;
            f.interval = None;
            f.status = "suppressed".into();
            f.suppression = Some(COMPLEMENTARY.into());
            if let Some(l) = f.lineage.as_mut() {
                l.returns.clear();
            }
        }
    }
}

/// Figure-by-figure differences between two versions' figures (a cell that becomes suppressed,
/// or is no longer suppressed, counts as revised).
pub fn diff(previous: &[Figure], current: &[Figure]) -> Vec<Change> {
    let before: BTreeMap<&str, Option<f64>> =
        previous.iter().map(|f| (f.key.as_str(), f.value)).collect();
    let after: BTreeMap<&str, Option<f64>> =
        current.iter().map(|f| (f.key.as_str(), f.value)).collect();
    let mut keys: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (p, c) = (before.get(key).copied(), after.get(key).copied());
            let change = match (p, c) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(p), Some(c)) if p.map(f64::to_bits) != c.map(f64::to_bits) => "revised",
                _ => return None,
            };
            Some(Change {
                key: key.to_string(),
                change: change.into(),
                previous: p.flatten(),
                current: c.flatten(),
            })
        })
        .collect()
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// The CSV export: one row per figure, in the document's order.
pub fn to_csv(doc: &Document) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| Error::Internal(format!("csv export: {e}"));
    w.write_record([
        "cycle_year",
        "version",
        "key",
        "id",
        "dimensions",
        "label",
        "kind",
        "value",
        "unit",
        "precision",
        "interval_lower",
        "interval_upper",
        "interval_level",
        "status",
        "suppression",
        "method",
        "inputs_hash",
    ])
    .map_err(internal)?;
    for f in &doc.figures {
        let dims: Vec<String> = f
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (lower, upper, level) = f.interval.as_ref().map_or_else(
            || (String::new(), String::new(), String::new()),
            |i| (number(i.lower), number(i.upper), number(i.level)),
        );
        let (method, inputs_hash) = f.lineage.as_ref().map_or_else(
            || (String::new(), String::new()),
            |l| (l.method.clone(), l.inputs_hash.clone()),
        );
        w.write_record([
            doc.cycle_year.to_string(),
            doc.version.to_string(),
            f.key.clone(),
            f.id.clone(),
            dims.join(";"),
            f.label.clone(),
            f.kind.clone(),
            f.value.map(number).unwrap_or_default(),
            f.unit.clone(),
            f.precision.clone(),
            lower,
            upper,
            level,
            f.status.clone(),
            f.suppression.clone().unwrap_or_default(),
            method,
            inputs_hash,
        ])
        .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("csv export: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("csv export: {e}")))
}

/// Media type of the SDMX export.
pub const SDMX_MEDIA_TYPE: &str = "application/vnd.sdmx.genericdata+xml;version=2.1";

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// An SDMX identifier from free text: characters outside `[A-Za-z0-9_-]` become `_`.
fn sdmx_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The SDMX-ML 2.1 generic-data export: one series per figure, keyed by INDICATOR and BREAKDOWN
/// (`_T` for the national total, otherwise the breakdown coordinates as `province_11`), one
/// observation at TIME_PERIOD = the cycle year, with the unit as a series attribute and the
/// interval bounds as observation attributes. Generic data needs no structure message to be
/// read, so the JSON stays the authoritative document and this is its exchange format.
pub fn to_sdmx(doc: &Document) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(
        "<message:GenericData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" \
         xmlns:generic=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic\" \
         xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n",
    );
    x.push_str("  <message:Header>\n");
    x.push_str(&format!(
        "    <message:ID>NDRS_{}_V{}</message:ID>\n",
        doc.cycle_year, doc.version
    ));
    x.push_str("    <message:Test>false</message:Test>\n");
    x.push_str(&format!(
        "    <message:Prepared>{}</message:Prepared>\n",
        xml_escape(&doc.published_at)
    ));
    x.push_str("    <message:Sender id=\"NDRS\"/>\n");
    x.push_str(
        "    <message:Structure structureID=\"NDRS_RELEASE\" dimensionAtObservation=\"TIME_PERIOD\">\n\
         \x20     <common:Structure>\n\
         \x20       <URN>urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=NDRS:DSD_NDRS_RELEASE(1.0)</URN>\n\
         \x20     </common:Structure>\n\
         \x20   </message:Structure>\n",
    );
    x.push_str("  </message:Header>\n");
    x.push_str("  <message:DataSet structureRef=\"NDRS_RELEASE\">\n");
    for f in &doc.figures {
        let breakdown = if f.dimensions.is_empty() {
            "_T".to_string()
        } else {
            f.dimensions
                .iter()
                .map(|(k, v)| sdmx_id(&format!("{k}_{v}")))
                .collect::<Vec<_>>()
                .join("__")
        };
        let value = |v: f64| {
            if v.is_finite() {
                format!("{v:?}")
            } else {
                "NaN".to_string()
            }
        };
        x.push_str("    <generic:Series>\n      <generic:SeriesKey>\n");
        x.push_str(&format!(
            "        <generic:Value id=\"INDICATOR\" value=\"{}\"/>\n",
            xml_escape(&sdmx_id(&f.id))
        ));
        x.push_str(&format!(
            "        <generic:Value id=\"BREAKDOWN\" value=\"{}\"/>\n",
            xml_escape(&breakdown)
        ));
        x.push_str("      </generic:SeriesKey>\n      <generic:Attributes>\n");
        x.push_str(&format!(
            "        <generic:Value id=\"UNIT_MEASURE\" value=\"{}\"/>\n",
            xml_escape(&f.unit.to_uppercase())
        ));
        x.push_str("      </generic:Attributes>\n      <generic:Obs>\n");
        x.push_str(&format!(
            "        <generic:ObsDimension value=\"{}\"/>\n        <generic:ObsValue value=\"{}\"/>\n",
            doc.cycle_year,
            f.value.map_or_else(|| "NaN".to_string(), value)
        ));
        x.push_str("        <generic:Attributes>\n");
        if f.value.is_some() {
            x.push_str("          <generic:Value id=\"OBS_STATUS\" value=\"A\"/>\n");
        } else {
            // Missing because confidential (SDMX code lists CL_OBS_STATUS M, CL_CONF_STATUS C).
            x.push_str("          <generic:Value id=\"OBS_STATUS\" value=\"M\"/>\n");
            x.push_str("          <generic:Value id=\"CONF_STATUS\" value=\"C\"/>\n");
        }
        if let Some(i) = &f.interval {
            x.push_str(&format!(
                "          <generic:Value id=\"LOWER_BOUND\" value=\"{}\"/>\n          <generic:Value id=\"UPPER_BOUND\" value=\"{}\"/>\n",
                value(i.lower),
                value(i.upper)
            ));
        }
        x.push_str("        </generic:Attributes>\n      </generic:Obs>\n    </generic:Series>\n");
    }
    x.push_str("  </message:DataSet>\n</message:GenericData>\n");
    x
}

/// Parses an embargo time (RFC 3339); empty means none.
pub fn parse_embargo(text: &str) -> Result<Option<DateTime<Utc>>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            Error::invalid(
                "embargo_until",
                format!("not an RFC 3339 time ({e}), e.g. 2024-03-01T09:00:00Z"),
            )
        })
}

/// Formats of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Sdmx,
}

fn summary(row: &release::Model) -> pb::ReleaseSummary {
    pb::ReleaseSummary {
        release_id: row.release_id.clone(),
        cycle_year: row.cycle_year,
        version: row.version as u32,
        candidate_id: row.candidate_id.clone(),
        candidate_hash: row.candidate_hash.clone(),
        document_sha256: row.document_sha256.clone(),
        published_at: row.published_at.clone(),
        published_by: row.published_by.clone(),
        embargo_until: row.embargo_until.clone(),
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
            published_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
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
        .map_err(|e| {
            if crate::candidate::is_unique_violation(&e) {
                Error::Conflict("another version was published concurrently; retry".into())
            } else {
                db_error(e)
            }
        })?;
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
        let key = format!("{cycle_year}:{version}:{format:?}").to_lowercase();
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
        if !sees_embargoed && under_embargo(&s.embargo_until) {
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

/// Whether a stored embargo time (RFC 3339, empty for none) lies in the future. An unreadable one
/// counts as an embargo: withholding by mistake is recoverable, publishing early is not.
fn under_embargo(embargo_until: &str) -> bool {
    match parse_embargo(embargo_until) {
        Ok(None) => false,
        Ok(Some(until)) => Utc::now() < until,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(key: &str, value: f64) -> Figure {
        Figure {
            key: key.into(),
            id: key.into(),
            dimensions: BTreeMap::new(),
            label: "a, \"quoted\" label".into(),
            kind: "estimate".into(),
            value: Some(value),
            unit: "bytes".into(),
            precision: String::new(),
            interval: None,
            status: "final".into(),
            suppression: None,
            lineage: None,
        }
    }

    fn sample_doc(figures: Vec<Figure>) -> Document {
        Document {
            schema: SCHEMA.into(),
            release_id: "r".into(),
            cycle_year: 2023,
            version: 1,
            previous_version: None,
            published_at: "t".into(),
            published_by: "p".into(),
            embargo_until: None,
            note: String::new(),
            lineage: Lineage {
                candidate_id: "c".into(),
                candidate_sequence: 1,
                candidate_hash: "h".into(),
                stage_hashes: BTreeMap::new(),
                rule_set: VersionRef {
                    version: 1,
                    content_hash: "r".into(),
                },
                benchmark_registry: VersionRef {
                    version: 1,
                    content_hash: "b".into(),
                },
                review_rounds: Vec::new(),
                disclosure: DisclosureRule {
                    min_reporters: 3,
                    max_share: 0.85,
                },
                software: Software {
                    name: "ndrs".into(),
                    version: "0".into(),
                },
            },
            figures,
            changes: Vec::new(),
        }
    }

    #[test]
    fn diff_names_added_removed_and_revised_figures_only() {
        let changes = diff(
            &[fig("P01", 1.0), fig("P03", 3.0), fig("P04", 4.0)],
            &[fig("P01", 1.0), fig("P03", 3.5), fig("P05", 5.0)],
        );
        let got: Vec<_> = changes
            .iter()
            .map(|c| (c.key.as_str(), c.change.as_str()))
            .collect();
        assert_eq!(
            got,
            [("P03", "revised"), ("P04", "removed"), ("P05", "added")]
        );
    }

    #[test]
    fn csv_quotes_labels_and_reads_back() {
        let doc = sample_doc(vec![fig("P01", 3.25e22)]);
        let csv = to_csv(&doc).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[5], "a, \"quoted\" label");
        assert_eq!(row[7].parse::<f64>().unwrap(), 3.25e22);
    }

    #[test]
    fn sdmx_escapes_text_and_keys_breakdowns() {
        let mut f = fig("C04", 0.25);
        f.dimensions.insert("province".into(), "11".into());
        let mut doc = sample_doc(vec![fig("P01", 3.25e22), f]);
        doc.published_at = "<now> & then".into();
        let x = to_sdmx(&doc);
        assert!(x.contains("<message:Prepared>&lt;now&gt; &amp; then</message:Prepared>"));
        assert!(x.contains("<generic:Value id=\"BREAKDOWN\" value=\"province_11\"/>"));
        assert!(x.contains("<generic:ObsValue value=\"3.25e22\"/>"));
        assert_eq!(x.matches("<generic:Series>").count(), 2);
    }

    #[test]
    fn a_lone_suppressed_cell_gets_a_complementary_partner() {
        let cell = |province: &str, value: f64, reporters: u32| {
            let mut f = pb::Figure {
                id: "compute.capacity_share".into(),
                kind: pb::FigureKind::Auxiliary as i32,
                value,
                lineage: Some(pb::Lineage {
                    reporters,
                    largest_share: 0.5,
                    returns: vec![format!("r-{province}@1")],
                    ..Default::default()
                }),
                ..Default::default()
            };
            f.dimensions.insert("province".into(), province.into());
            f
        };
        let candidate = pb::Candidate {
            stages: vec![pb::StageResult {
                figures: vec![
                    cell("11", 0.5, 9),
                    cell("31", 0.2, 5),
                    cell("44", 0.25, 6),
                    cell("52", 0.05, 1),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let rule = DisclosureRule {
            min_reporters: 3,
            max_share: 0.85,
        };
        let figures = release_figures(&candidate, &rule);
        let by_key: BTreeMap<&str, &Figure> = figures.iter().map(|f| (f.key.as_str(), f)).collect();
        let guizhou = by_key["compute.capacity_share{province=52}"];
        assert!(
            guizhou
                .suppression
                .as_deref()
                .unwrap()
                .contains("fewer than 3")
        );
        // The smallest other cell protects it; the rest stay published.
        let shanghai = by_key["compute.capacity_share{province=31}"];
        assert_eq!(shanghai.suppression.as_deref(), Some(COMPLEMENTARY));
        assert_eq!(shanghai.value, None);
        assert!(shanghai.lineage.as_ref().unwrap().returns.is_empty());
        assert_eq!(
            by_key["compute.capacity_share{province=11}"].value,
            Some(0.5)
        );
        assert_eq!(
            by_key["compute.capacity_share{province=44}"].value,
            Some(0.25)
        );
    }

    #[test]
    fn embargo_times_are_checked() {
        assert!(parse_embargo("").unwrap().is_none());
        assert!(parse_embargo("2030-01-01T00:00:00Z").unwrap().is_some());
        let err = parse_embargo("next tuesday").unwrap_err();
        assert_eq!(err.field_violations()[0].field, "embargo_until");
    }
}
