//! The expert's review page: the frozen candidate's figures with value, interval, unit, lineage
//! and the validation findings on them, beside the previous release; and the vote, per figure or
//! on the whole candidate, bound to the frozen hash the page was rendered with. A page opened
//! before a revision still carries the old hash and the old round: the aggregator refuses its
//! vote (the round was superseded, or the hash is not the round's), and the page says so.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use maud::{Markup, html};
use ndrs_aggregator::review::figure_key;
use ndrs_core::Error;
use ndrs_proto::v1 as pb;

use super::Console;
use super::candidate::{benchmark_findings, checked_id, justified_on, rule_findings};
use super::dashboard::round_state;
use crate::Web;
use crate::error::WebError;
use crate::layout::{Units, csrf_field, page, short, time, unit_code, value};

/// The first clause of a method description (the whole is in the cell's title).
fn first_clause(method: &str) -> String {
    let clause = method.split(';').next().unwrap_or_default();
    if clause.chars().count() > 90 {
        format!("{}…", clause.chars().take(90).collect::<String>())
    } else {
        clause.to_string()
    }
}

/// A figure's name: the catalogue's (Chinese and English), else its label.
fn figure_name(f: &pb::Figure) -> String {
    match ndrs_core::catalogue::Catalogue::embedded().get(&f.id) {
        Some(i) => format!("{} · {}", i.name_zh, i.name_en),
        None => f.label.clone(),
    }
}

fn verdict_word(v: i32) -> String {
    pb::Verdict::try_from(v)
        .map_or("unknown", |v| v.as_str_name())
        .trim_start_matches("VERDICT_")
        .to_lowercase()
        .replace('_', " ")
}

/// The release the candidate is compared with: the cycle's latest visible version, else the
/// previous cycle's.
async fn previous_release(
    console: &Console,
    cycle_year: i32,
) -> Option<ndrs_aggregator::release::Document> {
    for year in [cycle_year, cycle_year - 1] {
        if let Ok(list) = ndrs_client::publication::list(&console.session, year).await
            && let Some(latest) = list.last()
            && let Ok(doc) =
                ndrs_client::publication::document(&console.session, year, latest.version).await
        {
            return Some(doc);
        }
    }
    None
}

