//! The demo dataset ([`crate::demo_data`]) run through the services the way the survey
//! happens: the organiser loads each cycle's frames (compute register, application sample design)
//! before returns come in; every reporting unit submits its own returns over gRPC with its own
//! reporter token; the organiser runs the full-volume model. `ndrs demo` and the reproduction test
//! both use this, so the test checks exactly what the demo does.
//!
//! It also holds the reproduction table: each published 2023 indicator against what the pipeline
//! computed, judged by the report's comparator ([`crate::demo_data::targets`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::demo_data::{CycleData, DemoData, Submission, targets};
use ndrs_client::Session;
use ndrs_core::{Error, Result};
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_proto::v1 as pb;
use tokio::sync::Semaphore;

use crate::target::Target;

/// Submissions in flight at once: enough to keep two cores busy, few enough that SQLite's single
/// writer per service is not swamped.
pub const CONCURRENCY: usize = 16;

/// Published indicators the pipeline does not produce yet, and why. The reproduction table lists
/// them; a check fails if one of them starts being produced, so the list cannot go stale.
/// Empty since P08 and P15 are produced; kept so that a newly published indicator the pipeline
/// cannot yet produce is listed with its reason rather than failing the table.
pub const NOT_PRODUCED: [(&str, &str); 0] = [];

async fn organiser_token(identity: &IdentityStore) -> Result<String> {
    Ok(identity
        .issue("demo organiser", Role::Organiser, None)
        .await?
        .token)
}

fn rpc(what: String) -> impl FnOnce(tonic::Status) -> Error {
    move |s| ndrs_platform::grpc_status::from_status(s).in_context(&what)
}

/// How long the demo's collection windows stay open: the walk-through's late revisions come
/// well within it.
const COLLECTION_WINDOW_DAYS: i64 = 90;

/// The organiser's session.
pub async fn organiser(target: &Target<'_>) -> Result<Session> {
    Session::new(
        target.endpoints.clone(),
        organiser_token(target.identity).await?,
    )
}

/// The organiser opens every cycle's collection window, loads its reporting frame (every unit
/// the dataset has returns from, classified as its design or register classifies it), publishes
/// its questionnaires (the shipped content documents) and loads its compute register and
/// application sample design: all through the client functions the `ndrs` commands call.
pub async fn load_frames(target: &Target<'_>, data: &DemoData) -> Result<()> {
    let token = organiser_token(target.identity).await?;
    let session = Session::new(target.endpoints.clone(), token.clone())?;
    let e = target.endpoints;
    let deadline = ndrs_proto::prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() + COLLECTION_WINDOW_DAYS * 86_400,
        nanos: 0,
    };
    for cycle in &data.cycles {
        ndrs_client::cycles::open(&session, cycle.year, "", None, deadline).await?;
        ndrs_client::cycles::load_frame(&session, reporting_frame(cycle)).await?;
        ndrs_platform::client::publish_shipped_content(e, &token, cycle.year).await?;
        ndrs_client::frames::load_register(&session, cycle.centre_register.clone()).await?;
        ndrs_client::frames::load_design(&session, cycle.sample_design.clone()).await?;
    }
    Ok(())
}

/// The reporting frame of a cycle of the dataset: every unit of the application sample design
/// (owing a questionnaire) and of the compute register (owing a centre return), responding or
/// not, and every other unit the dataset has returns from, with the kinds it sends (carriers,
/// exchanges, vendors, the sharing hub).
pub fn reporting_frame(cycle: &CycleData) -> pb::LoadFrameRequest {
    let mut units: BTreeMap<String, pb::FrameUnit> = BTreeMap::new();
    let blank = |id: &str| pb::FrameUnit {
        reporting_unit_id: id.to_string(),
        name: id.to_string(),
        contact: format!("survey-contact@{id}.example"),
        ..Default::default()
    };
    for u in &cycle.sample_design.units {
        let mut unit = blank(&u.reporting_unit_id);
        unit.subject_type = u.subject_type;
        unit.province_code.clone_from(&u.province_code);
        unit.industry.clone_from(&u.industry);
        unit.size_class = pb::SizeClass::try_from(u.size_class)
            .ok()
            .filter(|c| *c != pb::SizeClass::Unspecified)
            .map(|c| {
                c.as_str_name()
                    .trim_start_matches("SIZE_CLASS_")
                    .to_lowercase()
            })
            .unwrap_or_default();
        unit.stratum.clone_from(&u.stratum);
        unit.design_weight = u.design_weight;
        unit.expected_kinds.push("application_questionnaire".into());
        units.insert(u.reporting_unit_id.clone(), unit);
    }
    for c in &cycle.centre_register.centres {
        let unit = units
            .entry(c.centre_id.clone())
            .or_insert_with(|| blank(&c.centre_id));
        unit.subject_type = pb::SubjectType::ComputeCentre as i32;
        unit.province_code.clone_from(&c.province_code);
        unit.name.clone_from(&c.operator_name);
        unit.expected_kinds.push("compute_centre".into());
    }
    for s in cycle.submissions() {
        let unit = units
            .entry(s.reporting_unit_id().to_string())
            .or_insert_with(|| blank(s.reporting_unit_id()));
        if unit.subject_type == 0 {
            unit.subject_type = match s.kind() {
                "carrier_traffic" => pb::SubjectType::TelecomCarrier,
                "exchange_activity" => pb::SubjectType::DataExchange,
                "sharing_hub" => pb::SubjectType::NationalDepartment,
                _ => pb::SubjectType::DeviceVendor,
            } as i32;
        }
        if !unit.expected_kinds.iter().any(|k| k == s.kind()) {
            unit.expected_kinds.push(s.kind().to_string());
        }
    }
    pb::LoadFrameRequest {
        cycle_year: cycle.year,
        units: units.into_values().collect(),
    }
}

