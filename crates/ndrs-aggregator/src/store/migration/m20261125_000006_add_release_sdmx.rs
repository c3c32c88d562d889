//! The SDMX export of releases, stored beside the JSON and CSV.

use ndrs_platform::db::{add_column, drop_column};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct AddReleaseSdmx;

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
