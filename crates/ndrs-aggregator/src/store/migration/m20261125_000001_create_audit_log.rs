//! The hash-chained audit log.

use ndrs_platform::db::{create_table, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateAuditLog;

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
