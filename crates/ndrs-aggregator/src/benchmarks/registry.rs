//! The benchmark registry in the database: its versions (each holding every benchmark added up
//! to it, under one content hash) and the stage-2 reports made against them.

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::limits::MAX_NOTE_CHARS;
use ndrs_core::{Error, Result, Violations};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::SEED_CSV;
use super::compare::{compare, needs_justification, outcome_name};
use super::input::{BenchmarkKey, Comparability, NewBenchmark, benchmark_key, parse_seed};
use crate::audit;
use crate::store::{self, benchmark, benchmark_registry, benchmark_report, conflict_on_unique};

/// Why an addition lost a race on the registry's version key.
const CONCURRENT_ADDITIONS: &str = "concurrent additions to the benchmark registry; retry";

fn to_proto(row: &benchmark::Model) -> pb::Benchmark {
    pb::Benchmark {
        benchmark_id: row.benchmark_id.clone(),
        publisher: row.publisher.clone(),
        indicator: row.indicator.clone(),
        scope: row.scope.clone(),
        year: row.year,
        value: row.value,
        unit: row.unit.clone(),
        comparable_to: row.comparable_to.clone(),
        comparability: Comparability::from_code(&row.comparability)
            .map_or(pb::Comparability::Unspecified, Comparability::to_proto)
            as i32,
        tolerance: row.tolerance,
        note: row.note.clone(),
        registry_version: row.registry_version as u32,
    }
}

fn summary(row: &benchmark_registry::Model) -> pb::BenchmarkRegistrySummary {
    pb::BenchmarkRegistrySummary {
        version: row.version as u32,
        benchmarks: row.benchmarks as u32,
        content_hash: row.content_hash.clone(),
        note: row.note.clone(),
        created_by: row.created_by.clone(),
        created_at: ndrs_platform::timestamp::from_text(&row.created_at),
    }
}

