//! Application survey service: questionnaires of enterprises (central SOEs, data service
//! providers, key industry enterprises), government bodies and research institutions, and the
//! application and storage figures that come from them (A05-A18, P09-P14, and F02-F03, the
//! interaction multiples of the circulation chapter, which are ratios of enterprise domain means).
//!
//! Figures are design-based: the organiser loads the cycle's sample design (sampled units with
//! strata, PSUs and design weights, population margins, the weighting specification and the
//! variance method), and every figure is estimated with `ndrs_stats` with its standard error,
//! interval, CV, design effect and reliability flag. Until a design is loaded the figures are
//! interim (unweighted), and their lineage says so.
//!
//! - [`domain`]: the questionnaire, its validation and edit rules.
//! - [`design`]: the sample design, validated at load and stored per cycle as versions.
//! - [`questionnaire`]: which questions each kind of respondent is asked, by version.
//! - [`estimate`]: figures from the latest version of every questionnaire.
//! - [`hub`]: the government data sharing hub's administrative return (A01-A03).
//! - [`grpc`]: the thin transport layer.
//! - [`startup`]: how the service starts.

pub mod design;
pub mod domain;
pub mod estimate;
pub mod grpc;
pub mod hub;
pub mod questionnaire;
pub mod startup;

/// Name of this service's database (SQLite file or PostgreSQL schema) and event source.
pub const STAGE_NAME: &str = "application";
