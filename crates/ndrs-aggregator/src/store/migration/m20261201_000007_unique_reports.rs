//! One report per candidate and rule-set version, and per candidate and registry version.
//!
//! Validation is deterministic, so a second report of the same inputs (two replicas reacting to
//! the same event, or a repeated request) can only duplicate the first; the index makes the second
//! insert fail and the caller answers with the stored report. Duplicates stored before this
//! migration are removed first, keeping the earliest (report ids are UUIDv7).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct UniqueReports;

#[derive(DeriveIden)]
enum ValidationReport {
    Table,
    CandidateId,
    RuleSetVersion,
}

#[derive(DeriveIden)]
enum BenchmarkReport {
    Table,
    CandidateId,
    RegistryVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for UniqueReports {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "DELETE FROM validation_report WHERE report_id NOT IN \
             (SELECT MIN(report_id) FROM validation_report GROUP BY candidate_id, rule_set_version)",
        )
        .await?;
        db.execute_unprepared(
            "DELETE FROM benchmark_report WHERE report_id NOT IN \
             (SELECT MIN(report_id) FROM benchmark_report GROUP BY candidate_id, registry_version)",
        )
        .await?;
        // The statements as first applied (no IF NOT EXISTS): the schema history stays exactly
        // what existing databases ran.
        manager
            .create_index(
                Index::create()
                    .name("ux_validation_report_candidate_rules")
                    .table(ValidationReport::Table)
                    .col(ValidationReport::CandidateId)
                    .col(ValidationReport::RuleSetVersion)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_benchmark_report_candidate_registry")
                    .table(BenchmarkReport::Table)
                    .col(BenchmarkReport::CandidateId)
                    .col(BenchmarkReport::RegistryVersion)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_validation_report_candidate_rules")
                    .table(ValidationReport::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_benchmark_report_candidate_registry")
                    .table(BenchmarkReport::Table)
                    .to_owned(),
            )
            .await
    }
}
