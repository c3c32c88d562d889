//! Justifications of warnings and benchmark deviations.

use ndrs_platform::db::{create_index, create_table, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateJustification;

// Column names follow the entity; the id column repeats the table name by design.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Justification {
    Table,
    JustificationId,
    CandidateId,
    CandidateHash,
    Stage,
    Subject,
    Text,
    JustifiedBy,
    JustifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateJustification {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Justification::Table)
                .col(string(Justification::JustificationId).primary_key())
                .col(string(Justification::CandidateId))
                .col(string(Justification::CandidateHash))
                .col(string(Justification::Stage))
                .col(string(Justification::Subject))
                .col(text(Justification::Text))
                .col(string(Justification::JustifiedBy))
                .col(string(Justification::JustifiedAt)),
        )
        .await?;
        create_index(
            manager,
            "ix_justification_candidate",
            Justification::Table,
            [Justification::CandidateId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Justification::Table).await
    }
}
