//! What every stage service shares: the request header and receipt conversions, the read RPCs over
//! the return store (with the ownership check), the stage result envelope, and start-up (connect,
//! migrate, relay, serve).
//!
//! A stage service crate supplies only its return payloads, edit rules, estimators and routes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, SecondsFormat, Utc};
use ndrs_core::{Error, Result, Violations};
use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm_migration::MigratorTraitSelf;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::auth::{IdentityStore, Principal, Role};
use crate::bus::EventBus;
use crate::returns::{
    EditFinding, FindingSeverity, ReturnHeader, ReturnStore, StoredReceipt, StoredReturn,
};
use crate::settings::Settings;

/// The earliest reference year the system accepts. The national survey's first cycle covered 2022
/// (as the previous cycle of 2023); cycles before that have no data to compare with.
pub const FIRST_CYCLE_YEAR: i32 = 2017;

/// Checks a cycle year: a reference year cannot lie in the future (its standard time point,
/// 31 December, must have passed or be this year's).
pub fn check_cycle_year(field: &str, year: i32, v: &mut Violations) {
    let this_year = Utc::now().year();
    if year < FIRST_CYCLE_YEAR || year > this_year {
        v.push(
            field,
            format!("unknown cycle {year}: expected a reference year between {FIRST_CYCLE_YEAR} and {this_year}"),
        );
    }
}

/// Converts and validates a request header; every problem is recorded in `v`.
pub fn header_from_proto(header: Option<pb::ReturnHeader>, v: &mut Violations) -> ReturnHeader {
    let Some(pb::ReturnHeader {
        cycle_year,
        reporting_unit_id,
        idempotency_key,
        return_id,
    }) = header
    else {
        v.push("header", "is required");
        return ReturnHeader {
            cycle_year: 0,
            reporting_unit_id: String::new(),
            idempotency_key: String::new(),
            corrects: None,
        };
    };
    check_cycle_year("header.cycle_year", cycle_year, v);
    check_identifier("header.reporting_unit_id", &reporting_unit_id, v);
    check_identifier("header.idempotency_key", &idempotency_key, v);
    if !return_id.is_empty() {
        check_identifier("header.return_id", &return_id, v);
    }
    ReturnHeader {
        cycle_year,
        reporting_unit_id,
        idempotency_key,
        corrects: (!return_id.is_empty()).then_some(return_id),
    }
}

/// Identifiers are short printable ASCII without spaces, so they are safe in logs, URLs and keys.
pub fn check_identifier(field: &str, value: &str, v: &mut Violations) {
    if value.is_empty() {
        v.push(field, "is required");
    } else if value.len() > 128 {
        v.push(field, "must be at most 128 characters");
    } else if !value.chars().all(|c| c.is_ascii_graphic()) {
        v.push(field, "must be printable ASCII without spaces");
    }
}

fn severity_to_proto(s: FindingSeverity) -> i32 {
    match s {
        FindingSeverity::Info => pb::Severity::Info as i32,
        FindingSeverity::Warning => pb::Severity::Warning as i32,
        FindingSeverity::Error => pb::Severity::Error as i32,
    }
}

pub fn finding_to_proto(f: EditFinding) -> pb::EditFinding {
    pb::EditFinding {
        rule_id: f.rule_id,
        severity: severity_to_proto(f.severity),
        message: f.message,
        fields: f.fields,
    }
}

pub fn receipt_to_proto(r: StoredReceipt) -> pb::Receipt {
    pb::Receipt {
        return_id: r.return_id,
        version: r.version,
        content_hash: r.content_hash,
        received_at: r.received_at,
        findings: r.findings.into_iter().map(finding_to_proto).collect(),
        replayed: r.replayed,
        return_kind: r.kind,
    }
}

pub fn version_to_proto(r: StoredReturn) -> pb::ReturnVersion {
    pb::ReturnVersion {
        return_id: r.return_id,
        version: r.version as u32,
        return_kind: r.return_kind,
        cycle_year: r.cycle_year,
        reporting_unit_id: r.reporting_unit_id,
        content_hash: r.content_hash,
        received_at: r.received_at,
        submitted_by: r.submitted_by,
        payload_json: r.payload_json,
    }
}

/// Splits edit findings: any error refuses the return with `INVALID_ARGUMENT` naming the fields;
/// warnings and infos travel with the stored return.
pub fn refuse_on_errors(findings: Vec<EditFinding>) -> Result<Vec<EditFinding>> {
    let mut v = Violations::new();
    for f in findings
        .iter()
        .filter(|f| f.severity == FindingSeverity::Error)
    {
        for field in &f.fields {
            v.push(field.clone(), format!("{}: {}", f.rule_id, f.message));
        }
    }
    v.finish(findings)
}

