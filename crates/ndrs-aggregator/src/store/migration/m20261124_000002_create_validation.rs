//! Stage 1: rule sets and validation reports.

use ndrs_platform::db::{create_index, create_table, create_unique_index, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateValidation;

#[derive(DeriveIden)]
enum RuleSet {
    Table,
    Id,
    CycleYear,
    Version,
    ContentHash,
    RulesJson,
    LoadedBy,
    LoadedAt,
}

#[derive(DeriveIden)]
enum ValidationReport {
    Table,
    ReportId,
    CandidateId,
    CandidateHash,
    RuleSetVersion,
    RuleSetHash,
    Report,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateValidation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(RuleSet::Table)
                .col(big_integer(RuleSet::Id).auto_increment().primary_key())
                .col(integer(RuleSet::CycleYear))
                .col(integer(RuleSet::Version))
                .col(string(RuleSet::ContentHash))
                .col(text(RuleSet::RulesJson))
                .col(string(RuleSet::LoadedBy))
                .col(string(RuleSet::LoadedAt)),
        )
        .await?;
        create_unique_index(
            manager,
            "ux_rule_set_version",
            RuleSet::Table,
            [RuleSet::CycleYear, RuleSet::Version],
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(ValidationReport::Table)
                .col(string(ValidationReport::ReportId).primary_key())
                .col(string(ValidationReport::CandidateId))
                .col(string(ValidationReport::CandidateHash))
                .col(integer(ValidationReport::RuleSetVersion))
                .col(string(ValidationReport::RuleSetHash))
                .col(blob(ValidationReport::Report))
                .col(string(ValidationReport::CreatedAt)),
        )
        .await?;
        create_index(
            manager,
            "ix_validation_report_candidate",
            ValidationReport::Table,
            [ValidationReport::CandidateId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, ValidationReport::Table).await?;
        drop_table(manager, RuleSet::Table).await
    }
}
