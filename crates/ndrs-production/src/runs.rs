//! Model runs: the full-volume model with seeded Monte Carlo, stored with the hash of its inputs.
//!
//! A run is reproducible bit for bit from its inputs and seed, so storing it is a record, not a
//! cache that could drift: `GetStageResult` attaches the intervals of the run it cites for exactly
//! the current inputs ([`ModelRuns::cited`]): the latest an organiser asked for, or else one it makes
//! (and stores) with the default seed.

use ndrs_core::{Error, Result};
use ndrs_platform::db::db_error;
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{inputs_hash, lineage_ref};
use ndrs_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::domain::{DeviceParameters, StorageMediumFigures};
use crate::uncertainty::{FullVolumeModel, SimulationResult};

/// Seed of the runs made for stage results (the survey's standard time point, 2023-12-31).
pub const DEFAULT_SEED: u64 = 20_231_231;
pub const DEFAULT_DRAWS: u32 = 10_000;
pub const MAX_DRAWS: u32 = 1_000_000;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "model_run")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub run_id: String,
        pub cycle_year: i32,
        /// The seed, as text: PostgreSQL has no unsigned 64-bit integer.
        pub seed: String,
        pub draws: i32,
        pub inputs_hash: String,
        #[sea_orm(column_type = "Text")]
        pub inputs_json: String,
        #[sea_orm(column_type = "Text")]
        pub result_json: String,
        pub run_by: String,
        pub run_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod migration {
    use ndrs_platform::db;
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateModelRun;

    impl MigrationName for CreateModelRun {
        fn name(&self) -> &str {
            "m20261124_000002_create_model_run"
        }
    }

    #[derive(DeriveIden)]
    enum ModelRun {
        Table,
        RunId,
        CycleYear,
        Seed,
        Draws,
        InputsHash,
        InputsJson,
        ResultJson,
        RunBy,
        RunAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateModelRun {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::create_table(
                manager,
                Table::create()
                    .table(ModelRun::Table)
                    .col(string(ModelRun::RunId).primary_key())
                    .col(integer(ModelRun::CycleYear))
                    .col(string(ModelRun::Seed))
                    .col(integer(ModelRun::Draws))
                    .col(string(ModelRun::InputsHash))
                    .col(text(ModelRun::InputsJson))
                    .col(text(ModelRun::ResultJson))
                    .col(string(ModelRun::RunBy))
                    .col(string(ModelRun::RunAt)),
            )
            .await?;
            db::create_index(
                manager,
                "ix_model_run_inputs",
                ModelRun::Table,
                [ModelRun::CycleYear, ModelRun::InputsHash],
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::drop_table(manager, ModelRun::Table).await
        }
    }

    /// The production service's schema history.
    pub struct Migrator;

    impl sea_orm_migration::MigratorTraitSelf for Migrator {
        fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(ndrs_platform::returns::migration::CreateReturnStore),
                Box::new(CreateModelRun),
                Box::new(ndrs_platform::documents::migration::CreateCycleDocument),
                Box::new(ndrs_platform::returns::migration::CreateRefusedSubmission),
            ]
        }
    }
}

/// The inputs of a run: every device and medium return of the cycle, by id and version.
pub fn inputs_of(
    devices: &[(StoredReturn, DeviceParameters)],
    media: &[(StoredReturn, StorageMediumFigures)],
) -> Vec<String> {
    let mut refs: Vec<String> = devices
        .iter()
        .map(|(s, _)| lineage_ref(s))
        .chain(media.iter().map(|(s, _)| lineage_ref(s)))
        .collect();
    refs.sort();
    refs
}

/// A stored run, decoded.
pub struct StoredRun {
    pub run_id: String,
    pub cycle_year: i32,
    pub inputs_hash: String,
    pub inputs: Vec<String>,
    pub result: SimulationResult,
    pub run_by: String,
    pub run_at: String,
}

fn unit_of(output: &str) -> pb::Unit {
    match output {
        "P05" | "P07" | "P15" => pb::Unit::Ratio,
        _ => pb::Unit::Bytes,
    }
}

