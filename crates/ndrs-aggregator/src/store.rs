//! The aggregator's tables. A candidate row is written once and never updated: it is the frozen
//! set of stage results that validation, review and publication refer to by its content hash.
//! Rule sets, benchmarks, justifications, votes, releases and audit rows are append-only too; only
//! a review round's state moves, once, from open to its outcome.

pub mod candidate {
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
}

pub mod rule_set {
    use sea_orm::entity::prelude::*;

    /// One version of a cycle's cross-entity rule set; new versions are added, none is changed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rule_set")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cycle_year: i32,
        pub version: i32,
        pub content_hash: String,
        #[sea_orm(column_type = "Text")]
        pub rules_json: String,
        pub loaded_by: String,
        pub loaded_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod validation_report {
    use sea_orm::entity::prelude::*;

    /// The outcome of stage 1 on one candidate with one rule-set version.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "validation_report")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub report_id: String,
        pub candidate_id: String,
        pub candidate_hash: String,
        pub rule_set_version: i32,
        pub rule_set_hash: String,
        /// The report, protobuf-encoded (`ndrs.v1.ValidationReport`).
        pub report: Vec<u8>,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    /// One row of the hash-chained audit log. Rows are appended, never updated: `hash` is the
    /// SHA-256 of `prev_hash` followed by the row's canonical form, so editing any row breaks
    /// every link after it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: String,
        pub actor: String,
        pub action: String,
        pub subject: String,
        #[sea_orm(column_type = "Text")]
        pub details: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod justification {
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
}

pub mod benchmark_registry {
    use sea_orm::entity::prelude::*;

    /// One version of the external benchmark registry: version N holds every benchmark added in
    /// versions 1..=N.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "benchmark_registry")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub content_hash: String,
        pub benchmarks: i32,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub created_by: String,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod benchmark {
    use sea_orm::entity::prelude::*;

    /// An outside figure, added in registry version `registry_version` and never changed.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "benchmark")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub benchmark_id: String,
        pub registry_version: i32,
        pub publisher: String,
        pub indicator: String,
        pub scope: String,
        pub year: i32,
        pub value: f64,
        pub unit: String,
        pub comparable_to: String,
        pub comparability: String,
        pub tolerance: f64,
        #[sea_orm(column_type = "Text")]
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod benchmark_report {
    use sea_orm::entity::prelude::*;

    /// The outcome of stage 2 on one candidate with one registry version.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "benchmark_report")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub report_id: String,
        pub candidate_id: String,
        pub candidate_hash: String,
        pub registry_version: i32,
        /// The report, protobuf-encoded (`ndrs.v1.BenchmarkReport`).
        pub report: Vec<u8>,
        pub created_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod review_round {
    use sea_orm::entity::prelude::*;

    /// A review round over a frozen candidate. Only `state` and `closed_at` change, once, when
    /// the round passes, is rejected or is superseded by the next round.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "review_round")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub round_id: String,
        pub cycle_year: i32,
        pub number: i32,
        pub candidate_id: String,
        pub candidate_hash: String,
        /// SHA-256 over every figure's hash (figure with its lineage).
        pub frozen_hash: String,
        /// `[[figure key, hash], ...]` in key order.
        #[sea_orm(column_type = "Text")]
        pub figures_json: String,
        pub quorum: i32,
        pub state: String,
        pub opened_by: String,
        pub opened_at: String,
        pub closed_at: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod review_vote {
    use sea_orm::entity::prelude::*;

    /// One expert's vote in a round, on one figure or (empty `figure_key`) the whole candidate.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "review_vote")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub vote_id: String,
        pub round_id: String,
        pub expert: String,
        pub figure_key: String,
        pub verdict: String,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        pub cast_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod release {
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
}

pub mod migration {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    /// Migration names are explicit: derived names come from the file name and would collide
    /// between migrations that share a file.
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
            manager
                .create_table(
                    Table::create()
                        .table(Candidate::Table)
                        .if_not_exists()
                        .col(string(Candidate::CandidateId).primary_key())
                        .col(integer(Candidate::CycleYear))
                        .col(integer(Candidate::Sequence))
                        .col(string(Candidate::ContentHash))
                        .col(string(Candidate::Trigger))
                        .col(string(Candidate::AssembledAt))
                        .col(string(Candidate::AssembledBy))
                        .col(blob(Candidate::Stages))
                        .to_owned(),
                )
                .await?;
            // Sequence numbers are taken once per cycle, so concurrent assemblies cannot collide.
            manager
                .create_index(
                    Index::create()
                        .name("ux_candidate_cycle_sequence")
                        .table(Candidate::Table)
                        .col(Candidate::CycleYear)
                        .col(Candidate::Sequence)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(Candidate::Table).to_owned())
                .await
        }
    }

    /// Migration names are explicit: derived names come from the file name and would collide
    /// between migrations that share a file.
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
            manager
                .create_table(
                    Table::create()
                        .table(RuleSet::Table)
                        .if_not_exists()
                        .col(big_integer(RuleSet::Id).auto_increment().primary_key())
                        .col(integer(RuleSet::CycleYear))
                        .col(integer(RuleSet::Version))
                        .col(string(RuleSet::ContentHash))
                        .col(text(RuleSet::RulesJson))
                        .col(string(RuleSet::LoadedBy))
                        .col(string(RuleSet::LoadedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ux_rule_set_version")
                        .table(RuleSet::Table)
                        .col(RuleSet::CycleYear)
                        .col(RuleSet::Version)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
            manager
                .create_table(
                    Table::create()
                        .table(ValidationReport::Table)
                        .if_not_exists()
                        .col(string(ValidationReport::ReportId).primary_key())
                        .col(string(ValidationReport::CandidateId))
                        .col(string(ValidationReport::CandidateHash))
                        .col(integer(ValidationReport::RuleSetVersion))
                        .col(string(ValidationReport::RuleSetHash))
                        .col(blob(ValidationReport::Report))
                        .col(string(ValidationReport::CreatedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ix_validation_report_candidate")
                        .table(ValidationReport::Table)
                        .col(ValidationReport::CandidateId)
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(ValidationReport::Table).to_owned())
                .await?;
            manager
                .drop_table(Table::drop().table(RuleSet::Table).to_owned())
                .await
        }
    }

    /// The hash-chained audit log.
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
            manager
                .create_table(
                    Table::create()
                        .table(AuditLog::Table)
                        .if_not_exists()
                        // The sequence is assigned by the writer and is the primary key, so two
                        // writers appending after the same row cannot both succeed.
                        .col(big_integer(AuditLog::Seq).primary_key())
                        .col(string(AuditLog::At))
                        .col(string(AuditLog::Actor))
                        .col(string(AuditLog::Action))
                        .col(string(AuditLog::Subject))
                        .col(text(AuditLog::Details))
                        .col(string(AuditLog::PrevHash))
                        .col(string(AuditLog::Hash))
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(AuditLog::Table).to_owned())
                .await
        }
    }

    /// Justifications of warnings and benchmark deviations.
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
            manager
                .create_table(
                    Table::create()
                        .table(Justification::Table)
                        .if_not_exists()
                        .col(string(Justification::JustificationId).primary_key())
                        .col(string(Justification::CandidateId))
                        .col(string(Justification::CandidateHash))
                        .col(string(Justification::Stage))
                        .col(string(Justification::Subject))
                        .col(text(Justification::Text))
                        .col(string(Justification::JustifiedBy))
                        .col(string(Justification::JustifiedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ix_justification_candidate")
                        .table(Justification::Table)
                        .col(Justification::CandidateId)
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(Justification::Table).to_owned())
                .await
        }
    }

    /// The external benchmark registry and stage-2 reports.
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
            manager
                .create_table(
                    Table::create()
                        .table(BenchmarkRegistry::Table)
                        .if_not_exists()
                        // The version is the key: two concurrent additions cannot both take it.
                        .col(integer(BenchmarkRegistry::Version).primary_key())
                        .col(string(BenchmarkRegistry::ContentHash))
                        .col(integer(BenchmarkRegistry::Benchmarks))
                        .col(text(BenchmarkRegistry::Note))
                        .col(string(BenchmarkRegistry::CreatedBy))
                        .col(string(BenchmarkRegistry::CreatedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_table(
                    Table::create()
                        .table(Benchmark::Table)
                        .if_not_exists()
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
                        .col(text(Benchmark::Note))
                        .to_owned(),
                )
                .await?;
            manager
                .create_table(
                    Table::create()
                        .table(BenchmarkReport::Table)
                        .if_not_exists()
                        .col(string(BenchmarkReport::ReportId).primary_key())
                        .col(string(BenchmarkReport::CandidateId))
                        .col(string(BenchmarkReport::CandidateHash))
                        .col(integer(BenchmarkReport::RegistryVersion))
                        .col(blob(BenchmarkReport::Report))
                        .col(string(BenchmarkReport::CreatedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ix_benchmark_report_candidate")
                        .table(BenchmarkReport::Table)
                        .col(BenchmarkReport::CandidateId)
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(BenchmarkReport::Table).to_owned())
                .await?;
            manager
                .drop_table(Table::drop().table(Benchmark::Table).to_owned())
                .await?;
            manager
                .drop_table(Table::drop().table(BenchmarkRegistry::Table).to_owned())
                .await
        }
    }

    /// Expert review rounds and votes.
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
            manager
                .create_table(
                    Table::create()
                        .table(ReviewRound::Table)
                        .if_not_exists()
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
                        .col(string_null(ReviewRound::ClosedAt))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ux_review_round_number")
                        .table(ReviewRound::Table)
                        .col(ReviewRound::CycleYear)
                        .col(ReviewRound::Number)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
            manager
                .create_table(
                    Table::create()
                        .table(ReviewVote::Table)
                        .if_not_exists()
                        .col(string(ReviewVote::VoteId).primary_key())
                        .col(string(ReviewVote::RoundId))
                        .col(string(ReviewVote::Expert))
                        .col(string(ReviewVote::FigureKey))
                        .col(string(ReviewVote::Verdict))
                        .col(text(ReviewVote::Reason))
                        .col(string(ReviewVote::CastAt))
                        .to_owned(),
                )
                .await?;
            // One vote per expert and target in a round: the index, not a read, decides races.
            manager
                .create_index(
                    Index::create()
                        .name("ux_review_vote_expert_target")
                        .table(ReviewVote::Table)
                        .col(ReviewVote::RoundId)
                        .col(ReviewVote::Expert)
                        .col(ReviewVote::FigureKey)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(ReviewVote::Table).to_owned())
                .await?;
            manager
                .drop_table(Table::drop().table(ReviewRound::Table).to_owned())
                .await
        }
    }

    /// Published releases.
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
            manager
                .create_table(
                    Table::create()
                        .table(Release::Table)
                        .if_not_exists()
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
                        .col(text(Release::Note))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("ux_release_version")
                        .table(Release::Table)
                        .col(Release::CycleYear)
                        .col(Release::Version)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(Release::Table).to_owned())
                .await
        }
    }

    /// The SDMX export of releases.
    pub struct AddReleaseSdmx;

    impl MigrationName for AddReleaseSdmx {
        fn name(&self) -> &str {
            "m20261125_000006_add_release_sdmx"
        }
    }

    #[derive(DeriveIden)]
    enum ReleaseSdmx {
        #[sea_orm(iden = "release")]
        Table,
        DocumentSdmx,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for AddReleaseSdmx {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReleaseSdmx::Table)
                        .add_column(text(ReleaseSdmx::DocumentSdmx).default(""))
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReleaseSdmx::Table)
                        .drop_column(ReleaseSdmx::DocumentSdmx)
                        .to_owned(),
                )
                .await
        }
    }

    /// One report per candidate and rule set version, and per candidate and registry version.
    /// Validation is deterministic, so a second report of the same inputs (two replicas reacting
    /// to the same event, or a repeated request) can only duplicate the first; the index makes
    /// the second insert fail and the caller answers with the stored report. Duplicates stored
    /// before this migration are removed first, keeping the earliest (report ids are UUIDv7).
    pub struct UniqueReports;

    impl MigrationName for UniqueReports {
        fn name(&self) -> &str {
            "m20261201_000007_unique_reports"
        }
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
            ]
        }
    }
}
