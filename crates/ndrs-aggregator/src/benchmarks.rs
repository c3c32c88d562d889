//! Stage 2, external benchmarks: a versioned registry of outside figures and the comparison of
//! a candidate's figures with the benchmarks that apply to them.
//!
//! The registry only grows: each addition is a new version holding every earlier benchmark, so a
//! report and a release can name the exact registry they were judged against. Version 1 is the
//! seed in `data/external-benchmarks.csv` (the sourced figures of the 2023 report's working
//! group, with the comparability and tolerance the working group assigned).
//!
//! How a benchmark is judged depends on how comparable it is:
//! - **same definition**: the candidate's national figure of the same indicator and year, relative
//!   deviation |ours − theirs| / theirs against the tolerance;
//! - **growth only**: the publisher's own growth (this year over its figure for the previous year,
//!   so both ends share their method) against the candidate's growth indicator (`P02` for `P01`,
//!   found in the catalogue by its definition), absolute difference in growth against the
//!   tolerance (0.05 = five percentage points);
//! - **different scope**: reported side by side, never judged.
//!
//! A deviation outside the band, or a judged comparison that could not be made because the
//! candidate lacks the figure, needs a written justification before the stage passes.

use std::collections::BTreeSet;

use chrono::{SecondsFormat, Utc};
use ndrs_core::catalogue::Catalogue;
use ndrs_core::limits::{MAX_LINE_CHARS, MAX_NOTE_CHARS};
use ndrs_core::units::Unit;
use ndrs_core::{Error, FieldViolation, Result, Violations};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::store::{benchmark, benchmark_registry, benchmark_report};

/// The seed registry (version 1).
pub const SEED_CSV: &str = include_str!("../data/external-benchmarks.csv");
/// The most benchmarks one `AddBenchmarks` call may add.
pub const MAX_BENCHMARKS_PER_ADDITION: usize = 500;
/// The longest unit text of a benchmark ("billion CNY" is the longest the registry knows).
const MAX_UNIT_CHARS: usize = 32;

/// How comparable an outside figure is with ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparability {
    SameDefinition,
    GrowthOnly,
    DifferentScope,
}

impl Comparability {
    pub fn code(self) -> &'static str {
        match self {
            Comparability::SameDefinition => "same_definition",
            Comparability::GrowthOnly => "growth_only",
            Comparability::DifferentScope => "different_scope",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Comparability::SameDefinition,
            Comparability::GrowthOnly,
            Comparability::DifferentScope,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }

    fn to_proto(self) -> pb::Comparability {
        match self {
            Comparability::SameDefinition => pb::Comparability::SameDefinition,
            Comparability::GrowthOnly => pb::Comparability::GrowthOnly,
            Comparability::DifferentScope => pb::Comparability::DifferentScope,
        }
    }

    fn from_proto(value: i32) -> Option<Self> {
        match pb::Comparability::try_from(value).ok()? {
            pb::Comparability::SameDefinition => Some(Comparability::SameDefinition),
            pb::Comparability::GrowthOnly => Some(Comparability::GrowthOnly),
            pb::Comparability::DifferentScope => Some(Comparability::DifferentScope),
            pb::Comparability::Unspecified => None,
        }
    }
}

/// The base unit and the factor to it of a unit as publishers print it. Volumes use decimal
/// prefixes (1 ZB = 10^21 bytes), as the survey does by default.
pub fn parse_unit(unit: &str) -> Option<(Unit, f64)> {
    Some(match unit.trim() {
        "ZB" => (Unit::Bytes, 1e21),
        "EB" => (Unit::Bytes, 1e18),
        "PB" => (Unit::Bytes, 1e15),
        "TB" => (Unit::Bytes, 1e12),
        "billion GB" => (Unit::Bytes, 1e18),
        "bytes" => (Unit::Bytes, 1.0),
        "ZFLOPS" => (Unit::Flops, 1e21),
        "EFLOPS" => (Unit::Flops, 1e18),
        "PFLOPS" => (Unit::Flops, 1e15),
        "FLOPS" => (Unit::Flops, 1.0),
        "%" => (Unit::Ratio, 0.01),
        "ratio" => (Unit::Ratio, 1.0),
        "count" => (Unit::Count, 1.0),
        "billion CNY" => (Unit::Yuan, 1e9),
        "CNY" => (Unit::Yuan, 1.0),
        _ => return None,
    })
}

