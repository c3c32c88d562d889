//! Layered configuration: built-in defaults, `config/default.toml`, `config/{NDRS_ENV}.toml`,
//! then environment variables `NDRS__SECTION__KEY` (e.g. `NDRS__DATABASE__URL`).
//!
//! The whole configuration is deserialised and validated at start, so a service never runs with a
//! half-understood setting: unknown keys are refused and every error names the key at fault.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use ndrs_core::units::ZettabyteBase;
use serde::Deserialize;

const DEFAULTS: &str = include_str!("defaults.toml");

/// Error in the configuration; the message always names the offending key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(pub String);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where the embedded SQLite databases live.
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub bus: BusSettings,
    pub telemetry: TelemetrySettings,
    pub presentation: PresentationSettings,
    pub auth: AuthSettings,
    pub server: ServerSettings,
    pub services: ServicesSettings,
    pub aggregator: AggregatorSettings,
    pub web: WebSettings,
    pub relay: RelaySettings,
    pub estimation: EstimationSettings,
    /// Per-quantity bounds on what one return may report ([`crate::plausibility`]).
    pub plausibility: crate::plausibility::Plausibility,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Empty: one embedded SQLite file per service under `data_dir`. A `postgres://` URL: one
    /// schema per service in that database.
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusKind {
    InProcess,
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusSettings {
    pub kind: BusKind,
    pub redis_url: String,
    /// Prefix of every stream key, so several deployments (or test runs) can share one Redis.
    pub namespace: String,
    /// Approximate cap on each Redis stream's length (XADD MAXLEN ~).
    pub stream_max_len: u64,
    /// A Redis entry delivered to a consumer and not acknowledged for this long (its consumer
    /// crashed, or is stuck) is claimed by another consumer of the group (XAUTOCLAIM), at start
    /// and periodically.
    pub claim_idle_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// OTLP/gRPC collector endpoint; empty: `OTEL_EXPORTER_OTLP_ENDPOINT` if set, otherwise no
    /// export (logs still go to stderr).
    pub otlp_endpoint: String,
    /// `deployment.environment.name` of the telemetry resource (`production`, `staging`, ...);
    /// empty: unset, unless `OTEL_RESOURCE_ATTRIBUTES` says.
    pub environment: String,
    /// Port of the Prometheus scrape endpoint (`GET /metrics`), on `server.host`; 0: none. The
    /// Kubernetes manifests set 9464, OpenTelemetry's conventional port.
    pub metrics_port: u16,
    /// What the log shows (an `EnvFilter` directive); traces are filtered apart from it.
    pub log_filter: String,
    pub json_logs: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresentationSettings {
    pub zettabyte_base: ZettabyteBase,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Database holding the hashed bearer tokens; empty: `identity.sqlite` under `data_dir`, or
    /// the `identity` schema when `database.url` is PostgreSQL.
    pub identity_database_url: String,
    /// Days a token is valid when issued without an explicit validity.
    pub token_validity_days: u32,
    /// Calls a second each token may make, sustained.
    pub rate_limit_per_second: f64,
    /// Calls each token may make at once before the sustained rate applies.
    pub rate_limit_burst: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    /// Largest gRPC message a service accepts, in bytes.
    pub max_message_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// 0 lets the operating system choose (tests).
    pub port: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesSettings {
    pub aggregator: ServiceSettings,
    pub production: ServiceSettings,
    pub compute: ServiceSettings,
    pub circulation: ServiceSettings,
    pub application: ServiceSettings,
    /// The web console and public dissemination (HTTP, not gRPC).
    pub web: ServiceSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregatorSettings {
    /// Stage service endpoints; empty means `http://{server.host}:{services.<stage>.port}`.
    pub production_url: String,
    pub compute_url: String,
    pub circulation_url: String,
    pub application_url: String,
    /// Bearer token the aggregator presents to the stage services (a `service` principal). Empty
    /// in embedded mode, where one is issued at start and kept only in memory.
    pub service_token: String,
    /// How long to wait for more input changes before re-assembling a candidate: the quiet time
    /// after the latest change.
    pub revalidate_debounce_ms: u64,
    /// Longest a change waits for its re-assembly while changes keep coming (a burst of
    /// submissions): the re-assembly then runs at most this often and leaves the CPU to the
    /// receipts. At least the debounce.
    pub revalidate_max_delay_ms: u64,
    /// This replica's consumer name in the Redis consumer group. Empty: the host name (a pod's
    /// name in Kubernetes), or a random one when the host has none.
    pub consumer_name: String,
    /// A failed automatic re-assembly (a stage service down) is retried with exponential backoff
    /// from 1 s up to this many milliseconds between attempts, until it succeeds.
    pub retry_max_backoff_ms: u64,
    /// Disclosure control: a published breakdown cell with fewer reporters than this is suppressed.
    pub disclosure_min_reporters: u32,
    /// Disclosure control: a published breakdown cell whose largest reporter contributes more than
    /// this share of its total is suppressed (dominance rule).
    pub disclosure_max_share: f64,
    /// How often the progress of every open cycle is computed for the `ndrs.cycle.returns`
    /// gauges; 0: only when someone asks (`GetCycleProgress`).
    pub progress_interval_ms: u64,
}

/// The web service (`ndrs-web`): the console for organisers and experts, and the public pages and
/// SDMX REST API, all as one more client of the gRPC services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// The aggregator the web service calls; empty: `http://{server.host}:{services.aggregator.port}`.
    pub aggregator_url: String,
    /// Token of a `reader` principal the public pages read releases with, so embargoes are
    /// enforced by the aggregator. Empty in embedded mode, where one is issued at start and kept
    /// only in memory.
    pub reader_token: String,
    /// Session cookies carry `Secure` (set it behind TLS, as the Kubernetes overlays do).
    pub secure_cookies: bool,
    /// How long a console sign-in lasts, in minutes (at most the token's own validity).
    pub session_minutes: u64,
    /// Console sessions held at once; the oldest is signed out when a new one would pass this.
    pub max_sessions: usize,
    /// How long the public listing of cycles and release versions is kept before it is read
    /// again, in milliseconds (0: read on every request). Bounds the calls the public site makes
    /// whatever its traffic; a lifted embargo shows this much later.
    pub listing_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimationSettings {
    /// Threads the replicates of one estimation are spread over; 0: every core. The figures are
    /// the same whatever the count.
    pub threads: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    pub poll_interval_ms: u64,
    pub batch_size: u64,
}

impl Settings {
    /// Loads the layered configuration, reading files relative to the working directory.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(
            Path::new("config"),
            std::env::var("NDRS_ENV").ok().as_deref(),
        )
    }

    /// Loads from a given configuration directory and environment name (tests use this).
    pub fn load_from(config_dir: &Path, env_name: Option<&str>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from(config_dir.join("default.toml")).required(false));
        if let Some(env) = env_name.filter(|e| !e.is_empty()) {
            builder = builder
                .add_source(File::from(config_dir.join(format!("{env}.toml"))).required(true));
        }
        let built = builder
            .add_source(
                Environment::with_prefix("NDRS")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()
            .map_err(|e| SettingsError(e.to_string()))?;
        let settings: Settings = built
            .try_deserialize()
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Built-in defaults only, ignoring files and environment (tests start from here).
    pub fn defaults() -> Self {
        let built = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()
            .expect("built-in defaults are valid toml");
        built
            .try_deserialize()
            .expect("built-in defaults match the settings schema")
    }

    /// Cross-field checks the type system cannot express; each error names its key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let url = &self.database.url;
        if !(url.is_empty()
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("sqlite:"))
        {
            return Err(SettingsError(format!(
                "database.url: expected empty (embedded SQLite), postgres:// or sqlite:, got a {} URL",
                url.split(':').next().unwrap_or("malformed")
            )));
        }
        if self.bus.kind == BusKind::Redis && !self.bus.redis_url.starts_with("redis://") {
            return Err(SettingsError(
                "bus.redis_url: bus.kind is redis but no redis:// URL is set".into(),
            ));
        }
        if self.server.max_message_bytes < 1024 {
            return Err(SettingsError(
                "server.max_message_bytes: must be at least 1024".into(),
            ));
        }
        if self.relay.poll_interval_ms == 0 {
            return Err(SettingsError(
                "relay.poll_interval_ms: must be positive".into(),
            ));
        }
        self.plausibility.validate().map_err(SettingsError)?;
        if self.auth.token_validity_days == 0 {
            return Err(SettingsError(
                "auth.token_validity_days: must be at least 1".into(),
            ));
        }
        if !(self.auth.rate_limit_per_second.is_finite() && self.auth.rate_limit_per_second > 0.0) {
            return Err(SettingsError(
                "auth.rate_limit_per_second: must be a positive number".into(),
            ));
        }
        if !(self.auth.rate_limit_burst.is_finite() && self.auth.rate_limit_burst >= 1.0) {
            return Err(SettingsError(
                "auth.rate_limit_burst: must be at least 1".into(),
            ));
        }
        if self.web.session_minutes == 0 || self.web.max_sessions == 0 {
            return Err(SettingsError(
                "web.session_minutes and web.max_sessions: must be at least 1".into(),
            ));
        }
        if self.relay.batch_size == 0 {
            return Err(SettingsError("relay.batch_size: must be positive".into()));
        }
        if self.aggregator.disclosure_min_reporters == 0 {
            return Err(SettingsError(
                "aggregator.disclosure_min_reporters: must be at least 1".into(),
            ));
        }
        let share = self.aggregator.disclosure_max_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(SettingsError(
                "aggregator.disclosure_max_share: must be above 0 and at most 1".into(),
            ));
        }
        for (key, value) in [
            ("aggregator.production_url", &self.aggregator.production_url),
            ("aggregator.compute_url", &self.aggregator.compute_url),
            (
                "aggregator.circulation_url",
                &self.aggregator.circulation_url,
            ),
            (
                "aggregator.application_url",
                &self.aggregator.application_url,
            ),
        ] {
            if !(value.is_empty() || value.starts_with("http://") || value.starts_with("https://"))
            {
                return Err(SettingsError(format!(
                    "{key}: expected an http:// or https:// endpoint"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_embedded_and_valid() {
        let s = Settings::defaults();
        assert!(s.database.url.is_empty());
        assert_eq!(s.bus.kind, BusKind::InProcess);
        s.validate().unwrap();
    }

    /// The error of loading settings whose `default.toml` is `toml`, as the operator reads it.
    fn load_error(toml: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.toml"), toml).unwrap();
        Settings::load_from(dir.path(), None)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_bad_file_value_names_its_key() {
        let err = load_error("[services.production]\nport = \"not a port\"\n");
        assert!(err.contains("port"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let err = load_error("[database]\nurll = \"x\"\n");
        assert!(err.contains("urll"), "{err}");
    }

    #[test]
    fn disclosure_settings_are_checked() {
        let s = Settings::defaults();
        assert_eq!(s.aggregator.disclosure_min_reporters, 3);
        let mut s = Settings::defaults();
        s.aggregator.disclosure_min_reporters = 0;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("aggregator.disclosure_min_reporters"), "{err}");
        let mut s = Settings::defaults();
        s.aggregator.disclosure_max_share = f64::NAN;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("aggregator.disclosure_max_share"), "{err}");
    }

    #[test]
    fn cross_field_errors_name_the_key() {
        let mut s = Settings::defaults();
        s.bus.kind = BusKind::Redis;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("bus.redis_url"), "{err}");
        let mut s = Settings::defaults();
        s.database.url = "mysql://x".into();
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("database.url")
        );
    }

    #[test]
    fn a_missing_environment_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Settings::load_from(dir.path(), Some("staging"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("staging"), "{err}");
    }
}
