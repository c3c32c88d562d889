//! Versions of a cycle's cross-entity rule set (stage 1).

use sea_orm::entity::prelude::*;

/// One version of a cycle's cross-entity rule set; new versions are added, none is changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_set")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cycle_year: i32,
    pub version: i32,
    pub content_hash: String,
    #[sea_orm(column_type = "Text")]
    pub rules_json: String,
    pub loaded_by: String,
    pub loaded_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
