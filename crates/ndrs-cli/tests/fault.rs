//! The fault test of issue 12: the services as separate `ndrs serve <service>` processes on
//! PostgreSQL and Redis, two aggregator replicas, and a bounded load of submissions from several
//! clients while
//! - one aggregator replica is killed with SIGKILL in the middle of its debounce window and a new
//!   one (another consumer name, as a Kubernetes Deployment would start) takes its place,
//! - the compute service is stopped (SIGTERM) and started again,
//! - the bus's keys are deleted (Redis flushed or restarted without persistence).
//!
//! Then, with no manual step and within a bounded time, the latest candidate must equal a fresh
//! assembly over every acknowledged return (same content hash, computed by the aggregator's own
//! `freeze` from the stage results), no acknowledged return may be missing, candidates are never
//! duplicated and the audit chain is intact. It prints acknowledged, lost and time to converge.
//!
//! Runs when `NDRS_TEST_DATABASE_URL` and `NDRS_TEST_REDIS_URL` are both set (CI's second pass)
//! and says it is skipped otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ndrs_aggregator::stages::{StageClients, StageEndpoints};
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_testkit::sample;

const CLIENTS: usize = 4;
const RETURNS_PER_CLIENT: usize = 15;
const CONVERGE_WITHIN: Duration = Duration::from_secs(90);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The environment every process of this system shares.
struct System {
    env: Vec<(String, String)>,
    ports: BTreeMap<&'static str, u16>,
    children: BTreeMap<String, Child>,
    /// Each process's output, kept after the test for inspection.
    logs: std::path::PathBuf,
}

