//! A candidate release: the frozen stage results of one assembly, under their content hash.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "candidate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub candidate_id: String,
    pub cycle_year: i32,
    pub sequence: i32,
    pub content_hash: String,
    pub trigger: String,
    pub assembled_at: String,
    pub assembled_by: String,
    /// The stage results, protobuf-encoded (`ndrs.v1.Candidate` without its envelope fields).
    pub stages: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