/// The read side every stage service offers on its returns, with the ownership check: the whole
/// `GetReturn` and `ListReturns` RPCs, so a stage service's handlers only delegate.
#[derive(Clone)]
pub struct ReturnReader {
    pub store: ReturnStore,
    pub identity: IdentityStore,
}

impl ReturnReader {
    pub fn new(store: ReturnStore, identity: IdentityStore) -> Self {
        Self { store, identity }
    }

    /// `GetReturn`: authenticate, read with the ownership check, map the error.
    pub async fn get_return_rpc(
        &self,
        request: tonic::Request<pb::GetReturnRequest>,
    ) -> std::result::Result<tonic::Response<pb::ReturnHistory>, tonic::Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .map_err(crate::grpc_status::to_status)?;
        self.get_return(&principal, request.into_inner())
            .await
            .map(tonic::Response::new)
            .map_err(crate::grpc_status::to_status)
    }

    /// `ListReturns`: authenticate, list one page with the ownership check, map the error.
    pub async fn list_returns_rpc(
        &self,
        request: tonic::Request<pb::ListReturnsRequest>,
    ) -> std::result::Result<tonic::Response<pb::ListReturnsResponse>, tonic::Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .map_err(crate::grpc_status::to_status)?;
        self.list_returns(&principal, request.into_inner())
            .await
            .map(tonic::Response::new)
            .map_err(crate::grpc_status::to_status)
    }

    pub async fn get_return(
        &self,
        principal: &Principal,
        req: pb::GetReturnRequest,
    ) -> Result<pb::ReturnHistory> {
        let pb::GetReturnRequest { return_id, version } = req;
        let mut v = Violations::new();
        check_identifier("return_id", &return_id, &mut v);
        v.finish(())?;
        let history = self.store.history(&return_id).await?;
        let Some(first) = history.first() else {
            return Err(Error::NotFound(format!("return {return_id}")));
        };
        // Another unit's return answers NOT_FOUND, not PERMISSION_DENIED, so ids cannot be probed.
        if !principal.may_read_unit(&first.reporting_unit_id) {
            return Err(Error::NotFound(format!("return {return_id}")));
        }
        let versions: Vec<_> = history
            .into_iter()
            .filter(|r| version == 0 || r.version as u32 == version)
            .map(version_to_proto)
            .collect();
        if versions.is_empty() {
            return Err(Error::NotFound(format!(
                "return {return_id} version {version}"
            )));
        }
        Ok(pb::ReturnHistory { versions })
    }

    pub async fn list_returns(
        &self,
        principal: &Principal,
        req: pb::ListReturnsRequest,
    ) -> Result<pb::ListReturnsResponse> {
        let pb::ListReturnsRequest {
            cycle_year,
            reporting_unit_id,
            page_size,
            page_token,
        } = req;
        let mut v = Violations::new();
        check_cycle_year("cycle_year", cycle_year, &mut v);
        if !reporting_unit_id.is_empty() {
            check_identifier("reporting_unit_id", &reporting_unit_id, &mut v);
        }
        v.check(
            page_size <= MAX_PAGE_SIZE,
            "page_size",
            format!("at most {MAX_PAGE_SIZE}"),
        );
        let after = PageToken::decode(&page_token, cycle_year, &reporting_unit_id, &mut v);
        v.finish(())?;
        let page_size = if page_size == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            page_size
        };
        let unit = match (principal.role, reporting_unit_id.is_empty()) {
            (Role::Reporter, true) => principal.reporting_unit_id.clone(),
            (_, false) => {
                if !principal.may_read_unit(&reporting_unit_id) {
                    return Err(Error::PermissionDenied(format!(
                        "{} may not read returns of {reporting_unit_id}",
                        principal.name
                    )));
                }
                Some(reporting_unit_id.clone())
            }
            (Role::Organiser | Role::Service, true) => None,
            (role, true) => {
                return Err(Error::PermissionDenied(format!(
                    "role {role} may not list returns"
                )));
            }
        };
        let (rows, more) = self
            .store
            .latest_page(
                cycle_year,
                unit.as_deref(),
                after.as_deref(),
                u64::from(page_size),
            )
            .await?;
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => {
                PageToken::encode(cycle_year, &reporting_unit_id, &last.return_id)
            }
            _ => String::new(),
        };
        Ok(pb::ListReturnsResponse {
            returns: rows.into_iter().map(version_to_proto).collect(),
            next_page_token,
        })
    }
}

