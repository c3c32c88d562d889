//! The audit log, a page at a time, with the whole chain verified here (the hashes recomputed
//! on this side, as `ndrs audit verify` does), so a row edited behind the aggregator's back shows.

use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use super::Console;
use crate::Web;
use crate::error::WebError;
use crate::layout::{page, short};

/// Rows a page shows.
const PAGE_ROWS: u32 = 100;

#[derive(Deserialize)]
pub struct Paging {
    after: Option<u64>,
}

pub async fn show(
    State(_web): State<Web>,
    console: Console,
    Query(paging): Query<Paging>,
) -> Result<Markup, WebError> {
    let after = paging.after.unwrap_or(0);
    let channel = console.session.aggregator_channel()?;
    let verdict = ndrs_client::audit::verify(channel.clone()).await?;
    let rows = ndrs_client::audit::page(channel, after, PAGE_ROWS).await?;
    let next = (rows.len() == PAGE_ROWS as usize).then(|| rows.last().map_or(0, |r| r.seq));
    Ok(page(
        "Audit log",
        Some(&console.who),
        html! {
            h1 { "Audit log" }
            @match &verdict {
                ndrs_client::audit::Verdict::Intact { rows, head } => {
                    p.passed id="chain" { "Chain intact: " (rows) " rows verified here; head hash " code { (head) } "." }
                }
                ndrs_client::audit::Verdict::Broken(b) => {
                    p.failed id="chain" { "Chain broken: " (format!("{b:?}")) }
                }
            }
            table id="audit" {
                tr { th { "#" } th { "At" } th { "Actor" } th { "Action" } th { "Subject" } th { "Details" } th { "Hash" } }
                @for r in &rows {
                    tr { td.num { (r.seq) } td { (r.at) } td { (r.actor) } td { code { (r.action) } }
                         td { code { (r.subject) } } td { code { (ndrs_core::error::bounded(&r.details, 300)) } }
                         td { code { (short(&r.hash)) } } }
                }
            }
            p {
                @if after > 0 { a href="/console/audit" { "← first page" } " " }
                @if let Some(n) = next { a href={ "/console/audit?after=" (n) } { "next page →" } }
            }
        },
    ))
}
