//! Compute census service: every general, intelligent and supercomputing centre reports its
//! capacity by precision, storage and utilisation once a cycle; the service turns the stored
//! returns into the compute figures (C01-C05) and check figures for the aggregator.
//!
//! - [`registry`]: the organiser's register of centres (the census frame) with auxiliaries.
//! - [`domain`]: the centre return, its validation and edit rules.
//! - [`estimate`]: the census over the register with ratio imputation of non-respondents.
//! - [`grpc`]: the thin transport layer.
//! - [`startup`]: how the service starts.

pub mod domain;
pub mod estimate;
pub mod grpc;
pub mod registry;
pub mod startup;

/// Name of this service's database (SQLite file or PostgreSQL schema) and event source.
pub const STAGE_NAME: &str = "compute";