/// Returns per `ListReturns` page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 500;
/// The most returns one `ListReturns` page holds.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// A `ListReturns` page token: opaque to clients (hex), bound to the query it continues, holding
/// the last return id of the previous page.
struct PageToken;

impl PageToken {
    fn encode(cycle_year: i32, unit: &str, last_return_id: &str) -> String {
        hex::encode(format!("{cycle_year}\n{unit}\n{last_return_id}"))
    }

    /// The return id to continue after; a token that is not one of ours, or that belongs to
    /// another query, is a violation on `page_token`.
    fn decode(token: &str, cycle_year: i32, unit: &str, v: &mut Violations) -> Option<String> {
        if token.is_empty() {
            return None;
        }
        let decoded = (token.len() <= 1_024)
            .then(|| hex::decode(token).ok())
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let parts: Option<(String, String, String)> = decoded.and_then(|text| {
            let mut it = text.splitn(3, '\n');
            Some((
                it.next()?.to_string(),
                it.next()?.to_string(),
                it.next()?.to_string(),
            ))
        });
        match parts {
            Some((year, token_unit, after))
                if year == cycle_year.to_string() && token_unit == unit =>
            {
                Some(after)
            }
            Some(_) => {
                v.push(
                    "page_token",
                    "belongs to a listing of another cycle or unit",
                );
                None
            }
            None => {
                v.push("page_token", "is not a page token of this listing");
                None
            }
        }
    }
}

/// Lineage entry of a stored version: `<return_id>@<version>`.
pub fn lineage_ref(r: &StoredReturn) -> String {
    format!("{}@{}", r.return_id, r.version)
}

/// SHA-256 over lineage references, identifying exactly which inputs a figure used.
pub fn inputs_hash<'a>(refs: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for r in refs {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Wraps figures into a stage result whose hash covers every figure (not the computation time),
/// so the same inputs always give the same hash.
pub fn stage_result(
    stage: pb::Stage,
    cycle_year: i32,
    figures: Vec<pb::Figure>,
    returns_used: u64,
) -> pb::StageResult {
    stage_result_with_notes(stage, cycle_year, figures, returns_used, Vec::new())
}

/// A stage result that explains missing or qualified figures; the notes are part of the hash.
pub fn stage_result_with_notes(
    stage: pb::Stage,
    cycle_year: i32,
    figures: Vec<pb::Figure>,
    returns_used: u64,
    notes: Vec<String>,
) -> pb::StageResult {
    let mut result = pb::StageResult {
        stage: stage as i32,
        cycle_year,
        figures,
        content_hash: String::new(),
        computed_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        returns_used,
        notes,
        set_aside: Vec::new(),
        withheld: Vec::new(),
    };
    rehash(&mut result);
    result
}

/// A stage result with the returns it set aside ([`screen`]), each also said in a note, rehashed.
pub fn with_set_aside(
    mut result: pb::StageResult,
    set_aside: Vec<pb::SetAsideReturn>,
) -> pb::StageResult {
    result.notes.extend(set_aside.iter().map(|s| {
        format!(
            "return {} (version {}) of {} set aside, not used: {}: {}",
            s.return_id, s.version, s.reporting_unit_id, s.field, s.reason
        )
    }));
    result.set_aside = set_aside;
    rehash(&mut result);
    result
}

/// Recomputes a stage result's content hash over its figures, notes, set-aside returns and
/// withheld figures (everything but the time it was computed). Called again by whoever changes
/// one of them.
pub fn rehash(result: &mut pb::StageResult) {
    let mut h = Sha256::new();
    h.update(result.stage.to_be_bytes());
    h.update(result.cycle_year.to_be_bytes());
    for f in &result.figures {
        h.update(f.encode_to_vec());
    }
    for n in &result.notes {
        h.update(n.as_bytes());
    }
    for s in &result.set_aside {
        h.update(s.encode_to_vec());
    }
    for w in &result.withheld {
        h.update(w.encode_to_vec());
    }
    result.content_hash = hex::encode(h.finalize());
}

