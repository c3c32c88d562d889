//! The sea-orm entities of the aggregator's tables, one table per file.

pub mod audit_log;
pub mod benchmark;
pub mod benchmark_registry;
pub mod benchmark_report;
pub mod candidate;
pub mod justification;
pub mod release;
pub mod review_round;
pub mod review_vote;
pub mod rule_set;
pub mod validation_report;
