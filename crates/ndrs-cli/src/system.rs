//! Every ndrs service in one process, talking real gRPC to each other on loopback.
//!
//! Each service keeps its own listener, database (SQLite file or PostgreSQL schema) and routes,
//! exactly as when they run as separate Deployments; only the process is shared.

use std::time::Duration;

use ndrs_core::{Error, Result};
use ndrs_platform::settings::Settings;
use ndrs_platform::stage::Runtime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

pub use ndrs_platform::client::SystemEndpoints;

pub struct RunningSystem {
    pub endpoints: SystemEndpoints,
    /// The web console and public pages (`http://host:port`).
    pub web: String,
    /// The embedded reader token the web service was given, revoked at stop.
    web_token_id: Option<String>,
    pub runtime: Runtime,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<Result<()>>)>,
}

/// Spawns each stage service on its listener, named after it: every stage crate's
/// `startup::run` takes the shared runtime, its listener and the shutdown token.
macro_rules! spawn_stages {
    ($runtime:ident, $shutdown:ident; $($stage:ident on $listener:ident),+ $(,)?) => {
        vec![$((
            stringify!($listener),
            tokio::spawn($stage::startup::run($runtime.clone(), $listener, $shutdown.clone())),
        )),+]
    };
}

/// Starts all five services with `settings` (port 0 picks free ports) and waits until every one
/// answers SERVING on grpc.health.v1.
pub async fn start(settings: Settings) -> Result<RunningSystem> {
    let host = settings.server.host.clone();
    let s = &settings.services;
    let bind = |port| ndrs_platform::server::bind(&host, port);
    let (production, compute, circulation, application, aggregator) = (
        bind(s.production.port).await?,
        bind(s.compute.port).await?,
        bind(s.circulation.port).await?,
        bind(s.application.port).await?,
        bind(s.aggregator.port).await?,
    );
    let web_listener = bind(s.web.port).await?;
    let url = |l: &tokio::net::TcpListener| -> Result<String> {
        let addr = l.local_addr().map_err(|e| Error::Internal(e.to_string()))?;
        Ok(format!("http://{addr}"))
    };
    let endpoints = SystemEndpoints {
        aggregator: url(&aggregator)?,
        production: url(&production)?,
        compute: url(&compute)?,
        circulation: url(&circulation)?,
        application: url(&application)?,
    };
    let web = url(&web_listener)?;
    let web_settings = settings.web.clone();
    let runtime = Runtime::from_settings(settings).await?;
    let shutdown = CancellationToken::new();
    let stage_endpoints = ndrs_aggregator::stages::StageEndpoints {
        production: endpoints.production.clone(),
        compute: endpoints.compute.clone(),
        circulation: endpoints.circulation.clone(),
        application: endpoints.application.clone(),
    };
    let mut tasks = spawn_stages!(runtime, shutdown;
        ndrs_production on production,
        ndrs_compute on compute,
        ndrs_circulation on circulation,
        ndrs_application on application,
    );
    tasks.push((
        "aggregator",
        tokio::spawn(ndrs_aggregator::startup::run(
            runtime.clone(),
            aggregator,
            stage_endpoints,
            shutdown.clone(),
        )),
    ));
    // The public pages read as a reader principal, issued here, kept only in memory and revoked
    // at stop, so the aggregator enforces embargoes for them as for any reader.
    let (reader_token, web_token_id) = if web_settings.reader_token.is_empty() {
        let issued = runtime
            .identity
            .issue(
                "web (embedded reader principal)",
                ndrs_platform::auth::Role::Reader,
                None,
            )
            .await?;
        (issued.token, Some(issued.token_id))
    } else {
        (web_settings.reader_token.clone(), None)
    };
    let site = ndrs_web::Web::new(endpoints.clone(), &reader_token, &web_settings)?;
    tasks.push((
        "web",
        tokio::spawn(ndrs_web::serve(web_listener, site, shutdown.clone())),
    ));
    let mut system = RunningSystem {
        endpoints,
        web,
        web_token_id,
        runtime,
        shutdown,
        tasks,
    };
    if let Err(e) = system.wait_until_serving(Duration::from_secs(60)).await {
        let failure = system.first_failure().await;
        system.shutdown.cancel();
        return Err(failure.unwrap_or(e));
    }
    Ok(system)
}

/// Asks one service's health endpoint whether `service` is serving.
pub async fn health_status(endpoint: &str, service: &str) -> Result<ServingStatus> {
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string())
        .map_err(|e| Error::invalid("endpoint", e.to_string()))?
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .map_err(|e| Error::Unavailable(format!("{endpoint}: {e}")))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .map_err(ndrs_platform::grpc_status::from_status_in(endpoint))?;
    Ok(response.into_inner().status())
}

impl RunningSystem {
    async fn wait_until_serving(&self, limit: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + limit;
        for (service, endpoint) in self.endpoints.services() {
            loop {
                if self.tasks.iter().any(|(_, t)| t.is_finished()) {
                    return Err(Error::Unavailable(
                        "a service stopped during start-up".into(),
                    ));
                }
                if let Ok(ServingStatus::Serving) = health_status(endpoint, service).await {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(Error::Unavailable(format!(
                        "{service} at {endpoint} did not become ready"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    /// The error of the first service that stopped, if any did.
    async fn first_failure(&mut self) -> Option<Error> {
        for (name, task) in self.tasks.iter_mut() {
            if task.is_finished() {
                return Some(match task.await {
                    Ok(Err(e)) => Error::Unavailable(format!("{name} service: {e}")),
                    Ok(Ok(())) => Error::Unavailable(format!("{name} service stopped")),
                    Err(e) => Error::Internal(format!("{name} service panicked: {e}")),
                });
            }
        }
        None
    }

    /// Resolves when any service stops on its own (an error while serving).
    pub async fn any_stopped(&mut self) -> Error {
        loop {
            if let Some(e) = self.first_failure().await {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops every service gracefully and reports the first error any of them had.
    pub async fn stop(self) -> Result<()> {
        self.shutdown.cancel();
        let mut first = None;
        for (name, task) in self.tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first.get_or_insert(Error::Internal(format!("{name}: {e}")));
                }
                Err(e) => {
                    first.get_or_insert(Error::Internal(format!("{name} panicked: {e}")));
                }
            }
        }
        if let Some(id) = &self.web_token_id
            && let Err(e) = self.runtime.identity.revoke(id).await
        {
            tracing::warn!(error = %e, "could not revoke the web service's embedded reader token");
        }
        first.map_or(Ok(()), Err)
    }
}

impl<'a> From<&'a RunningSystem> for ndrs_demo::Target<'a> {
    fn from(system: &'a RunningSystem) -> Self {
        ndrs_demo::Target {
            endpoints: &system.endpoints,
            identity: &system.runtime.identity,
        }
    }
}
