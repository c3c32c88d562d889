//! A candidate's page: its three stages with the reason each has not passed, the rules that
//! failed with the values they read, the benchmark deviations with their bands, the
//! justifications written, and the organiser's actions (justify a finding, open a review round,
//! publish), each behind a confirmation and each the CLI's gRPC call.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use ndrs_core::Error;
use ndrs_proto::v1 as pb;
use serde::Deserialize;

use super::{Console, confirmed};
use crate::Web;
use crate::error::WebError;
use crate::layout::{Units, csrf_field, page, short, time};

/// Longest candidate id read from a path.
const MAX_ID_CHARS: usize = 100;

/// The subjects justified on the candidate's hash `hash` (a justification on an earlier hash of
/// the same candidate id does not count).
pub(crate) fn justified_on<'a>(
    justifications: &'a [pb::Justification],
    hash: &str,
) -> Vec<&'a str> {
    justifications
        .iter()
        .filter(|j| j.candidate_hash == hash)
        .map(|j| j.subject.as_str())
        .collect()
}

pub(crate) fn checked_id(id: &str) -> Result<&str, WebError> {
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(Error::invalid("id", format!("1 to {MAX_ID_CHARS} characters")).into());
    }
    Ok(id)
}

fn stage_name(stage: i32) -> &'static str {
    match pb::ValidationStage::try_from(stage) {
        Ok(pb::ValidationStage::Rules) => "1 · cross-entity rules",
        Ok(pb::ValidationStage::Benchmarks) => "2 · external benchmarks",
        Ok(pb::ValidationStage::Review) => "3 · expert review",
        _ => "unknown stage",
    }
}

fn word(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix)
        .to_lowercase()
        .replace('_', " ")
}

/// The rule results that need attention (not passed), as a table; `justified` are the subjects
/// justified on the report's candidate hash, `units` the candidate's figures' units.
pub(crate) fn rule_findings(
    report: &pb::ValidationReport,
    justified: &[&str],
    units: &Units,
) -> Markup {
    let open: Vec<&pb::RuleResult> = report
        .results
        .iter()
        .filter(|r| r.status != pb::RuleStatus::Passed as i32)
        .collect();
    html! {
        p { (report.results.len()) " rules (rule set v" (report.rule_set_version) "), "
            (open.len()) " not passed; errors " @if report.passed_errors { span.passed { "all passed" } } @else { span.failed { "block publication" } }
            "; " (report.open_warnings) " warnings need a justification." }
        @if !open.is_empty() {
            table id="rules" {
                tr { th { "Rule" } th { "Severity" } th { "Status" } th { "Values read" } th { "Detail" } th { "Justified" } }
                @for r in &open {
                    tr {
                        td { code { (r.rule_id) } br; span.note { (r.description) } }
                        td { (word(pb::Severity::try_from(r.severity).map_or("", |s| s.as_str_name()), "SEVERITY_")) }
                        td.failed { (word(pb::RuleStatus::try_from(r.status).map_or("", |s| s.as_str_name()), "RULE_STATUS_")) }
                        td { @for (name, value) in &r.inputs { code { (name) } " = " (units.show(name, *value)) br; } }
                        td { (r.detail) }
                        td { @if justified.contains(&r.rule_id.as_str()) { span.passed { "yes" } } @else { "—" } }
                    }
                }
            }
        }
    }
}

