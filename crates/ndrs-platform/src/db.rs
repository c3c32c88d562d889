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
use sea_orm_migration::SchemaManager;
use sea_orm_migration::prelude::{
    ColumnDef, Index, IndexCreateStatement, IntoIden, Table, TableCreateStatement,
};

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
///
/// Connection trouble is not only a failed connect: a connection lost in the middle of a query
/// (server restarted, network cut, connection terminated by an administrator) surfaces as a query
/// or execution error carrying an I/O error or a PostgreSQL error of class 08 (connection
/// exception) or 57P (operator intervention). A client may retry those, so they are unavailable too.
pub fn db_error(e: DbErr) -> Error {
    if is_connection_lost(&e) {
        Error::Unavailable(e.to_string())
    } else {
        Error::Internal(e.to_string())
    }
}

/// Whether a database error means the connection, not the statement, failed.
pub fn is_connection_lost(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(inner)) | DbErr::Exec(RuntimeErr::SqlxError(inner)) => {
            match inner.as_ref() {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
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
                .sqlx_logging(false)
                // Waiting for the one connection is how access is serialised here, not a sign of
                // trouble: sqlx's "time to acquire exceeded slow threshold" warning would fire
                // dozens of times in a demo run, so it goes to debug.
                .map_sqlx_sqlite_pool_opts(|pool| pool.acquire_slow_level(log::LevelFilter::Debug));
            let conn = Database::connect(opts).await.map_err(db_error)?;
            conn.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;")
                .await
                .map_err(db_error)?;
            Ok(conn)
        }
        DatabaseTarget::Postgres { url, schema } => {
            let admin = single_session(url).await?;
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

/// One PostgreSQL session outside the service's pool, for the work that has to happen before the
/// pool is of use: creating the schema, holding the migration lock.
async fn single_session(url: &str) -> Result<DatabaseConnection, Error> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await.map_err(db_error)
}

/// Connects and brings the schema up to date with `migrator`'s migrations.
///
/// On PostgreSQL several replicas of a service start at once (the production overlay runs two
/// aggregators): unserialised, both would create the schema and apply the same migration, and the
/// second would fail on the migration table's key and stop. A session-level advisory lock keyed
/// by the schema makes them take turns; the second then finds every migration applied.
pub async fn connect_and_migrate<M: MigratorTraitSelf + Sync>(
    target: &DatabaseTarget,
    migrator: &M,
) -> Result<DatabaseConnection, Error> {
    let DatabaseTarget::Postgres { url, schema } = target else {
        let conn = connect(target).await?;
        migrator.up(&conn, None).await.map_err(db_error)?;
        return Ok(conn);
    };
    let lock = single_session(url).await?;
    let key = migration_lock_key(schema);
    lock.execute_unprepared(&format!("SELECT pg_advisory_lock({key})"))
        .await
        .map_err(db_error)?;
    let migrated = async {
        let conn = connect(target).await?;
        migrator.up(&conn, None).await.map_err(db_error)?;
        Ok(conn)
    }
    .await;
    // Closing the session releases the lock too; unlocking first hands it over at once.
    let _ = lock
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({key})"))
        .await;
    let _ = lock.close().await;
    migrated
}

/// The advisory lock key of a schema's migrations: the first 8 bytes of a SHA-256 of its name.
fn migration_lock_key(schema: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("ndrs-migrations:{schema}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Creates `table` unless it exists. Migrations state their tables through this and the index
/// helpers below rather than repeating the statements around them; every step is `IF NOT EXISTS`,
/// so a migration interrupted part-way (its steps are not one transaction on SQLite) can run again.
pub async fn create_table(
    manager: &SchemaManager<'_>,
    table: &mut TableCreateStatement,
) -> Result<(), DbErr> {
    manager.create_table(table.if_not_exists().to_owned()).await
}

/// Creates the index `name` over `columns` of `table` unless it exists (a lookup index).
pub async fn create_index<T: IntoIden>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = T>,
) -> Result<(), DbErr> {
    run_index_statement(manager, &mut index_statement(name, table, columns)).await
}

/// Creates the unique index `name` over `columns` of `table` unless it exists. Unique keys are
/// how the services decide races (two writers taking the same version or sequence number): the
/// index, not a read before the write, refuses the second.
pub async fn create_unique_index<T: IntoIden>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = T>,
) -> Result<(), DbErr> {
    run_index_statement(manager, index_statement(name, table, columns).unique()).await
}

/// Runs `index` unless the index exists: the one statement both index helpers end in.
async fn run_index_statement(
    manager: &SchemaManager<'_>,
    index: &mut IndexCreateStatement,
) -> Result<(), DbErr> {
    manager.create_index(index.if_not_exists().to_owned()).await
}

/// Drops `table` (a migration's `down`, dependents first).
pub async fn drop_table(manager: &SchemaManager<'_>, table: impl IntoIden) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(table.into_iden()).to_owned())
        .await
}

/// Adds `column` to `table` (a migration that extends a table; give the column a default so
/// existing rows get a value).
pub async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: &mut ColumnDef,
) -> Result<(), DbErr> {
    let mut alter = Table::alter();
    alter.table(table.into_iden()).add_column(column.to_owned());
    manager.alter_table(alter).await
}

