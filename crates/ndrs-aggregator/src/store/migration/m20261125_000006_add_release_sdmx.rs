//! The SDMX export of releases, stored beside the JSON and CSV.

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
        manager
            .alter_table(
                Table::alter()
                    .table(Release::Table)
                    .add_column(text(Release::DocumentSdmx).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Release::Table)
                    .drop_column(Release::DocumentSdmx)
                    .to_owned(),
            )
            .await
    }
}