/// Hash of a registry version: SHA-256 over every benchmark's fields in id order, each field
/// length-prefixed so no two registries share an encoding.
fn registry_hash(rows: &[benchmark::Model]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        for field in [
            r.benchmark_id.as_str(),
            &r.publisher,
            &r.indicator,
            &r.scope,
            &r.year.to_string(),
            &format!("{:?}", r.value),
            &r.unit,
            &r.comparable_to,
            &r.comparability,
            &format!("{:?}", r.tolerance),
            &r.note,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

async fn rows_up_to<C: ConnectionTrait>(conn: &C, version: i32) -> Result<Vec<benchmark::Model>> {
    benchmark::Entity::find()
        .filter(benchmark::Column::RegistryVersion.lte(version))
        .order_by_asc(benchmark::Column::BenchmarkId)
        .all(conn)
        .await
        .map_err(db_error)
}

async fn latest_registry<C: ConnectionTrait>(
    conn: &C,
) -> Result<Option<benchmark_registry::Model>> {
    benchmark_registry::Entity::find()
        .order_by_desc(benchmark_registry::Column::Version)
        .one(conn)
        .await
        .map_err(db_error)
}

#[derive(Clone)]
pub struct Benchmarks {
    db: DatabaseConnection,
}

impl Benchmarks {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Loads the seed as version 1 when the registry is empty. Concurrent starts race on the
    /// version key; the loser finds the registry seeded.
    pub async fn seed_if_empty(&self) -> Result<()> {
        if latest_registry(&self.db).await?.is_some() {
            return Ok(());
        }
        let seed = parse_seed(SEED_CSV)?;
        match self
            .add(
                seed,
                "seed: data/external-benchmarks.csv",
                "aggregator (seed)",
            )
            .await
        {
            Ok(_) | Err(Error::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Adds benchmarks as the registry's next version, with its audit row.
    pub async fn add(
        &self,
        new: Vec<NewBenchmark>,
        note: &str,
        by: &str,
    ) -> Result<pb::BenchmarkRegistrySummary> {
        let mut v = Violations::new();
        v.note("note", note, MAX_NOTE_CHARS, false);
        v.finish(())?;
        let txn = self.db.begin().await.map_err(db_error)?;
        let version = latest_registry(&txn).await?.map_or(1, |r| r.version + 1);
        // An outside figure is registered once: a second copy would be judged twice.
        let registered: BTreeMap<BenchmarkKey, String> = rows_up_to(&txn, version - 1)
            .await?
            .into_iter()
            .map(|r| {
                (
                    benchmark_key(
                        &r.publisher,
                        &r.indicator,
                        &r.scope,
                        r.year,
                        &r.comparable_to,
                    ),
                    r.benchmark_id,
                )
            })
            .collect();
        let mut duplicates = Violations::new();
        for (i, b) in new.iter().enumerate() {
            if let Some(id) = registered.get(&b.key()) {
                duplicates.push(
                    format!("benchmarks[{i}]"),
                    format!("is already in the registry as {id}"),
                );
            }
        }
        duplicates.finish(())?;
        let at = store::now();
        // The registry row goes first: its key is the version, so a concurrent addition fails
        // here before writing any benchmark.
        benchmark_registry::ActiveModel {
            version: Set(version),
            content_hash: Set(String::new()),
            benchmarks: Set(0),
            note: Set(note.to_string()),
            created_by: Set(by.to_string()),
            created_at: Set(at.clone()),
        }
        .insert(&txn)
        .await
        .map_err(conflict_on_unique(CONCURRENT_ADDITIONS))?;
        let mut ids = Vec::new();
        for (i, b) in new.into_iter().enumerate() {
            let id = format!("b{version:03}-{:03}", i + 1);
            benchmark::ActiveModel {
                benchmark_id: Set(id.clone()),
                registry_version: Set(version),
                publisher: Set(b.publisher),
                indicator: Set(b.indicator),
                scope: Set(b.scope),
                year: Set(b.year),
                value: Set(b.value),
                unit: Set(b.unit),
                comparable_to: Set(b.comparable_to),
                comparability: Set(b.comparability.code().to_string()),
                tolerance: Set(b.tolerance),
                note: Set(b.note),
            }
            .insert(&txn)
            .await
            .map_err(conflict_on_unique(CONCURRENT_ADDITIONS))?;
            ids.push(id);
        }
        let rows = rows_up_to(&txn, version).await?;
        let hash = registry_hash(&rows);
        let registry = benchmark_registry::ActiveModel {
            version: Set(version),
            content_hash: Set(hash.clone()),
            benchmarks: Set(rows.len() as i32),
            ..Default::default()
        }
        .update(&txn)
        .await
        .map_err(db_error)?;
        audit::append(
            &txn,
            audit::Entry {
                actor: by,
                action: "benchmarks.added",
                subject: &format!("benchmark registry v{version}"),
                details: serde_json::json!({
                    "version": version,
                    "added": ids,
                    "content_hash": hash,
                    "note": note,
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        tracing::info!(version, added = ids.len(), "benchmark registry extended");
        Ok(summary(&registry))
    }

    /// A registry version (0: the latest) with every benchmark in it.
    pub async fn registry(&self, version: u32) -> Result<pb::BenchmarkRegistry> {
        let row = if version == 0 {
            latest_registry(&self.db).await?
        } else {
            benchmark_registry::Entity::find_by_id(i32::try_from(version).unwrap_or(i32::MAX))
                .one(&self.db)
                .await
                .map_err(db_error)?
        }
        .ok_or_else(|| Error::NotFound(format!("benchmark registry version {version}")))?;
        let rows = rows_up_to(&self.db, row.version).await?;
        Ok(pb::BenchmarkRegistry {
            summary: Some(summary(&row)),
            benchmarks: rows.iter().map(to_proto).collect(),
        })
    }

    /// Compares the candidate with the latest registry and stores the report.
    pub async fn check(&self, candidate: &pb::Candidate) -> Result<pb::BenchmarkReport> {
        let registry = self.registry(0).await?;
        let summary = registry.summary.clone().unwrap_or_default();
        let comparisons = compare(candidate, &registry.benchmarks);
        let open_deviations = comparisons
            .iter()
            .filter(|c| needs_justification(c.outcome))
            .count() as u32;
        let created_at = store::now();
        let report = pb::BenchmarkReport {
            report_id: uuid::Uuid::now_v7().to_string(),
            candidate_id: candidate.candidate_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            registry_version: summary.version,
            registry_hash: summary.content_hash,
            comparisons,
            open_deviations,
            created_at: ndrs_platform::timestamp::from_text(&created_at),
        };
        let row = benchmark_report::ActiveModel {
            report_id: Set(report.report_id.clone()),
            candidate_id: Set(report.candidate_id.clone()),
            candidate_hash: Set(report.candidate_hash.clone()),
            registry_version: Set(report.registry_version as i32),
            report: Set(report.encode_to_vec()),
            created_at: Set(created_at),
        };
        // Checked first elsewhere against the same registry version: that report stands.
        if !store::insert_unless_present(&self.db, row).await? {
            return self.latest_report(&candidate.candidate_id).await;
        }
        tracing::info!(candidate = %report.candidate_id, open_deviations, "benchmark validation done");
        Ok(report)
    }

    /// The latest benchmark report of a candidate.
    pub async fn latest_report(&self, candidate_id: &str) -> Result<pb::BenchmarkReport> {
        store::latest_report::<benchmark_report::Entity, _>(&self.db, candidate_id).await
    }

    /// Benchmark ids whose comparison on the candidate's latest report needs a justification.
    pub async fn open_deviations(&self, candidate_id: &str) -> Result<Vec<String>> {
        let report = self.latest_report(candidate_id).await?;
        Ok(report
            .comparisons
            .into_iter()
            .filter(|c| needs_justification(c.outcome))
            .map(|c| c.benchmark_id)
            .collect())
    }

    /// Whether stage 2 passed on `candidate`: its latest report used the latest registry and
    /// every deviation is justified. Returns the reasons it has not, and the registry used.
    pub async fn stage_outcome(
        &self,
        candidate: &pb::Candidate,
        justified: &BTreeSet<String>,
    ) -> Result<(pb::StageOutcome, Option<(u32, String)>)> {
        let mut reasons = Vec::new();
        let mut used = None;
        match self.latest_report(&candidate.candidate_id).await {
            Err(Error::NotFound(_)) => {
                reasons.push("stage 2 has not been run on this candidate".to_string())
            }
            Err(e) => return Err(e),
            Ok(report) => {
                if let Some(latest) = latest_registry(&self.db).await?
                    && latest.version as u32 != report.registry_version
                {
                    reasons.push(format!(
                        "benchmark registry version {} was added after the report (version {}); check again",
                        latest.version, report.registry_version
                    ));
                }
                for c in &report.comparisons {
                    if needs_justification(c.outcome) && !justified.contains(&c.benchmark_id) {
                        let outcome = pb::BenchmarkOutcome::try_from(c.outcome)
                            .unwrap_or(pb::BenchmarkOutcome::Unspecified);
                        reasons.push(format!(
                            "benchmark {} ({}) {} and has no justification",
                            c.benchmark_id,
                            c.figure_id,
                            outcome_name(outcome)
                        ));
                    }
                }
                used = Some((report.registry_version, report.registry_hash.clone()));
            }
        }
        Ok((
            pb::StageOutcome {
                stage: pb::ValidationStage::Benchmarks as i32,
                passed: reasons.is_empty(),
                reasons,
            },
            used,
        ))
    }
}
