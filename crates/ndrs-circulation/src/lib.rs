//! Circulation survey service: the four telecom carriers report traffic and the data exchanges
//! report listings, transactions, buyers, sellers and turnover by industry; the service turns the
//! stored returns into the circulation figures (F01, F05-F09) and check figures for the aggregator.
//! The enterprise interaction ratios (F02, F03) are ratios of domain means from the application
//! survey's questionnaires and are estimated with its design.
//!
//! - [`domain`]: the returns, their validation and edit rules.
//! - [`estimate`]: figures from the latest version of every return (both panels are censuses).
//! - [`grpc`]: the thin transport layer.
//! - [`startup`]: how the service starts.

pub mod domain;
pub mod estimate;
pub mod grpc;
pub mod startup;

/// Name of this service's database (SQLite file or PostgreSQL schema) and event source.
pub const STAGE_NAME: &str = "circulation";
