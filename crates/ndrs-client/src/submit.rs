//! Submitting a file of returns: one JSON object per line, each one return of one unit, sent
//! with that unit's token, a bounded number at a time, every outcome written to a receipts file.
//!
//! A line is `{"kind": "compute_centre", "return": {...}}` with the kind's return message in the
//! proto3 JSON mapping, or `{"kind": ..., "answers": {...}}` with an `AnswerReturn`. A line whose
//! header has no idempotency key gets one derived from the line's content, so running the same
//! file twice stores nothing twice: the second run's receipts are replays of the first's. The
//! receipts file is appended to as outcomes arrive, so a run that stops half way is resumed by
//! running it again, which skips the lines already accepted.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt as _;
use ndrs_core::error::bounded;
use ndrs_core::{Error, Result};
use ndrs_proto::v1 as pb;
use sha2::{Digest as _, Sha256};

use crate::files::{self, read_lines};
use crate::returns::Return;
use crate::session::Session;

/// Most lines one file may hold (a whole census round is a few thousand returns).
pub const MAX_LINES: usize = 200_000;
/// Most submissions in flight at once, whatever is asked.
pub const MAX_CONCURRENCY: usize = 64;
/// Attempts per return when the service is unavailable or rate-limits (each a replay-safe
/// retry, since the idempotency key is fixed).
const ATTEMPTS: u32 = 5;

/// One line of the file, ready to send.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its line number in the file, from 1.
    pub number: usize,
    pub ret: Return,
}

impl Line {
    pub fn idempotency_key(&self) -> &str {
        self.ret.header().map_or("", |h| h.idempotency_key.as_str())
    }
}

/// The key a line without one gets: a digest of its kind and its content, so the same line in
/// any run has the same key, and a changed line another.
pub fn derived_key(ret: &Return) -> String {
    let mut hasher = Sha256::new();
    hasher.update(ret.kind().as_bytes());
    hasher.update([0]);
    hasher.update(ret.encoded());
    format!("line-{}", &hex::encode(hasher.finalize())[..40])
}

/// Reads a returns file. `cycle_year`, when given, fills headers that name no cycle. Every line
/// is checked before anything is sent: a file with a malformed line sends nothing.
pub fn read(path: &Path, cycle_year: Option<i32>) -> Result<Vec<Line>> {
    let values = read_lines(path)?;
    if values.len() > MAX_LINES {
        return Err(Error::invalid(
            "file",
            format!(
                "{} lines; a returns file holds at most {MAX_LINES}",
                values.len()
            ),
        ));
    }
    let mut lines = Vec::with_capacity(values.len());
    let mut violations = Vec::new();
    for (number, value) in values {
        match line_of(&value, cycle_year) {
            Ok(ret) => lines.push(Line { number, ret }),
            Err(e) => violations.push(ndrs_core::FieldViolation::new(
                format!("{}:{number}", bounded(&path.display().to_string(), 200)),
                bounded(&e, 400),
            )),
        }
    }
    if violations.is_empty() {
        Ok(lines)
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

fn line_of(
    value: &serde_json::Value,
    cycle_year: Option<i32>,
) -> std::result::Result<Return, String> {
    let object = value.as_object().ok_or("a line is a JSON object")?;
    for key in object.keys() {
        if !["kind", "return", "answers"].contains(&key.as_str()) {
            return Err(format!(
                "unknown key `{}`; a line has `kind` and `return` or `answers`",
                bounded(key, 64)
            ));
        }
    }
    let kind = object
        .get("kind")
        .and_then(|k| k.as_str())
        .ok_or("`kind` (a string) is required")?;
    let ret = match (object.get("return"), object.get("answers")) {
        (Some(body), None) => Return::from_json(kind, false, body),
        (None, Some(body)) => Return::from_json(kind, true, body),
        _ => Err("a line has exactly one of `return` and `answers`".to_string()),
    }
    .map_err(|e| format!("{kind}: {e}"))?;
    Ok(prepared(ret, cycle_year))
}

/// A return ready to send: its header's cycle filled from `cycle_year` when it names none, and
/// its idempotency key derived from its content when it has none ([`derived_key`]).
pub fn prepared(mut ret: Return, cycle_year: Option<i32>) -> Return {
    let header = ret.header_mut();
    if header.cycle_year == 0 {
        header.cycle_year = cycle_year.unwrap_or(0);
    }
    if header.idempotency_key.is_empty() {
        let key = derived_key(&ret);
        ret.header_mut().idempotency_key = key;
    }
    ret
}

/// Whose token each line is sent with.
pub enum Callers {
    /// One token for every line (a reporter sending its own unit's returns).
    One(Session),
    /// A token per reporting unit, from a tokens file.
    PerUnit {
        session: Session,
        tokens: BTreeMap<String, String>,
    },
}

impl Callers {
    fn for_unit(&self, unit: &str) -> std::result::Result<Session, Error> {
        match self {
            Callers::One(session) => Ok(session.clone()),
            Callers::PerUnit { session, tokens } => tokens
                .get(unit)
                .map(|token| session.as_caller(token.clone()))
                .ok_or_else(|| {
                    Error::Unauthenticated(format!(
                        "the tokens file has no token for unit {}",
                        bounded(unit, 128)
                    ))
                }),
        }
    }
}

/// Reads a tokens file: CSV with a header naming at least `reporting_unit_id` and `token` (what
/// `ndrs tokens issue` writes).
pub fn read_tokens(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = files::read_text(path)?;
    let invalid = |what: String| Error::invalid(bounded(&path.display().to_string(), 200), what);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| invalid(e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| invalid(format!("no `{name}` column")))
    };
    let (unit, token) = (column("reporting_unit_id")?, column("token")?);
    let mut tokens = BTreeMap::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(format!("row {}: {e}", row + 2)))?;
        let (Some(u), Some(t)) = (record.get(unit), record.get(token)) else {
            return Err(invalid(format!("row {}: missing a column", row + 2)));
        };
        tokens.insert(u.to_string(), t.to_string());
    }
    Ok(tokens)
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Stored as a new return or version.
    Accepted,
    /// The same line was stored before: the receipt is the original one, nothing new is stored.
    Replayed,
    /// Accepted by an earlier run of this file, per the receipts file; not sent again.
    AlreadyDone,
    /// The service refused it (invalid, not allowed, a conflict); nothing was stored.
    Refused,
    /// The service could not be reached after every attempt; run the file again.
    Failed,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Replayed => "replayed",
            Status::AlreadyDone => "already_done",
            Status::Refused => "refused",
            Status::Failed => "failed",
        }
    }
}

