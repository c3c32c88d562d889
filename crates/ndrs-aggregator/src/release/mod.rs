//! Published releases: immutable, versioned documents with their lineage.
//!
//! A release is rendered once, at publication, into canonical JSON, CSV and SDMX-ML, and the bytes are
//! stored; every later read returns exactly those bytes, so a release cannot drift when the code
//! that renders it changes. A revision is a new version of the cycle's release with a note and a
//! figure-by-figure diff against the previous version, which stays readable. An embargoed release
//! is visible to the working group and publishers at once and to everyone else from its embargo
//! time. Reads go through [`ReleaseCache`](crate::release_cache::ReleaseCache) (Redis in
//! production).
//!
//! - [`document`]: the document model and the published figures of a candidate.
//! - [`suppression`]: complementary suppression within a breakdown.
//! - [`diff`](mod@diff): what changed between two versions.
//! - [`csv`] and [`sdmx`]: the export formats; [`sdmx`] also holds the SDMX data structure and
//!   the data messages the web service's SDMX REST API answers with.
//! - [`embargo`]: when a release becomes visible to readers.
//! - [`service`]: publishing and reading releases in the database.

pub mod csv;
pub mod diff;
pub mod document;
pub mod embargo;
pub mod figures;
#[cfg(test)]
mod fixtures;
pub mod sdmx;
pub mod service;
pub mod suppression;

pub use self::csv::to_csv;
pub use diff::diff;
pub use document::{
    Change, Document, Figure, FigureLineage, Interval, Lineage, RoundRef, SCHEMA, Software,
    VersionRef,
};
pub use embargo::{embargo_from_request, parse_embargo};
pub use figures::release_figures;
pub use sdmx::{SDMX_MEDIA_TYPE, to_sdmx};
pub use service::{Format, Releases, cache_key};
pub use suppression::COMPLEMENTARY;
