//! Stored validation and benchmark reports rewritten in the encoding of 2 December 2026: times
//! became `google.protobuf.Timestamp` under new field numbers, and a rule's severity became the
//! one `ndrs.v1.Severity` (ERROR is 3 where the old `RuleSeverity` had it as 1; WARNING stays 2).
//!
//! A report decoded without this would lose its creation time (an unknown field) and, worse, read
//! every old error as INFO, so a candidate whose error rule failed could look publishable. The
//! rewrite decodes each report, maps the old ERROR to the new one, restores the time from the
//! row's own `created_at` column and stores the result. It is safe to run on rows already in the
//! new encoding: no rule result is ever INFO (a rule is an error or a warning), so nothing stored
//! since carries the value 1.

use ndrs_proto::v1 as pb;
use prost::Message;
use sea_orm::{ConnectionTrait, Value};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct ReportEncoding;

/// The old `RULE_SEVERITY_ERROR`.
const OLD_ERROR: i32 = 1;

#[async_trait::async_trait]
impl MigrationTrait for ReportEncoding {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rewrite(manager, "validation_report", |bytes, created_at| {
            let mut report = pb::ValidationReport::decode(bytes).map_err(unreadable)?;
            for r in &mut report.results {
                if r.severity == OLD_ERROR {
                    r.severity = pb::Severity::Error as i32;
                }
            }
            report.created_at = ndrs_platform::timestamp::from_text(created_at);
            Ok(report.encode_to_vec())
        })
        .await?;
        rewrite(manager, "benchmark_report", |bytes, created_at| {
            let mut report = pb::BenchmarkReport::decode(bytes).map_err(unreadable)?;
            report.created_at = ndrs_platform::timestamp::from_text(created_at);
            Ok(report.encode_to_vec())
        })
        .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The old encoding cannot hold what newer reports say; there is nothing to go back to.
        Ok(())
    }
}

fn unreadable(e: prost::DecodeError) -> DbErr {
    DbErr::Migration(format!("a stored report does not decode: {e}"))
}

/// Rewrites the `report` column of every row of `table` with `convert(bytes, created_at)`.
async fn rewrite(
    manager: &SchemaManager<'_>,
    table: &str,
    convert: impl Fn(&[u8], &str) -> Result<Vec<u8>, DbErr>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns([
            Alias::new("report_id"),
            Alias::new("report"),
            Alias::new("created_at"),
        ])
        .from(Alias::new(table))
        .to_owned();
    for row in db.query_all(&select).await? {
        let id: String = row.try_get("", "report_id")?;
        let bytes: Vec<u8> = row.try_get("", "report")?;
        let created_at: String = row.try_get("", "created_at")?;
        let update = Query::update()
            .table(Alias::new(table))
            .value(
                Alias::new("report"),
                Value::from(convert(&bytes, &created_at)?),
            )
            .and_where(Expr::col(Alias::new("report_id")).eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}