/// Stored returns a stage may use, and those it must set aside: a return with a number beyond
/// its hard plausibility bound ([`crate::plausibility::Plausibility::first_breach`] over what
/// `reported` lists) would make national figures non-finite or meaningless, so it is left out and
/// the stage result says which and why. Nothing stored changes: the unit corrects its return and
/// the next result uses the correction.
pub fn screen<T>(
    rows: Vec<(StoredReturn, T)>,
    plausibility: &crate::plausibility::Plausibility,
    reported: impl Fn(&T) -> Vec<crate::plausibility::Reported>,
) -> (Vec<(StoredReturn, T)>, Vec<pb::SetAsideReturn>) {
    let mut kept = Vec::with_capacity(rows.len());
    let mut set_aside = Vec::new();
    for (row, value) in rows {
        match plausibility.first_breach(&reported(&value)) {
            None => kept.push((row, value)),
            Some((field, reason)) => {
                tracing::warn!(return_id = %row.return_id, version = row.version, %field, %reason, "return set aside from estimation");
                set_aside.push(pb::SetAsideReturn {
                    return_id: row.return_id.clone(),
                    version: row.version as u32,
                    reporting_unit_id: row.reporting_unit_id.clone(),
                    field,
                    reason,
                });
            }
        }
    }
    (kept, set_aside)
}

/// [`load_latest`] then [`screen`]: the cycle's latest returns of `kind` a stage may use, and
/// those it sets aside.
pub async fn load_usable<T: serde::de::DeserializeOwned>(
    store: &ReturnStore,
    cycle_year: i32,
    kind: &str,
    plausibility: &crate::plausibility::Plausibility,
    reported: impl Fn(&T) -> Vec<crate::plausibility::Reported>,
) -> Result<(Vec<(StoredReturn, T)>, Vec<pb::SetAsideReturn>)> {
    Ok(screen(
        load_latest(store, cycle_year, kind).await?,
        plausibility,
        reported,
    ))
}

/// Who may fetch stage results: the aggregator's service principal and organisers.
pub fn require_stage_reader(principal: &Principal) -> Result<()> {
    principal.require_role(&[Role::Service, Role::Organiser], "read stage results")
}

/// Shared process-wide dependencies handed to every service at start.
#[derive(Clone)]
pub struct Runtime {
    pub settings: Settings,
    pub identity: IdentityStore,
    pub bus: Arc<dyn EventBus>,
}

/// Connects a stage service's database, migrates it, starts its outbox relay and serves its routes
/// on `listener` until `shutdown` is cancelled.
pub async fn run_stage_service<M, F>(
    runtime: Runtime,
    stage_name: &'static str,
    service_names: &'static [&'static str],
    migrator: M,
    listener: TcpListener,
    shutdown: CancellationToken,
    routes: F,
) -> Result<()>
where
    M: MigratorTraitSelf + Sync,
    F: FnOnce(ReturnStore, IdentityStore) -> Routes,
{
    let target = crate::db::DatabaseTarget::resolve(&runtime.settings, stage_name, "")?;
    let db = crate::db::connect_and_migrate(&target, &migrator).await?;
    let store = ReturnStore::new(db.clone(), stage_name);
    let relay = tokio::spawn(crate::returns::relay::run_relay(
        db,
        runtime.bus.clone(),
        store.relay_wakeup(),
        Duration::from_millis(runtime.settings.relay.poll_interval_ms),
        runtime.settings.relay.batch_size,
        shutdown.clone().cancelled_owned(),
    ));
    let routes = routes(store, runtime.identity.clone());
    let served =
        crate::server::serve(listener, routes, service_names, shutdown.cancelled_owned()).await;
    let _ = relay.await;
    served
}

