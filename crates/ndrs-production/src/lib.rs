//! Production and storage modelling service: device vendors and industry associations report, per
//! device type, installed base, active share and annual data per active unit; storage vendors and
//! associations report, per medium and holder, capacity, used, newly added and overwritten data.
//! The service consolidates the sources and runs the full-volume model into the production and
//! storage figures (P01-P07; P15, the IoT sensing share of what publicly operated devices capture;
//! the growth figures P16, P17) and check figures for the aggregator's cross-entity stage. P08
//! divides the compute census's cloud storage by P03, so the aggregator derives it.
//!
//! - [`domain`]: parameter returns with their stated uncertainty, validation and edit rules.
//! - [`formula`]: the full-volume formula, written once, evaluated at the stated values and at
//!   every Monte Carlo draw.
//! - [`model`]: the published figures at the central values.
//! - [`uncertainty`]: seeded Monte Carlo propagation of the stated uncertainties and the variance
//!   ranking of the parameters.
//! - [`runs`]: model runs stored with the hash of their inputs.
//! - [`kinds`]: the two return kinds as the platform's submit path runs them.
//! - [`figures`]: the stage's figures for a cycle (the model, its run's intervals, growth).
//! - [`device_types`]: what `GetDeviceTaxonomy` answers.
//! - [`grpc`]: the thin transport layer.
//! - [`startup`]: how the service starts.

pub mod device_types;
pub mod domain;
pub mod figures;
pub mod formula;
pub mod grpc;
pub mod kinds;
pub mod model;
pub mod runs;
pub mod startup;
pub mod taxonomy;
pub mod uncertainty;

/// Name of this service's database (SQLite file or PostgreSQL schema) and event source.
pub const STAGE_NAME: &str = "production";
