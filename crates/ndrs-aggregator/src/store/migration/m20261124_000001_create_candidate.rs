//! The candidate table.

use ndrs_platform::db::{create_table, create_unique_index, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateCandidate;

// Column names follow the entity; the table's own name starts every variant by design.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Candidate {
    Table,
    CandidateId,
    CycleYear,
    Sequence,
    ContentHash,
    Trigger,
    AssembledAt,
    AssembledBy,
    Stages,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCandidate {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(Candidate::Table)
                .col(string(Candidate::CandidateId).primary_key())
                .col(integer(Candidate::CycleYear))
                .col(integer(Candidate::Sequence))
                .col(string(Candidate::ContentHash))
                .col(string(Candidate::Trigger))
                .col(string(Candidate::AssembledAt))
                .col(string(Candidate::AssembledBy))
                .col(blob(Candidate::Stages)),
        )
        .await?;
        // Sequence numbers are taken once per cycle, so concurrent assemblies cannot collide.
        create_unique_index(
            manager,
            "ux_candidate_cycle_sequence",
            Candidate::Table,
            [Candidate::CycleYear, Candidate::Sequence],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Candidate::Table).await
    }
}
