//! Stage-1 reports: one candidate checked with one rule-set version.

use sea_orm::entity::prelude::*;

/// The outcome of stage 1 on one candidate with one rule-set version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "validation_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub report_id: String,
    pub candidate_id: String,
    pub candidate_hash: String,
    pub rule_set_version: i32,
    pub rule_set_hash: String,
    /// The report, protobuf-encoded (`ndrs.v1.ValidationReport`).
    pub report: Vec<u8>,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
