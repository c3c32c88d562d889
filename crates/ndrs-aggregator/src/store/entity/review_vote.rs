//! Experts' votes in review rounds.

use sea_orm::entity::prelude::*;

/// One expert's vote in a round, on one figure or (empty `figure_key`) the whole candidate.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_vote")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vote_id: String,
    pub round_id: String,
    pub expert: String,
    pub figure_key: String,
    pub verdict: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub cast_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