impl System {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ndrs"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        command
    }

    fn start(&mut self, name: &str, service: &str, extra: &[(&str, String)]) {
        let log = std::fs::File::create(self.logs.join(format!("{name}.log"))).unwrap();
        let child = self
            .command(&["serve", service])
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.insert(name.to_string(), child);
    }

    fn kill(&mut self, name: &str) {
        let mut child = self.children.remove(name).expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn terminate(&mut self, name: &str) {
        let mut child = self.children.remove(name).expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "{name} did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self, service: &str) -> String {
        format!("http://127.0.0.1:{}", self.ports[service])
    }

    fn token(&self, name: &str, role: &str, unit: Option<&str>) -> String {
        let mut args = vec!["admin", "issue-token", "--name", name, "--role", role];
        if let Some(unit) = unit {
            args.extend(["--unit", unit]);
        }
        let out = self.command(&args).output().unwrap();
        assert!(
            out.status.success(),
            "issue-token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    async fn wait_serving(&self, service: &str, grpc_name: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(tonic_health::pb::health_check_response::ServingStatus::Serving) =
                ndrs_cli::system::health_status(&self.url(service), grpc_name).await
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{service} did not start; logs in {}",
                self.logs.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for System {
    fn drop(&mut self) {
        for child in self.children.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One acknowledged return: what its receipt said.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Acknowledged {
    return_id: String,
    version: u32,
    content_hash: String,
}

/// Submits until a receipt comes back (the same idempotency key each time, so a retry after a
/// lost answer is answered with the same receipt), for at most a minute.
async fn submit_with_retries(
    endpoint: String,
    token: String,
    centre: pb::ComputeCentreReturn,
) -> Option<Acknowledged> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(ch) = channel(&endpoint, Some(&token)) {
            match ComputeCensusServiceClient::new(ch)
                .submit_centre_return(centre.clone())
                .await
            {
                Ok(receipt) => {
                    let r = receipt.into_inner();
                    return Some(Acknowledged {
                        return_id: r.return_id,
                        version: r.version,
                        content_hash: r.content_hash,
                    });
                }
                Err(status) => assert!(
                    matches!(
                        status.code(),
                        tonic::Code::Unavailable
                            | tonic::Code::Unknown
                            | tonic::Code::Cancelled
                            | tonic::Code::DeadlineExceeded
                    ),
                    "a submission was refused: {status:?}"
                ),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

/// A fresh assembly's content hash: every stage result now, fetched and frozen the way the
/// aggregator does; `None` while a stage cannot answer.
async fn fresh_hash(system: &System, token: &str) -> Option<String> {
    let endpoints = StageEndpoints {
        production: system.url("production"),
        compute: system.url("compute"),
        circulation: system.url("circulation"),
        application: system.url("application"),
    };
    let stages = StageClients::connect(&endpoints, token)
        .ok()?
        .stage_results(sample::CYCLE)
        .await
        .ok()?;
    // The shipped derived figures, published at the start as version 1, and no release.
    let inputs = ndrs_aggregator::derived::DerivedInputs {
        document: ndrs_aggregator::derived::shipped_in_force(sample::CYCLE),
        previous: None,
    };
    Some(ndrs_aggregator::candidate::freeze(sample::CYCLE, stages, &inputs).1)
}

async fn aggregator(
    system: &System,
    replica: &str,
    token: &str,
) -> AggregatorServiceClient<AuthedChannel> {
    AggregatorServiceClient::new(channel(&system.url(replica), Some(token)).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_converges_after_kills_outages_and_a_lost_stream() {
    let (Ok(database), Ok(redis_url)) = (
        std::env::var("NDRS_TEST_DATABASE_URL"),
        std::env::var("NDRS_TEST_REDIS_URL"),
    ) else {
        eprintln!(
            "skipped: needs NDRS_TEST_DATABASE_URL and NDRS_TEST_REDIS_URL (separate processes on PostgreSQL and Redis)"
        );
        return;
    };
    ndrs_testkit::env::require_redis(&redis_url).await;
    let database_url = ndrs_testkit::env::fresh_postgres_database(&database).await;
    let namespace = format!("ndrs-fault-{}", uuid_like());
    let mut ports = BTreeMap::new();
    for service in [
        "production",
        "compute",
        "circulation",
        "application",
        "aggregator",
        "aggregator-b",
    ] {
        ports.insert(service, free_port());
    }
    let mut env: Vec<(String, String)> = vec![
        ("NDRS__SERVER__HOST", "127.0.0.1".to_string()),
        ("NDRS__DATABASE__URL", database_url.clone()),
        ("NDRS__BUS__KIND", "redis".into()),
        ("NDRS__BUS__REDIS_URL", redis_url.clone()),
        ("NDRS__BUS__NAMESPACE", namespace.clone()),
        // Short enough for the test: entries of a killed replica are claimed after 2 s.
        ("NDRS__BUS__CLAIM_IDLE_MS", "2000".into()),
        // A long debounce, so that the kill lands inside the window.
        ("NDRS__AGGREGATOR__REVALIDATE_DEBOUNCE_MS", "1500".into()),
        ("NDRS__AGGREGATOR__RETRY_MAX_BACKOFF_MS", "2000".into()),
        ("NDRS__RELAY__POLL_INTERVAL_MS", "200".into()),
        ("NDRS__TELEMETRY__LOG_FILTER", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (service, port) in &ports {
        if !service.starts_with("aggregator") {
            env.push((
                format!("NDRS__SERVICES__{}__PORT", service.to_uppercase()),
                port.to_string(),
            ));
        }
    }
    let mut system = System {
        env,
        ports,
        children: BTreeMap::new(),
        logs: tempfile::Builder::new()
            .prefix("ndrs-fault-")
            .tempdir()
            .unwrap()
            .keep(),
    };
    let service_token = system.token("aggregator service", "service", None);
    system
        .env
        .push(("NDRS__AGGREGATOR__SERVICE_TOKEN".into(), service_token));
    let organiser = system.token("fault organiser", "organiser", None);
    for (service, grpc) in [
        ("production", "ndrs.v1.ProductionStorageService"),
        ("compute", "ndrs.v1.ComputeCensusService"),
        ("circulation", "ndrs.v1.CirculationSurveyService"),
        ("application", "ndrs.v1.ApplicationSurveyService"),
    ] {
        system.start(service, service, &[]);
        system.wait_serving(service, grpc).await;
    }
    let replica = |name: &str, port: u16| {
        vec![
            ("NDRS__SERVICES__AGGREGATOR__PORT", port.to_string()),
            ("NDRS__AGGREGATOR__CONSUMER_NAME", name.to_string()),
        ]
    };
    let (port_a, port_b) = (system.ports["aggregator"], system.ports["aggregator-b"]);
    system.start("aggregator", "aggregator", &replica("replica-a", port_a));
    system.start("aggregator-b", "aggregator", &replica("replica-b", port_b));
    system
        .wait_serving("aggregator", "ndrs.v1.AggregatorService")
        .await;
    system
        .wait_serving("aggregator-b", "ndrs.v1.AggregatorService")
        .await;
    // The shipped content: returns are taken once their questionnaires are published.
    let content = ndrs_platform::client::SystemEndpoints {
        aggregator: system.url("aggregator"),
        production: system.url("production"),
        compute: system.url("compute"),
        circulation: system.url("circulation"),
        application: system.url("application"),
    };
    ndrs_platform::client::publish_shipped_content(&content, &organiser, sample::CYCLE)
        .await
        .expect("shipped content published");
    // The cycle's collection window, which every stage asks before it stores a return.
    let round = ndrs_client::Session::new(content.clone(), organiser.clone()).unwrap();
    let deadline = ndrs_proto::prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() + 86_400,
        nanos: 0,
    };
    ndrs_client::cycles::open(&round, sample::CYCLE, "", None, deadline)
        .await
        .expect("cycle opened");
    // The default rule set, so that both replicas also validate automatically.
    aggregator(&system, "aggregator", &organiser)
        .await
        .load_rule_set(pb::LoadRuleSetRequest {
            cycle_year: sample::CYCLE,
            source: Some(pb::load_rule_set_request::Source::UseDefault(true)),
        })
        .await
        .unwrap();

    // The load: several clients, each with its own centres and tokens.
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let units: Vec<(String, String)> = (0..RETURNS_PER_CLIENT)
            .map(|i| {
                let unit = format!("cc-{client}-{i}");
                let token = system.token(&unit, "reporter", Some(&unit));
                (unit, token)
            })
            .collect();
        let endpoint = system.url("compute");
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for (i, (unit, token)) in units.into_iter().enumerate() {
                let centre = sample::centre(
                    &unit,
                    &format!("{unit}-k"),
                    pb::CentreType::Intelligent,
                    "11",
                    1.0e17 * (i + 1) as f64,
                );
                if let Some(a) = submit_with_retries(endpoint.clone(), token, centre).await {
                    acknowledged.push(a);
                }
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            acknowledged
        }));
    }

    // The faults, while the load runs.
    tokio::time::sleep(Duration::from_millis(800)).await;
    system.kill("aggregator");
    tokio::time::sleep(Duration::from_millis(500)).await;
    system.start("aggregator", "aggregator", &replica("replica-c", port_a));
    system.terminate("compute");
    tokio::time::sleep(Duration::from_secs(2)).await;
    system.start("compute", "compute", &[]);
    let mut redis = redis::Client::open(redis_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut redis)
            .await
            .unwrap();
    }

    let mut acknowledged = BTreeSet::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    let load_done = Instant::now();
    let attempted = CLIENTS * RETURNS_PER_CLIENT;
    assert_eq!(
        acknowledged.len(),
        attempted,
        "every submission is acknowledged once the services are back"
    );

    // Convergence: the latest candidate equals a fresh assembly over what is stored.
    let converged_after = loop {
        let fresh = fresh_hash(&system, &organiser).await;
        let latest = aggregator(&system, "aggregator-b", &organiser)
            .await
            .get_candidate(pb::GetCandidateRequest {
                candidate: Some(pb::get_candidate_request::Candidate::CycleYear(
                    sample::CYCLE,
                )),
            })
            .await
            .ok()
            .map(|c| c.into_inner().content_hash);
        if fresh.is_some() && fresh == latest {
            break load_done.elapsed();
        }
        assert!(
            load_done.elapsed() < CONVERGE_WITHIN,
            "no convergence within {CONVERGE_WITHIN:?}: latest {latest:?}, fresh {fresh:?}; logs in {}",
            system.logs.display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    // Nothing acknowledged is lost.
    let stored: BTreeSet<(String, u32)> =
        ComputeCensusServiceClient::new(channel(&system.url("compute"), Some(&organiser)).unwrap())
            .list_returns(sample::returns_of(""))
            .await
            .unwrap()
            .into_inner()
            .returns
            .into_iter()
            .map(|r| (r.return_id, r.version))
            .collect();
    let lost = acknowledged
        .iter()
        .filter(|a| !stored.contains(&(a.return_id.clone(), a.version)))
        .count();

    // Two replicas under one load: no duplicate candidate, an intact audit chain.
    let candidates = aggregator(&system, "aggregator", &organiser)
        .await
        .list_candidates(pb::ListCandidatesRequest {
            cycle_year: sample::CYCLE,
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    let hashes: BTreeSet<&str> = candidates.iter().map(|c| c.content_hash.as_str()).collect();
    let sequences: BTreeSet<u32> = candidates.iter().map(|c| c.sequence).collect();
    let verdict =
        ndrs_cli::audit::verify(channel(&system.url("aggregator"), Some(&organiser)).unwrap())
            .await
            .unwrap();
    println!(
        "fault test: {} acknowledged of {attempted}, {lost} lost, converged {:.1} s after the load, {} candidates, audit {verdict:?}",
        acknowledged.len(),
        converged_after.as_secs_f64(),
        candidates.len()
    );
    assert_eq!(lost, 0, "acknowledged returns are missing");
    assert_eq!(hashes.len(), candidates.len(), "duplicate candidates");
    assert_eq!(sequences.len(), candidates.len(), "sequence numbers reused");
    assert!(
        matches!(verdict, ndrs_cli::audit::Verdict::Intact { .. }),
        "{verdict:?}"
    );
}

/// A short random suffix for this run's Redis namespace.
fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}
