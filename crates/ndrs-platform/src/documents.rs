//! Versioned per-cycle documents: what the organiser loads for a cycle (a sample frame with its
//! weighting specification, a register) stored as a new version on every load, never
//! overwritten, so that every figure can name the exact version it was computed over.
//!
//! A service lists [`migration::CreateCycleDocument`] in its migrator and keeps one
//! [`CycleDocuments`] per document kind. The body is stored as canonical JSON with its SHA-256,
//! which is what figures cite in their lineage.

use std::borrow::Cow;

use ndrs_core::{Error, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::db::db_error;
use crate::returns::{InputsChanged, ReturnStore};

/// One stored version of a cycle's document.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub cycle_year: i32,
    pub version: u32,
    /// SHA-256 (hex) of the body's JSON encoding.
    pub content_hash: String,
    pub loaded_at: String,
    pub loaded_by: String,
    pub body: T,
}

impl<T> Versioned<T> {
    /// How a figure's lineage cites this version: `<kind>:<cycle>@<version>#<hash prefix>`.
    pub fn lineage_ref(&self, kind: &str) -> String {
        format!(
            "{kind}:{}@{}#{}",
            self.cycle_year,
            self.version,
            &self.content_hash[..12.min(self.content_hash.len())]
        )
    }
}

/// The versions of one kind of document, in a service's database.
///
/// A new version changes the stage's figures as much as a return does, so it is announced the
/// same way: an inputs-changed event in the outbox of the service's [`ReturnStore`], in the
/// transaction that stores the version, and the aggregator re-assembles and re-validates.
#[derive(Clone)]
pub struct CycleDocuments {
    db: DatabaseConnection,
    /// The outbox a new version is announced through; `None` for the aggregator's own
    /// documents, which it acts on itself.
    announcer: Option<ReturnStore>,
    /// A fixed name (`sample_design`) or one made at start (`questionnaire.<return kind>`).
    kind: Cow<'static, str>,
}

impl CycleDocuments {
    /// Documents of `kind` in the database of `store`, announced through its outbox.
    pub fn new(store: &ReturnStore, kind: impl Into<Cow<'static, str>>) -> Self {
        Self {
            db: store.connection().clone(),
            announcer: Some(store.clone()),
            kind: kind.into(),
        }
    }

    /// Documents of `kind` in `db`, announced to nobody: for a service that is itself the one
    /// acting on them (the aggregator's derived figures re-assemble the cycle when published).
    pub fn unannounced(db: &DatabaseConnection, kind: impl Into<Cow<'static, str>>) -> Self {
        Self {
            db: db.clone(),
            announcer: None,
            kind: kind.into(),
        }
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Stores `body` as the next version of the cycle's document. Two concurrent loads cannot
    /// take the same version (unique index); the loser gets `Conflict` and may retry.
    pub async fn load<T: Serialize>(
        &self,
        cycle_year: i32,
        body: T,
        loaded_by: &str,
    ) -> Result<Versioned<T>> {
        let body_json = serde_json::to_string(&body)
            .map_err(|e| Error::Internal(format!("encode {}: {e}", self.kind)))?;
        let content_hash = hex::encode(Sha256::digest(body_json.as_bytes()));
        let version = self.latest_version(cycle_year).await? + 1;
        let loaded_at = crate::timestamp::now_text();
        let txn = self.db.begin().await.map_err(db_error)?;
        entity::ActiveModel {
            kind: Set(self.kind.to_string()),
            cycle_year: Set(cycle_year),
            version: Set(version as i32),
            content_hash: Set(content_hash.clone()),
            body_json: Set(body_json),
            loaded_by: Set(loaded_by.to_string()),
            loaded_at: Set(loaded_at.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) {
                Error::Conflict(format!(
                    "concurrent {} loads for cycle {cycle_year}; retry",
                    self.kind
                ))
            } else {
                db_error(e)
            }
        })?;
        if let Some(announcer) = &self.announcer {
            let event = InputsChanged {
                stage: announcer.stage().to_string(),
                cycle_year,
                return_id: format!("{}:{cycle_year}@{version}", self.kind),
                version,
                content_hash: content_hash.clone(),
                traceparent: crate::telemetry::current_traceparent(),
            };
            announcer.announce_in(&txn, &event, &loaded_at).await?;
        }
        txn.commit().await.map_err(db_error)?;
        if let Some(announcer) = &self.announcer {
            announcer.wake_relay();
        }
        Ok(Versioned {
            cycle_year,
            version,
            content_hash,
            loaded_at,
            loaded_by: loaded_by.to_string(),
            body,
        })
    }

    /// A given version (0: the latest) of the cycle's document, if one was loaded.
    pub async fn get<T: DeserializeOwned>(
        &self,
        cycle_year: i32,
        version: u32,
    ) -> Result<Option<Versioned<T>>> {
        let mut query = entity::Entity::find()
            .filter(entity::Column::Kind.eq(self.kind.as_ref()))
            .filter(entity::Column::CycleYear.eq(cycle_year));
        if version != 0 {
            query = query
                .filter(entity::Column::Version.eq(i32::try_from(version).unwrap_or(i32::MAX)));
        }
        let Some(row) = query
            .order_by_desc(entity::Column::Version)
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let body = serde_json::from_str(&row.body_json).map_err(|e| {
            Error::Internal(format!(
                "stored {} {cycle_year}@{} unreadable: {e}",
                self.kind, row.version
            ))
        })?;
        Ok(Some(Versioned {
            cycle_year: row.cycle_year,
            version: row.version as u32,
            content_hash: row.content_hash,
            loaded_at: row.loaded_at,
            loaded_by: row.loaded_by,
            body,
        }))
    }

    async fn latest_version(&self, cycle_year: i32) -> Result<u32> {
        let row = entity::Entity::find()
            .filter(entity::Column::Kind.eq(self.kind.as_ref()))
            .filter(entity::Column::CycleYear.eq(cycle_year))
            .order_by_desc(entity::Column::Version)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(row.map_or(0, |r| r.version as u32))
    }
}

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cycle_document")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub cycle_year: i32,
        pub version: i32,
        pub content_hash: String,
        #[sea_orm(column_type = "Text")]
        pub body_json: String,
        pub loaded_by: String,
        pub loaded_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod migration {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    use crate::db;

    /// Explicitly named (see the return store's migration for why).
    pub struct CreateCycleDocument;

    impl MigrationName for CreateCycleDocument {
        fn name(&self) -> &str {
            "m20261125_000001_create_cycle_document"
        }
    }

    #[derive(DeriveIden)]
    enum CycleDocument {
        Table,
        Id,
        Kind,
        CycleYear,
        Version,
        ContentHash,
        BodyJson,
        LoadedBy,
        LoadedAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateCycleDocument {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            use CycleDocument as D;
            db::create_table(
                manager,
                Table::create()
                    .table(D::Table)
                    .col(big_pk_auto(D::Id))
                    .col(string(D::Kind))
                    .col(integer(D::CycleYear))
                    .col(integer(D::Version))
                    .col(string(D::ContentHash))
                    .col(text(D::BodyJson))
                    .col(string(D::LoadedBy))
                    .col(string(D::LoadedAt)),
            )
            .await?;
            db::create_unique_index(
                manager,
                "ux_cycle_document_version",
                D::Table,
                [D::Kind, D::CycleYear, D::Version],
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::drop_table(manager, CycleDocument::Table).await
        }
    }
}
