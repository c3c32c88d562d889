//! Assembling, storing and reading candidate releases.

use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use crate::derived;
use crate::stages::StageClients;
use crate::store::candidate;
use crate::withhold;

/// Why an assembly happened, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    InputsChanged,
}

impl Trigger {
    fn code(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::InputsChanged => "inputs_changed",
        }
    }

    fn to_proto(code: &str) -> pb::CandidateTrigger {
        match code {
            "manual" => pb::CandidateTrigger::Manual,
            "inputs_changed" => pb::CandidateTrigger::InputsChanged,
            _ => pb::CandidateTrigger::Unspecified,
        }
    }
}

/// The stage results a candidate freezes, as stored in its `stages` column.
#[derive(Clone, PartialEq, Message)]
struct StoredStages {
    #[prost(message, repeated, tag = "1")]
    stages: Vec<pb::StageResult>,
}

/// Content hash of a candidate: SHA-256 over the cycle and each stage's content hash in stage
/// order. Stage hashes cover every figure with its lineage, so equal hashes mean equal content.
pub fn content_hash(cycle_year: i32, stages: &[pb::StageResult]) -> String {
    let mut h = Sha256::new();
    h.update(cycle_year.to_be_bytes());
    for s in stages {
        h.update((s.stage).to_be_bytes());
        h.update(s.content_hash.as_bytes());
    }
    hex::encode(h.finalize())
}

/// What a candidate holds for the stage results fetched from the stage services, and its content
/// hash: non-finite figures withheld ([`withhold`]), the derived figures computed from the
/// stages, the cycle's derived-figures document and the previous release ([`derived`]). A pure
/// function, so anyone holding the same inputs (an outside check of convergence, say) computes
/// the same hash.
pub fn freeze(
    cycle_year: i32,
    mut stages: Vec<pb::StageResult>,
    derived_inputs: &derived::DerivedInputs,
) -> (Vec<pb::StageResult>, String) {
    stages.iter_mut().for_each(withhold::withhold_non_finite);
    let mut cross_stage = derived::cross_stage_result(cycle_year, &stages, derived_inputs);
    withhold::withhold_non_finite(&mut cross_stage);
    stages.push(cross_stage);
    let hash = content_hash(cycle_year, &stages);
    (stages, hash)
}

#[derive(Clone)]
pub struct Candidates {
    db: DatabaseConnection,
    stages: StageClients,
    pub derived: derived::DerivedDocuments,
}

fn to_proto(row: candidate::Model) -> Result<pb::Candidate> {
    let stored = StoredStages::decode(row.stages.as_slice())
        .map_err(|e| Error::Internal(format!("candidate {} unreadable: {e}", row.candidate_id)))?;
    Ok(pb::Candidate {
        candidate_id: row.candidate_id,
        cycle_year: row.cycle_year,
        sequence: row.sequence as u32,
        content_hash: row.content_hash,
        stages: stored.stages,
        trigger: Trigger::to_proto(&row.trigger) as i32,
        assembled_at: ndrs_platform::timestamp::from_text(&row.assembled_at),
        assembled_by: row.assembled_by,
    })
}

impl Candidates {
    pub fn new(db: DatabaseConnection, stages: StageClients) -> Self {
        Self {
            derived: derived::DerivedDocuments::new(&db),
            db,
            stages,
        }
    }

    /// The figure ids a derived figure of `cycle_year` may read: the catalogue's indicators and
    /// figure families, every figure of the cycle's latest candidate (a stage's new indicators
    /// among them) and of the previous cycle's latest release.
    pub async fn known_figures(
        &self,
        cycle_year: i32,
    ) -> Result<std::collections::BTreeSet<String>> {
        let mut known: std::collections::BTreeSet<String> =
            ndrs_core::catalogue::Catalogue::embedded()
                .iter()
                .map(|i| i.id.clone())
                .chain(
                    ndrs_core::catalogue::figure_families()
                        .iter()
                        .map(|f| f.id.clone()),
                )
                .collect();
        if let Some(row) = self.latest_row(cycle_year).await? {
            let candidate = to_proto(row)?;
            known.extend(
                candidate
                    .stages
                    .iter()
                    .flat_map(|s| s.figures.iter().map(|f| f.id.clone())),
            );
        }
        if let Some(previous) = derived::published_release(&self.db, cycle_year - 1).await? {
            known.extend(previous.figures.into_keys());
        }
        Ok(known)
    }

    /// What the cycle's derived figures are computed from besides its stage results: the
    /// document in force and the previous cycle's latest release.
    pub async fn derived_inputs(&self, cycle_year: i32) -> Result<derived::DerivedInputs> {
        let document = self.derived.in_force(cycle_year).await?;
        let previous = derived::published_release(&self.db, cycle_year - 1).await?;
        Ok(derived::DerivedInputs { document, previous })
    }

    async fn latest_row(&self, cycle_year: i32) -> Result<Option<candidate::Model>> {
        candidate::Entity::find()
            .filter(candidate::Column::CycleYear.eq(cycle_year))
            .order_by_desc(candidate::Column::Sequence)
            .one(&self.db)
            .await
            .map_err(db_error)
    }

