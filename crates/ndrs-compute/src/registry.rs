//! The register of compute centres: the census frame, loaded by the organiser per cycle.
//!
//! Each load is stored as a new version (never overwritten), so every figure can name the frame
//! version it was computed over. The register carries the auxiliaries known for every centre
//! (racks, power capacity) that non-respondents are imputed from.

use std::collections::BTreeSet;

use chrono::{SecondsFormat, Utc};
use ndrs_core::classification::{CentreType, province};
use ndrs_core::{Error, Result, Violations};
use ndrs_platform::db::db_error;
use ndrs_platform::stage::{check_cycle_year, check_identifier};
use ndrs_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredCentre {
    pub centre_id: String,
    pub centre_type: CentreType,
    pub province_code: String,
    pub operator_name: String,
    pub racks: u32,
    pub power_capacity_kw: f64,
}

/// One version of a cycle's register.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    pub cycle_year: i32,
    pub version: u32,
    pub content_hash: String,
    pub loaded_at: String,
    pub loaded_by: String,
    /// Sorted by centre id.
    pub centres: Vec<RegisteredCentre>,
}

impl Registry {
    pub fn get(&self, centre_id: &str) -> Option<&RegisteredCentre> {
        self.centres
            .binary_search_by(|c| c.centre_id.as_str().cmp(centre_id))
            .ok()
            .map(|i| &self.centres[i])
    }

    /// Lineage reference of this register version.
    pub fn lineage_ref(&self) -> String {
        format!("centre-registry:{}@{}", self.cycle_year, self.version)
    }

    pub fn summary_proto(&self) -> pb::CentreRegistrySummary {
        pb::CentreRegistrySummary {
            cycle_year: self.cycle_year,
            version: self.version,
            centres: self.centres.len() as u32,
            content_hash: self.content_hash.clone(),
            loaded_at: self.loaded_at.clone(),
            loaded_by: self.loaded_by.clone(),
        }
    }

    pub fn to_proto(&self) -> pb::CentreRegistry {
        pb::CentreRegistry {
            summary: Some(self.summary_proto()),
            centres: self
                .centres
                .iter()
                .map(|c| pb::RegisteredCentre {
                    centre_id: c.centre_id.clone(),
                    centre_type: c.centre_type.as_i32(),
                    province_code: c.province_code.clone(),
                    operator_name: c.operator_name.clone(),
                    racks: c.racks,
                    power_capacity_kw: c.power_capacity_kw,
                })
                .collect(),
        }
    }
}