pub async fn show(
    State(_web): State<Web>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    let id = checked_id(&id)?;
    let session = &console.session;
    let round = ndrs_client::review::show(session, id).await?;
    let candidate = ndrs_client::candidates::get(session, &round.candidate_id).await?;
    let rules = ndrs_client::validation::rule_report(session, &round.candidate_id).await;
    let benchmarks = ndrs_client::validation::benchmark_report(session, &round.candidate_id).await;
    let previous = previous_release(&console, round.cycle_year).await;
    let previous_values: HashMap<&str, Option<f64>> = previous
        .as_ref()
        .map(|d| {
            d.figures
                .iter()
                .map(|f| (f.key.as_str(), f.value))
                .collect()
        })
        .unwrap_or_default();
    let figures: BTreeMap<String, &pb::Figure> = candidate
        .stages
        .iter()
        .flat_map(|s| &s.figures)
        .map(|f| (figure_key(f), f))
        .collect();
    let by_figure: HashMap<&str, Vec<&pb::BenchmarkComparison>> = benchmarks
        .as_ref()
        .map(|r| {
            let mut m: HashMap<&str, Vec<&pb::BenchmarkComparison>> = HashMap::new();
            for c in &r.comparisons {
                m.entry(c.figure_id.as_str()).or_default().push(c);
            }
            m
        })
        .unwrap_or_default();
    let justifications = ndrs_client::validation::justifications(session, &round.candidate_id)
        .await
        .unwrap_or_default();
    let justified = justified_on(&justifications, &round.candidate_hash);
    let open = round.state == pb::RoundState::Open as i32;
    let who = &console.who;
    let votes_on: HashMap<&str, Vec<&pb::Vote>> =
        round.votes.iter().fold(HashMap::new(), |mut m, v| {
            m.entry(v.figure_id.as_str()).or_default().push(v);
            m
        });
    Ok(page(
        &format!("Review round {}", round.number),
        Some(who),
        html! {
            h1 { "Review round " (round.number) " · cycle " (round.cycle_year) }
            p { "State " strong.state { (round_state(&round)) } "; quorum " (round.quorum)
                " expert approvals of the whole candidate; " (round.votes.len()) " votes; opened "
                (time(round.opened_at.as_ref())) " by " (round.opened_by)
                @if round.closed_at.is_some() { "; closed " (time(round.closed_at.as_ref())) } "." }
            p.meta { "Frozen candidate " code { (round.candidate_id) } ", hash " code id="frozen-hash" { (round.candidate_hash) }
                     ", frozen hash " code { (short(&round.frozen_hash)) } ". "
                     @match &previous { Some(d) => { "Compared with release " (d.cycle_year) " v" (d.version) "." }
                                         None => { "No earlier release to compare with." } } }
            h2 { "Validation findings" }
            h3 { "Stage 1 · rules" }
            @match &rules { Ok(r) => { (rule_findings(r, &justified, &Units::of(&candidate))) } Err(e) => { p.note { (e) } } }
            h3 { "Stage 2 · benchmarks" }
            @match &benchmarks { Ok(r) => { (benchmark_findings(r, &justified, &Units::of(&candidate))) } Err(e) => { p.note { (e) } } }
            @if !round.votes.is_empty() {
                h2 { "Votes" }
                table id="votes" {
                    tr { th { "Expert" } th { "Figure" } th { "Verdict" } th { "Reason" } th { "Cast" } }
                    @for v in &round.votes {
                        tr { td { (v.expert) } td { @if v.figure_id.is_empty() { "whole candidate" } @else { code { (v.figure_id) } } }
                             td { (verdict_word(v.verdict)) } td { (v.reason) } td { (time(v.cast_at.as_ref())) } }
                    }
                }
            }
            h2 { "Figures" }
            @if !open { p.banner { "This round is " (round_state(&round)) ": it takes no more votes." } }
            form id="vote" method="post" action={ "/console/rounds/" (round.round_id) "/vote" } {
                (csrf_field(who))
                input type="hidden" name="candidate_hash" value=(round.candidate_hash);
                table.compact id="figures" {
                    tr { th { "Figure" } th { "Value" } th { "Interval" } th { "Previous release" } th { "Lineage" } th { "Benchmarks" }
                         @if open && who.is("expert") { th { "Your verdict" } th { "Reason" } } }
                    @for frozen in &round.figures {
                        @let f = figures.get(&frozen.figure_id);
                        tr data-figure=(frozen.figure_id) {
                            td { code { (frozen.figure_id) } @if let Some(f) = f { br; span.note { (figure_name(f)) } }
                                 @if let Some(v) = votes_on.get(frozen.figure_id.as_str()) { br; span.note { (v.len()) " votes" } } }
                            td.num { @if let Some(f) = f { (value(Some(f.value), unit_code(f))) } }
                            td { @if let Some(i) = f.and_then(|f| f.interval.as_ref()) {
                                    (value(Some(i.lower), unit_code(f.unwrap_or(&&pb::Figure::default())))) " – "
                                    (value(Some(i.upper), unit_code(f.unwrap_or(&&pb::Figure::default()))))
                                    " (" (format!("{:.0}%", i.level * 100.0)) ", " (i.method) ")" } }
                            td.num { @match previous_values.get(frozen.figure_id.as_str()) {
                                Some(v) => { (value(*v, f.map_or("", |f| unit_code(f)))) }
                                None => { "—" } } }
                            td { @if let Some(l) = f.and_then(|f| f.lineage.as_ref()) {
                                    span title=(l.method) { (first_clause(&l.method)) } br; span.note { (l.returns.len()) " returns; imputed " (format!("{:.1}%", l.imputed_share * 100.0)) } } }
                            td { @for c in by_figure.get(f.map_or("", |f| f.id.as_str())).map(|v| v.as_slice()).unwrap_or_default() {
                                    code { (c.benchmark_id) } " " (format!("{:+.1}%", c.deviation * 100.0))
                                    @if c.tolerance > 0.0 { (format!(" (band ±{:.1}%)", c.tolerance * 100.0)) } br; } }
                            @if open && who.is("expert") {
                                td { select name={ "verdict." (frozen.figure_id) } {
                                        option value="" { "—" }
                                        option value="approve" { "approve" }
                                        option value="approve_with_comments" { "approve with comments" }
                                        option value="reject" { "reject" } } }
                                td { input type="text" name={ "reason." (frozen.figure_id) }; }
                            }
                        }
                    }
                }
                @if open && who.is("expert") {
                    h3 { "Your vote" }
                    label { "On the whole candidate " select name="whole" {
                        option value="" { "— (only the figures marked above)" }
                        option value="approve_rest" { "approve every figure I did not mark" }
                        option value="approve" { "approve the whole candidate" }
                        option value="approve_with_comments" { "approve the whole candidate, with comments" }
                        option value="reject" { "reject the whole candidate" } } }
                    label { "Reason or comments (required for a rejection) " textarea name="whole_reason" {} }
                    p.note { "The vote is bound to hash " code { (short(&round.candidate_hash)) } ": if the candidate was revised since this page was opened, it is refused." }
                    button type="submit" { "Cast the vote" }
                }
            }
        },
    ))
}

