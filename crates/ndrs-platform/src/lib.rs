//! Runtime plumbing shared by every ndrs service, so that service crates hold only their domain
//! and a thin gRPC layer.
//!
//! - [`settings`]: layered configuration, validated at start.
//! - [`telemetry`]: tracing with OpenTelemetry and W3C trace-context propagation.
//! - [`metrics`]: RPC latency, returns received and rejected, validation outcomes; [`scrape`]
//!   serves them to Prometheus.
//! - [`health`]: grpc.health.v1 with watches that end at shutdown.
//! - [`server`] and [`client`]: gRPC bootstrap (health, reflection, graceful shutdown) and
//!   authenticated, traced channels.
//! - [`grpc_status`]: the single mapping between domain errors and gRPC status codes, both ways.
//! - [`timestamp`]: wire timestamps and the RFC 3339 text the stores keep.
//! - [`auth`]: bearer tokens (stored hashed, with a validity period) and principals with roles.
//! - [`calendar`]: each cycle's collection window, and whether a return for it is taken now.
//! - [`rate_limit`]: per-principal token buckets (Redis or in-process).
//! - [`db`]: database connection and migrations (SQLite embedded, PostgreSQL by URL).
//! - [`returns`]: the append-only return store with its transactional outbox and relay.
//! - [`documents`]: versioned per-cycle documents loaded by the organiser (sample designs).
//! - [`questionnaires`]: each return kind's questionnaire, a versioned document ([`ndrs_content`]).
//! - [`indicators`]: a stage's indicator documents, versioned, and the dry run of a draft.
//! - [`bus`]: the event bus (Redis Streams or in-process).
//! - [`findings`]: what checking one return finds (edit rules, plausibility bounds).
//! - [`plausibility`]: per-quantity bounds on what one return may report.
//! - [`stage`]: what the four stage services share (header checks, receipts, read RPCs, start-up).

pub mod auth;
pub mod bus;
pub mod calendar;
pub mod client;
pub mod db;
pub mod documents;
pub mod findings;
pub mod grpc_status;
pub mod health;
pub mod indicators;
pub mod metrics;
pub mod plausibility;
pub mod questionnaires;
pub mod rate_limit;
pub mod returns;
pub mod scrape;
pub mod server;
pub mod settings;
pub mod stage;
pub mod telemetry;
pub mod timestamp;

pub use grpc_status::{IntoStatus, to_status};
