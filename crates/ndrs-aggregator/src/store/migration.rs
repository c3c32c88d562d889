//! The aggregator's schema history in one file, read top to bottom, as lldap keeps its SQL
//! migrations beside its entities: each migration is a module named as existing databases
//! recorded it when they migrated (its name is given, not derived from a file). Never rename one
//! or reorder the list below; the test pins both. The file is long because the history is.

/// The candidate table.
mod m20261124_000001_create_candidate {
    use ndrs_platform::db::{create_table, create_unique_index, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateCandidate;

    impl MigrationName for CreateCandidate {
        fn name(&self) -> &str {
            "m20261124_000001_create_candidate"
        }
    }

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
}

/// Stage 1: rule sets and validation reports.
mod m20261124_000002_create_validation {
    use ndrs_platform::db::{create_index, create_table, create_unique_index, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateValidation;

    impl MigrationName for CreateValidation {
        fn name(&self) -> &str {
            "m20261124_000002_create_validation"
        }
    }

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
}

/// The hash-chained audit log.
mod m20261125_000001_create_audit_log {
    use ndrs_platform::db::{create_table, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateAuditLog;

    impl MigrationName for CreateAuditLog {
        fn name(&self) -> &str {
            "m20261125_000001_create_audit_log"
        }
    }

    #[derive(DeriveIden)]
    enum AuditLog {
        Table,
        Seq,
        At,
        Actor,
        Action,
        Subject,
        Details,
        PrevHash,
        Hash,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateAuditLog {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            create_table(
                manager,
                Table::create()
                    .table(AuditLog::Table)
                    // The sequence is assigned by the writer and is the primary key, so two
                    // writers appending after the same row cannot both succeed.
                    .col(big_integer(AuditLog::Seq).primary_key())
                    .col(string(AuditLog::At))
                    .col(string(AuditLog::Actor))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::Subject))
                    .col(text(AuditLog::Details))
                    .col(string(AuditLog::PrevHash))
                    .col(string(AuditLog::Hash)),
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            drop_table(manager, AuditLog::Table).await
        }
    }
}

/// Justifications of warnings and benchmark deviations.
mod m20261125_000002_create_justification {
    use ndrs_platform::db::{create_index, create_table, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateJustification;

    impl MigrationName for CreateJustification {
        fn name(&self) -> &str {
            "m20261125_000002_create_justification"
        }
    }

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
}

/// Stage 2: the external benchmark registry and benchmark reports.
mod m20261125_000003_create_benchmarks {
    use ndrs_platform::db::{create_index, create_table, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateBenchmarks;

    impl MigrationName for CreateBenchmarks {
        fn name(&self) -> &str {
            "m20261125_000003_create_benchmarks"
        }
    }

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
}

/// Stage 3: expert review rounds and votes.
mod m20261125_000004_create_review {
    use ndrs_platform::db::{create_table, create_unique_index, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateReview;

    impl MigrationName for CreateReview {
        fn name(&self) -> &str {
            "m20261125_000004_create_review"
        }
    }

    #[derive(DeriveIden)]
    enum ReviewRound {
        Table,
        RoundId,
        CycleYear,
        Number,
        CandidateId,
        CandidateHash,
        FrozenHash,
        FiguresJson,
        Quorum,
        State,
        OpenedBy,
        OpenedAt,
        ClosedAt,
    }

    #[derive(DeriveIden)]
    enum ReviewVote {
        Table,
        VoteId,
        RoundId,
        Expert,
        FigureKey,
        Verdict,
        Reason,
        CastAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateReview {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            create_table(
                manager,
                Table::create()
                    .table(ReviewRound::Table)
                    .col(string(ReviewRound::RoundId).primary_key())
                    .col(integer(ReviewRound::CycleYear))
                    .col(integer(ReviewRound::Number))
                    .col(string(ReviewRound::CandidateId))
                    .col(string(ReviewRound::CandidateHash))
                    .col(string(ReviewRound::FrozenHash))
                    .col(text(ReviewRound::FiguresJson))
                    .col(integer(ReviewRound::Quorum))
                    .col(string(ReviewRound::State))
                    .col(string(ReviewRound::OpenedBy))
                    .col(string(ReviewRound::OpenedAt))
                    .col(string_null(ReviewRound::ClosedAt)),
            )
            .await?;
            create_unique_index(
                manager,
                "ux_review_round_number",
                ReviewRound::Table,
                [ReviewRound::CycleYear, ReviewRound::Number],
            )
            .await?;
            create_table(
                manager,
                Table::create()
                    .table(ReviewVote::Table)
                    .col(string(ReviewVote::VoteId).primary_key())
                    .col(string(ReviewVote::RoundId))
                    .col(string(ReviewVote::Expert))
                    .col(string(ReviewVote::FigureKey))
                    .col(string(ReviewVote::Verdict))
                    .col(text(ReviewVote::Reason))
                    .col(string(ReviewVote::CastAt)),
            )
            .await?;
            // One vote per expert and target in a round: the index, not a read, decides races.
            create_unique_index(
                manager,
                "ux_review_vote_expert_target",
                ReviewVote::Table,
                [
                    ReviewVote::RoundId,
                    ReviewVote::Expert,
                    ReviewVote::FigureKey,
                ],
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            drop_table(manager, ReviewVote::Table).await?;
            drop_table(manager, ReviewRound::Table).await
        }
    }
}

/// Published releases (the SDMX column comes in `m20261125_000006_add_release_sdmx`).
mod m20261125_000005_create_release {
    use ndrs_platform::db::{create_table, create_unique_index, drop_table};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct CreateRelease;

    impl MigrationName for CreateRelease {
        fn name(&self) -> &str {
            "m20261125_000005_create_release"
        }
    }

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
}

/// The SDMX export of releases, stored beside the JSON and CSV.
mod m20261125_000006_add_release_sdmx {
    use ndrs_platform::db::{add_column, drop_column};
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    pub struct AddReleaseSdmx;

    impl MigrationName for AddReleaseSdmx {
        fn name(&self) -> &str {
            "m20261125_000006_add_release_sdmx"
        }
    }

    #[derive(DeriveIden)]
    enum Release {
        Table,
        DocumentSdmx,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for AddReleaseSdmx {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            add_column(
                manager,
                Release::Table,
                text(Release::DocumentSdmx).default(""),
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            drop_column(manager, Release::Table, Release::DocumentSdmx).await
        }
    }
}

/// One report per candidate and rule-set version, and per candidate and registry version.
///
/// Validation is deterministic, so a second report of the same inputs (two replicas reacting to
/// the same event, or a repeated request) can only duplicate the first; the index makes the second
/// insert fail and the caller answers with the stored report. Duplicates stored before this
/// migration are removed first, keeping the earliest (report ids are UUIDv7).
mod m20261201_000007_unique_reports {
    use sea_orm_migration::prelude::*;

    pub struct UniqueReports;

    impl MigrationName for UniqueReports {
        fn name(&self) -> &str {
            "m20261201_000007_unique_reports"
        }
    }

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
}

/// Stored validation and benchmark reports rewritten in the encoding of 2 December 2026: times
/// became `google.protobuf.Timestamp` under new field numbers, and a rule's severity became the
/// one `ndrs.v1.Severity` (ERROR is 3 where the old `RuleSeverity` had it as 1; WARNING stays 2).
///
/// A report decoded without this would lose its creation time (an unknown field) and, worse, read
/// every old error as INFO, so a candidate whose error rule failed could look publishable. The
/// rewrite decodes each report, maps the old ERROR to the new one, restores the time from the
/// row's own `created_at` column and stores the result. It is safe to run on rows already in the
/// new encoding: no rule result is ever INFO (a rule is an error or a warning), so nothing stored
/// since carries the value 1.
mod m20261202_000001_report_encoding {
    use ndrs_proto::v1 as pb;
    use prost::Message;
    use sea_orm::{ConnectionTrait, Value};
    use sea_orm_migration::prelude::*;

    pub struct ReportEncoding;

    impl MigrationName for ReportEncoding {
        fn name(&self) -> &str {
            "m20261202_000001_report_encoding"
        }
    }

    /// The old `RULE_SEVERITY_ERROR`.
    const OLD_ERROR: i32 = 1;

    #[async_trait::async_trait]
    impl MigrationTrait for ReportEncoding {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            rewrite(manager, "validation_report", |bytes, created_at| {
                let mut report = pb::ValidationReport::decode(bytes).map_err(unreadable)?;
                for r in &mut report.results {
                    if r.severity == OLD_ERROR {
                        r.severity = pb::Severity::Error as i32;
                    }
                }
                report.created_at = ndrs_platform::timestamp::from_text(created_at);
                Ok(report.encode_to_vec())
            })
            .await?;
            rewrite(manager, "benchmark_report", |bytes, created_at| {
                let mut report = pb::BenchmarkReport::decode(bytes).map_err(unreadable)?;
                report.created_at = ndrs_platform::timestamp::from_text(created_at);
                Ok(report.encode_to_vec())
            })
            .await
        }

        async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
            // The old encoding cannot hold what newer reports say; there is nothing to go back to.
            Ok(())
        }
    }

    fn unreadable(e: prost::DecodeError) -> DbErr {
        DbErr::Migration(format!("a stored report does not decode: {e}"))
    }

    /// Rewrites the `report` column of every row of `table` with `convert(bytes, created_at)`.
    async fn rewrite(
        manager: &SchemaManager<'_>,
        table: &str,
        convert: impl Fn(&[u8], &str) -> Result<Vec<u8>, DbErr>,
    ) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let select = Query::select()
            .columns([
                Alias::new("report_id"),
                Alias::new("report"),
                Alias::new("created_at"),
            ])
            .from(Alias::new(table))
            .to_owned();
        for row in db.query_all(&select).await? {
            let id: String = row.try_get("", "report_id")?;
            let bytes: Vec<u8> = row.try_get("", "report")?;
            let created_at: String = row.try_get("", "created_at")?;
            let update = Query::update()
                .table(Alias::new(table))
                .value(
                    Alias::new("report"),
                    Value::from(convert(&bytes, &created_at)?),
                )
                .and_where(Expr::col(Alias::new("report_id")).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }
}
pub use m20261124_000001_create_candidate::CreateCandidate;
pub use m20261124_000002_create_validation::CreateValidation;
pub use m20261125_000001_create_audit_log::CreateAuditLog;
pub use m20261125_000002_create_justification::CreateJustification;
pub use m20261125_000003_create_benchmarks::CreateBenchmarks;
pub use m20261125_000004_create_review::CreateReview;
pub use m20261125_000005_create_release::CreateRelease;
pub use m20261125_000006_add_release_sdmx::AddReleaseSdmx;
pub use m20261201_000007_unique_reports::UniqueReports;
pub use m20261202_000001_report_encoding::ReportEncoding;

use sea_orm_migration::MigrationTrait;

/// The aggregator's schema history.
pub struct Migrator;

impl sea_orm_migration::MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateCandidate),
            Box::new(CreateValidation),
            Box::new(CreateAuditLog),
            Box::new(CreateJustification),
            Box::new(CreateBenchmarks),
            Box::new(CreateReview),
            Box::new(CreateRelease),
            Box::new(AddReleaseSdmx),
            Box::new(UniqueReports),
            Box::new(ReportEncoding),
            // Derived-figures documents (the platform's versioned cycle documents).
            Box::new(ndrs_platform::documents::migration::CreateCycleDocument),
        ]
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTraitSelf;

    /// Existing databases recorded these names in this order; a renamed file or a reordered
    /// list would make them apply a migration twice or skip one.
    #[test]
    fn migration_names_and_order_are_the_recorded_ones() {
        let names: Vec<String> = super::Migrator
            .migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "m20261124_000001_create_candidate",
                "m20261124_000002_create_validation",
                "m20261125_000001_create_audit_log",
                "m20261125_000002_create_justification",
                "m20261125_000003_create_benchmarks",
                "m20261125_000004_create_review",
                "m20261125_000005_create_release",
                "m20261125_000006_add_release_sdmx",
                "m20261201_000007_unique_reports",
                "m20261202_000001_report_encoding",
                // Appended after the others: existing databases apply it next.
                "m20261125_000001_create_cycle_document",
            ]
        );
    }
}
