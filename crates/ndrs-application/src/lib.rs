//! Application survey service: questionnaires of enterprises (central SOEs, data service
//! providers, key industry enterprises), government bodies and research institutions, and the
//! application and storage figures that come from them (A07-A18, P09-P14).
//!
//! Until the sample frame and weighting specification are loaded per cycle (the estimation
//! engine's issue), figures are respondent-level sample shares and ratios of totals, and their
//! lineage says so.
//!
//! - [`domain`]: the questionnaire, its validation and edit rules.
//! - [`estimate`]: figures from the latest version of every questionnaire.
//! - [`grpc`]: the thin transport layer.
//! - [`startup`]: how the service starts.

pub mod domain;
pub mod estimate;
pub mod grpc;
pub mod startup;

/// Name of this service's database (SQLite file or PostgreSQL schema) and event source.
pub const STAGE_NAME: &str = "application";