/// Drops `column` from `table` (the `down` of [`add_column`]).
pub async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    let mut alter = Table::alter();
    alter
        .table(table.into_iden())
        .drop_column(column.into_iden());
    manager.alter_table(alter).await
}

fn index_statement<T: IntoIden>(
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = T>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.into_iden());
    for column in columns {
        index.col(column.into_iden());
    }
    index
}

/// Longest a pool probe waits for a connection; a wait this long is recorded as this long.
const POOL_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Records the pool's connections in use and idle as `db.client.connection.count`, and how long
/// a query waits for a connection as `db.client.connection.wait_time` (the OpenTelemetry
/// database-client conventions), named by `pool`: a pool that stays fully used, or whose wait
/// grows, is where submissions queue. sea-orm acquires connections inside each query, where no
/// hook sees the wait, so the wait is probed: one connection acquired and handed straight back,
/// which queues exactly as a query would at that moment.
pub async fn sample_pool(pool: &'static str, db: &DatabaseConnection) {
    record_pool_usage(pool, db);
    let started = std::time::Instant::now();
    let probe = async {
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                db.get_sqlite_connection_pool().acquire().await.map(drop)
            }
            sea_orm::DatabaseBackend::Postgres => {
                db.get_postgres_connection_pool().acquire().await.map(drop)
            }
            _ => Ok(()),
        }
    };
    let waited = match tokio::time::timeout(POOL_PROBE_TIMEOUT, probe).await {
        Ok(Ok(())) => started.elapsed(),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, pool, "pool wait not measured");
            return;
        }
        Err(_) => POOL_PROBE_TIMEOUT,
    };
    crate::metrics::metrics().db_wait.record(
        waited.as_secs_f64(),
        &[opentelemetry::KeyValue::new(
            "db.client.connection.pool.name",
            pool,
        )],
    );
}

fn record_pool_usage(pool: &'static str, db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
        sea_orm::DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => return,
    };
    let idle = u64::try_from(idle).unwrap_or(u64::MAX);
    let used = u64::from(size).saturating_sub(idle);
    let gauge = &crate::metrics::metrics().db_connections;
    for (state, count) in [("used", used), ("idle", idle)] {
        gauge.record(
            count,
            &[
                opentelemetry::KeyValue::new("db.client.connection.pool.name", pool),
                opentelemetry::KeyValue::new("db.client.connection.state", state),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::RuntimeErr;
    use std::sync::Arc;

    fn query_error(e: sea_orm::sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_connection_lost_mid_query_is_unavailable() {
        let broken = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "connection reset");
        assert!(matches!(
            db_error(query_error(sea_orm::sqlx::Error::Io(broken))),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            db_error(query_error(sea_orm::sqlx::Error::PoolClosed)),
            Error::Unavailable(_)
        ));
    }

    #[test]
    fn a_bad_statement_is_internal() {
        assert!(matches!(
            db_error(DbErr::Query(RuntimeErr::Internal("syntax error".into()))),
            Error::Internal(_)
        ));
        assert!(matches!(
            db_error(query_error(sea_orm::sqlx::Error::RowNotFound)),
            Error::Internal(_)
        ));
    }
}