/// One line's outcome, as the receipts file records it.
#[derive(Debug)]
pub struct Outcome {
    pub line: usize,
    pub kind: String,
    pub reporting_unit_id: String,
    pub idempotency_key: String,
    pub status: Status,
    pub receipt: Option<pb::Receipt>,
    pub error: Option<Error>,
}

impl Outcome {
    /// The receipts-file record: one JSON object, the receipt in the proto3 JSON mapping.
    pub fn to_json(&self) -> serde_json::Value {
        let mut record = serde_json::json!({
            "line": self.line,
            "kind": self.kind,
            "reporting_unit_id": self.reporting_unit_id,
            "idempotency_key": self.idempotency_key,
            "status": self.status.as_str(),
        });
        if let Some(receipt) = &self.receipt {
            record["receipt"] = ndrs_proto::json::to_value(receipt);
        }
        if let Some(error) = &self.error {
            record["error"] = serde_json::json!({
                "message": error.to_string(),
                "violations": error.field_violations().iter().map(|v| {
                    serde_json::json!({"field": v.field, "description": v.description})
                }).collect::<Vec<_>>(),
            });
        }
        record
    }
}

/// The idempotency keys a receipts file records as accepted (or replayed): lines a new run
/// need not send again. A missing file records none.
pub fn done_keys(receipts: &Path) -> Result<HashSet<String>> {
    if !receipts.exists() {
        return Ok(HashSet::new());
    }
    let mut done = HashSet::new();
    for (_, record) in read_lines(receipts)? {
        let status = record["status"].as_str().unwrap_or_default();
        if matches!(status, "accepted" | "replayed" | "already_done")
            && let Some(key) = record["idempotency_key"].as_str()
        {
            done.insert(key.to_string());
        }
    }
    Ok(done)
}

/// The totals of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub accepted: usize,
    pub replayed: usize,
    pub already_done: usize,
    pub refused: usize,
    pub failed: usize,
    /// Accepted lines whose receipt carries a warning finding.
    pub with_warnings: usize,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        match outcome.status {
            Status::Accepted => self.accepted += 1,
            Status::Replayed => self.replayed += 1,
            Status::AlreadyDone => self.already_done += 1,
            Status::Refused => self.refused += 1,
            Status::Failed => self.failed += 1,
        }
        let warned = outcome.receipt.as_ref().is_some_and(|r| {
            r.findings
                .iter()
                .any(|f| f.severity == pb::Severity::Warning as i32)
        });
        if warned {
            self.with_warnings += 1;
        }
    }

    /// The run as an error when a line did not get in: refused lines are the caller's to fix
    /// (invalid argument), failed ones are for a later run (unavailable).
    pub fn into_result(self) -> Result<Self> {
        let total = self.accepted + self.replayed + self.already_done + self.refused + self.failed;
        if self.failed > 0 {
            Err(Error::Unavailable(format!(
                "{} of {total} returns could not be sent; run the same file again to resume",
                self.failed
            )))
        } else if self.refused > 0 {
            Err(Error::invalid(
                "returns",
                format!(
                    "{} of {total} returns were refused; the receipts file says why",
                    self.refused
                ),
            ))
        } else {
            Ok(self)
        }
    }
}

