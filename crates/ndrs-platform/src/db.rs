//! Database connection and migrations.
//!
//! Each service owns its tables. Embedded (the default) gives every service its own SQLite file
//! under the data directory; with a PostgreSQL URL every service gets its own schema in that
//! database (`search_path` set on every pooled connection), so services never see each other's
//! tables and one database can host the whole system or one per service, as operators prefer.

use std::time::Duration;

use ndrs_core::Error;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTraitSelf;

use crate::settings::Settings;

/// Where one service's tables live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite { url: String },
    Postgres { url: String, schema: String },
}

impl DatabaseTarget {
    /// Resolves the target for `owner` (a service name, or `identity` for the token store).
    pub fn resolve(settings: &Settings, owner: &str, override_url: &str) -> Result<Self, Error> {
        let url = if override_url.is_empty() {
            settings.database.url.as_str()
        } else {
            override_url
        };
        if url.is_empty() {
            std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
                Error::Unavailable(format!(
                    "cannot create data_dir {}: {e}",
                    settings.data_dir.display()
                ))
            })?;
            let path = settings.data_dir.join(format!("{owner}.sqlite"));
            Ok(DatabaseTarget::Sqlite {
                url: format!("sqlite://{}?mode=rwc", path.display()),
            })
        } else if url.starts_with("sqlite:") {
            Ok(DatabaseTarget::Sqlite {
                url: url.to_string(),
            })
        } else {
            Ok(DatabaseTarget::Postgres {
                url: url.to_string(),
                schema: owner.replace('-', "_"),
            })
        }
    }
}

/// Maps a database error to the domain: connection trouble is `Unavailable` (retryable), the rest
/// is internal. The text is logged, never sent to a caller.
pub fn db_error(e: DbErr) -> Error {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Error::Unavailable(e.to_string()),
        other => Error::Internal(other.to_string()),
    }
}

/// Opens a pool to the target, creating the schema (PostgreSQL) or file (SQLite) when missing.
pub async fn connect(target: &DatabaseTarget) -> Result<DatabaseConnection, Error> {
    match target {
        DatabaseTarget::Sqlite { url } => {
            let mut opts = ConnectOptions::new(url.clone());
            // SQLite allows one writer; a single pooled connection serialises access instead of
            // failing with "database is locked" under concurrent submissions.
            opts.max_connections(1)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .sqlx_logging(false);
            let conn = Database::connect(opts).await.map_err(db_error)?;
            conn.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;")
                .await
                .map_err(db_error)?;
            Ok(conn)
        }
        DatabaseTarget::Postgres { url, schema } => {
            let mut bootstrap = ConnectOptions::new(url.clone());
            bootstrap
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            let admin = Database::connect(bootstrap).await.map_err(db_error)?;
            admin
                .execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .await
                .map_err(db_error)?;
            admin.close().await.map_err(db_error)?;
            let mut opts = ConnectOptions::new(url.clone());
            opts.max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .set_schema_search_path(schema.clone())
                .sqlx_logging(false);
            Database::connect(opts).await.map_err(db_error)
        }
    }
}

/// Connects and brings the schema up to date with `migrator`'s migrations.
pub async fn connect_and_migrate<M: MigratorTraitSelf + Sync>(
    target: &DatabaseTarget,
    migrator: &M,
) -> Result<DatabaseConnection, Error> {
    let conn = connect(target).await?;
    migrator.up(&conn, None).await.map_err(db_error)?;
    Ok(conn)
}
