//! Aggregator: the only service that sees the national picture. It fetches every stage service's
//! result for a cycle over gRPC, freezes them into a candidate release under one content hash, and
//! validates candidates in three stages (cross-entity rules, external benchmarks, expert review)
//! before publication.
//!
//! Candidates are assembled on an organiser's request and automatically whenever a stage service
//! announces that a cycle's inputs changed: [`watcher`] consumes those events, debounces them and
//! re-assembles, skipping the work when nothing changed (consumers must be idempotent because the
//! bus delivers at least once).
//!
//! - [`candidate`]: assembling, storing and reading candidates.
//! - [`stages`]: the gRPC clients of the four stage services.
//! - [`derived`]: indicators whose inputs come from different stages (P08), derived at assembly.
//! - [`withhold`]: non-finite figures withheld at assembly, and the findings for what a candidate
//!   could not use (set-aside returns, withheld figures).
//! - [`validation`]: stage 1, cross-entity rules (CEL) and validation reports.
//! - [`benchmarks`]: stage 2, the external benchmark registry ([`benchmarks::registry`]), the
//!   benchmarks as added ([`benchmarks::input`]) and the comparison with a candidate
//!   ([`benchmarks::compare`](mod@benchmarks::compare)).
//! - [`justify`]: written justifications of warnings and benchmark deviations.
//! - [`process`]: what may be justified and where a candidate stands in each stage.
//! - [`review`]: stage 3, expert review rounds over frozen candidates.
//! - [`release`]: publication: the release document ([`release::document`]), complementary
//!   suppression, the diff between versions, the CSV and SDMX exports, embargoes and the release
//!   service that stores and reads them ([`release::service`]).
//! - [`disclosure`]: disclosure control of published breakdown cells.
//! - [`release_cache`]: the release cache (Redis in production, in-process when embedded).
//! - [`audit`]: the hash-chained audit log of every state change, and its verification.
//! - [`watcher`]: automatic re-assembly and re-validation on "cycle inputs changed".
//! - [`store`]: the aggregator's eleven tables, one sea-orm entity per file ([`store::entity`]),
//!   and their schema history, one migration per file ([`store::migration`]).
//! - [`grpc`]: the thin transport layer.
//! - [`startup`]: how the service starts.

pub mod audit;
pub mod benchmarks;
pub mod candidate;
mod codes;
pub mod cycles;
pub mod derived;
pub mod disclosure;
pub mod grpc;
pub mod justify;
pub mod process;
pub mod release;
pub mod release_cache;
pub mod review;
pub mod stages;
pub mod startup;
pub mod store;
pub mod validation;
pub mod watcher;
pub mod withhold;

/// Name of this service's database (SQLite file or PostgreSQL schema).
pub const SERVICE_NAME: &str = "aggregator";
