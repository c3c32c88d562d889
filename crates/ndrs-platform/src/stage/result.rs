//! The stage result envelope: figures with their lineage, the returns set aside by the
//! plausibility screen, and the content hash that covers all of it (so the same inputs always
//! give the same hash).

use ndrs_core::Result;
use ndrs_proto::v1 as pb;
use prost::Message;
use sha2::{Digest, Sha256};

use super::cycle_request_checks;
use crate::IntoStatus;
use crate::auth::{IdentityStore, Principal, Role};
use crate::returns::StoredReturn;

/// What a stage computes for a cycle, before it is wrapped as a stage result: the figures, how
/// many returns they used, notes on missing or qualified figures, and the returns set aside.
#[derive(Debug, Default)]
pub struct StageFigures {
    pub figures: Vec<pb::Figure>,
    pub returns_used: u64,
    pub notes: Vec<String>,
    pub set_aside: Vec<pb::SetAsideReturn>,
}

impl StageFigures {
    /// The stage result of `stage` for `cycle_year`: notes and set-aside returns are part of its
    /// hash.
    pub fn into_result(self, stage: pb::Stage, cycle_year: i32) -> pb::StageResult {
        with_set_aside(
            stage_result_with_notes(
                stage,
                cycle_year,
                self.figures,
                self.returns_used,
                self.notes,
            ),
            self.set_aside,
        )
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
        computed_at: Some(crate::timestamp::now()),
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

/// Who may fetch stage results: the aggregator's service principal and organisers.
pub fn require_stage_reader(principal: &Principal) -> Result<()> {
    principal.require_role(&[Role::Service, Role::Organiser], "read stage results")
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

/// The start of every `GetStageResult`: authenticate, check the caller may read stage results,
/// check the cycle; the cycle year, or the status to answer.
pub async fn stage_result_cycle(
    identity: &IdentityStore,
    request: tonic::Request<pb::GetStageResultRequest>,
) -> std::result::Result<i32, tonic::Status> {
    let principal = identity.principal(request.metadata()).await.into_status()?;
    stage_result_request(&principal, request.into_inner()).into_status()
}

fn stage_result_request(principal: &Principal, req: pb::GetStageResultRequest) -> Result<i32> {
    require_stage_reader(principal)?;
    let pb::GetStageResultRequest { cycle_year } = req;
    cycle_request_checks(cycle_year).finish(cycle_year)
}
