//! Versions of the external benchmark registry (stage 2).

use sea_orm::entity::prelude::*;

/// One version of the external benchmark registry: version N holds every benchmark added in
/// versions 1..=N.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "benchmark_registry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    pub content_hash: String,
    pub benchmarks: i32,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