/// Validates a register load, naming every bad entry.
pub fn registry_from_proto(
    request: pb::LoadCentreRegistryRequest,
) -> Result<(i32, Vec<RegisteredCentre>)> {
    let pb::LoadCentreRegistryRequest {
        cycle_year,
        centres,
    } = request;
    let mut v = Violations::new();
    check_cycle_year("cycle_year", cycle_year, &mut v);
    v.check(
        !centres.is_empty(),
        "centres",
        "a register needs at least one centre",
    );
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(centres.len());
    for (i, c) in centres.into_iter().enumerate() {
        let pb::RegisteredCentre {
            centre_id,
            centre_type,
            province_code,
            operator_name,
            racks,
            power_capacity_kw,
        } = c;
        check_identifier(&format!("centres[{i}].centre_id"), &centre_id, &mut v);
        if !seen.insert(centre_id.clone()) {
            v.push(format!("centres[{i}].centre_id"), "centre listed twice");
        }
        let centre_type = CentreType::from_i32(centre_type);
        v.check(
            centre_type.is_some(),
            format!("centres[{i}].centre_type"),
            "unknown centre type",
        );
        v.check(
            province(&province_code).is_some(),
            format!("centres[{i}].province_code"),
            "must be a GB/T 2260 province code (or 66 for XPCC)",
        );
        v.check(
            operator_name.len() <= 256,
            format!("centres[{i}].operator_name"),
            "at most 256 characters",
        );
        v.non_negative(format!("centres[{i}].power_capacity_kw"), power_capacity_kw);
        if let Some(centre_type) = centre_type {
            out.push(RegisteredCentre {
                centre_id,
                centre_type,
                province_code,
                operator_name,
                racks,
                power_capacity_kw,
            });
        }
    }
    out.sort_by(|a, b| a.centre_id.cmp(&b.centre_id));
    v.finish((cycle_year, out))
}

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "centre_registry")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cycle_year: i32,
        pub version: i32,
        pub content_hash: String,
        #[sea_orm(column_type = "Text")]
        pub centres_json: String,
        pub loaded_by: String,
        pub loaded_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod migration {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    /// Migration names are explicit: derived names come from the file name and would collide
    /// between migrations that share a file.
    pub struct CreateCentreRegistry;

    impl MigrationName for CreateCentreRegistry {
        fn name(&self) -> &str {
            "m20261124_000002_create_centre_registry"
        }
    }

    #[derive(DeriveIden)]
    enum CentreRegistry {
        Table,
        Id,
        CycleYear,
        Version,
        ContentHash,
        CentresJson,
        LoadedBy,
        LoadedAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateCentreRegistry {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .create_table(
                    Table::create()
                        .table(CentreRegistry::Table)
                        .if_not_exists()
                        .col(
                            big_integer(CentreRegistry::Id)
                                .auto_increment()
                                .primary_key(),
                        )
                        .col(integer(CentreRegistry::CycleYear))
                        .col(integer(CentreRegistry::Version))
                        .col(string(CentreRegistry::ContentHash))
                        .col(text(CentreRegistry::CentresJson))
                        .col(string(CentreRegistry::LoadedBy))
                        .col(string(CentreRegistry::LoadedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ux_centre_registry_version")
                        .table(CentreRegistry::Table)
                        .col(CentreRegistry::CycleYear)
                        .col(CentreRegistry::Version)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(CentreRegistry::Table).to_owned())
                .await
        }
    }

    /// The compute census service's schema history.
    pub struct Migrator;

    impl sea_orm_migration::MigratorTraitSelf for Migrator {
        fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(ndrs_platform::returns::migration::CreateReturnStore),
                Box::new(CreateCentreRegistry),
            ]
        }
    }
}

/// Register versions in the service's database.
#[derive(Clone)]
pub struct RegistryStore {
    db: DatabaseConnection,
}

impl RegistryStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Stores a new version of a cycle's register.
    pub async fn load(
        &self,
        cycle_year: i32,
        centres: Vec<RegisteredCentre>,
        loaded_by: &str,
    ) -> Result<Registry> {
        let centres_json =
            serde_json::to_string(&centres).map_err(|e| Error::Internal(e.to_string()))?;
        let content_hash = hex::encode(Sha256::digest(centres_json.as_bytes()));
        let version = self.latest(cycle_year).await?.map_or(1, |r| r.version + 1);
        let loaded_at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        entity::ActiveModel {
            cycle_year: Set(cycle_year),
            version: Set(version as i32),
            content_hash: Set(content_hash.clone()),
            centres_json: Set(centres_json),
            loaded_by: Set(loaded_by.to_string()),
            loaded_at: Set(loaded_at.clone()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| {
            if e.to_string().to_lowercase().contains("unique") {
                Error::Conflict("concurrent register loads for the same cycle; retry".into())
            } else {
                db_error(e)
            }
        })?;
        Ok(Registry {
            cycle_year,
            version,
            content_hash,
            loaded_at,
            loaded_by: loaded_by.to_string(),
            centres,
        })
    }

    /// A given version (0: the latest) of a cycle's register, if any was loaded.
    pub async fn get(&self, cycle_year: i32, version: u32) -> Result<Option<Registry>> {
        let mut query = entity::Entity::find().filter(entity::Column::CycleYear.eq(cycle_year));
        if version != 0 {
            query = query.filter(entity::Column::Version.eq(version as i32));
        }
        let Some(row) = query
            .order_by_desc(entity::Column::Version)
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let centres = serde_json::from_str(&row.centres_json)
            .map_err(|e| Error::Internal(format!("stored register unreadable: {e}")))?;
        Ok(Some(Registry {
            cycle_year: row.cycle_year,
            version: row.version as u32,
            content_hash: row.content_hash,
            loaded_at: row.loaded_at,
            loaded_by: row.loaded_by,
            centres,
        }))
    }

    pub async fn latest(&self, cycle_year: i32) -> Result<Option<Registry>> {
        self.get(cycle_year, 0).await
    }
}