/// How each cycle's round went, as `ndrs cycle progress` reports it.
pub async fn progress(target: &Target<'_>, data: &DemoData) -> Result<Vec<pb::CycleProgress>> {
    let session = organiser(target).await?;
    let mut reports = Vec::new();
    for cycle in &data.cycles {
        reports.push(ndrs_client::cycles::progress(&session, cycle.year).await?);
    }
    Ok(reports)
}

/// What submitting the dataset did.
pub struct Submitted {
    pub returns: usize,
    pub units: usize,
    /// Refused submissions, with the service's reason.
    pub refused: Vec<String>,
    /// The stored return each accepted submission made or revised, by (unit, idempotency key):
    /// the receipts a unit keeps so that it can revise its returns later.
    pub receipts: Receipts,
}

/// Return ids by (reporting unit, idempotency key).
pub type Receipts = BTreeMap<(String, String), String>;

/// Every reporting unit submits its returns of every cycle with its own token, `CONCURRENCY`
/// units at a time; `progress(done, total)` is called as units finish.
pub async fn submit_all(
    target: &Target<'_>,
    data: &DemoData,
    progress: impl Fn(usize, usize),
) -> Result<Submitted> {
    let submissions = data.cycles.iter().flat_map(|c| c.submissions());
    send(target, submissions, progress).await
}

/// The returns of `year` that differ between `original` and `revised` (two generations of the
/// same dataset, e.g. the default and the one with planted inconsistencies), as pairs.
///
/// # Errors
/// When the two datasets do not hold the same returns in the same order.
pub fn changed_returns(
    original: &DemoData,
    revised: &DemoData,
    year: i32,
) -> Result<Vec<(Submission, Submission)>> {
    let (Some(a), Some(b)) = (
        original.cycles.iter().find(|c| c.year == year),
        revised.cycles.iter().find(|c| c.year == year),
    ) else {
        return Err(Error::invalid(
            "year",
            format!("no cycle {year} in both datasets"),
        ));
    };
    let (a, b) = (a.submissions(), b.submissions());
    if a.len() != b.len()
        || a.iter()
            .zip(&b)
            .any(|(x, y)| x.idempotency_key() != y.idempotency_key())
    {
        return Err(Error::Internal(
            "the two datasets do not hold the same returns".into(),
        ));
    }
    Ok(a.into_iter().zip(b).filter(|(x, y)| x != y).collect())
}

/// Each unit revises its stored return: the revision names the return of the original's receipt
/// and becomes its new version. Returns how many were revised and the refusals.
///
/// # Errors
/// When an original has no receipt (it was never accepted): there is nothing to revise.
pub async fn submit_revisions(
    target: &Target<'_>,
    revisions: Vec<(Submission, Submission)>,
    receipts: &Receipts,
) -> Result<Submitted> {
    let mut revised = Vec::with_capacity(revisions.len());
    for (original, revision) in revisions {
        let key = (
            original.reporting_unit_id().to_string(),
            original.idempotency_key().to_string(),
        );
        let return_id = receipts.get(&key).ok_or_else(|| {
            Error::FailedPrecondition(format!("no receipt for {} {}", key.0, key.1))
        })?;
        revised.push(revision.revising(return_id));
    }
    send(target, revised.into_iter(), |_, _| {}).await
}

