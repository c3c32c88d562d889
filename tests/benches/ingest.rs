//! Benchmark: ingest over gRPC against what the database itself can do (issue 19, item 3).
//!
//! Two phases in one run, on the same backend, driver, pool and durability settings:
//! 1. **ndrs**: `NDRS_BENCH_RETURNS` (default 2,000) valid storage-medium returns submitted over
//!    gRPC to the production service of the in-process system by `NDRS_BENCH_CLIENTS` (default
//!    16) concurrent reporters, each its own unit and token; a receipt means the return and its
//!    outbox event are committed. The aggregator runs as in production: its automatic
//!    re-assembly competes with the burst.
//! 2. **direct**: the same number of rows (a `submitted_return` row, with the payload and
//!    findings the service stored, plus its `outbox_event` row, in one transaction and commit per
//!    return) inserted by the same number of concurrent tasks straight through sea-orm into a
//!    fresh return store opened as a stage service opens its own (`ndrs_platform::db::connect`:
//!    SQLite in WAL mode on one pooled connection; PostgreSQL on a pool of 8): the physical limit
//!    of "committed before the receipt".
//!
//! Printed per phase: returns/s, p50/p99 latency per return, and the ratio ndrs / direct. The
//! per-token rate limit is lifted for the run (it bounds a reporter, not the store).
//!
//! Run: `cargo bench -p ndrs-e2e --bench ingest` (release; `--profile dev` for the debug build
//! the demo runs in), SQLite by default; `NDRS_BENCH_NO_REASSEMBLY=1` holds the aggregator's
//! automatic re-assembly back for the run;
//! `NDRS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` (and optionally
//! `NDRS_TEST_REDIS_URL`) for PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ndrs_cli::system;
use ndrs_platform::auth::Role;
use ndrs_platform::client::channel;
use ndrs_platform::db::{DatabaseTarget, connect, connect_and_migrate};
use ndrs_platform::returns::INPUTS_CHANGED_TOPIC;
use ndrs_platform::returns::entity::{outbox_event, submitted_return};
use ndrs_platform::returns::migration::ReturnStoreMigrator;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_testkit::env::TestEnv;
use ndrs_testkit::sample;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Returns/s and latency percentiles of one phase.
struct Measured {
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[at]
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name:<8} {:>6} returns in {:>7.3} s: {:>8.1} returns/s, p50 {:>7.2} ms, p99 {:>7.2} ms",
            self.latencies.len(),
            self.wall.as_secs_f64(),
            self.rate(),
            self.percentile(0.5).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3
        )
    }
}

