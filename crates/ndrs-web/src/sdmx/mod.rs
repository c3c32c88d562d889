//! The SDMX 2.1 REST API over the published releases (under `/sdmx`): the paths and parameters
//! of the SDMX RESTful web services specification, so any SDMX client (sdmx1, pysdmx, .Stat,
//! Excel's SDMX add-in) reads the survey like any other agency's data.
//!
//! - `data/{flow}[/{key}[/{provider}]]` with `startPeriod`, `endPeriod`, `updatedAfter` and
//!   `includeHistory` ([`data`]);
//! - `dataflow`, `datastructure`, `codelist` and `conceptscheme` `/{agency}/{id}/{version}`,
//!   with `references` ([`structure`]).
//!
//! Answers are SDMX-ML 2.1 (structure-specific or generic data; structure messages) or SDMX-CSV 1.0,
//! chosen by the `Accept` header or the `format` parameter; anything else is 406.

pub mod data;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, StatusCode, header};
use ndrs_core::{Error, Result};

use ndrs_aggregator::release::sdmx::{
    self as model, AGENCY, DATAFLOW, DSD, GENERIC_DATA, SDMX_CSV, STRUCTURE_MESSAGE as STRUCTURE,
    STRUCTURE_SPECIFIC_DATA as STRUCTURE_SPECIFIC, Selection, Structure, VERSION,
};

use crate::Web;
use crate::error::WebError;
use crate::releases;

/// Longest query parameter value read, in bytes.
const MAX_PARAMETER_BYTES: usize = 16_384;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/data/{flow}", get(data_all))
        .route("/data/{flow}/{key}", get(data_key))
        .route("/data/{flow}/{key}/{provider}", get(data_provider))
        .route("/{resource}", get(structure_any))
        .route("/{resource}/{agency}", get(structure_agency))
        .route("/{resource}/{agency}/{id}", get(structure_id))
        .route(
            "/{resource}/{agency}/{id}/{version}",
            get(structure_version),
        )
}

type Params = Query<HashMap<String, String>>;

fn sdmx_error(e: impl Into<WebError>) -> Response {
    let mut e: WebError = e.into();
    // SDMX REST: a query that matches nothing is 404 "No Results Found".
    if e.status == StatusCode::NOT_FOUND && e.message.is_empty() {
        e.message = "No Results Found".into();
    }
    e.plain().into_response()
}

fn not_acceptable(what: &str) -> Response {
    WebError::new(
        StatusCode::NOT_ACCEPTABLE,
        format!(
            "{what} is served as {STRUCTURE_SPECIFIC}, {GENERIC_DATA} or {SDMX_CSV} (or format=csv)"
        ),
    )
    .plain()
    .into_response()
}

/// The answer format a data query asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataFormat {
    StructureSpecific,
    Generic,
    Csv,
}

