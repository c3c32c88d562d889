//! What a stage received for a cycle, per reporting unit and return kind: when it first and
//! last sent something, how many versions, whether its latest carried a warning, and the
//! submissions refused. Response monitoring reads this, not the payloads.

use std::collections::BTreeMap;

use ndrs_core::Result;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entity::{refused_submission, submitted_return};
use super::{EditFinding, FindingSeverity, ReturnStore};
use crate::db::db_error;

/// Longest refusal reason kept.
const MAX_REASON_CHARS: usize = 500;

/// One unit's activity for one return kind in a cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitActivity {
    pub reporting_unit_id: String,
    pub return_kind: String,
    /// Distinct returns stored.
    pub returns: u32,
    /// The highest version of any of them (above 1: revised).
    pub max_version: u32,
    /// RFC 3339; empty when nothing was stored.
    pub first_received_at: String,
    pub last_received_at: String,
    /// A latest version whose receipt carried a warning.
    pub latest_has_warnings: bool,
    pub refusals: u32,
    pub last_refused_at: String,
    pub last_refusal: String,
}

impl ReturnStore {
    /// Records that a submission of `kind` from `unit` for `cycle_year` was refused, with the
    /// first reason. Monitoring only: a failure to record is logged, never passed to the caller,
    /// whose answer is the refusal itself.
    pub async fn record_refusal(&self, kind: &str, cycle_year: i32, unit: &str, reason: &str) {
        let row = refused_submission::ActiveModel {
            id: sea_orm::NotSet,
            return_kind: Set(kind.to_string()),
            cycle_year: Set(cycle_year),
            reporting_unit_id: Set(unit.to_string()),
            refused_at: Set(crate::timestamp::now_text()),
            reason: Set(ndrs_core::error::bounded(reason, MAX_REASON_CHARS).into_owned()),
        };
        if let Err(e) = row.insert(&self.db).await {
            tracing::warn!(error = %e, kind, unit, "could not record a refused submission");
        }
    }

    /// Every unit's activity for the cycle, ordered by unit and kind.
    pub async fn activity(&self, cycle_year: i32) -> Result<Vec<UnitActivity>> {
        // Only the columns monitoring reads: a census round's payloads stay in the database.
        type Row = (String, i32, String, String, String, String);
        let rows: Vec<Row> = submitted_return::Entity::find()
            .select_only()
            .column(submitted_return::Column::ReturnId)
            .column(submitted_return::Column::Version)
            .column(submitted_return::Column::ReportingUnitId)
            .column(submitted_return::Column::ReturnKind)
            .column(submitted_return::Column::ReceivedAt)
            .column(submitted_return::Column::FindingsJson)
            .filter(submitted_return::Column::CycleYear.eq(cycle_year))
            .order_by_asc(submitted_return::Column::ReturnId)
            .order_by_asc(submitted_return::Column::Version)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut by_unit: BTreeMap<(String, String), UnitActivity> = BTreeMap::new();
        let entry = |map: &mut BTreeMap<(String, String), UnitActivity>, unit: &str, kind: &str| {
            map.entry((unit.to_string(), kind.to_string()))
                .or_insert_with(|| UnitActivity {
                    reporting_unit_id: unit.to_string(),
                    return_kind: kind.to_string(),
                    ..UnitActivity::default()
                })
                .clone()
        };
        // The latest version's findings of every return, by return id.
        let mut latest: BTreeMap<&str, (&str, &str, &str)> = BTreeMap::new();
        for (return_id, version, unit, kind, received_at, findings) in &rows {
            let mut a = entry(&mut by_unit, unit, kind);
            if *version == 1 {
                a.returns += 1;
            }
            a.max_version = a.max_version.max(u32::try_from(*version).unwrap_or(0));
            if a.first_received_at.is_empty() || *received_at < a.first_received_at {
                a.first_received_at.clone_from(received_at);
            }
            if *received_at > a.last_received_at {
                a.last_received_at.clone_from(received_at);
            }
            by_unit.insert((unit.clone(), kind.clone()), a);
            latest.insert(return_id, (unit, kind, findings));
        }
        for (unit, kind, findings) in latest.into_values() {
            let findings: Vec<EditFinding> = serde_json::from_str(findings).unwrap_or_default();
            if findings
                .iter()
                .any(|f| f.severity == FindingSeverity::Warning)
                && let Some(a) = by_unit.get_mut(&(unit.to_string(), kind.to_string()))
            {
                a.latest_has_warnings = true;
            }
        }
        let refusals = refused_submission::Entity::find()
            .filter(refused_submission::Column::CycleYear.eq(cycle_year))
            .order_by_asc(refused_submission::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        for r in refusals {
            let mut a = entry(&mut by_unit, &r.reporting_unit_id, &r.return_kind);
            a.refusals += 1;
            a.last_refused_at = r.refused_at;
            a.last_refusal = r.reason;
            by_unit.insert((r.reporting_unit_id, r.return_kind), a);
        }
        Ok(by_unit.into_values().collect())
    }
}
