//! Per-test settings on SQLite, or on PostgreSQL and Redis when the environment asks for them.

use ndrs_platform::settings::{BusKind, Settings};
use sea_orm::{ConnectionTrait, Database};

pub const DATABASE_URL_VAR: &str = "NDRS_TEST_DATABASE_URL";
pub const REDIS_URL_VAR: &str = "NDRS_TEST_REDIS_URL";

/// Settings for one test, and the temporary directory they point into (kept alive with them).
pub struct TestEnv {
    pub settings: Settings,
    pub backend: &'static str,
    _data_dir: tempfile::TempDir,
    /// The fresh PostgreSQL database (admin URL, name), dropped with the environment.
    postgres: Option<(String, String)>,
}

fn set_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Creates a fresh database next to the one `admin_url` names and returns its URL.
///
/// Panics (failing the test) when the server cannot be reached: a configured database must be used.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let (url, _) = create_postgres_database(admin_url).await;
    url
}

async fn admin_connection(admin_url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    let mut options = sea_orm::ConnectOptions::new(admin_url.to_string());
    options
        .max_connections(1)
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Creates a fresh database; returns its URL and name.
async fn create_postgres_database(admin_url: &str) -> (String, String) {
    let admin = admin_connection(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
    let name = format!("ndrs_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    let url = match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    };
    (url, name)
}

/// Drops a test database, closing whatever connections the stopped (or abandoned) system left.
/// Runs on its own thread and runtime because `Drop` cannot await.
fn drop_postgres_database(admin_url: String, name: String) {
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            let admin = admin_connection(&admin_url).await.ok()?;
            let dropped = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
            dropped.ok()
        })
    });
    if worker.join().ok().flatten().is_none() {
        eprintln!("test database could not be dropped; drop it by hand");
    }
}

/// Pings Redis, panicking (failing the test) when a configured server is unreachable.
pub async fn require_redis(url: &str) {
    let client =
        redis::Client::open(url).unwrap_or_else(|e| panic!("{REDIS_URL_VAR} is invalid: {e}"));
    let mut conn = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .unwrap_or_else(|_| panic!("{REDIS_URL_VAR} is set but Redis did not answer in 5 s"))
    .unwrap_or_else(|e| panic!("{REDIS_URL_VAR} is set but Redis is unreachable: {e}"));
    let _: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{REDIS_URL_VAR} is set but Redis does not answer PING: {e}"));
}

impl TestEnv {
    /// A fresh environment: every service port 0, a new data directory, and the configured
    /// PostgreSQL and Redis when their variables are set.
    pub async fn new() -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = Settings::defaults();
        settings.data_dir = data_dir.path().to_path_buf();
        settings.services.aggregator.port = 0;
        settings.services.production.port = 0;
        settings.services.compute.port = 0;
        settings.services.circulation.port = 0;
        settings.services.application.port = 0;
        settings.services.web.port = 0;
        // Tests publish over gRPC and read the public pages at once.
        settings.web.listing_cache_ms = 0;
        settings.relay.poll_interval_ms = 100;
        settings.aggregator.revalidate_debounce_ms = 50;
        settings.telemetry.log_filter = "warn".into();
        let mut backend = "sqlite";
        let mut postgres = None;
        if let Some(url) = set_var(DATABASE_URL_VAR) {
            let (database_url, name) = create_postgres_database(&url).await;
            settings.database.url = database_url;
            postgres = Some((url, name));
            backend = "postgres";
        }
        if let Some(url) = set_var(REDIS_URL_VAR) {
            require_redis(&url).await;
            settings.bus.kind = BusKind::Redis;
            settings.bus.redis_url = url;
            settings.bus.namespace = format!("ndrs-test-{}", uuid::Uuid::new_v4().simple());
            backend = if backend == "postgres" {
                "postgres+redis"
            } else {
                "sqlite+redis"
            };
        }
        settings.validate().expect("test settings are valid");
        Self {
            settings,
            backend,
            _data_dir: data_dir,
            postgres,
        }
    }
}

impl Drop for TestEnv {
    /// Each test's database goes with it, so repeated runs do not fill the server; a failing
    /// test keeps its database for inspection and says which it is.
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        if std::thread::panicking() {
            eprintln!(
                "test failed on {}: database {name} kept for inspection",
                self.backend
            );
            return;
        }
        drop_postgres_database(admin_url, name);
    }
}

/// A fresh database of one backend, for storage tests that run the same suite over every backend
/// in one test binary (as quickwit's metastore suite does): SQLite in memory always, PostgreSQL
/// when `NDRS_TEST_DATABASE_URL` is set (a fresh database, dropped afterwards).
pub struct TestDatabase {
    /// The database URL (an in-memory SQLite URL, or the fresh PostgreSQL database's).
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A private in-memory SQLite database (one pooled connection keeps it alive).
    pub fn sqlite() -> Self {
        Self {
            url: "sqlite::memory:".into(),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when `NDRS_TEST_DATABASE_URL` is not set; fails the
    /// test when it is set and the server is unreachable.
    pub async fn postgres() -> Option<Self> {
        let admin = set_var(DATABASE_URL_VAR)?;
        let (url, name) = create_postgres_database(&admin).await;
        Some(Self {
            url,
            postgres: Some((admin, name)),
        })
    }

    /// Where a service's tables live in this database (its own schema on PostgreSQL).
    pub fn target(&self, owner: &str) -> ndrs_platform::db::DatabaseTarget {
        let mut settings = Settings::defaults();
        settings.database.url = self.url.clone();
        ndrs_platform::db::DatabaseTarget::resolve(&settings, owner, "")
            .expect("a test database URL resolves")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            if std::thread::panicking() {
                eprintln!("test failed on postgres: database {name} kept for inspection");
                return;
            }
            drop_postgres_database(admin, name);
        }
    }
}
