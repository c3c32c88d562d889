//! Schema of the return store and outbox. Every stage service lists this migration first in its
//! own migrator, so each service's database holds its own copy of these tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
        manager
            .create_table(
                Table::create()
                    .table(SubmittedReturn::Table)
                    .if_not_exists()
                    .col(
                        big_integer(SubmittedReturn::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string(SubmittedReturn::ReturnId))
                    .col(integer(SubmittedReturn::Version))
                    .col(string(SubmittedReturn::ReturnKind))
                    .col(integer(SubmittedReturn::CycleYear))
                    .col(string(SubmittedReturn::ReportingUnitId))
                    .col(string(SubmittedReturn::IdempotencyKey))
                    .col(string(SubmittedReturn::ContentHash))
                    .col(text(SubmittedReturn::PayloadJson))
                    .col(text(SubmittedReturn::FindingsJson))
                    .col(string(SubmittedReturn::SubmittedBy))
                    .col(string(SubmittedReturn::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        // A version number is taken once per return: concurrent corrections cannot both win.
        manager
            .create_index(
                Index::create()
                    .name("ux_submitted_return_version")
                    .table(SubmittedReturn::Table)
                    .col(SubmittedReturn::ReturnId)
                    .col(SubmittedReturn::Version)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // Idempotency keys are scoped to the reporting unit that chose them.
        manager
            .create_index(
                Index::create()
                    .name("ux_submitted_return_idempotency")
                    .table(SubmittedReturn::Table)
                    .col(SubmittedReturn::ReportingUnitId)
                    .col(SubmittedReturn::IdempotencyKey)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_submitted_return_cycle")
                    .table(SubmittedReturn::Table)
                    .col(SubmittedReturn::CycleYear)
                    .col(SubmittedReturn::ReturnKind)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvent::Table)
                    .if_not_exists()
                    .col(big_integer(OutboxEvent::Id).auto_increment().primary_key())
                    .col(string(OutboxEvent::Topic))
                    .col(text(OutboxEvent::PayloadJson))
                    .col(string(OutboxEvent::CreatedAt))
                    .col(string_null(OutboxEvent::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_event_unpublished")
                    .table(OutboxEvent::Table)
                    .col(OutboxEvent::PublishedAt)
                    .col(OutboxEvent::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxEvent::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SubmittedReturn::Table).to_owned())
            .await
    }
}

/// Migrator of a stage service whose only tables are the return store and outbox.
pub struct ReturnStoreMigrator;

impl sea_orm_migration::MigratorTraitSelf for ReturnStoreMigrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateReturnStore)]
    }
}