fn data_format(headers: &HeaderMap, params: &HashMap<String, String>) -> Option<DataFormat> {
    if let Some(f) = params.get("format") {
        return match f.to_ascii_lowercase().as_str() {
            "csv" | "csvfile" | "csvdata" | "sdmx-csv" => Some(DataFormat::Csv),
            "structurespecificdata" | "xml" | "sdmx-ml" => Some(DataFormat::StructureSpecific),
            "genericdata" => Some(DataFormat::Generic),
            _ => None,
        };
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_ascii_lowercase();
    for choice in accept.split(',').map(|c| c.trim()) {
        let media = choice.split(';').next().unwrap_or("").trim();
        match media {
            "application/vnd.sdmx.data+csv" | "text/csv" => return Some(DataFormat::Csv),
            "application/vnd.sdmx.genericdata+xml" => return Some(DataFormat::Generic),
            "application/vnd.sdmx.structurespecificdata+xml"
            | "application/xml"
            | "text/xml"
            | "application/*"
            | "*/*" => return Some(DataFormat::StructureSpecific),
            _ => {}
        }
    }
    None
}

fn structure_acceptable(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_ascii_lowercase();
    accept.split(',').any(|c| {
        matches!(
            c.split(';').next().unwrap_or("").trim(),
            "application/vnd.sdmx.structure+xml"
                | "application/xml"
                | "text/xml"
                | "application/*"
                | "*/*"
        )
    })
}

/// Whether `flow` names this service's dataflow (`DF_NDRS`, `NDRS,DF_NDRS`, `NDRS,DF_NDRS,1.0`,
/// with `all`/`latest` for agency and version).
fn is_our_flow(flow: &str) -> bool {
    let parts: Vec<&str> = flow.split(',').collect();
    match parts.as_slice() {
        [id] => *id == DATAFLOW,
        [agency, id] => matches!(*agency, AGENCY | "all") && *id == DATAFLOW,
        [agency, id, version] => {
            matches!(*agency, AGENCY | "all")
                && *id == DATAFLOW
                && matches!(*version, VERSION | "latest" | "all" | "1.0.0")
        }
        _ => false,
    }
}

fn prepared() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn data_all(
    state: State<Web>,
    Path(flow): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    data(state, flow, "all".into(), headers, params).await
}

async fn data_key(
    state: State<Web>,
    Path((flow, key)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    data(state, flow, key, headers, params).await
}

async fn data_provider(
    state: State<Web>,
    Path((flow, key, provider)): Path<(String, String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    if !matches!(provider.as_str(), "all" | AGENCY | "NDRS,NDRS") {
        return sdmx_error(Error::NotFound(format!(
            "no data provider {}; the only one is {AGENCY}",
            ndrs_core::error::bounded(&provider, 80)
        )));
    }
    data(state, flow, key, headers, params).await
}

fn parameter<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<Option<&'a str>> {
    match params.get(name) {
        Some(v) if v.len() > MAX_PARAMETER_BYTES => Err(Error::invalid(
            name,
            format!("at most {MAX_PARAMETER_BYTES} bytes"),
        )),
        Some(v) => Ok(Some(v.as_str())),
        None => Ok(None),
    }
}

fn data_query(
    key: &str,
    structure: &Structure,
    params: &HashMap<String, String>,
) -> Result<data::Query> {
    if key.len() > MAX_PARAMETER_BYTES {
        return Err(Error::invalid(
            "key",
            format!("at most {MAX_PARAMETER_BYTES} bytes"),
        ));
    }
    let mut query = data::Query {
        key: data::parse_key(key, structure)?,
        ..Default::default()
    };
    if let Some(s) = parameter(params, "startPeriod")? {
        query.start_year = Some(data::period_year("startPeriod", s)?);
    }
    if let Some(e) = parameter(params, "endPeriod")? {
        query.end_year = Some(data::period_year("endPeriod", e)?);
    }
    if let Some(h) = parameter(params, "includeHistory")? {
        query.include_history = match h {
            "true" => true,
            "false" => false,
            _ => return Err(Error::invalid("includeHistory", "expected true or false")),
        };
    }
    if let Some(u) = parameter(params, "updatedAfter")? {
        query.updated_after = Some(
            chrono::DateTime::parse_from_rfc3339(u)
                .map_err(|_| {
                    Error::invalid(
                        "updatedAfter",
                        "expected an RFC 3339 time, e.g. 2024-03-01T00:00:00Z",
                    )
                })?
                .with_timezone(&chrono::Utc),
        );
    }
    if let Some(d) = parameter(params, "dimensionAtObservation")?
        && d != "TIME_PERIOD"
    {
        return Err(Error::invalid(
            "dimensionAtObservation",
            "only TIME_PERIOD is served",
        ));
    }
    if let Some(d) = parameter(params, "detail")?
        && d != "full"
    {
        return Err(Error::invalid("detail", "only full is served"));
    }
    Ok(query)
}

async fn data(
    State(web): State<Web>,
    flow: String,
    key: String,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    if !is_our_flow(&flow) {
        return sdmx_error(Error::NotFound(format!(
            "no dataflow {}; this service has {AGENCY}:{DATAFLOW}({VERSION})",
            ndrs_core::error::bounded(&flow, 80)
        )));
    }
    let Some(format) = data_format(&headers, &params) else {
        return not_acceptable("data");
    };
    let published = match releases::every_version(&web).await {
        Ok(p) => p,
        Err(e) => return sdmx_error(e),
    };
    let structure = Structure::of(published.iter().map(|p| &*p.document));
    let query = match data_query(&key, &structure, &params) {
        Ok(q) => q,
        Err(e) => return sdmx_error(e),
    };
    if query.include_history && format == DataFormat::Csv {
        return sdmx_error(Error::invalid(
            "includeHistory",
            "vintages are served in SDMX-ML (one data set per release version); SDMX-CSV has no column for them",
        ));
    }
    let sets = data::select(&published, &structure, &query);
    if sets.is_empty() {
        return sdmx_error(WebError::new(StatusCode::NOT_FOUND, ""));
    }
    match format {
        DataFormat::StructureSpecific => (
            [(header::CONTENT_TYPE, STRUCTURE_SPECIFIC)],
            model::data::structure_specific(&sets, &structure, query.include_history, &prepared()),
        )
            .into_response(),
        DataFormat::Generic => (
            [(header::CONTENT_TYPE, GENERIC_DATA)],
            model::data::generic(
                &sets,
                &structure,
                query.include_history,
                "NDRS_DATA",
                &prepared(),
            ),
        )
            .into_response(),
        DataFormat::Csv => match model::data::csv(&sets, &structure) {
            Ok(text) => ([(header::CONTENT_TYPE, SDMX_CSV)], text).into_response(),
            Err(e) => sdmx_error(e),
        },
    }
}

async fn structure_any(
    state: State<Web>,
    Path(resource): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    structure_query(
        state,
        resource,
        "all".into(),
        "all".into(),
        "latest".into(),
        headers,
        params,
    )
    .await
}

async fn structure_agency(
    state: State<Web>,
    Path((resource, agency)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    structure_query(
        state,
        resource,
        agency,
        "all".into(),
        "latest".into(),
        headers,
        params,
    )
    .await
}

async fn structure_id(
    state: State<Web>,
    Path((resource, agency, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    structure_query(
        state,
        resource,
        agency,
        id,
        "latest".into(),
        headers,
        params,
    )
    .await
}

async fn structure_version(
    state: State<Web>,
    Path((resource, agency, id, version)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    structure_query(state, resource, agency, id, version, headers, params).await
}

/// Which artefacts a structure query selects, with its `references`.
fn selection(
    resource: &str,
    agency: &str,
    id: &str,
    version: &str,
    references: &str,
    structure: &Structure,
) -> Result<Selection> {
    let any = |s: &str, want: &str| s == "all" || s == want;
    let version_ok = |own: &str| matches!(version, "latest" | "all") || version == own;
    let children = matches!(references, "children" | "descendants" | "all");
    let parents = matches!(references, "parents" | "parentsandsiblings" | "all");
    if !matches!(
        references,
        "none" | "children" | "descendants" | "all" | "parents" | "parentsandsiblings"
    ) {
        return Err(Error::invalid(
            "references",
            "expected none, parents, parentsandsiblings, children, descendants or all",
        ));
    }
    let none = || Error::NotFound(String::new());
    let mut s = Selection {
        dataflow: false,
        datastructure: false,
        concepts: false,
        codelists: None,
    };
    match resource {
        "dataflow" => {
            if !(any(agency, AGENCY) && any(id, DATAFLOW) && version_ok(VERSION)) {
                return Err(none());
            }
            s.dataflow = true;
            if children {
                s.datastructure = true;
                s.concepts = true;
                s.codelists = Some(None);
            }
        }
        "datastructure" => {
            if !(any(agency, AGENCY) && any(id, DSD) && version_ok(VERSION)) {
                return Err(none());
            }
            s.datastructure = true;
            s.dataflow = parents;
            if children {
                s.concepts = true;
                s.codelists = Some(None);
            }
        }
        "conceptscheme" => {
            if !(any(agency, AGENCY) || any(agency, "SDMX")) {
                return Err(none());
            }
            s.concepts = true;
            s.datastructure = parents;
        }
        "codelist" => {
            if id == "all" {
                if !(agency == "all" || structure.codelists.iter().any(|c| c.agency == agency)) {
                    return Err(none());
                }
                s.codelists = Some(None);
            } else {
                let found = structure.codelists.iter().position(|c| {
                    (agency == "all" || c.agency == agency) && c.id == id && version_ok(c.version)
                });
                s.codelists = Some(Some(found.ok_or_else(none)?));
            }
            s.datastructure = parents;
        }
        other => {
            return Err(Error::NotFound(format!(
                "no SDMX resource {}: this service answers data, dataflow, datastructure, codelist and conceptscheme",
                ndrs_core::error::bounded(other, 40)
            )));
        }
    }
    Ok(s)
}

#[allow(clippy::too_many_arguments)]
async fn structure_query(
    State(web): State<Web>,
    resource: String,
    agency: String,
    id: String,
    version: String,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    if !structure_acceptable(&headers) {
        return WebError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("structures are served as {STRUCTURE}"),
        )
        .plain()
        .into_response();
    }
    let published = match releases::every_version(&web).await {
        Ok(p) => p,
        Err(e) => return sdmx_error(e),
    };
    let structure = Structure::of(published.iter().map(|p| &*p.document));
    let references = params.get("references").map_or("none", String::as_str);
    match selection(&resource, &agency, &id, &version, references, &structure) {
        Ok(s) => (
            [(header::CONTENT_TYPE, STRUCTURE)],
            structure.to_xml(s, &prepared()),
        )
            .into_response(),
        Err(e) => sdmx_error(e),
    }
}
