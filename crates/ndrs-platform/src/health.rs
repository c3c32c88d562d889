//! `grpc.health.v1.Health` as the health-checking protocol describes it, and as Kubernetes and
//! load balancers expect at shutdown.
//!
//! tonic-health's reporter is close but not enough for a service that must stop on time: its
//! `Watch` streams never end, so a client holding one open (every load balancer does) keeps the
//! server's graceful drain waiting until Kubernetes kills the pod; a `Watch` on an unknown service
//! fails with NOT_FOUND where the protocol asks for SERVICE_UNKNOWN on a stream that stays open;
//! and nothing marks the whole server ("") NOT_SERVING when it stops. Here:
//! - `Check` answers the status of a known service and NOT_FOUND for an unknown one;
//! - `Watch` sends the current status at once (SERVICE_UNKNOWN for an unknown name, updated if
//!   the service is registered later) and every change after it;
//! - [`Health::shutdown`] turns every service, "" included, NOT_SERVING, sends that to every
//!   watcher and then ends their streams, so the drain that follows is not held up by them.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use tokio::sync::{RwLock, watch};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::{self, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// The most service names a server tracks for watchers. Names of unknown services are kept while
/// somebody watches them (the protocol wants an update if they appear); the bound keeps a client
/// that watches random names from growing the table without end.
const MAX_WATCHED_NAMES: usize = 1_000;
/// The longest service name accepted, in bytes (fully qualified proto service names are short).
const MAX_NAME_BYTES: usize = 256;

/// The server's health: one status per service name ("" is the whole server).
#[derive(Clone, Default)]
pub struct Health {
    statuses: Arc<RwLock<HashMap<String, watch::Sender<ServingStatus>>>>,
    stopping: CancellationToken,
}

impl Health {
    /// A health table with "" and every name in `services` SERVING.
    pub async fn serving(services: &[&str]) -> Self {
        let health = Self::default();
        health.set("", ServingStatus::Serving).await;
        for name in services {
            health.set(name, ServingStatus::Serving).await;
        }
        health
    }

    pub async fn set(&self, service: &str, status: ServingStatus) {
        let mut statuses = self.statuses.write().await;
        match statuses.get(service) {
            Some(sender) => {
                sender.send_replace(status);
            }
            None => {
                statuses.insert(service.to_string(), watch::channel(status).0);
            }
        }
    }

    /// Marks everything NOT_SERVING, tells every watcher, then ends their streams.
    pub async fn shutdown(&self) {
        for sender in self.statuses.read().await.values() {
            sender.send_replace(ServingStatus::NotServing);
        }
        self.stopping.cancel();
    }

    /// The gRPC service to add to a server.
    pub fn service(&self) -> HealthServer<Self> {
        HealthServer::new(self.clone())
    }

    async fn known_status(&self, service: &str) -> Option<ServingStatus> {
        let statuses = self.statuses.read().await;
        let status = *statuses.get(service)?.borrow();
        (status != ServingStatus::ServiceUnknown).then_some(status)
    }

    async fn subscribe(&self, service: &str) -> Result<watch::Receiver<ServingStatus>, Status> {
        if let Some(sender) = self.statuses.read().await.get(service) {
            return Ok(sender.subscribe());
        }
        let mut statuses = self.statuses.write().await;
        if statuses.len() >= MAX_WATCHED_NAMES {
            // Forget unknown names nobody watches any more before refusing.
            statuses.retain(|_, s| {
                *s.borrow() != ServingStatus::ServiceUnknown || s.receiver_count() > 0
            });
            if statuses.len() >= MAX_WATCHED_NAMES {
                return Err(Status::resource_exhausted(
                    "too many service names are being watched",
                ));
            }
        }
        Ok(statuses
            .entry(service.to_string())
            .or_insert_with(|| watch::channel(ServingStatus::ServiceUnknown).0)
            .subscribe())
    }
}

fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status as i32,
    }
}

fn checked_name(request: &HealthCheckRequest) -> Result<&str, Status> {
    if request.service.len() > MAX_NAME_BYTES {
        return Err(Status::invalid_argument(format!(
            "service names are at most {MAX_NAME_BYTES} bytes"
        )));
    }
    Ok(&request.service)
}

pub type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let name = checked_name(request.get_ref())?;
        match self.known_status(name).await {
            Some(status) => Ok(Response::new(response(status))),
            None => Err(Status::not_found(format!(
                "service {} is not served here",
                ndrs_core::error::bounded(name, 80)
            ))),
        }
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let name = checked_name(request.get_ref())?.to_string();
        let receiver = self.subscribe(&name).await?;
        let stopping = self.stopping.clone();
        // State: the receiver, the last status sent (None before the first), whether to end.
        let stream = futures::stream::unfold(
            (receiver, None::<ServingStatus>, false),
            move |(mut receiver, last, ended)| {
                let stopping = stopping.clone();
                async move {
                    if ended {
                        return None;
                    }
                    loop {
                        let current = *receiver.borrow_and_update();
                        if last != Some(current) {
                            let ended = stopping.is_cancelled();
                            return Some((Ok(response(current)), (receiver, Some(current), ended)));
                        }
                        if stopping.is_cancelled() {
                            return None;
                        }
                        tokio::select! {
                            changed = receiver.changed() => {
                                if changed.is_err() {
                                    return None;
                                }
                            }
                            () = stopping.cancelled() => {}
                        }
                    }
                }
            },
        );
        Ok(Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use health_server::Health as _;

    fn request(service: &str) -> Request<HealthCheckRequest> {
        Request::new(HealthCheckRequest {
            service: service.into(),
        })
    }

    async fn next(stream: &mut WatchStream) -> Option<i32> {
        tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
            .await
            .expect("the watch stream neither sent nor ended")
            .map(|r| r.unwrap().status)
    }

    #[tokio::test]
    async fn an_unknown_service_is_watched_as_service_unknown_and_stays_open() {
        let health = Health::serving(&["ndrs.v1.A"]).await;
        let err = health.check(request("nope")).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound);
        let mut stream = health.watch(request("nope")).await.unwrap().into_inner();
        assert_eq!(
            next(&mut stream).await,
            Some(ServingStatus::ServiceUnknown as i32)
        );
        // Still open: registering the name later is sent to the watcher.
        health.set("nope", ServingStatus::Serving).await;
        assert_eq!(next(&mut stream).await, Some(ServingStatus::Serving as i32));
    }

    #[tokio::test]
    async fn shutdown_sends_not_serving_for_everything_and_ends_every_watch() {
        let health = Health::serving(&["ndrs.v1.A"]).await;
        let mut whole = health.watch(request("")).await.unwrap().into_inner();
        let mut one = health
            .watch(request("ndrs.v1.A"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(next(&mut whole).await, Some(ServingStatus::Serving as i32));
        assert_eq!(next(&mut one).await, Some(ServingStatus::Serving as i32));
        health.shutdown().await;
        assert_eq!(
            next(&mut whole).await,
            Some(ServingStatus::NotServing as i32)
        );
        assert_eq!(next(&mut whole).await, None);
        assert_eq!(next(&mut one).await, Some(ServingStatus::NotServing as i32));
        assert_eq!(next(&mut one).await, None);
        let status = health.check(request("")).await.unwrap().into_inner();
        assert_eq!(status.status, ServingStatus::NotServing as i32);
    }
}
