//! The public pages: no sign-in. Every cycle with its release versions and their notes, each
//! version's report, and its files byte for byte as published (the bytes `GetRelease` returns,
//! with the SHA-256 the release summary records). An embargoed release is invisible to the
//! service's reader token, so it is invisible here: 404, as if it did not exist yet.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use http::header;
use maud::{Markup, html};
use ndrs_core::{Error, Result, Violations};
use ndrs_proto::v1 as pb;

use crate::Web;
use crate::error::WebError;
use crate::layout::{page, short, time};
use crate::releases;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(index))
        .route("/releases/{year}", get(cycle))
        .route("/releases/{year}/{version}", get(report))
        .route("/releases/{year}/{version}/{file}", get(download))
}

/// A cycle year from a path segment, checked like every cycle year a client sends.
pub(crate) fn cycle_year(text: &str) -> Result<i32> {
    let mut v = Violations::new();
    let year = text.parse::<i32>().unwrap_or(0);
    ndrs_platform::stage::check_cycle_year("year", year, &mut v);
    v.finish(year)
}

/// A release version from a path segment: 1, 2, ... or `latest`.
fn version(text: &str) -> Result<u32> {
    if text == "latest" {
        return Ok(0);
    }
    match text.parse::<u32>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(Error::invalid(
            "version",
            "expected a release version (1, 2, ...) or latest",
        )),
    }
}

async fn index(State(web): State<Web>) -> Result<Markup, WebError> {
    let cycles = releases::by_cycle(&web).await?;
    Ok(page(
        "Releases",
        None,
        html! {
            h1 { "全国数据资源调查 · National data resource survey" }
            p.note { "Every published release version, with its report and files exactly as published. \
                      Machine access: the SDMX 2.1 REST API at " a href="/sdmx/dataflow/NDRS" { code { "/sdmx" } } "." }
            @for c in cycles.iter() {
                h2 { a href={ "/releases/" (c.cycle.cycle_year) } { (c.cycle.cycle_year) "年 · cycle " (c.cycle.cycle_year) } }
                @if c.releases.is_empty() {
                    p.note { "No release published yet." }
                } @else {
                    (release_table(&c.releases))
                }
            }
            @if cycles.is_empty() { p { "No survey cycle yet." } }
        },
    ))
}

fn release_table(releases: &[pb::ReleaseSummary]) -> Markup {
    html! {
        table {
            tr { th { "Version" } th { "Published" } th { "Note" } th { "Files" } }
            @for r in releases.iter().rev() {
                tr {
                    td { a href={ "/releases/" (r.cycle_year) "/" (r.version) } { "v" (r.version) } }
                    td { (time(r.published_at.as_ref())) }
                    td { @if r.note.is_empty() { "—" } @else { (r.note) } }
                    td {
                        a href={ "/releases/" (r.cycle_year) "/" (r.version) "/release.json" } { "JSON" } " · "
                        a href={ "/releases/" (r.cycle_year) "/" (r.version) "/release.csv" } { "CSV" } " · "
                        a href={ "/releases/" (r.cycle_year) "/" (r.version) "/release.xml" } { "SDMX-ML" }
                    }
                }
            }
        }
    }
}

async fn cycle(State(web): State<Web>, Path(year): Path<String>) -> Result<Markup, WebError> {
    let year = cycle_year(&year)?;
    let releases = releases::of_cycle(&web, year).await?;
    Ok(page(
        &format!("Cycle {year}"),
        None,
        html! {
            h1 { (year) "年全国数据资源调查 · Survey cycle " (year) }
            p { "Release versions, newest first. A revision states what changed and why." }
            (release_table(&releases))
            @for r in &releases {
                p.meta { "v" (r.version) ": document SHA-256 " code { (r.document_sha256) }
                         ", candidate " code { (short(&r.candidate_hash)) } }
            }
        },
    ))
}

async fn report(
    State(web): State<Web>,
    Path((year, v)): Path<(String, String)>,
) -> Result<Html<String>, WebError> {
    let document = releases::document(&web, cycle_year(&year)?, version(&v)?).await?;
    Ok(Html(ndrs_report::render(&document, None)))
}

/// The published bytes of one version in one format.
async fn download(
    State(web): State<Web>,
    Path((year, v, file)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let (format, extension) = match file.as_str() {
        "release.json" => (pb::ReleaseFormat::Json, "json"),
        "release.csv" => (pb::ReleaseFormat::Csv, "csv"),
        "release.xml" => (pb::ReleaseFormat::Sdmx, "xml"),
        _ => {
            return Err(Error::NotFound(
                "expected release.json, release.csv or release.xml".into(),
            )
            .into());
        }
    };
    let year = cycle_year(&year)?;
    let published = ndrs_client::publication::get(web.public(), year, version(&v)?, format).await?;
    let version = published.summary.as_ref().map_or(0, |s| s.version);
    let disposition = format!("inline; filename=\"ndrs-{year}-v{version}.{extension}\"");
    Ok((
        [
            (header::CONTENT_TYPE, published.media_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        published.content,
    )
        .into_response())
}
