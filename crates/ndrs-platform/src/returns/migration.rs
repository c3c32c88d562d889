//! Schema of the return store and outbox. Every stage service lists this migration first in its
//! own migrator, so each service's database holds its own copy of these tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::db;

/// Migration names are explicit: derived names come from the file name and would collide
/// between migrations that share a file.
pub struct CreateReturnStore;

impl MigrationName for CreateReturnStore {
    fn name(&self) -> &str {
        "m20261124_000001_create_return_store"
    }
}

#[derive(DeriveIden)]
enum SubmittedReturn {
    Table,
    Id,
    ReturnId,
    Version,
    ReturnKind,
    CycleYear,
    ReportingUnitId,
    IdempotencyKey,
    ContentHash,
    PayloadJson,
    FindingsJson,
    SubmittedBy,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum OutboxEvent {
    Table,
    Id,
    Topic,
    PayloadJson,
    CreatedAt,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReturnStore {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SubmittedReturn as R;
        db::create_table(
            manager,
            Table::create()
                .table(R::Table)
                .col(big_pk_auto(R::Id))
                .col(string(R::ReturnId))
                .col(integer(R::Version))
                .col(string(R::ReturnKind))
                .col(integer(R::CycleYear))
                .col(string(R::ReportingUnitId))
                .col(string(R::IdempotencyKey))
                .col(string(R::ContentHash))
                .col(text(R::PayloadJson))
                .col(text(R::FindingsJson))
                .col(string(R::SubmittedBy))
                .col(string(R::ReceivedAt)),
        )
        .await?;
        // A version number is taken once per return: concurrent corrections cannot both win.
        db::create_unique_index(
            manager,
            "ux_submitted_return_version",
            R::Table,
            [R::ReturnId, R::Version],
        )
        .await?;
        // Idempotency keys are scoped to the reporting unit that chose them.
        db::create_unique_index(
            manager,
            "ux_submitted_return_idempotency",
            R::Table,
            [R::ReportingUnitId, R::IdempotencyKey],
        )
        .await?;
        db::create_index(
            manager,
            "ix_submitted_return_cycle",
            R::Table,
            [R::CycleYear, R::ReturnKind],
        )
        .await?;
        db::create_table(
            manager,
            Table::create()
                .table(OutboxEvent::Table)
                .col(big_pk_auto(OutboxEvent::Id))
                .col(string(OutboxEvent::Topic))
                .col(text(OutboxEvent::PayloadJson))
                .col(string(OutboxEvent::CreatedAt))
                .col(string_null(OutboxEvent::PublishedAt)),
        )
        .await?;
        db::create_index(
            manager,
            "ix_outbox_event_unpublished",
            OutboxEvent::Table,
            [OutboxEvent::PublishedAt, OutboxEvent::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        db::drop_table(manager, OutboxEvent::Table).await?;
        db::drop_table(manager, SubmittedReturn::Table).await
    }
}

/// Migrator of a stage service whose only tables are the return store and outbox.
pub struct ReturnStoreMigrator;

impl sea_orm_migration::MigratorTraitSelf for ReturnStoreMigrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateReturnStore),
            Box::new(CreateRefusedSubmission),
        ]
    }
}

/// Refused submissions (unit, kind, cycle, when, why), for response monitoring: a unit that tried
/// and was refused is chased differently from one that never sent anything. Nothing of the
/// refused payload is kept.
pub struct CreateRefusedSubmission;

impl MigrationName for CreateRefusedSubmission {
    fn name(&self) -> &str {
        "m20261203_000002_create_refused_submission"
    }
}

#[derive(DeriveIden)]
enum RefusedSubmission {
    Table,
    Id,
    ReturnKind,
    CycleYear,
    ReportingUnitId,
    RefusedAt,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRefusedSubmission {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use RefusedSubmission as R;
        db::create_table(
            manager,
            Table::create()
                .table(R::Table)
                .col(big_pk_auto(R::Id))
                .col(string(R::ReturnKind))
                .col(integer(R::CycleYear))
                .col(string(R::ReportingUnitId))
                .col(string(R::RefusedAt))
                .col(text(R::Reason)),
        )
        .await?;
        db::create_index(
            manager,
            "refused_submission_by_cycle",
            R::Table,
            [R::CycleYear],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        db::drop_table(manager, RefusedSubmission::Table).await
    }
}
