//! Written justifications of findings (failing warnings, out-of-band benchmarks).

use sea_orm::entity::prelude::*;

/// An organiser's written justification of a finding (a failing warning rule, an
/// out-of-band benchmark) on one candidate, identified by id and content hash.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "justification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub justification_id: String,
    pub candidate_id: String,
    pub candidate_hash: String,
    /// `rules` or `benchmarks`.
    pub stage: String,
    /// The rule id or benchmark id justified.
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub justified_by: String,
    pub justified_at: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
