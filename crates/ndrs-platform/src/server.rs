//! Server bootstrap shared by every service: gRPC health (grpc.health.v1), server reflection,
//! per-request trace spans and graceful shutdown.
//!
//! A service hands over its routes and the names it serves; the listener is bound by the caller
//! (port 0 in tests), so an address is known before serving starts.

use std::future::Future;
use std::net::SocketAddr;

use ndrs_core::{Error, Result};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::Routes;
use tonic_health::ServingStatus;

/// Binds `host:port`; port 0 picks a free port.
pub async fn bind(host: &str, port: u16) -> Result<TcpListener> {
    TcpListener::bind((host, port))
        .await
        .map_err(|e| Error::Unavailable(format!("cannot bind {host}:{port}: {e}")))
}

/// Serves `routes` plus health and reflection until `shutdown` resolves, then drains in-flight
/// requests. Health reports SERVING for every name in `service_names` and for the whole server.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    service_names: &[&'static str],
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let local: SocketAddr = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in service_names {
        health
            .set_service_status(*name, ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(ndrs_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| Error::Internal(format!("reflection: {e}")))?;
    tracing::info!(address = %local, services = ?service_names, "serving");
    let names: Vec<&'static str> = service_names.to_vec();
    let shutdown = async move {
        shutdown.await;
        // Tell load balancers first, then drain.
        for name in names {
            health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        tracing::info!(address = %local, "shutting down");
    };
    tonic::transport::Server::builder()
        .trace_fn(crate::telemetry::server_span)
        .layer(crate::metrics::RpcMetricsLayer)
        .add_routes(routes)
        .add_service(health_service)
        .add_service(reflection)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
        .map_err(|e| Error::Internal(format!("server on {local}: {e}")))
}