/// The catalogue's growth indicator of `id` (`P02` for `P01`): the one defined as
/// `id(year)/id(year-1)-1`.
pub fn growth_indicator(id: &str) -> Option<String> {
    let definition = format!("{id}(year)/{id}(year-1)-1");
    Catalogue::embedded()
        .iter()
        .find(|i| i.definition.replace(' ', "") == definition)
        .map(|i| i.id.clone())
}

/// A benchmark as added, before it has an id and a registry version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBenchmark {
    pub publisher: String,
    pub indicator: String,
    pub scope: String,
    pub year: i32,
    pub value: f64,
    pub unit: String,
    pub comparable_to: String,
    pub comparability: Comparability,
    pub tolerance: f64,
    pub note: String,
}

/// Two benchmarks with the same key describe the same outside figure: the registry holds one.
type BenchmarkKey = (String, String, String, i32, String);

impl NewBenchmark {
    /// Publisher, indicator, scope, year and the catalogue figure it is compared with, trimmed and
    /// case-folded so that "CAICT" and "caict " are the same publisher.
    fn key(&self) -> BenchmarkKey {
        benchmark_key(
            &self.publisher,
            &self.indicator,
            &self.scope,
            self.year,
            &self.comparable_to,
        )
    }
}

fn benchmark_key(
    publisher: &str,
    indicator: &str,
    scope: &str,
    year: i32,
    comparable_to: &str,
) -> BenchmarkKey {
    let fold = |s: &str| s.trim().to_lowercase();
    (
        fold(publisher),
        fold(indicator),
        fold(scope),
        year,
        comparable_to.trim().to_string(),
    )
}

/// Checks one benchmark, pushing a violation per bad field under `prefix` (`benchmarks[2]`).
fn check_benchmark(b: &NewBenchmark, prefix: &str, v: &mut Vec<FieldViolation>) {
    let mut texts = Violations::new();
    texts.line(
        &format!("{prefix}.publisher"),
        &b.publisher,
        MAX_LINE_CHARS,
        true,
    );
    texts.line(
        &format!("{prefix}.indicator"),
        &b.indicator,
        MAX_LINE_CHARS,
        true,
    );
    texts.line(&format!("{prefix}.scope"), &b.scope, MAX_LINE_CHARS, false);
    texts.line(&format!("{prefix}.unit"), &b.unit, MAX_UNIT_CHARS, true);
    texts.note(&format!("{prefix}.note"), &b.note, MAX_NOTE_CHARS, false);
    if let Err(e) = texts.finish(()) {
        v.extend(e.field_violations().iter().cloned());
    }
    let mut bad = |field: &str, why: String| {
        v.push(FieldViolation::new(format!("{prefix}.{field}"), why));
    };
    if !(1990..=2100).contains(&b.year) {
        bad("year", "must be between 1990 and 2100".into());
    }
    if !b.value.is_finite() || b.value <= 0.0 {
        bad("value", "must be a finite positive number".into());
    }
    if !b.tolerance.is_finite() || b.tolerance < 0.0 {
        bad("tolerance", "must be finite and not negative".into());
    }
    let unit = parse_unit(&b.unit);
    if unit.is_none() {
        bad(
            "unit",
            format!(
                "unknown unit {:?}; use ZB, EB, PB, TB, billion GB, ZFLOPS, EFLOPS, PFLOPS, %, count or billion CNY",
                b.unit
            ),
        );
    }
    match Catalogue::embedded().get(&b.comparable_to) {
        None => bad(
            "comparable_to",
            format!("{:?} is not an indicator of the catalogue", b.comparable_to),
        ),
        Some(indicator) => {
            if b.comparability != Comparability::DifferentScope
                && let Some((unit, _)) = unit
                && unit != indicator.unit
            {
                bad(
                    "unit",
                    format!(
                        "{} is measured in {}, the benchmark in {}; only a different-scope benchmark may differ",
                        indicator.id, indicator.unit, unit
                    ),
                );
            }
            if b.comparability == Comparability::GrowthOnly
                && growth_indicator(&indicator.id).is_none()
            {
                bad(
                    "comparability",
                    format!("{} has no growth indicator to compare with", indicator.id),
                );
            }
        }
    }
    if b.comparability != Comparability::DifferentScope && b.tolerance == 0.0 {
        bad(
            "tolerance",
            "a judged benchmark needs a tolerance band above 0".into(),
        );
    }
}

