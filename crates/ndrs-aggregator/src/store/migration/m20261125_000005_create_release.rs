//! Published releases (the SDMX column comes in `m20261125_000006_add_release_sdmx`).

use ndrs_platform::db::{create_table, create_unique_index, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateRelease;

// Column names follow the entity; the id column repeats the table name by design.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Release {
    Table,
    ReleaseId,
    CycleYear,
    Version,
    CandidateId,
    CandidateHash,
    DocumentJson,
    DocumentCsv,
    DocumentSha256,
    PublishedAt,
    PublishedBy,
    EmbargoUntil,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRelease {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Release::Table)
                .col(string(Release::ReleaseId).primary_key())
                .col(integer(Release::CycleYear))
                .col(integer(Release::Version))
                .col(string(Release::CandidateId))
                .col(string(Release::CandidateHash))
                .col(text(Release::DocumentJson))
                .col(text(Release::DocumentCsv))
                .col(string(Release::DocumentSha256))
                .col(string(Release::PublishedAt))
                .col(string(Release::PublishedBy))
                .col(string(Release::EmbargoUntil))
                .col(text(Release::Note)),
        )
        .await?;
        create_unique_index(
            manager,
            "ux_release_version",
            Release::Table,
            [Release::CycleYear, Release::Version],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Release::Table).await
    }
}