/// Sends `lines` with at most `concurrency` in flight, appending every outcome to `receipts` as
/// it arrives and calling `progress` after each. Lines whose key `receipts` already records as
/// accepted are not sent again.
pub async fn submit(
    callers: &Callers,
    lines: Vec<Line>,
    concurrency: usize,
    receipts: &Path,
    mut progress: impl FnMut(&Outcome, &Summary),
) -> Result<Summary> {
    let done = done_keys(receipts)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(receipts)
        .map_err(|e| Error::invalid("receipts", format!("{}: {e}", receipts.display())))?;
    let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
    let mut outcomes = futures::stream::iter(lines.into_iter().map(|line| {
        let already = done.contains(line.idempotency_key());
        async move {
            if already {
                outcome(&line, Status::AlreadyDone, None, None)
            } else {
                send(callers, line).await
            }
        }
    }))
    .buffer_unordered(concurrency);
    let mut summary = Summary::default();
    while let Some(outcome) = outcomes.next().await {
        summary.add(&outcome);
        writeln!(file, "{}", outcome.to_json())
            .and_then(|()| file.flush())
            .map_err(|e| Error::Internal(format!("writing {}: {e}", receipts.display())))?;
        progress(&outcome, &summary);
    }
    Ok(summary)
}

fn outcome(
    line: &Line,
    status: Status,
    receipt: Option<pb::Receipt>,
    error: Option<Error>,
) -> Outcome {
    Outcome {
        line: line.number,
        kind: line.ret.kind().to_string(),
        reporting_unit_id: line.ret.reporting_unit_id().to_string(),
        idempotency_key: line.idempotency_key().to_string(),
        status,
        receipt,
        error,
    }
}

/// Sends one line, retrying while the service is unavailable or asks the caller to slow down.
async fn send(callers: &Callers, line: Line) -> Outcome {
    let session = match callers.for_unit(line.ret.reporting_unit_id()) {
        Ok(session) => session,
        Err(e) => return outcome(&line, Status::Refused, None, Some(e)),
    };
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match line.ret.clone().send(&session).await {
            Ok(receipt) => {
                let status = if receipt.replayed {
                    Status::Replayed
                } else {
                    Status::Accepted
                };
                return outcome(&line, status, Some(receipt), None);
            }
            Err(e @ (Error::Unavailable(_) | Error::RateLimited { .. })) => {
                if attempt == ATTEMPTS {
                    return outcome(&line, Status::Failed, None, Some(e));
                }
                if let Error::RateLimited { retry_after, .. } = &e {
                    delay = delay.max(*retry_after);
                }
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return outcome(&line, Status::Refused, None, Some(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("returns.jsonl");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const CARRIER: &str = r#"{"kind": "carrier_traffic", "return": {"header": {"reportingUnitId": "carrier-1"}, "trafficBytes": "100"}}"#;

    #[test]
    fn a_line_without_a_key_gets_the_same_derived_key_every_time_and_the_cycle_given() {
        let (_d, path) = write(&format!("{CARRIER}\n{CARRIER}\n"));
        let lines = read(&path, Some(2024)).unwrap();
        assert_eq!(lines.len(), 2);
        let key = lines[0].idempotency_key();
        assert!(key.starts_with("line-"), "{key}");
        assert_eq!(key, lines[1].idempotency_key());
        assert_eq!(lines[0].ret.header().unwrap().cycle_year, 2024);
        let changed = CARRIER.replace("100", "101");
        let (_e, other) = write(&changed);
        assert_ne!(read(&other, Some(2024)).unwrap()[0].idempotency_key(), key);
    }

    #[test]
    fn every_bad_line_is_named_and_nothing_is_read() {
        let (_d, path) = write(&format!(
            "{CARRIER}\n{{\"kind\": \"nonsense\", \"return\": {{}}}}\n{{\"kind\": \"carrier_traffic\"}}\n"
        ));
        let error = read(&path, None).unwrap_err();
        let fields: Vec<_> = error
            .field_violations()
            .iter()
            .map(|v| v.field.rsplit(':').next().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["2", "3"], "{error}");
    }

    #[test]
    fn accepted_keys_are_read_back_from_the_receipts_file() {
        let (_d, path) = write(
            "{\"idempotency_key\": \"a\", \"status\": \"accepted\"}\n\
             {\"idempotency_key\": \"b\", \"status\": \"refused\"}\n\
             {\"idempotency_key\": \"c\", \"status\": \"replayed\"}\n",
        );
        let done = done_keys(&path).unwrap();
        assert!(done.contains("a") && done.contains("c") && !done.contains("b"));
    }
}
