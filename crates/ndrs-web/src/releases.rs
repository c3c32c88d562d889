//! The releases the public may see, read with the service's `reader` token: what the aggregator
//! does not show a reader (a release under embargo) does not exist here. Documents are kept once
//! fetched, since a published version never changes; the listing of cycles and versions is kept
//! for `web.listing_cache_ms`, so the aggregator sees a few calls a second from the public site
//! however many people read it, and one token's rate limit is not shared by every reader. A
//! release whose embargo lifts appears that much later; none appears early, since only what the
//! aggregator listed is kept.

use std::sync::Arc;

use ndrs_aggregator::release::Document;
use ndrs_client::publication;
use ndrs_core::{Error, Result};
use ndrs_proto::v1 as pb;

use crate::Web;

/// A cycle and its visible release versions, oldest first.
#[derive(Debug, Clone)]
pub struct CycleReleases {
    pub cycle: pb::Cycle,
    pub releases: Vec<pb::ReleaseSummary>,
}

/// One visible release version with its document.
pub struct Published {
    pub summary: pb::ReleaseSummary,
    pub document: Arc<Document>,
}

/// Every cycle, newest first, with its visible releases.
pub async fn by_cycle(web: &Web) -> Result<Arc<Vec<CycleReleases>>> {
    if let Some(kept) = web.cached_listing() {
        return Ok(kept);
    }
    let mut cycles = ndrs_client::cycles::list(web.public()).await?;
    cycles.sort_by_key(|c| std::cmp::Reverse(c.cycle_year));
    let mut out = Vec::with_capacity(cycles.len());
    for cycle in cycles {
        let releases = publication::list(web.public(), cycle.cycle_year).await?;
        out.push(CycleReleases { cycle, releases });
    }
    let listing = Arc::new(out);
    web.keep_listing(listing.clone());
    Ok(listing)
}

/// The visible versions of one cycle, oldest first (NOT_FOUND when it has none).
pub async fn of_cycle(web: &Web, cycle_year: i32) -> Result<Vec<pb::ReleaseSummary>> {
    let releases = by_cycle(web)
        .await?
        .iter()
        .find(|c| c.cycle.cycle_year == cycle_year)
        .map(|c| c.releases.clone())
        .unwrap_or_default();
    if releases.is_empty() {
        return Err(Error::NotFound(format!(
            "cycle {cycle_year} has no published release"
        )));
    }
    Ok(releases)
}

/// A visible version's document (version 0: the latest).
pub async fn document(web: &Web, cycle_year: i32, version: u32) -> Result<Arc<Document>> {
    // The latest version as listed: a version the listing does not hold yet is asked for.
    let version = match version {
        0 => by_cycle(web)
            .await?
            .iter()
            .find(|c| c.cycle.cycle_year == cycle_year)
            .and_then(|c| c.releases.iter().map(|r| r.version).max())
            .unwrap_or(0),
        v => v,
    };
    if version > 0
        && let Some(kept) = web.cached_document((cycle_year, version))
    {
        return Ok(kept);
    }
    let document = Arc::new(publication::document(web.public(), cycle_year, version).await?);
    web.keep_document((cycle_year, document.version), document.clone());
    Ok(document)
}

/// Every visible version of every cycle, with its document: what the SDMX API serves.
pub async fn every_version(web: &Web) -> Result<Vec<Published>> {
    let mut out = Vec::new();
    for cycle in by_cycle(web).await?.iter() {
        for summary in cycle.releases.iter().cloned() {
            let document = document(web, summary.cycle_year, summary.version).await?;
            out.push(Published { summary, document });
        }
    }
    out.sort_by_key(|p| (p.summary.cycle_year, p.summary.version));
    Ok(out)
}
