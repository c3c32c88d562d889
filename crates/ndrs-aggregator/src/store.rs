//! The candidate table. A candidate row is written once and never updated: it is the frozen set
//! of stage results that validation and review refer to by its content hash.

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

    /// The aggregator's schema history.
    pub struct Migrator;

    impl sea_orm_migration::MigratorTraitSelf for Migrator {
        fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
            vec![Box::new(CreateCandidate), Box::new(CreateValidation)]
        }
    }
}