impl StoredRun {
    pub fn to_proto(&self) -> pb::ModelRun {
        pb::ModelRun {
            run_id: self.run_id.clone(),
            cycle_year: self.cycle_year,
            seed: self.result.seed,
            draws: self.result.draws as u32,
            inputs_hash: self.inputs_hash.clone(),
            inputs: self.inputs.clone(),
            outputs: self
                .result
                .outputs
                .iter()
                .map(|o| pb::ModelOutput {
                    name: o.name.clone(),
                    unit: unit_of(&o.name) as i32,
                    central: o.central,
                    mean: o.mean,
                    standard_deviation: o.standard_deviation,
                    p5: o.p5,
                    p50: o.p50,
                    p95: o.p95,
                    drivers: o
                        .sensitivity
                        .iter()
                        .map(|c| pb::Driver {
                            parameter: c.parameter.clone(),
                            variance_share: c.variance_share,
                            correlation: c.correlation,
                        })
                        .collect(),
                })
                .collect(),
            run_at: ndrs_platform::timestamp::from_text(&self.run_at),
            run_by: self.run_by.clone(),
        }
    }
}

/// The id of the default run over inputs with this hash: derived from them, so that concurrent
/// stage results share one run.
pub fn default_run_id(cycle_year: i32, inputs_hash: &str) -> String {
    format!(
        "default-{cycle_year}-{}-{DEFAULT_SEED}-{DEFAULT_DRAWS}",
        &inputs_hash[..32.min(inputs_hash.len())]
    )
}

fn decode(row: entity::Model) -> Result<StoredRun> {
    let result = serde_json::from_str(&row.result_json)
        .map_err(|e| Error::Internal(format!("stored model run unreadable: {e}")))?;
    let inputs = serde_json::from_str(&row.inputs_json)
        .map_err(|e| Error::Internal(format!("stored model run inputs unreadable: {e}")))?;
    Ok(StoredRun {
        run_id: row.run_id,
        cycle_year: row.cycle_year,
        inputs_hash: row.inputs_hash,
        inputs,
        result,
        run_by: row.run_by,
        run_at: row.run_at,
    })
}

/// What a run is asked for: its id, the returns it runs over, seed, draws and who asked.
struct RunSpec<'a> {
    run_id: String,
    cycle_year: i32,
    devices: &'a [(StoredReturn, DeviceParameters)],
    media: &'a [(StoredReturn, StorageMediumFigures)],
    seed: u64,
    draws: u32,
    by: &'a str,
}

/// The model runs stored in the service's database.
#[derive(Clone)]
pub struct ModelRuns {
    db: DatabaseConnection,
}

