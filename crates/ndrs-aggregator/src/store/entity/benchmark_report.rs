//! Stage-2 reports: one candidate compared with one registry version.

use sea_orm::entity::prelude::*;

/// The outcome of stage 2 on one candidate with one registry version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "benchmark_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub report_id: String,
    pub candidate_id: String,
    pub candidate_hash: String,
    pub registry_version: i32,
    /// The report, protobuf-encoded (`ndrs.v1.BenchmarkReport`).
    pub report: Vec<u8>,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
