//! The dashboard (every cycle) and a cycle's page: its collection window and progress
//! (`GetCycleProgress`: response rates by kind, stratum and province, outstanding units, late
//! returns), its candidates, review rounds and releases.

use axum::extract::{Path, State};
use maud::{Markup, html};
use ndrs_client::text::cycle_state;
use ndrs_core::Error;
use ndrs_proto::v1 as pb;

use super::Console;
use crate::Web;
use crate::error::WebError;
use crate::layout::{page, percent, short, time};

pub async fn dashboard(console: Console) -> Result<Markup, WebError> {
    let mut cycles = ndrs_client::cycles::list(&console.session).await?;
    cycles.sort_by_key(|c| std::cmp::Reverse(c.cycle_year));
    Ok(page(
        "Console",
        Some(&console.who),
        html! {
            h1 { "Console · 工作台" }
            p { "Signed in as " strong { (console.who.caller.name) } " (" (console.who.caller.role) ")." }
            h2 { "Cycles" }
            table {
                tr { th { "Cycle" } th { "State" } th { "Opens" } th { "Deadline" } th { "Reference date" } }
                @for c in &cycles {
                    tr {
                        td { a href={ "/console/cycles/" (c.cycle_year) } { (c.cycle_year) } }
                        td { (cycle_state(c)) }
                        td { (time(c.opens_at.as_ref())) }
                        td { (time(c.deadline.as_ref())) }
                        td { (c.reference_date) }
                    }
                }
            }
            @if cycles.is_empty() { p { "No cycle has been opened." } }
            @if console.who.is("organiser") {
                p { a href="/console/audit" { "Audit log" } }
            }
        },
    ))
}

fn counts_row(label: &str, c: &pb::ProgressCounts) -> Markup {
    html! {
        tr {
            td { (label) }
            td.num { (c.expected) } td.num { (c.received) } td.num { (c.late) }
            td.num { (c.revised) } td.num { (c.accepted_with_warnings) } td.num { (c.refused) }
            td.num { (c.outstanding) } td.num { (percent(c.response_rate)) }
        }
    }
}

fn progress(p: &pb::CycleProgress) -> Markup {
    html! {
        p.meta { "Frame version " (p.frame_version) ", computed " (time(p.computed_at.as_ref())) "." }
        table id="progress" {
            tr { th { "" } th { "Expected" } th { "Received" } th { "Late" } th { "Revised" }
                 th { "With warnings" } th { "Refused" } th { "Outstanding" } th { "Response rate" } }
            @if let Some(total) = &p.total { (counts_row("All returns", total)) }
            @for dimension in ndrs_client::text::PROGRESS_DIMENSIONS {
                @for cell in p.cells.iter().filter(|c| c.dimension == dimension) {
                    @if let Some(c) = &cell.counts {
                        (counts_row(&format!("{dimension} {}{}", cell.value,
                            if cell.return_kind.is_empty() || dimension == "kind" { String::new() } else { format!(" ({})", cell.return_kind) }), c))
                    }
                }
            }
        }
        @if let Some(r) = &p.application {
            @if r.sampled > 0 {
                p { "Application survey (AAPOR RR1): " (percent(r.unweighted)) " unweighted, "
                    (percent(r.weighted)) " weighted; " (r.responded) " of " (r.sampled) " sampled units." }
            }
        }
        @if !p.unexpected.is_empty() {
            p.note { "Returns from units outside the frame: "
                @for (kind, n) in &p.unexpected { (kind) " " (n) "; " } }
        }
        h3 { "Outstanding (" (p.outstanding.len()) ")" }
        table id="outstanding" {
            tr { th { "Unit" } th { "Name" } th { "Return" } th { "Province" } th { "Contact" } th { "Last activity" } th { "Last refusal" } }
            @for o in p.outstanding.iter().take(200) {
                tr {
                    td { code { (o.reporting_unit_id) } } td { (o.name) } td { (o.return_kind) }
                    td { (o.province_code) } td { (o.contact) } td { (time(o.last_activity.as_ref())) }
                    td { (o.last_refusal) }
                }
            }
        }
        @if p.outstanding.len() > 200 { p.note { "The first 200 are shown; `ndrs cycle progress` lists all." } }
    }
}

pub async fn cycle(
    State(_web): State<Web>,
    console: Console,
    Path(year): Path<String>,
) -> Result<Markup, WebError> {
    let year = crate::public::cycle_year(&year)?;
    let session = &console.session;
    let cycle = ndrs_client::cycles::get(session, year).await?;
    // What the role may not read is said, not hidden: the aggregator decides.
    let progress_view = match ndrs_client::cycles::progress(session, year).await {
        Ok(p) => progress(&p),
        Err(Error::PermissionDenied(why)) => html! { p.note { "Progress: " (why) "." } },
        Err(e) => html! { p.error { "Progress unavailable: " (e) } },
    };
    let candidates = ndrs_client::candidates::list(session, year)
        .await
        .map(|c| c.candidates);
    let rounds = ndrs_client::review::rounds(session, year).await;
    let releases = ndrs_client::publication::list(session, year).await;
    Ok(page(
        &format!("Cycle {year}"),
        Some(&console.who),
        html! {
            h1 { "Cycle " (year) }
            p { "State " strong { (cycle_state(&cycle)) } "; opens " (time(cycle.opens_at.as_ref()))
                "; deadline " (time(cycle.deadline.as_ref())) "; reference date " (cycle.reference_date) "." }
            h2 { "Progress" }
            (progress_view)
            h2 { "Candidates" }
            @match &candidates {
                Ok(list) => {
                    table id="candidates" {
                        tr { th { "Candidate" } th { "Sequence" } th { "Hash" } th { "Assembled" } }
                        @for c in list.iter().rev().take(20) {
                            tr {
                                td { a href={ "/console/candidates/" (c.candidate_id) } { (c.candidate_id) } }
                                td.num { (c.sequence) } td { code { (short(&c.content_hash)) } }
                                td { (time(c.assembled_at.as_ref())) }
                            }
                        }
                    }
                }
                Err(e) => { p.note { (e) } }
            }
            h2 { "Review rounds" }
            @match &rounds {
                Ok(list) => {
                    table id="rounds" {
                        tr { th { "Round" } th { "State" } th { "Candidate" } th { "Votes" } th { "Quorum" } th { "Opened" } }
                        @for r in list.iter().rev() {
                            tr {
                                td { a href={ "/console/rounds/" (r.round_id) } { "round " (r.number) } }
                                td.state { (round_state(r)) }
                                td { code { (short(&r.candidate_hash)) } }
                                td.num { (r.votes.len()) } td.num { (r.quorum) }
                                td { (time(r.opened_at.as_ref())) }
                            }
                        }
                    }
                }
                Err(e) => { p.note { (e) } }
            }
            h2 { "Releases" }
            @match &releases {
                Ok(list) => {
                    table {
                        tr { th { "Version" } th { "Published" } th { "Embargo until" } th { "Note" } }
                        @for r in list.iter().rev() {
                            tr {
                                td { a href={ "/releases/" (r.cycle_year) "/" (r.version) } { "v" (r.version) } }
                                td { (time(r.published_at.as_ref())) }
                                td { (time(r.embargo_until.as_ref())) }
                                td { (r.note) }
                            }
                        }
                    }
                }
                Err(e) => { p.note { (e) } }
            }
        },
    ))
}

/// A round's state as a word.
pub fn round_state(r: &pb::ReviewRound) -> String {
    pb::RoundState::try_from(r.state)
        .map_or("unknown", |s| s.as_str_name())
        .trim_start_matches("ROUND_STATE_")
        .to_lowercase()
}
