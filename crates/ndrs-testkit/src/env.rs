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
}

fn set_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Creates a fresh database next to the one `admin_url` names and returns its URL.
///
/// Panics (failing the test) when the server cannot be reached: a configured database must be used.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let mut options = sea_orm::ConnectOptions::new(admin_url.to_string());
    options
        .max_connections(1)
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(5))
        .sqlx_logging(false);
    let admin = Database::connect(options)
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
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
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
        settings.relay.poll_interval_ms = 100;
        settings.aggregator.revalidate_debounce_ms = 50;
        settings.telemetry.log_filter = "warn".into();
        let mut backend = "sqlite";
        if let Some(url) = set_var(DATABASE_URL_VAR) {
            settings.database.url = fresh_postgres_database(&url).await;
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
        }
    }
}