/// Every benchmark comparison with its band; those out of band or missing inputs first.
pub(crate) fn benchmark_findings(
    report: &pb::BenchmarkReport,
    justified: &[&str],
    units: &Units,
) -> Markup {
    let open: Vec<&pb::BenchmarkComparison> = report
        .comparisons
        .iter()
        .filter(|c| {
            matches!(
                pb::BenchmarkOutcome::try_from(c.outcome),
                Ok(pb::BenchmarkOutcome::OutOfBand | pb::BenchmarkOutcome::MissingInputs)
            )
        })
        .collect();
    html! {
        p { (report.comparisons.len()) " comparisons (registry v" (report.registry_version) "), "
            (open.len()) " out of band or missing inputs." }
        @if !report.comparisons.is_empty() {
            table id="benchmarks" {
                tr { th { "Benchmark" } th { "Figure" } th { "Candidate" } th { "Benchmark" } th { "Deviation" } th { "Band (±)" } th { "Outcome" } th { "Detail" } th { "Justified" } }
                @for c in open.iter().copied().chain(report.comparisons.iter().filter(|c| !open.iter().any(|o| std::ptr::eq(*o, *c)))) {
                    tr {
                        td { code { (c.benchmark_id) } } td { code { (c.figure_id) } }
                        td.num { (units.show(&c.figure_id, c.candidate_value)) } td.num { (units.show(&c.figure_id, c.benchmark_value)) }
                        td.num { (format!("{:+.1}%", c.deviation * 100.0)) }
                        td.num { @if c.tolerance > 0.0 { (format!("{:.1}%", c.tolerance * 100.0)) } @else { "—" } }
                        @let outcome = pb::BenchmarkOutcome::try_from(c.outcome).unwrap_or(pb::BenchmarkOutcome::Unspecified);
                        td class=(if open.iter().any(|o| std::ptr::eq(*o, c)) { "failed" } else { "passed" }) {
                            (word(outcome.as_str_name(), "BENCHMARK_OUTCOME_")) }
                        td { (c.detail) }
                        td { @if justified.contains(&c.benchmark_id.as_str()) { span.passed { "yes" } } @else { "—" } }
                    }
                }
            }
        }
    }
}

