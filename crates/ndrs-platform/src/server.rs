//! Server bootstrap shared by every service: gRPC health (grpc.health.v1, [`crate::health`]),
//! server reflection, per-request trace spans and graceful shutdown with a bounded drain.
//!
//! A service hands over its routes and the names it serves; the listener is bound by the caller
//! (port 0 in tests), so an address is known before serving starts.

use std::future::Future;
use std::net::SocketAddr;

use ndrs_core::{Error, Result};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::health::Health;

/// Binds `host:port`; port 0 picks a free port.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener> {
    TcpListener::bind((host, port))
        .await
        .map_err(|e| Error::Unavailable(format!("cannot bind {host}:{port}: {e}")))
}

/// How long in-flight calls may take to finish after shutdown is asked for. Kubernetes sends
/// SIGKILL 30 s after SIGTERM by default; draining stops well before that, so the process ends on
/// its own, its last log lines written.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// The gRPC names of the services every server adds besides its own.
pub const STANDARD_SERVICES: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Server reflection that lists what this port serves, not every service in the descriptors.
/// Both protocol versions are served: grpcurl and current clients speak v1, but much deployed
/// tooling (Python's grpcio-reflection, older Postman, Evans) still asks v1alpha.
fn reflection(service_names: &[&'static str]) -> tonic_reflection::server::Builder<'static> {
    service_names.iter().chain(STANDARD_SERVICES.iter()).fold(
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(ndrs_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET),
        |builder, name| builder.with_service_name(*name),
    )
}

/// Serves `routes` plus health and reflection until `shutdown` resolves, then drains in-flight
/// requests for at most [`DRAIN_TIMEOUT`]. Health reports SERVING for every name in
/// `service_names` and for the whole server (""), and NOT_SERVING for all of them from the moment
/// shutdown begins; open health watches end then, so they cannot hold the drain up.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    service_names: &[&'static str],
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let local: SocketAddr = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let health = Health::serving(service_names).await;
    let reflection_error = |e| Error::Internal(format!("reflection: {e}"));
    let reflection_v1 = reflection(service_names)
        .build_v1()
        .map_err(reflection_error)?;
    let reflection_v1alpha = reflection(service_names)
        .build_v1alpha()
        .map_err(reflection_error)?;
    tracing::info!(address = %local, services = ?service_names, "serving");
    let draining = CancellationToken::new();
    let shutdown = {
        let (health, draining) = (health.clone(), draining.clone());
        async move {
            shutdown.await;
            // Tell load balancers first, then drain.
            health.shutdown().await;
            draining.cancel();
            tracing::info!(address = %local, "shutting down");
        }
    };
    let server = tonic::transport::Server::builder()
        .trace_fn(crate::telemetry::server_span)
        .layer(crate::metrics::RpcMetricsLayer)
        .layer(crate::grpc_status::MessageSizeStatusLayer)
        .add_routes(routes)
        .add_service(health.service())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown);
    tokio::select! {
        served = server => served.map_err(|e| Error::Internal(format!("server on {local}: {e}"))),
        () = async {
            draining.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        } => {
            tracing::warn!(
                address = %local,
                seconds = DRAIN_TIMEOUT.as_secs(),
                "calls still open after the drain timeout were cut"
            );
            Ok(())
        }
    }
}