/// Converts requested benchmarks, naming every bad field.
pub fn benchmarks_from_proto(benchmarks: Vec<pb::Benchmark>) -> Result<Vec<NewBenchmark>> {
    let mut violations = Vec::new();
    if benchmarks.is_empty() {
        violations.push(FieldViolation::new("benchmarks", "add at least one"));
    }
    if benchmarks.len() > MAX_BENCHMARKS_PER_ADDITION {
        return Err(Error::invalid(
            "benchmarks",
            format!(
                "holds {} benchmarks; at most {MAX_BENCHMARKS_PER_ADDITION} are added at once",
                benchmarks.len()
            ),
        ));
    }
    let mut keys = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for (i, b) in benchmarks.into_iter().enumerate() {
        let pb::Benchmark {
            benchmark_id,
            publisher,
            indicator,
            scope,
            year,
            value,
            unit,
            comparable_to,
            comparability,
            tolerance,
            note,
            registry_version,
        } = b;
        let prefix = format!("benchmarks[{i}]");
        if !benchmark_id.is_empty() || registry_version != 0 {
            violations.push(FieldViolation::new(
                format!("{prefix}.benchmark_id"),
                "ids and registry versions are assigned by the registry",
            ));
        }
        let comparability = Comparability::from_proto(comparability).unwrap_or_else(|| {
            violations.push(FieldViolation::new(
                format!("{prefix}.comparability"),
                "must be same_definition, growth_only or different_scope",
            ));
            Comparability::DifferentScope
        });
        let new = NewBenchmark {
            publisher,
            indicator,
            scope,
            year,
            value,
            unit,
            comparable_to,
            comparability,
            tolerance,
            note,
        };
        check_benchmark(&new, &prefix, &mut violations);
        if let Some(first) = keys.insert(new.key(), i) {
            violations.push(FieldViolation::new(
                prefix.clone(),
                format!("repeats benchmarks[{first}] (same publisher, indicator, scope, year and figure)"),
            ));
        }
        out.push(new);
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

/// Parses the seed file.
pub fn parse_seed(text: &str) -> Result<Vec<NewBenchmark>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut violations = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let r = record.map_err(|e| Error::Internal(format!("benchmark seed unreadable: {e}")))?;
        let field = |n: usize| r.get(n).unwrap_or("").trim().to_string();
        let number = |n: usize| field(n).parse::<f64>().unwrap_or(f64::NAN);
        let b = NewBenchmark {
            publisher: field(0),
            indicator: field(1),
            scope: field(2),
            year: field(3).parse().unwrap_or(0),
            value: number(4),
            unit: field(5),
            comparable_to: field(6),
            comparability: Comparability::from_code(&field(7))
                .unwrap_or(Comparability::DifferentScope),
            tolerance: number(8),
            note: field(9),
        };
        if Comparability::from_code(&field(7)).is_none() {
            violations.push(FieldViolation::new(
                format!("row {}.comparability", i + 2),
                "unknown",
            ));
        }
        check_benchmark(&b, &format!("row {}", i + 2), &mut violations);
        out.push(b);
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(Error::Internal(format!(
            "benchmark seed invalid: {}",
            violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}

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
        created_at: row.created_at.clone(),
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

/// The status name of an outcome, for reasons.
fn outcome_name(o: pb::BenchmarkOutcome) -> &'static str {
    match o {
        pb::BenchmarkOutcome::OutOfBand => "is outside its tolerance band",
        pb::BenchmarkOutcome::MissingInputs => "could not be compared (figure missing)",
        _ => "",
    }
}

fn needs_justification(outcome: i32) -> bool {
    outcome == pb::BenchmarkOutcome::OutOfBand as i32
        || outcome == pb::BenchmarkOutcome::MissingInputs as i32
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
        let registered: std::collections::BTreeMap<BenchmarkKey, String> =
            rows_up_to(&txn, version - 1)
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
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let conflict = |e: sea_orm::DbErr| {
            if crate::candidate::is_unique_violation(&e) {
                Error::Conflict("concurrent additions to the benchmark registry; retry".into())
            } else {
                db_error(e)
            }
        };
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
        .map_err(conflict)?;
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
            .map_err(conflict)?;
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
        let report = pb::BenchmarkReport {
            report_id: uuid::Uuid::now_v7().to_string(),
            candidate_id: candidate.candidate_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            registry_version: summary.version,
            registry_hash: summary.content_hash,
            comparisons,
            open_deviations,
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        };
        let inserted = benchmark_report::ActiveModel {
            report_id: Set(report.report_id.clone()),
            candidate_id: Set(report.candidate_id.clone()),
            candidate_hash: Set(report.candidate_hash.clone()),
            registry_version: Set(report.registry_version as i32),
            report: Set(report.encode_to_vec()),
            created_at: Set(report.created_at.clone()),
        }
        .insert(&self.db)
        .await;
        match inserted {
            Ok(_) => {}
            // Checked first elsewhere against the same registry version: that report stands.
            Err(e) if crate::candidate::is_unique_violation(&e) => {
                return self.latest_report(&candidate.candidate_id).await;
            }
            Err(e) => return Err(db_error(e)),
        }
        tracing::info!(candidate = %report.candidate_id, open_deviations, "benchmark validation done");
        Ok(report)
    }

    /// The latest benchmark report of a candidate.
    pub async fn latest_report(&self, candidate_id: &str) -> Result<pb::BenchmarkReport> {
        let row = benchmark_report::Entity::find()
            .filter(benchmark_report::Column::CandidateId.eq(candidate_id))
            .order_by_desc(benchmark_report::Column::CreatedAt)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| {
                Error::NotFound(format!("no benchmark report for candidate {candidate_id}"))
            })?;
        pb::BenchmarkReport::decode(row.report.as_slice())
            .map_err(|e| Error::Internal(format!("stored benchmark report unreadable: {e}")))
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

/// The candidate's national figure `id`, if any.
fn national<'a>(candidate: &'a pb::Candidate, id: &str) -> Option<&'a pb::Figure> {
    candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .find(|f| f.id == id && f.dimensions.is_empty())
}

/// Compares a candidate with every benchmark of its cycle year (pure; see the module docs).
pub fn compare(
    candidate: &pb::Candidate,
    benchmarks: &[pb::Benchmark],
) -> Vec<pb::BenchmarkComparison> {
    let mut out = Vec::new();
    for b in benchmarks.iter().filter(|b| b.year == candidate.cycle_year) {
        let Some(comparability) = Comparability::from_proto(b.comparability) else {
            continue;
        };
        let factor = parse_unit(&b.unit).map_or(f64::NAN, |(_, f)| f);
        let mut c = pb::BenchmarkComparison {
            benchmark_id: b.benchmark_id.clone(),
            figure_id: b.comparable_to.clone(),
            comparability: b.comparability,
            candidate_value: f64::NAN,
            benchmark_value: b.value * factor,
            deviation: f64::NAN,
            tolerance: b.tolerance,
            outcome: pb::BenchmarkOutcome::Unspecified as i32,
            detail: String::new(),
        };
        match comparability {
            Comparability::DifferentScope => {
                if let Some(f) = national(candidate, &b.comparable_to) {
                    c.candidate_value = f.value;
                    if c.benchmark_value != 0.0 {
                        c.deviation = (f.value - c.benchmark_value) / c.benchmark_value;
                    }
                }
                c.outcome = pb::BenchmarkOutcome::NotJudged as i32;
                c.detail = format!("different scope ({}): reported, not judged", b.scope);
            }
            Comparability::SameDefinition => match national(candidate, &b.comparable_to) {
                Some(f) => {
                    c.candidate_value = f.value;
                    c.deviation = (f.value - c.benchmark_value) / c.benchmark_value;
                    c.outcome = judge(c.deviation, b.tolerance);
                    c.detail = "relative deviation from the benchmark".into();
                }
                None => {
                    c.outcome = pb::BenchmarkOutcome::MissingInputs as i32;
                    c.detail = format!("candidate has no national {}", b.comparable_to);
                }
            },
            Comparability::GrowthOnly => {
                let growth_id = growth_indicator(&b.comparable_to).unwrap_or_default();
                c.figure_id = growth_id.clone();
                let previous = benchmarks.iter().find(|p| {
                    p.year == b.year - 1
                        && p.publisher == b.publisher
                        && p.indicator == b.indicator
                        && p.comparable_to == b.comparable_to
                });
                let ours = national(candidate, &growth_id);
                match (previous, ours) {
                    (Some(p), Some(f)) => {
                        let p_value = p.value * parse_unit(&p.unit).map_or(f64::NAN, |(_, f)| f);
                        c.benchmark_value = c.benchmark_value / p_value - 1.0;
                        c.candidate_value = f.value;
                        c.deviation = f.value - c.benchmark_value;
                        c.outcome = judge(c.deviation, b.tolerance);
                        c.detail = format!(
                            "growth over {} ({}) against {growth_id}, difference in growth",
                            p.year, p.benchmark_id
                        );
                    }
                    (None, _) => {
                        c.outcome = pb::BenchmarkOutcome::MissingInputs as i32;
                        c.detail = format!(
                            "the registry has no {} figure of {} for {}",
                            b.publisher,
                            b.indicator,
                            b.year - 1
                        );
                    }
                    (_, None) => {
                        c.outcome = pb::BenchmarkOutcome::MissingInputs as i32;
                        c.detail = format!("candidate has no national {growth_id}");
                    }
                }
            }
        }
        out.push(c);
    }
    out
}

fn judge(deviation: f64, tolerance: f64) -> i32 {
    if deviation.is_finite() && deviation.abs() <= tolerance {
        pb::BenchmarkOutcome::WithinBand as i32
    } else {
        pb::BenchmarkOutcome::OutOfBand as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(figures: &[(&str, f64)]) -> pb::Candidate {
        pb::Candidate {
            cycle_year: 2022,
            stages: vec![pb::StageResult {
                figures: figures
                    .iter()
                    .map(|(id, value)| pb::Figure {
                        id: id.to_string(),
                        value: *value,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn seeded() -> Vec<pb::Benchmark> {
        parse_seed(SEED_CSV)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, b)| pb::Benchmark {
                benchmark_id: format!("b001-{:03}", i + 1),
                publisher: b.publisher,
                indicator: b.indicator,
                scope: b.scope,
                year: b.year,
                value: b.value,
                unit: b.unit,
                comparable_to: b.comparable_to,
                comparability: b.comparability.to_proto() as i32,
                tolerance: b.tolerance,
                note: b.note,
                registry_version: 1,
            })
            .collect()
    }

    #[test]
    fn the_seed_parses_and_names_catalogue_indicators() {
        let seed = parse_seed(SEED_CSV).unwrap();
        assert_eq!(seed.len(), 10);
        assert!(seed.iter().all(|b| !b.comparable_to.is_empty()));
    }

    #[test]
    fn growth_is_found_by_definition() {
        assert_eq!(growth_indicator("P01").as_deref(), Some("P02"));
        assert_eq!(growth_indicator("C02").as_deref(), Some("C03"));
        assert_eq!(growth_indicator("P04"), None);
    }

    #[test]
    fn growth_only_benchmarks_compare_growth_not_levels() {
        // CAC: 8.1 / 6.6 - 1 = 22.7 %. A survey level four times CAC's must not matter.
        let within = compare(&candidate(&[("P01", 32.4e21), ("P02", 0.22)]), &seeded());
        let cac = within
            .iter()
            .find(|c| c.comparability == pb::Comparability::GrowthOnly as i32)
            .unwrap();
        assert_eq!(cac.figure_id, "P02");
        assert!((cac.benchmark_value - (8.1 / 6.6 - 1.0)).abs() < 1e-12);
        assert_eq!(cac.outcome, pb::BenchmarkOutcome::WithinBand as i32);
        let outside = compare(&candidate(&[("P02", 0.40)]), &seeded());
        let cac = outside
            .iter()
            .find(|c| c.comparability == pb::Comparability::GrowthOnly as i32)
            .unwrap();
        assert_eq!(cac.outcome, pb::BenchmarkOutcome::OutOfBand as i32);
    }

    #[test]
    fn same_definition_is_judged_on_the_relative_deviation() {
        // CAICT 2022: 180 EFLOPS, band 15 %.
        let near = compare(&candidate(&[("C02", 200e18)]), &seeded());
        let caict = near
            .iter()
            .find(|c| c.comparability == pb::Comparability::SameDefinition as i32)
            .unwrap();
        assert_eq!(caict.outcome, pb::BenchmarkOutcome::WithinBand as i32);
        let far = compare(&candidate(&[("C02", 300e18)]), &seeded());
        let caict = far
            .iter()
            .find(|c| c.comparability == pb::Comparability::SameDefinition as i32)
            .unwrap();
        assert_eq!(caict.outcome, pb::BenchmarkOutcome::OutOfBand as i32);
        let missing = compare(&candidate(&[]), &seeded());
        assert!(
            missing
                .iter()
                .any(|c| c.outcome == pb::BenchmarkOutcome::MissingInputs as i32)
        );
    }

    #[test]
    fn bad_benchmarks_name_every_field() {
        let err = benchmarks_from_proto(vec![pb::Benchmark {
            publisher: "X".into(),
            indicator: "Y".into(),
            year: 2023,
            value: f64::NAN,
            unit: "ZB".into(),
            comparable_to: "C02".into(),
            comparability: pb::Comparability::SameDefinition as i32,
            tolerance: -1.0,
            ..Default::default()
        }])
        .unwrap_err();
        let fields: Vec<_> = err
            .field_violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert!(fields.contains(&"benchmarks[0].value"), "{fields:?}");
        assert!(fields.contains(&"benchmarks[0].tolerance"), "{fields:?}");
        // ZB against a FLOPS indicator.
        assert!(fields.contains(&"benchmarks[0].unit"), "{fields:?}");
    }
}