pub async fn show(
    State(_web): State<Web>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Markup, WebError> {
    let id = checked_id(&id)?;
    let session = &console.session;
    let candidate = ndrs_client::candidates::get(session, id).await?;
    let status = ndrs_client::validation::status(session, id).await?;
    let rules = ndrs_client::validation::rule_report(session, id).await;
    let benchmarks = ndrs_client::validation::benchmark_report(session, id).await;
    let justifications = ndrs_client::validation::justifications(session, id).await?;
    let figures: usize = candidate.stages.iter().map(|s| s.figures.len()).sum();
    let justified = justified_on(&justifications, &candidate.content_hash);
    let units = Units::of(&candidate);
    let who = &console.who;
    Ok(page(
        &format!("Candidate {id}"),
        Some(who),
        html! {
            h1 { "Candidate " (candidate.sequence) " of cycle " (candidate.cycle_year) }
            p.meta { "id " code { (candidate.candidate_id) } " · hash " code { (candidate.content_hash) }
                     " · assembled " (time(candidate.assembled_at.as_ref())) " by " (candidate.assembled_by)
                     " · " (figures) " figures" }
            p { a href={ "/console/cycles/" (candidate.cycle_year) } { "← cycle " (candidate.cycle_year) } }
            h2 { "Stages" }
            table id="stages" {
                tr { th { "Stage" } th { "Passed" } th { "Why not" } }
                @for s in &status.stages {
                    tr {
                        td { (stage_name(s.stage)) }
                        td { @if s.passed { span.passed { "passed" } } @else { span.failed { "not passed" } } }
                        td { @for r in &s.reasons { (r) br; } }
                    }
                }
            }
            p { @if status.publishable { span.passed { "Publishable: all three stages passed on this hash." } }
                @else { span.open { "Not publishable yet." } } }
            h2 { "Stage 1 · rules" }
            @match &rules { Ok(r) => { (rule_findings(r, &justified, &units)) } Err(e) => { p.note { (e) } } }
            h2 { "Stage 2 · benchmarks" }
            @match &benchmarks { Ok(r) => { (benchmark_findings(r, &justified, &units)) } Err(e) => { p.note { (e) } } }
            h2 { "Justifications" }
            @if justifications.is_empty() { p.note { "None written." } }
            @if !justifications.is_empty() { table id="justifications" {
                tr { th { "Stage" } th { "Subject" } th { "Why acceptable" } th { "By" } th { "When" } th { "" } }
                @for j in &justifications {
                    tr { td { (stage_name(j.stage)) } td { code { (j.subject) } } td { (j.text) }
                         td { (j.justified_by) } td { (time(j.justified_at.as_ref())) }
                         td { @if j.candidate_hash != candidate.content_hash { "on an earlier hash" } } }
                }
            } }
            @if who.is("organiser") {
                h2 { "Actions" }
                form.action method="post" action={ "/console/candidates/" (candidate.candidate_id) "/justify" } {
                    h3 { "Justify a finding" }
                    (csrf_field(who))
                    label { "Stage " select name="stage" {
                        option value="rules" { "1 · rules (a failed warning rule)" }
                        option value="benchmarks" { "2 · benchmarks (a deviation out of band)" } } }
                    label { "Rule or benchmark id " input type="text" name="subject" required; }
                    label { "Why the finding is acceptable " textarea name="text" required {} }
                    label { input type="checkbox" name="confirm" value="yes"; " I confirm this justification is recorded in the audit log under my name." }
                    button type="submit" { "Record the justification" }
                }
                form.action method="post" action={ "/console/candidates/" (candidate.candidate_id) "/review" } {
                    h3 { "Open a review round" }
                    (csrf_field(who))
                    p.note { "Freezes this candidate (hash " code { (short(&candidate.content_hash)) } ") for the experts; an open earlier round is superseded." }
                    label { "Quorum (distinct experts approving the whole candidate) " input type="number" name="quorum" min="1" max="100" value="3"; }
                    label { input type="checkbox" name="confirm" value="yes"; " I confirm: open the round on this candidate." }
                    button type="submit" { "Open the review round" }
                }
            }
            @if who.is("publisher") || who.is("organiser") {
                form.action method="post" action={ "/console/candidates/" (candidate.candidate_id) "/publish" } {
                    h3 { "Publish" }
                    (csrf_field(who))
                    p.note { "Publishing needs the publisher role and all three stages passed on this hash." }
                    label { "Embargo until (RFC 3339, UTC; empty: public at once) " input type="text" name="embargo_until" placeholder="2027-03-01T09:00:00Z"; }
                    label { "Note (what changed and why; required for a revision) " textarea name="note" {} }
                    label { input type="checkbox" name="confirm" value="yes"; " I confirm: publish this candidate as the cycle's next release version. A release cannot be withdrawn." }
                    button.danger type="submit" { "Publish" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct JustifyForm {
    csrf: Option<String>,
    stage: Option<String>,
    subject: Option<String>,
    text: Option<String>,
    confirm: Option<String>,
}

pub async fn justify(
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<JustifyForm>,
) -> Result<Response, WebError> {
    console.check_csrf(form.csrf.as_deref())?;
    let id = checked_id(&id)?;
    confirmed(form.confirm.as_deref())?;
    let stage = match form.stage.as_deref() {
        Some("rules") => pb::ValidationStage::Rules,
        Some("benchmarks") => pb::ValidationStage::Benchmarks,
        _ => return Err(Error::invalid("stage", "must be rules or benchmarks").into()),
    };
    ndrs_client::validation::justify(
        &console.session,
        id,
        stage,
        form.subject.as_deref().unwrap_or_default().trim(),
        form.text.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/candidates/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct OpenReviewForm {
    csrf: Option<String>,
    quorum: Option<String>,
    confirm: Option<String>,
}

pub async fn open_review(
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<OpenReviewForm>,
) -> Result<Response, WebError> {
    console.check_csrf(form.csrf.as_deref())?;
    let id = checked_id(&id)?;
    confirmed(form.confirm.as_deref())?;
    let quorum = form
        .quorum
        .as_deref()
        .unwrap_or_default()
        .trim()
        .parse::<u32>()
        .map_err(|_| Error::invalid("quorum", "a whole number from 1 to 100"))?;
    let round = ndrs_client::review::open(&console.session, id, quorum).await?;
    Ok(Redirect::to(&format!("/console/rounds/{}", round.round_id)).into_response())
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf: Option<String>,
    embargo_until: Option<String>,
    note: Option<String>,
    confirm: Option<String>,
}

/// An embargo time from the form: RFC 3339, or `YYYY-MM-DDTHH:MM` read as UTC; empty for none.
fn embargo(text: &str) -> Result<Option<ndrs_proto::prost_types::Timestamp>, WebError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").map(|t| t.and_utc())
        })
        .map_err(|_| {
            Error::invalid(
                "embargo_until",
                "an RFC 3339 time, e.g. 2027-03-01T09:00:00Z",
            )
        })?;
    Ok(Some(std::time::SystemTime::from(at).into()))
}

pub async fn publish(
    State(web): State<Web>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> Result<Response, WebError> {
    console.check_csrf(form.csrf.as_deref())?;
    let id = checked_id(&id)?;
    confirmed(form.confirm.as_deref())?;
    let until = embargo(form.embargo_until.as_deref().unwrap_or_default())?;
    let summary = ndrs_client::publication::publish(
        &console.session,
        id,
        until,
        form.note.as_deref().unwrap_or_default(),
    )
    .await?;
    web.forget_listing();
    Ok(Redirect::to(&format!("/console/cycles/{}", summary.cycle_year)).into_response())
}
