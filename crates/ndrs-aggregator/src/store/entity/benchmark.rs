//! The outside figures of the benchmark registry.

use sea_orm::entity::prelude::*;

/// An outside figure, added in registry version `registry_version` and never changed.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "benchmark")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub benchmark_id: String,
    pub registry_version: i32,
    pub publisher: String,
    pub indicator: String,
    pub scope: String,
    pub year: i32,
    pub value: f64,
    pub unit: String,
    pub comparable_to: String,
    pub comparability: String,
    pub tolerance: f64,
    #[sea_orm(column_type = "Text")]
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