/// `per_client` calls of `call(client, i)` from each of `clients` tasks at once.
async fn concurrently<F, Fut>(clients: usize, per_client: usize, call: F) -> Measured
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let at = Instant::now();
                    call(c, i).await;
                    latencies.push(at.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a client task"));
    }
    Measured {
        wall: started.elapsed(),
        latencies,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clients = setting("NDRS_BENCH_CLIENTS", 16);
    let per_client = setting("NDRS_BENCH_RETURNS", 2_000).div_ceil(clients);
    let mut env = TestEnv::new().await;
    env.settings.auth.rate_limit_per_second = 1e9;
    env.settings.auth.rate_limit_burst = 1e9;
    env.settings.telemetry.log_filter = "error".into();
    // NDRS_BENCH_NO_REASSEMBLY=1: the aggregator waits 10 minutes before re-assembling, to see
    // what its automatic re-assembly costs the burst.
    if std::env::var("NDRS_BENCH_NO_REASSEMBLY").is_ok_and(|v| v == "1") {
        env.settings.aggregator.revalidate_debounce_ms = 600_000;
    }
    // NDRS_BENCH_DEBOUNCE_MS, NDRS_BENCH_MAX_DELAY_MS: other aggregator.revalidate_debounce_ms
    // and revalidate_max_delay_ms for the run.
    let ms = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    if let Some(ms) = ms("NDRS_BENCH_DEBOUNCE_MS") {
        env.settings.aggregator.revalidate_debounce_ms = ms;
    }
    if let Some(ms) = ms("NDRS_BENCH_MAX_DELAY_MS") {
        env.settings.aggregator.revalidate_max_delay_ms = ms;
    }
    let system = system::start(env.settings.clone())
        .await
        .unwrap_or_else(|e| panic!("system did not start on {}: {e}", env.backend));
    ndrs_testkit::submit::open_cycle(&system.endpoints, &system.runtime.identity, sample::CYCLE)
        .await
        .expect("open the cycle");
    println!(
        "ingest on {}: {clients} concurrent clients, {} returns each",
        env.backend, per_client
    );

    // --- 1. ndrs over gRPC ---
    let mut reporters = Vec::with_capacity(clients);
    for c in 0..clients {
        let unit = format!("bench-unit-{c:02}");
        let token = system
            .runtime
            .identity
            .issue(&format!("bench {unit}"), Role::Reporter, Some(&unit))
            .await
            .expect("token")
            .token;
        let client = ProductionStorageServiceClient::new(
            channel(&system.endpoints.production, Some(&token)).expect("channel"),
        );
        reporters.push((unit, client));
    }
    let reporters = Arc::new(reporters);
    let ndrs = concurrently(clients, per_client, {
        let reporters = reporters.clone();
        move |c, i| {
            let (unit, client) = &reporters[c];
            let mut client = client.clone();
            let medium = sample::medium(
                unit,
                &format!("k{i:06}"),
                pb::StorageMedium::Hdd,
                "enterprise",
                [1.0e18 + i as f64, 4.0e17, 1.0e17, 0.0],
            );
            async move {
                client
                    .submit_storage_medium(medium)
                    .await
                    .expect("a valid return is accepted");
            }
        }
    })
    .await;
    println!("{}", ndrs.line("ndrs"));

    // --- 2. the same rows, straight into a fresh return store ---
    let stored = connect(
        &DatabaseTarget::resolve(&env.settings, "production", "").expect("production's database"),
    )
    .await
    .expect("production's database");
    let row = submitted_return::Entity::find()
        .one(&stored)
        .await
        .expect("read a stored return")
        .expect("a stored return");
    let target = DatabaseTarget::resolve(&env.settings, "ingest_direct", "").expect("target");
    let db = connect_and_migrate(&target, &ReturnStoreMigrator)
        .await
        .expect("a fresh return store");
    let direct = concurrently(clients, per_client, {
        let (db, row) = (db.clone(), Arc::new(row));
        move |c, i| {
            let (db, row) = (db.clone(), row.clone());
            async move {
                let txn = db.begin().await.expect("begin");
                let received_at = chrono::Utc::now().to_rfc3339();
                // As long as the service's UUIDv7 ids.
                let return_id = format!("{c:08x}-0000-7000-8000-{i:012x}");
                submitted_return::ActiveModel {
                    return_id: Set(return_id.clone()),
                    version: Set(1),
                    return_kind: Set(row.return_kind.clone()),
                    cycle_year: Set(row.cycle_year),
                    reporting_unit_id: Set(format!("bench-unit-{c:02}")),
                    idempotency_key: Set(format!("k{i:06}")),
                    content_hash: Set(row.content_hash.clone()),
                    payload_json: Set(row.payload_json.clone()),
                    findings_json: Set(row.findings_json.clone()),
                    submitted_by: Set(row.submitted_by.clone()),
                    received_at: Set(received_at.clone()),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .expect("insert the return");
                outbox_event::ActiveModel {
                    topic: Set(INPUTS_CHANGED_TOPIC.into()),
                    payload_json: Set(format!(
                        "{{\"stage\":\"production\",\"cycle_year\":{},\"return_id\":\"{return_id}\",\"version\":1,\"content_hash\":\"{}\"}}",
                        row.cycle_year, row.content_hash
                    )),
                    created_at: Set(received_at),
                    published_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .expect("insert the event");
                txn.commit().await.expect("commit");
            }
        }
    })
    .await;
    println!("{}", direct.line("direct"));
    println!(
        "ndrs / direct: {:.2} of the rate (target >= 0.5), p50 latency x{:.1}",
        ndrs.rate() / direct.rate(),
        ndrs.percentile(0.5).as_secs_f64() / direct.percentile(0.5).as_secs_f64()
    );
    system.stop().await.expect("stop");
}
