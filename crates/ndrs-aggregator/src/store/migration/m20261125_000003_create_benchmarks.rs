//! Stage 2: the external benchmark registry and benchmark reports.

use ndrs_platform::db::{create_index, create_table, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateBenchmarks;

#[derive(DeriveIden)]
enum BenchmarkRegistry {
    Table,
    Version,
    ContentHash,
    Benchmarks,
    Note,
    CreatedBy,
    CreatedAt,
}

// Column names follow the entity; the id column repeats the table name by design.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Benchmark {
    Table,
    BenchmarkId,
    RegistryVersion,
    Publisher,
    Indicator,
    Scope,
    Year,
    Value,
    Unit,
    ComparableTo,
    Comparability,
    Tolerance,
    Note,
}

#[derive(DeriveIden)]
enum BenchmarkReport {
    Table,
    ReportId,
    CandidateId,
    CandidateHash,
    RegistryVersion,
    Report,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateBenchmarks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(BenchmarkRegistry::Table)
                // The version is the key: two concurrent additions cannot both take it.
                .col(integer(BenchmarkRegistry::Version).primary_key())
                .col(string(BenchmarkRegistry::ContentHash))
                .col(integer(BenchmarkRegistry::Benchmarks))
                .col(text(BenchmarkRegistry::Note))
                .col(string(BenchmarkRegistry::CreatedBy))
                .col(string(BenchmarkRegistry::CreatedAt)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(Benchmark::Table)
                .col(string(Benchmark::BenchmarkId).primary_key())
                .col(integer(Benchmark::RegistryVersion))
                .col(string(Benchmark::Publisher))
                .col(string(Benchmark::Indicator))
                .col(string(Benchmark::Scope))
                .col(integer(Benchmark::Year))
                .col(double(Benchmark::Value))
                .col(string(Benchmark::Unit))
                .col(string(Benchmark::ComparableTo))
                .col(string(Benchmark::Comparability))
                .col(double(Benchmark::Tolerance))
                .col(text(Benchmark::Note)),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(BenchmarkReport::Table)
                .col(string(BenchmarkReport::ReportId).primary_key())
                .col(string(BenchmarkReport::CandidateId))
                .col(string(BenchmarkReport::CandidateHash))
                .col(integer(BenchmarkReport::RegistryVersion))
                .col(blob(BenchmarkReport::Report))
                .col(string(BenchmarkReport::CreatedAt)),
        )
        .await?;
        create_index(
            manager,
            "ix_benchmark_report_candidate",
            BenchmarkReport::Table,
            [BenchmarkReport::CandidateId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, BenchmarkReport::Table).await?;
        drop_table(manager, Benchmark::Table).await?;
        drop_table(manager, BenchmarkRegistry::Table).await
    }
}