fn verdict(text: &str) -> Option<pb::Verdict> {
    match text {
        "approve" => Some(pb::Verdict::Approve),
        "approve_with_comments" => Some(pb::Verdict::ApproveWithComments),
        "reject" => Some(pb::Verdict::Reject),
        _ => None,
    }
}

/// Largest number of figure votes one form may cast.
const MAX_FIGURE_VOTES: usize = 5_000;

pub async fn vote(
    console: Console,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    console.check_csrf(field("csrf"))?;
    let round_id = checked_id(&id)?;
    let candidate_hash = field("candidate_hash").unwrap_or_default();
    if candidate_hash.is_empty() {
        return Err(Error::invalid("candidate_hash", "the page's frozen hash is missing").into());
    }
    let reasons: HashMap<&str, &str> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("reason.").map(|f| (f, v.trim())))
        .collect();
    let mut marked: Vec<(String, pb::Verdict, String)> = Vec::new();
    for (k, v) in &fields {
        let Some(figure) = k.strip_prefix("verdict.") else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        let verdict = verdict(v).ok_or_else(|| {
            Error::invalid(
                k.as_str(),
                "must be approve, approve_with_comments or reject",
            )
        })?;
        let reason = reasons.get(figure).copied().unwrap_or_default().to_string();
        if verdict != pb::Verdict::Approve && reason.is_empty() {
            return Err(Error::invalid(
                format!("reason.{figure}").as_str(),
                "a rejection or a comment needs a reason",
            )
            .into());
        }
        marked.push((figure.to_string(), verdict, reason));
    }
    let whole = field("whole").unwrap_or_default();
    let whole_reason = field("whole_reason").unwrap_or_default().trim().to_string();
    let rejects = marked.iter().any(|(_, v, _)| *v == pb::Verdict::Reject);
    if rejects && matches!(whole, "approve" | "approve_with_comments") {
        return Err(WebError::new(
            StatusCode::BAD_REQUEST,
            "a figure is rejected and the whole candidate approved: choose one",
        ));
    }
    let mut votes: Vec<(String, pb::Verdict, String)> = Vec::new();
    // Approvals first, rejections last: a rejection closes the round.
    votes.extend(
        marked
            .iter()
            .filter(|m| m.1 != pb::Verdict::Reject)
            .cloned(),
    );
    if whole == "approve_rest" {
        let round = ndrs_client::review::show(&console.session, round_id).await?;
        for f in &round.figures {
            if !marked.iter().any(|(m, _, _)| *m == f.figure_id) {
                votes.push((f.figure_id.clone(), pb::Verdict::Approve, String::new()));
            }
        }
    }
    votes.extend(
        marked
            .iter()
            .filter(|m| m.1 == pb::Verdict::Reject)
            .cloned(),
    );
    match whole {
        "" | "approve_rest" => {}
        w => {
            let v = verdict(w).ok_or_else(|| Error::invalid("whole", "not a verdict"))?;
            if v != pb::Verdict::Approve && whole_reason.is_empty() {
                return Err(Error::invalid(
                    "whole_reason",
                    "a rejection or a comment needs a reason",
                )
                .into());
            }
            votes.push((String::new(), v, whole_reason));
        }
    }
    if votes.is_empty() {
        return Err(WebError::new(
            StatusCode::BAD_REQUEST,
            "mark at least one verdict",
        ));
    }
    if votes.len() > MAX_FIGURE_VOTES {
        return Err(Error::invalid(
            "verdict",
            format!("at most {MAX_FIGURE_VOTES} votes at once"),
        )
        .into());
    }
    for (figure_id, verdict, reason) in votes {
        ndrs_client::review::vote(
            &console.session,
            pb::CastVoteRequest {
                round_id: round_id.to_string(),
                candidate_hash: candidate_hash.to_string(),
                figure_id,
                verdict: verdict as i32,
                reason,
            },
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/console/rounds/{round_id}")).into_response())
}
