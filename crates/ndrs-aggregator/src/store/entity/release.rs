//! Published release versions.

use sea_orm::entity::prelude::*;

/// A published release version. Written once, never updated: the stored documents are what
/// every reader gets, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "release")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub release_id: String,
    pub cycle_year: i32,
    pub version: i32,
    pub candidate_id: String,
    pub candidate_hash: String,
    #[sea_orm(column_type = "Text")]
    pub document_json: String,
    #[sea_orm(column_type = "Text")]
    pub document_csv: String,
    /// SDMX-ML 2.1 generic data (added by `m20261125_000006_add_release_sdmx`).
    #[sea_orm(column_type = "Text")]
    pub document_sdmx: String,
    pub document_sha256: String,
    pub published_at: String,
    pub published_by: String,
    /// RFC 3339; empty when the release is public at once.
    pub embargo_until: String,
    #[sea_orm(column_type = "Text")]
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
