//! The validation and review trail a release passed (stage 1 rules, stage 2 benchmarks, the
//! justifications, stage 3's expert votes), as the report's last section. The trail comes from the
//! aggregator's reports, not from the release document, so it is given to [`crate::render`]
//! when the caller holds it.

use std::fmt::Write as _;

use ndrs_proto::v1 as pb;

use crate::format::escape;

fn outcome_name(status: i32) -> &'static str {
    match pb::RuleStatus::try_from(status) {
        Ok(pb::RuleStatus::Passed) => "passed 通过",
        Ok(pb::RuleStatus::Failed) => "failed 未通过",
        Ok(pb::RuleStatus::MissingInputs) => "missing inputs 缺少输入",
        Ok(pb::RuleStatus::EvaluationError) => "evaluation error 计算错误",
        _ => "unknown",
    }
}

pub(crate) fn trail_section(out: &mut String, trail: &Trail) {
    out.push_str("<section><h2>审核记录 · Validation and review trail</h2>\n");
    let _ = writeln!(
        out,
        "<h3>第一阶段：跨主体一致性校验 · Stage 1: cross-entity rules</h3>\
         <p>Rule set version {} ({} rules, sha256 {}).</p>",
        trail.rule_set.version,
        trail.rule_set.rules,
        escape(&trail.rule_set.content_hash[..12.min(trail.rule_set.content_hash.len())])
    );
    out.push_str(
        "<table><thead><tr><th>rule</th><th>description</th><th>outcome</th></tr></thead><tbody>\n",
    );
    for r in &trail.validation.results {
        let _ = writeln!(
            out,
            "<tr><td class=id>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.rule_id),
            escape(&r.description),
            outcome_name(r.status)
        );
    }
    out.push_str("</tbody></table>\n");
    let _ = writeln!(
        out,
        "<h3>第二阶段：外部基准比对 · Stage 2: external benchmarks</h3>\
         <p>Benchmark registry version {}.</p>",
        trail.benchmarks.registry_version
    );
    out.push_str("<table><thead><tr><th>benchmark</th><th>figure</th><th>deviation</th><th>band</th><th>detail</th></tr></thead><tbody>\n");
    for c in &trail.benchmarks.comparisons {
        let _ = writeln!(
            out,
            "<tr><td class=id>{}</td><td>{}</td><td class=num>{:+.1}%</td><td class=num>±{:.0}%</td><td>{}</td></tr>",
            escape(&c.benchmark_id),
            escape(&c.figure_id),
            c.deviation * 100.0,
            c.tolerance * 100.0,
            escape(&c.detail)
        );
    }
    out.push_str("</tbody></table>\n<h3>说明 · Justifications</h3><ul>\n");
    for j in &trail.justifications {
        let _ = writeln!(
            out,
            "<li><b>{}</b> — {} <span class=en>({})</span></li>",
            escape(&j.subject),
            escape(&j.text),
            escape(&j.justified_by)
        );
    }
    let _ = writeln!(
        out,
        "</ul><h3>第三阶段：专家审核 · Stage 3: expert review</h3>\
         <p>Round {} on candidate {}, quorum {}, frozen hash {}.</p><ul>",
        trail.round.number,
        escape(&trail.round.candidate_hash[..12.min(trail.round.candidate_hash.len())]),
        trail.round.quorum,
        escape(&trail.round.frozen_hash[..12.min(trail.round.frozen_hash.len())])
    );
    for v in &trail.round.votes {
        let _ = writeln!(
            out,
            "<li>{} — {}</li>",
            escape(&v.expert),
            escape(&v.reason)
        );
    }
    out.push_str("</ul></section>\n");
}

/// Everything the release's report shows about how it was checked.
pub struct Trail {
    pub rule_set: pb::RuleSetSummary,
    pub validation: pb::ValidationReport,
    pub benchmarks: pb::BenchmarkReport,
    pub justifications: Vec<pb::Justification>,
    pub round: pb::ReviewRound,
    pub status: pb::CandidateStatus,
    pub release: pb::ReleaseSummary,
}