    /// Fetches every stage result, derives the cross-stage figures from them ([`derived`]) and
    /// stores them as the cycle's next candidate. When the content
    /// is the same as the latest candidate's, that candidate is returned instead: re-assembling
    /// unchanged inputs must not open a new review round.
    ///
    /// Optimistic concurrency keeps candidates in order: the latest candidate is read before the
    /// stage results are fetched, and the new one takes the next sequence number. If another
    /// assembly took that number first, the results are fetched again, so results fetched before a
    /// newer candidate was stored can never be stored after it.
    pub async fn assemble(
        &self,
        cycle_year: i32,
        trigger: Trigger,
        by: &str,
    ) -> Result<pb::Candidate> {
        self.assemble_unless_empty(cycle_year, trigger, by, false)
            .await?
            .ok_or_else(|| Error::Internal("an assembly of any inputs stored nothing".into()))
    }

    /// Like [`Candidates::assemble`], but stores nothing for a cycle that has neither a candidate
    /// nor a single return in any stage. A resynchronisation after lost events walks every cycle
    /// the system accepts; it must not leave empty candidates behind for the years nobody reported.
    pub async fn resynchronise(&self, cycle_year: i32) -> Result<Option<pb::Candidate>> {
        self.assemble_unless_empty(
            cycle_year,
            Trigger::InputsChanged,
            "aggregator (resynchronisation)",
            true,
        )
        .await
    }

    async fn assemble_unless_empty(
        &self,
        cycle_year: i32,
        trigger: Trigger,
        by: &str,
        skip_empty: bool,
    ) -> Result<Option<pb::Candidate>> {
        for _attempt in 0..5 {
            let latest = self.latest_row(cycle_year).await?;
            let stages = self.stages.stage_results(cycle_year).await?;
            if skip_empty && latest.is_none() && stages.iter().all(|s| s.returns_used == 0) {
                return Ok(None);
            }
            if let Some(candidate) = self
                .store_after(latest, cycle_year, stages, trigger, by)
                .await?
            {
                return Ok(Some(candidate));
            }
            // Another assembly took this sequence number first: read and fetch again.
        }
        Err(Error::Conflict(
            "concurrent assemblies of the same cycle; retry".into(),
        ))
    }

    /// Stores stage results the caller fetched as the cycle's next candidate, as one attempt of
    /// [`Candidates::assemble`] does: the latest candidate when the content is the same, else the
    /// next sequence number. For stage results that do not come through the stage clients (the
    /// storage suite drives the table with it); losing the sequence number to a concurrent
    /// assembly is a conflict, since these results cannot be fetched again.
    pub async fn record(
        &self,
        cycle_year: i32,
        stages: Vec<pb::StageResult>,
        trigger: Trigger,
        by: &str,
    ) -> Result<pb::Candidate> {
        let latest = self.latest_row(cycle_year).await?;
        self.store_after(latest, cycle_year, stages, trigger, by)
            .await?
            .ok_or_else(|| Error::Conflict("concurrent assemblies of the same cycle; retry".into()))
    }

    /// Freezes `stages` and stores them as the candidate after `latest` (read before they were
    /// fetched), or returns `latest` when the content is the same: re-assembling unchanged inputs
    /// must not open a new review round. `None` when another assembly took the next sequence
    /// number first; the unique key, not the read, decides that race.
    async fn store_after(
        &self,
        latest: Option<candidate::Model>,
        cycle_year: i32,
        stages: Vec<pb::StageResult>,
        trigger: Trigger,
        by: &str,
    ) -> Result<Option<pb::Candidate>> {
        let inputs = self.derived_inputs(cycle_year).await?;
        let (stages, hash) = freeze(cycle_year, stages, &inputs);
        if let Some(latest) = &latest
            && latest.content_hash == hash
        {
            return to_proto(latest.clone()).map(Some);
        }
        let sequence = latest.map_or(1, |l| l.sequence + 1);
        let row = candidate::ActiveModel {
            candidate_id: Set(uuid::Uuid::now_v7().to_string()),
            cycle_year: Set(cycle_year),
            sequence: Set(sequence),
            content_hash: Set(hash.clone()),
            trigger: Set(trigger.code().to_string()),
            assembled_at: Set(crate::store::now()),
            assembled_by: Set(by.to_string()),
            stages: Set(StoredStages { stages }.encode_to_vec()),
        };
        match row.insert(&self.db).await {
            Ok(row) => {
                tracing::info!(
                    cycle_year,
                    sequence,
                    content_hash = %hash,
                    trigger = trigger.code(),
                    "candidate assembled"
                );
                to_proto(row).map(Some)
            }
            Err(e) if crate::store::is_unique_violation(&e) => Ok(None),
            Err(e) => Err(db_error(e)),
        }
    }

    pub async fn get(&self, candidate_id: &str) -> Result<pb::Candidate> {
        let row = candidate::Entity::find_by_id(candidate_id.to_string())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::NotFound(format!("candidate {candidate_id}")))?;
        to_proto(row)
    }

    pub async fn latest(&self, cycle_year: i32) -> Result<pb::Candidate> {
        let row = self
            .latest_row(cycle_year)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no candidate for cycle {cycle_year}")))?;
        to_proto(row)
    }

    pub async fn list(&self, cycle_year: i32) -> Result<Vec<pb::CandidateSummary>> {
        let rows = candidate::Entity::find()
            .filter(candidate::Column::CycleYear.eq(cycle_year))
            .order_by_asc(candidate::Column::Sequence)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| pb::CandidateSummary {
                candidate_id: r.candidate_id,
                cycle_year: r.cycle_year,
                sequence: r.sequence as u32,
                content_hash: r.content_hash,
                trigger: Trigger::to_proto(&r.trigger) as i32,
                assembled_at: ndrs_platform::timestamp::from_text(&r.assembled_at),
            })
            .collect())
    }
}
