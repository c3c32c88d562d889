//! Expert review rounds over frozen candidates (stage 3).

use sea_orm::entity::prelude::*;

/// A review round over a frozen candidate. Only `state` and `closed_at` change, once, when
/// the round passes, is rejected or is superseded by the next round.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_round")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub round_id: String,
    pub cycle_year: i32,
    pub number: i32,
    pub candidate_id: String,
    pub candidate_hash: String,
    /// SHA-256 over every figure's hash (figure with its lineage).
    pub frozen_hash: String,
    /// `[[figure key, hash], ...]` in key order.
    #[sea_orm(column_type = "Text")]
    pub figures_json: String,
    pub quorum: i32,
    pub state: String,
    pub opened_by: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
