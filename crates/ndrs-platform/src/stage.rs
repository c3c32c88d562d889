//! What every stage service shares, so that a stage crate holds only its domain: the request
//! header checks and receipt conversions (here), the read RPCs over the return store
//! ([`reader`]), the stage result envelope ([`result`]), the submit path and the service skeleton
//! ([`skeleton`]), and start-up ([`runtime`]).
//!
//! A new stage service is a domain module (its returns implement [`StageReturn`], an estimator
//! turns them into [`StageFigures`]) plus a few lines: a struct holding a [`StageCore`], an
//! `impl StageService`, and its own RPCs inside [`crate::stage_rpcs!`], which adds the shared
//! `GetReturn`, `ListReturns` and `GetStageResult`.

use chrono::{Datelike, Utc};
use ndrs_core::{Result, Violations};
use ndrs_proto::v1 as pb;

use crate::returns::{EditFinding, FindingSeverity, ReturnHeader, StoredReceipt, StoredReturn};

pub mod activity;
pub mod reader;
pub mod result;
pub mod runtime;
pub mod skeleton;

pub use crate::{stage_rpcs, stage_startup};
pub use reader::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ReturnReader};
pub use result::{
    StageFigures, figure, inputs_hash, lineage_of, lineage_ref, ratio, rehash,
    require_stage_reader, screen, stage_result, stage_result_cycle, stage_result_with_notes,
    with_set_aside,
};
pub use runtime::{Runtime, cancel_on_signal, run_stage_service, service_main, shutdown_signal};
pub use skeleton::{
    AnsweredReturn, StageCore, StageReturn, StageService, Submission, TypedReturn, answered,
    check_typed, load_latest, run_stage, stage_result_rpc,
};

/// The tables every stage service has: the return store and outbox, and the versioned cycle
/// documents (its questionnaires, and the organiser's designs and registers). A stage whose
/// domain stores nothing else uses this as its migrator; one that does lists these first.
pub struct StageMigrator;

impl sea_orm_migration::MigratorTraitSelf for StageMigrator {
    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(crate::returns::migration::CreateReturnStore),
            Box::new(crate::documents::migration::CreateCycleDocument),
            Box::new(crate::returns::migration::CreateRefusedSubmission),
        ]
    }
}

/// What [`crate::stage_rpcs!`] and [`crate::stage_startup!`] expand to needs, reachable through `$crate` so a stage crate's
/// imports do not matter.
#[doc(hidden)]
pub mod __rpc {
    pub use ndrs_core::Result;
    pub use ndrs_proto::v1 as pb;
    pub use tokio::net::TcpListener;
    pub use tokio_util::sync::CancellationToken;
    pub use tonic::{Request, Response, Status, async_trait};
}

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

/// The checks of a request about one cycle, begun with its `cycle_year` field: organiser loads
/// (a register, a design, a taxonomy), model runs and reads all name their cycle first, under that
/// field name.
pub fn cycle_request_checks(cycle_year: i32) -> Violations {
    let mut v = Violations::new();
    check_cycle_year("cycle_year", cycle_year, &mut v);
    v
}

/// Checks a province code: reporting units, centres and sampled units are located by the
/// two-digit GB/T 2260 code (XPCC, which has none, by 66; see [`ndrs_core::classification`]).
pub fn check_province(field: impl Into<String>, code: &str, v: &mut Violations) {
    v.check(
        ndrs_core::classification::province(code).is_some(),
        field,
        "must be a GB/T 2260 province code (or 66 for XPCC)",
    );
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

/// An edit finding as the receipt carries it.
pub fn finding_to_proto(f: EditFinding) -> pb::EditFinding {
    pb::EditFinding {
        rule_id: f.rule_id,
        severity: severity_to_proto(f.severity),
        message: f.message,
        fields: f.fields,
    }
}

/// The receipt of a committed (or replayed) return, as the caller gets it.
pub fn receipt_to_proto(r: StoredReceipt) -> pb::Receipt {
    pb::Receipt {
        return_id: r.return_id,
        version: r.version,
        content_hash: r.content_hash,
        received_at: crate::timestamp::from_text(&r.received_at),
        findings: r.findings.into_iter().map(finding_to_proto).collect(),
        replayed: r.replayed,
        return_kind: r.kind,
        // The store keeps no questionnaire per receipt; the submit path fills it in.
        questionnaire_ref: String::new(),
        // Nor the calendar's verdict, which the submit path also fills in.
        late: false,
    }
}

/// One stored version, as `GetReturn` and `ListReturns` answer it.
pub fn version_to_proto(r: StoredReturn) -> pb::ReturnVersion {
    pb::ReturnVersion {
        return_id: r.return_id,
        version: r.version as u32,
        return_kind: r.return_kind,
        cycle_year: r.cycle_year,
        reporting_unit_id: r.reporting_unit_id,
        content_hash: r.content_hash,
        received_at: crate::timestamp::from_text(&r.received_at),
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