impl ModelRuns {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Runs the model over the given returns and stores the run.
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        cycle_year: i32,
        devices: &[(StoredReturn, DeviceParameters)],
        media: &[(StoredReturn, StorageMediumFigures)],
        seed: u64,
        draws: u32,
        by: &str,
    ) -> Result<StoredRun> {
        self.compute_and_store(RunSpec {
            run_id: uuid::Uuid::now_v7().to_string(),
            cycle_year,
            devices,
            media,
            seed,
            draws,
            by,
        })
        .await
    }

    /// The run a stage result uses when the organiser has not run the model over these inputs:
    /// default seed and draws, identified by its inputs, so that concurrent stage results (the
    /// aggregator's watcher and an organiser assembling at the same moment) share one run and
    /// cite the same run id, instead of each storing its own and making the cycle's figures
    /// differ by the run they cite.
    pub async fn default_run(
        &self,
        cycle_year: i32,
        devices: &[(StoredReturn, DeviceParameters)],
        media: &[(StoredReturn, StorageMediumFigures)],
    ) -> Result<StoredRun> {
        let inputs = inputs_of(devices, media);
        let hash = inputs_hash(inputs.iter().map(String::as_str));
        let run_id = default_run_id(cycle_year, &hash);
        if let Some(run) = self.find(&run_id).await? {
            return Ok(run);
        }
        let spec = RunSpec {
            run_id: run_id.clone(),
            cycle_year,
            devices,
            media,
            seed: DEFAULT_SEED,
            draws: DEFAULT_DRAWS,
            by: "stage result",
        };
        match self.compute_and_store(spec).await {
            Ok(run) => Ok(run),
            // Another caller stored the same run first: theirs is identical; use it.
            Err(e) => self.find(&run_id).await?.ok_or(e),
        }
    }

    /// The run a stage result cites for inputs with this hash: the latest one an organiser asked
    /// for, and the default run only when there is none. Ordering by time alone would let a
    /// default run that a stage result started computing before the organiser's run finished,
    /// and stored after it, displace the organiser's run: the cycle's figures would change (and a
    /// candidate under review go stale) with no input changed.
    pub async fn cited(&self, cycle_year: i32, inputs_hash: &str) -> Result<Option<StoredRun>> {
        let requested = entity::Entity::find()
            .filter(entity::Column::CycleYear.eq(cycle_year))
            .filter(entity::Column::InputsHash.eq(inputs_hash))
            .filter(entity::Column::RunId.ne(default_run_id(cycle_year, inputs_hash)))
            .order_by_desc(entity::Column::RunAt)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        match requested {
            Some(row) => decode(row).map(Some),
            None => self.find(&default_run_id(cycle_year, inputs_hash)).await,
        }
    }

    async fn find(&self, run_id: &str) -> Result<Option<StoredRun>> {
        entity::Entity::find_by_id(run_id.to_string())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(decode)
            .transpose()
    }

    async fn compute_and_store(&self, spec: RunSpec<'_>) -> Result<StoredRun> {
        let RunSpec {
            cycle_year,
            seed,
            draws,
            ..
        } = spec;
        let inputs = inputs_of(spec.devices, spec.media);
        if inputs.is_empty() {
            return Err(Error::FailedPrecondition(format!(
                "no parameter returns for cycle {cycle_year}"
            )));
        }
        let device_values: Vec<DeviceParameters> =
            spec.devices.iter().map(|(_, d)| d.clone()).collect();
        let medium_values: Vec<StorageMediumFigures> =
            spec.media.iter().map(|(_, m)| m.clone()).collect();
        // The simulation is CPU-bound: keep it off the async worker threads.
        let result = tokio::task::spawn_blocking(move || {
            FullVolumeModel::new(&device_values, &medium_values)
                .and_then(|model| model.simulate(draws as usize, seed))
        })
        .await
        .map_err(|e| Error::Internal(format!("model run panicked: {e}")))?
        .map_err(|e| Error::FailedPrecondition(format!("model cannot run: {e}")))?;
        let run = StoredRun {
            run_id: spec.run_id,
            cycle_year,
            inputs_hash: inputs_hash(inputs.iter().map(String::as_str)),
            inputs,
            result,
            run_by: spec.by.to_string(),
            run_at: ndrs_platform::timestamp::now_text(),
        };
        entity::ActiveModel {
            run_id: Set(run.run_id.clone()),
            cycle_year: Set(cycle_year),
            seed: Set(seed.to_string()),
            draws: Set(draws as i32),
            inputs_hash: Set(run.inputs_hash.clone()),
            inputs_json: Set(
                serde_json::to_string(&run.inputs).map_err(|e| Error::Internal(e.to_string()))?
            ),
            result_json: Set(
                serde_json::to_string(&run.result).map_err(|e| Error::Internal(e.to_string()))?
            ),
            run_by: Set(run.run_by.clone()),
            run_at: Set(run.run_at.clone()),
        }
        .insert(&self.db)
        .await
        .map_err(db_error)?;
        tracing::info!(cycle_year, run_id = %run.run_id, seed, draws, "model run stored");
        Ok(run)
    }

    pub async fn get(&self, run_id: &str) -> Result<StoredRun> {
        self.find(run_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("model run {run_id}")))
    }

    /// The latest run of a cycle, whoever asked for it.
    pub async fn latest(&self, cycle_year: i32) -> Result<Option<StoredRun>> {
        entity::Entity::find()
            .filter(entity::Column::CycleYear.eq(cycle_year))
            .order_by_desc(entity::Column::RunAt)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(decode)
            .transpose()
    }
}
