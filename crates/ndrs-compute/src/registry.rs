//! The register of compute centres: the census frame, loaded by the organiser per cycle.
//!
//! Each load is stored as a new version (never overwritten, see `ndrs_platform::documents`), so every figure can name the frame
//! version it was computed over. The register carries the auxiliaries known for every centre
//! (racks, power capacity) that non-respondents are imputed from.

use std::collections::BTreeSet;

use ndrs_core::Result;
use ndrs_core::classification::CentreType;
use ndrs_platform::documents::{CycleDocuments, Versioned};
use ndrs_platform::returns::{EditFinding, FindingSeverity};
use ndrs_platform::stage::{check_identifier, check_province, cycle_request_checks};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::domain::CentreReturn;

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
            loaded_at: ndrs_platform::timestamp::from_text(&self.loaded_at),
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

/// Most centres one register may list (2,200 reported in 2023).
pub const MAX_CENTRES: usize = 100_000;

/// Validates a register load, naming every bad entry.
pub fn registry_from_proto(
    request: pb::LoadCentreRegistryRequest,
) -> Result<(i32, Vec<RegisteredCentre>)> {
    let pb::LoadCentreRegistryRequest {
        cycle_year,
        centres,
    } = request;
    let mut v = cycle_request_checks(cycle_year);
    v.check(
        !centres.is_empty(),
        "centres",
        "a register needs at least one centre",
    );
    v.items("centres", centres.len(), MAX_CENTRES);
    let centres = if centres.len() > MAX_CENTRES {
        Vec::new()
    } else {
        centres
    };
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
        check_province(
            format!("centres[{i}].province_code"),
            &province_code,
            &mut v,
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

/// This service's schema history: the return store and the versioned per-cycle documents
/// (the centre register is one).
pub mod migration {
    use sea_orm_migration::MigrationTrait;

    pub struct Migrator;

    impl sea_orm_migration::MigratorTraitSelf for Migrator {
        fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(ndrs_platform::returns::migration::CreateReturnStore),
                Box::new(ndrs_platform::documents::migration::CreateCycleDocument),
                Box::new(ndrs_platform::returns::migration::CreateRefusedSubmission),
            ]
        }
    }
}

/// Register versions in the service's database.
#[derive(Clone)]
pub struct RegistryStore {
    documents: CycleDocuments,
}

impl RegistryStore {
    pub fn new(store: &ndrs_platform::returns::ReturnStore) -> Self {
        Self {
            documents: CycleDocuments::new(store, "centre-registry"),
        }
    }

    /// Stores a new version of a cycle's register.
    pub async fn load(
        &self,
        cycle_year: i32,
        centres: Vec<RegisteredCentre>,
        loaded_by: &str,
    ) -> Result<Registry> {
        Ok(Registry::from(
            self.documents.load(cycle_year, centres, loaded_by).await?,
        ))
    }

    /// A given version (0: the latest) of a cycle's register, if any was loaded.
    pub async fn get(&self, cycle_year: i32, version: u32) -> Result<Option<Registry>> {
        Ok(self
            .documents
            .get::<Vec<RegisteredCentre>>(cycle_year, version)
            .await?
            .map(Registry::from))
    }

    pub async fn latest(&self, cycle_year: i32) -> Result<Option<Registry>> {
        self.get(cycle_year, 0).await
    }

    /// With a register loaded for the cycle, only registered centres report, and a return that
    /// disagrees with the register on type or province is flagged (the register is
    /// authoritative): what the register says about one centre's return.
    pub async fn check_return(
        &self,
        cycle_year: i32,
        unit: &str,
        centre: &CentreReturn,
    ) -> Result<Vec<EditFinding>> {
        let Some(registry) = self.latest(cycle_year).await? else {
            return Ok(Vec::new());
        };
        let Some(registered) = registry.get(unit) else {
            return Err(ndrs_core::Error::invalid(
                "header.reporting_unit_id",
                format!(
                    "not in the cycle's centre register (version {})",
                    registry.version
                ),
            ));
        };
        let mut findings = Vec::new();
        if registered.centre_type != centre.centre_type
            || registered.province_code != centre.province_code
        {
            findings.push(EditFinding {
                rule_id: "compute.differs_from_register".into(),
                severity: FindingSeverity::Warning,
                message: format!(
                    "register has {} in {}; the register's classification is used",
                    registered.centre_type.code(),
                    registered.province_code
                ),
                fields: vec!["centre_type".into(), "province_code".into()],
            });
        }
        Ok(findings)
    }
}

impl From<Versioned<Vec<RegisteredCentre>>> for Registry {
    fn from(v: Versioned<Vec<RegisteredCentre>>) -> Self {
        Registry {
            cycle_year: v.cycle_year,
            version: v.version,
            content_hash: v.content_hash,
            loaded_at: v.loaded_at,
            loaded_by: v.loaded_by,
            centres: v.body,
        }
    }
}