impl Runtime {
    /// Builds the shared dependencies from settings: the identity store and the event bus.
    pub async fn from_settings(settings: Settings) -> Result<Self> {
        let identity = IdentityStore::open(&settings).await?;
        let bus = crate::bus::from_settings(&settings).await?;
        Ok(Self {
            settings,
            identity,
            bus,
        })
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM, as Kubernetes sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// A token cancelled when the process is asked to stop (see [`shutdown_signal`]).
pub fn cancel_on_signal() -> CancellationToken {
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    shutdown
}

/// The whole `main` of a single-service binary: load settings, start telemetry, bind the
/// service's configured port and run until a shutdown signal.
pub fn service_main<Fut>(
    name: &'static str,
    port: fn(&Settings) -> u16,
    start: fn(Runtime, TcpListener, CancellationToken) -> Fut,
) -> std::process::ExitCode
where
    Fut: std::future::Future<Output = Result<()>>,
{
    let run = async {
        let settings = Settings::load().map_err(|e| Error::FailedPrecondition(e.to_string()))?;
        let _telemetry =
            crate::telemetry::init(&settings.telemetry, name).map_err(Error::FailedPrecondition)?;
        let listener = crate::server::bind(&settings.server.host, port(&settings)).await?;
        let runtime = Runtime::from_settings(settings).await?;
        start(runtime, listener, cancel_on_signal()).await
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Lineage of a figure computed from `rows` by `method`.
pub fn lineage_of<'a>(
    rows: impl IntoIterator<Item = &'a StoredReturn>,
    method: &str,
) -> pb::Lineage {
    let returns: Vec<String> = rows.into_iter().map(lineage_ref).collect();
    pb::Lineage {
        inputs_hash: inputs_hash(returns.iter().map(String::as_str)),
        returns,
        method: method.to_string(),
        ..Default::default()
    }
}

/// A figure of the given kind; `dimensions` empty for a national figure.
pub fn figure(
    id: &str,
    kind: pb::FigureKind,
    value: f64,
    unit: pb::Unit,
    lineage: pb::Lineage,
    dimensions: &[(&str, &str)],
) -> pb::Figure {
    pb::Figure {
        id: id.to_string(),
        kind: kind as i32,
        value,
        unit: unit as i32,
        lineage: Some(lineage),
        dimensions: dimensions
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

/// `numerator / denominator`, or `None` when the denominator is zero: a ratio over an empty
/// domain is not published rather than published as NaN.
pub fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator != 0.0).then(|| numerator / denominator)
}

/// Authorises, applies edit rules and stores one validated return; the receipt is built only
/// after the commit.
pub async fn submit_return<T: serde::Serialize>(
    store: &ReturnStore,
    principal: &Principal,
    kind: &'static str,
    header: ReturnHeader,
    payload: &T,
    findings: Vec<EditFinding>,
) -> Result<pb::Receipt> {
    principal.require_reporter_for(&header.reporting_unit_id)?;
    let findings = refuse_on_errors(findings)?;
    let payload = serde_json::to_value(payload)
        .map_err(|e| Error::Internal(format!("encode {kind}: {e}")))?;
    let receipt = store
        .submit(crate::returns::NewReturn {
            kind,
            header,
            payload,
            findings,
            submitted_by: principal.name.clone(),
        })
        .await?;
    tracing::info!(
        kind,
        return_id = %receipt.return_id,
        version = receipt.version,
        replayed = receipt.replayed,
        "return committed"
    );
    Ok(receipt_to_proto(receipt))
}

/// A whole submission RPC for a return that needs nothing but its own edit rules: authenticate
/// the caller, convert the message (naming every bad field), run the edit rules, store. Services
/// whose returns are also checked against stored frames call [`submit_return`] themselves.
pub async fn receive<M, T: serde::Serialize>(
    store: &ReturnStore,
    identity: &IdentityStore,
    request: tonic::Request<M>,
    kind: &'static str,
    convert: impl FnOnce(M) -> Result<(ReturnHeader, T)>,
    edit_rules: impl FnOnce(&T) -> Vec<EditFinding>,
) -> Result<pb::Receipt> {
    let principal = identity.principal(request.metadata()).await?;
    let (header, value) = convert(request.into_inner())?;
    let findings = edit_rules(&value);
    submit_return(store, &principal, kind, header, &value, findings).await
}

/// The latest version of every return of `kind` in a cycle, decoded.
pub async fn load_latest<T: serde::de::DeserializeOwned>(
    store: &ReturnStore,
    cycle_year: i32,
    kind: &str,
) -> Result<Vec<(StoredReturn, T)>> {
    store
        .latest(cycle_year, None)
        .await?
        .into_iter()
        .filter(|r| r.return_kind == kind)
        .map(|r| {
            let value = serde_json::from_str(&r.payload_json).map_err(|e| {
                Error::Internal(format!("stored {kind} {} unreadable: {e}", r.return_id))
            })?;
            Ok((r, value))
        })
        .collect()
}

/// Validates a `GetStageResult` request and checks the caller may read stage results.
/// The start of every `GetStageResult`: authenticate, check the caller may read stage results,
/// check the cycle; the cycle year, or the status to answer.
pub async fn stage_result_cycle(
    identity: &IdentityStore,
    request: tonic::Request<pb::GetStageResultRequest>,
) -> std::result::Result<i32, tonic::Status> {
    let principal = identity
        .principal(request.metadata())
        .await
        .map_err(crate::grpc_status::to_status)?;
    stage_result_request(&principal, request.into_inner()).map_err(crate::grpc_status::to_status)
}

fn stage_result_request(principal: &Principal, req: pb::GetStageResultRequest) -> Result<i32> {
    require_stage_reader(principal)?;
    let pb::GetStageResultRequest { cycle_year } = req;
    let mut v = Violations::new();
    check_cycle_year("cycle_year", cycle_year, &mut v);
    v.finish(cycle_year)
}