/// Sends submissions grouped by unit, each unit with its own token, `CONCURRENCY` units at a
/// time.
async fn send(
    target: &Target<'_>,
    submissions: impl Iterator<Item = Submission>,
    progress: impl Fn(usize, usize),
) -> Result<Submitted> {
    let mut by_unit: BTreeMap<String, Vec<Submission>> = BTreeMap::new();
    for s in submissions {
        by_unit
            .entry(s.reporting_unit_id().to_string())
            .or_default()
            .push(s);
    }
    let returns = by_unit.values().map(Vec::len).sum();
    let units = by_unit.len();
    // One session's channels for every reporter; each call carries its own unit's token.
    let session = Session::new(target.endpoints.clone(), "")?;
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (unit, submissions) in by_unit {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let session = session.clone();
        let identity = target.identity.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let token = match identity
                .issue(
                    &format!("demo reporter {unit}"),
                    Role::Reporter,
                    Some(&unit),
                )
                .await
            {
                Ok(issued) => issued.token,
                Err(e) => return (vec![format!("{unit}: token: {e}")], Vec::new()),
            };
            let reporter = session.as_caller(token);
            let mut refused = Vec::new();
            let mut receipts = Vec::new();
            for s in submissions {
                let what = format!("{unit} {}", s.cycle_year());
                let key = (unit.clone(), s.idempotency_key().to_string());
                match s.send(&reporter).await {
                    Ok(receipt) => receipts.push((key, receipt.return_id)),
                    Err(e) => refused.push(e.in_context(&what).to_string()),
                }
            }
            (refused, receipts)
        });
    }
    let mut refused = Vec::new();
    let mut receipts = Receipts::new();
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (unit_refused, unit_receipts) =
            joined.map_err(|e| Error::Internal(format!("submission task: {e}")))?;
        refused.extend(unit_refused);
        receipts.extend(unit_receipts);
        done += 1;
        progress(done, units);
    }
    Ok(Submitted {
        returns,
        units,
        refused,
        receipts,
    })
}

/// The organiser runs the full-volume model of every cycle (earlier cycles first: growth needs
/// them).
pub async fn run_models(target: &Target<'_>, data: &DemoData) -> Result<Vec<pb::ModelRun>> {
    let mut production = organiser(target).await?.production()?;
    let mut runs = Vec::new();
    for cycle in &data.cycles {
        runs.push(
            production
                .run_model(cycle.model_run)
                .await
                .map_err(rpc(format!("model run {}", cycle.year)))?
                .into_inner(),
        );
    }
    Ok(runs)
}

fn fmt(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// The reproduction table of a cycle's national figures against the published report.
pub struct Reproduction {
    /// One line per published indicator.
    pub lines: Vec<String>,
    pub reproduced: usize,
    /// Indicators that do not reproduce (or are produced although listed as not produced).
    pub failing: Vec<String>,
}

/// Compares `national` (figure id -> figure) with the published 2023 indicators. `c01_register`
/// replaces the published centre count for a scaled dataset, whose register is smaller.
pub fn reproduction(
    national: &BTreeMap<&str, &pb::Figure>,
    c01_register: Option<f64>,
) -> Reproduction {
    let not_produced: BTreeMap<&str, &str> = NOT_PRODUCED.iter().copied().collect();
    let mut lines = vec![format!(
        "{:<4} {:<62} {:>10} {:<7} {:<6} {:>12} {:>25} {:<4}",
        "id", "indicator", "report", "unit", "cmp", "ndrs", "interval", ""
    )];
    let mut failing = Vec::new();
    let mut reproduced = 0;
    for p in targets::published() {
        let name: String = p.name_en.chars().take(62).collect();
        let head = format!(
            "{:<4} {:<62} {:>10} {:<7} {:<6}",
            p.id,
            name,
            p.value_text,
            p.unit,
            p.comparator.code()
        );
        if let Some(reason) = not_produced.get(p.id.as_str()) {
            if national.contains_key(p.id.as_str()) {
                failing.push(format!(
                    "{}: listed as not produced but the pipeline has it; move it into the table",
                    p.id
                ));
            }
            lines.push(format!("{head} {:>12} not produced: {reason}", "-"));
            continue;
        }
        let Some(f) = national.get(p.id.as_str()) else {
            failing.push(format!("{}: missing from the pipeline's figures", p.id));
            lines.push(format!("{head} {:>12} {:>25} FAIL", "missing", ""));
            continue;
        };
        let v = p.to_report_units(f.value);
        if let (Some(registered), "C01") = (c01_register, p.id.as_str()) {
            let ok = (v - registered).abs() < 0.5;
            if ok {
                reproduced += 1;
            } else {
                failing.push(format!(
                    "C01: {v} centres in the figures, {registered} registered"
                ));
            }
            lines.push(format!(
                "{head} {:>12} {:>25} {} (scaled dataset: register of {registered})",
                fmt(v),
                "",
                if ok { "ok" } else { "FAIL" }
            ));
            continue;
        }
        let interval = f.interval.as_ref().map_or(String::new(), |i| {
            format!(
                "[{}, {}]",
                fmt(p.to_report_units(i.lower)),
                fmt(p.to_report_units(i.upper))
            )
        });
        let ok = p.passes(v);
        if ok {
            reproduced += 1;
        } else {
            let (lo, hi) = p.accepted();
            failing.push(format!(
                "{}: ndrs {} vs report {} {} (accepted {}..{})",
                p.id,
                fmt(v),
                p.comparator.code(),
                p.value_text,
                fmt(lo),
                fmt(hi)
            ));
        }
        lines.push(format!(
            "{head} {:>12} {:>25} {}",
            fmt(v),
            interval,
            if ok { "ok" } else { "FAIL" }
        ));
    }
    Reproduction {
        lines,
        reproduced,
        failing,
    }
}
