//! The HTML report of a release, in Chinese and English, laid out like the 2023 survey report:
//! the findings in its three groups (一组数据, 一批成效, 一些问题), the sample tables (2.1-2.3), a
//! section per stage of the data lifecycle with its figures (value, interval, lineage), the
//! charts of figures 3.1-3.4 and appendix figures 1-2 drawn from the release's breakdowns, then
//! the validation and review trail that the release passed.
//!
//! It is rendered from the release's canonical JSON document (what `GetRelease` serves), never
//! from anything the release does not hold, so the report cannot say more than was published.
//! Charts are inline SVG: the file opens anywhere, offline, with no script.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ndrs_aggregator::release::{Document, Figure};
use ndrs_core::catalogue::{Catalogue, IndicatorStage};
use ndrs_core::units::{Unit, ZettabyteBase, present};
use ndrs_proto::v1 as pb;

/// The findings in the report's three groups (section 一): id, Chinese and English titles, and
/// the indicators each group cites.
pub const HEADLINE: [(&str, &str, &str, &[&str]); 3] = [
    (
        "figures",
        "一组数据：数据“产-存-算”规模优势基本形成",
        "A set of figures: the scale of production, storage and compute",
        &["P01", "P02", "P03", "P07", "C02", "C03", "C04"],
    ),
    (
        "achievements",
        "一批成效：数据“供给-流通-应用”主体逐渐丰富",
        "Achievements: more actors supplying, trading and applying data",
        &["A01", "A02", "A03", "A04", "A07", "A08", "A09", "A10"],
    ),
    (
        "problems",
        "一些问题：海量数据和丰富场景优势潜力仍待释放",
        "Problems: the potential of the data and its scenarios is still to be released",
        &["P05", "P14", "F07", "F06", "A14", "A15"],
    ),
];

/// Every indicator the findings cite, in order.
pub fn headline_ids() -> impl Iterator<Item = &'static str> {
    HEADLINE
        .iter()
        .flat_map(|(_, _, _, ids)| ids.iter().copied())
}

/// Breakdowns drawn as bar charts, numbered as in the report: figure id, dimension, Chinese and
/// English titles.
pub const CHARTS: [(&str, &str, &str, &str); 9] = [
    (
        "production.bytes",
        "category",
        "图3.1 数据来源分布情况",
        "Figure 3.1 Data production by source",
    ),
    (
        "production.public_acquisition_bytes",
        "category",
        "图3.1（续）公共数据获取来源分布",
        "Figure 3.1 (cont.) Public data acquisition by source (P15: IoT sensing share)",
    ),
    (
        "circulation.turnover_share",
        "industry",
        "图3.2 场内数据交易额行业分布情况",
        "Figure 3.2 Exchange turnover by industry",
    ),
    (
        "application.open_data_use_share",
        "subject_type",
        "图3.3 政府开放数据应用（按企业类型）",
        "Figure 3.3 Use of government open data by enterprise group",
    ),
    (
        "application.scenario_share",
        "scenario",
        "图3.4 数据应用场景分布",
        "Figure 3.4 Data application scenarios of key industry enterprises",
    ),
    (
        "compute.capacity_share",
        "macro_region",
        "算力规模占比（按区域）",
        "Compute capacity share by region",
    ),
    (
        "compute.capacity_share",
        "province",
        "算力规模占比（按省份）",
        "Compute capacity share by province",
    ),
    (
        "application.valid_sample",
        "province",
        "附图1 企业区域分布图",
        "Appendix figure 1 Responding enterprises by province",
    ),
    (
        "application.valid_sample",
        "industry",
        "附图2 企业行业分布图",
        "Appendix figure 2 Responding key industry enterprises by industry",
    ),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A value in the report's presentation units, e.g. `32.85 ZB (10^21 bytes)` or `59.0 %`, as
/// (number, unit label).
pub fn shown(value: f64, unit: &str) -> (String, String) {
    match Unit::from_code(unit) {
        // A count that is a whole number reads as one: 536,135,000,000 calls, not 536135000000.00.
        Some(Unit::Count) if value.fract() == 0.0 && value.abs() < 1e15 => {
            (group_thousands(value as i64), "count".into())
        }
        Some(u) => {
            let p = present(value, u, ZettabyteBase::Decimal);
            (format_number(p.value), p.unit_label)
        }
        None => (format_number(value), unit.to_string()),
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn format_number(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn interval_text(f: &Figure) -> String {
    match &f.interval {
        Some(i) => {
            let (lo, _) = shown(i.lower, &f.unit);
            let (hi, _) = shown(i.upper, &f.unit);
            format!("[{lo}, {hi}] ({:.0}%)", i.level * 100.0)
        }
        None => "—".into(),
    }
}

fn figure_row(out: &mut String, f: &Figure, catalogue: &Catalogue) {
    let (zh, en) = catalogue
        .get(&f.id)
        .map_or((f.label.as_str(), f.label.as_str()), |i| {
            (i.name_zh.as_str(), i.name_en.as_str())
        });
    let (value, unit) = match f.value {
        Some(v) => shown(v, &f.unit),
        None => ("suppressed / 不予公布".into(), String::new()),
    };
    let lineage = f.lineage.as_ref().map_or(String::new(), |l| {
        format!(
            "{} · {} return(s){}",
            escape(&l.method),
            l.returns.len(),
            if l.imputed_share > 0.0 {
                format!(" · imputed {:.1}%", l.imputed_share * 100.0)
            } else {
                String::new()
            }
        )
    });
    let _ = writeln!(
        out,
        "<tr><td class=id>{}</td><td>{}<br><span class=en>{}</span></td><td class=num>{}</td>\
         <td>{}</td><td class=num>{}</td><td class=lineage>{}</td></tr>",
        escape(&f.key),
        escape(zh),
        escape(en),
        escape(&value),
        escape(&unit),
        escape(&interval_text(f)),
        lineage
    );
}

fn figure_table(out: &mut String, figures: &[&Figure], catalogue: &Catalogue) {
    out.push_str(
        "<table><thead><tr><th>id</th><th>指标 Indicator</th><th>值 Value</th><th>单位 Unit</th>\
         <th>区间 Interval</th><th>来源 Lineage</th></tr></thead><tbody>\n",
    );
    for f in figures {
        figure_row(out, f, catalogue);
    }
    out.push_str("</tbody></table>\n");
}

/// A horizontal bar chart of one breakdown, as inline SVG.
fn bar_chart(out: &mut String, cells: &[(&str, f64)], title_zh: &str, title_en: &str, unit: &str) {
    let max = cells.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    if cells.is_empty() || max <= 0.0 {
        return;
    }
    let row = 22.0;
    let height = row * cells.len() as f64 + 10.0;
    let _ = writeln!(
        out,
        "<figure class=chart><figcaption>{} · {}</figcaption>\
         <svg role=img aria-label=\"{}\" viewBox=\"0 0 820 {height}\" width=820 height={height}>",
        escape(title_zh),
        escape(title_en),
        escape(title_en)
    );
    for (i, (label, v)) in cells.iter().enumerate() {
        let y = i as f64 * row + 5.0;
        let w = 380.0 * v / max;
        let (text, unit_label) = shown(*v, unit);
        let _ = writeln!(
            out,
            "<text x=150 y={} text-anchor=end class=label>{}</text>\
             <rect x=160 y={y} width={w:.1} height={} class=bar></rect>\
             <text x={:.1} y={} class=value>{} {}</text>",
            y + 15.0,
            escape(label),
            row - 6.0,
            165.0 + w,
            y + 15.0,
            escape(&text),
            escape(&unit_label)
        );
    }
    out.push_str("</svg></figure>\n");
}

/// The data source categories of the report's table 2.2, under 人 (people), 物 (things) and 机
/// (machines): class, code, Chinese and English names. They live in the production service, not
/// in ndrs-core.
const SOURCE_CATEGORIES: [(&str, &str, &str, &str); 6] = [
    ("人", "daily_life", "生产生活", "Daily life"),
    ("人", "transport", "交通运输", "Transport"),
    ("物", "iot_sensing", "物联感知", "IoT sensing"),
    ("物", "manufacturing", "生产制造", "Manufacturing"),
    ("机", "storage_compute", "存储计算", "Storage and compute"),
    ("机", "software", "软件系统", "Software systems"),
];

/// Application scenarios of figure 3.4 by code (they live in the application service).
const SCENARIOS: [(&str, &str); 6] = [
    ("operations_management", "运营管理"),
    ("production", "生产制造"),
    ("marketing", "营销"),
    ("research_development", "研发设计"),
    ("customer_service", "客户服务"),
    ("supply_chain", "供应链"),
];

/// A breakdown level as a reader knows it: by its Chinese name where the classification has one
/// (provinces keep their code in front, which orders them as the report does), otherwise by code.
fn level_label(dimension: &str, level: &str) -> String {
    use ndrs_core::classification::{IndustryGroup, MacroRegion, SubjectType};
    let name = match dimension {
        "province" => {
            return ndrs_core::classification::province(level)
                .map_or(level.to_string(), |p| format!("{level} {}", p.name_zh));
        }
        "industry" => IndustryGroup::from_code(level).map(|i| i.name_zh()),
        "macro_region" => MacroRegion::from_code(level).map(|r| r.name_zh()),
        "subject_type" => SubjectType::from_code(level).map(|t| t.name_zh()),
        "category" => SOURCE_CATEGORIES
            .iter()
            .find(|(_, code, _, _)| *code == level)
            .map(|(_, _, name, _)| *name),
        "scenario" => SCENARIOS
            .iter()
            .find(|(code, _)| *code == level)
            .map(|(_, name)| *name),
        _ => None,
    };
    name.map_or(level.to_string(), str::to_string)
}

/// A national figure of the release, if it is published.
fn national_figure<'a>(doc: &'a Document, id: &str) -> Option<&'a Figure> {
    doc.figures
        .iter()
        .find(|f| f.id == id && f.dimensions.is_empty())
}

/// The number of returns behind a national figure of the release.
fn returns_behind(doc: &Document, id: &str) -> Option<usize> {
    national_figure(doc, id)
        .and_then(|f| f.lineage.as_ref())
        .map(|l| l.returns.len())
}

/// The report's sample tables, from what the release holds: table 2.1 (the sample of each stage,
/// as the returns behind its figures), table 2.2 (the data source categories of the full-volume
/// model with what they produce) and table 2.3 (the application survey's responding units by
/// subject group and type).
fn sample_section(out: &mut String, doc: &Document) {
    use ndrs_core::classification::{SubjectGroup, SubjectType};
    out.push_str("<section id=sample><h2>二、样本情况 · The sample</h2>\n");

    let count = |n: Option<usize>| n.map_or("—".to_string(), |n| group_thousands(n as i64));
    let centres = national_figure(doc, "C01").and_then(|f| f.value);
    let rows = [
        (
            "数据生产",
            "Production",
            count(returns_behind(doc, "P01")),
            "device parameter returns of vendors and associations behind P01",
        ),
        (
            "数据存储",
            "Storage",
            count(returns_behind(doc, "P03")),
            "storage medium returns of vendors and associations behind P03",
        ),
        (
            "数据计算",
            "Compute",
            count(returns_behind(doc, "C02")),
            "compute centre returns behind C02 (the rest of the register is imputed)",
        ),
        (
            "数据流通",
            "Circulation",
            count(
                returns_behind(doc, "F01")
                    .zip(returns_behind(doc, "F06"))
                    .map(|(a, b)| a + b),
            ),
            "carrier returns behind F01 and exchange returns behind F06",
        ),
    ];
    out.push_str(
        "<h3>表2.1 有效样本说明 · Table 2.1 The sample of each stage</h3><table><thead><tr>\
         <th>环节 Stage</th><th>有效样本 Returns</th><th>说明 What they are</th></tr></thead><tbody>\n",
    );
    for (zh, en, n, what) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{zh}<br><span class=en>{en}</span></td><td class=num>{}</td><td>{}</td></tr>",
            escape(&n),
            escape(what)
        );
    }
    if let Some(c) = centres {
        let _ = writeln!(
            out,
            "<tr><td>算力中心名录<br><span class=en>Compute register</span></td><td class=num>{}</td>\
             <td>centres in the census register (C01)</td></tr>",
            group_thousands(c as i64)
        );
    }
    out.push_str("</tbody></table>\n");

    // Table 2.2: the six source categories under 人 (people), 物 (things), 机 (machines).
    let production = |id: &str, category: &str| {
        doc.figures
            .iter()
            .find(|f| {
                f.id == id
                    && f.dimensions.len() == 1
                    && f.dimensions.get("category").map(String::as_str) == Some(category)
            })
            .and_then(|f| f.value.map(|v| shown(v, &f.unit)))
            .map_or("—".to_string(), |(v, u)| format!("{v} {u}"))
    };
    out.push_str(
        "<h3>表2.2 数据产生和存储样本情况 · Table 2.2 Data source categories</h3><table><thead><tr>\
         <th>分类 Class</th><th>来源 Category</th><th>数据生产量 Produced</th>\
         <th>公共数据获取 Public acquisition</th></tr></thead><tbody>\n",
    );
    for (class, category, zh, en) in SOURCE_CATEGORIES {
        let _ = writeln!(
            out,
            "<tr><td>{class}</td><td>{zh}<br><span class=en>{en}</span></td><td class=num>{}</td><td class=num>{}</td></tr>",
            escape(&production("production.bytes", category)),
            escape(&production("production.public_acquisition_bytes", category)),
        );
    }
    out.push_str("</tbody></table>\n");

    // Table 2.3: the application survey's valid sample by subject group and type, in the order
    // of the classifications.
    let mut rows: Vec<(SubjectGroup, SubjectType, &Figure)> = doc
        .figures
        .iter()
        .filter(|f| f.id == "application.valid_sample" && f.dimensions.len() == 1)
        .filter_map(|f| {
            let t = SubjectType::from_code(f.dimensions.get("subject_type")?)?;
            Some((t.group(), t, f))
        })
        .collect();
    rows.sort_by_key(|(g, t, _)| (SubjectGroup::ALL.iter().position(|x| x == g), t.as_i32()));
    if !rows.is_empty() {
        out.push_str(
            "<h3>表2.3 数据应用样本情况 · Table 2.3 The application survey's valid sample</h3>\
             <table><thead><tr><th>类别 Group</th><th>调查对象 Subject type</th>\
             <th>有效样本 Responding units</th></tr></thead><tbody>\n",
        );
        let mut total = 0.0;
        for (group, t, f) in rows {
            let n = f.value.map_or("suppressed / 不予公布".to_string(), |v| {
                total += v;
                group_thousands(v as i64)
            });
            let _ = writeln!(
                out,
                "<tr><td>{}<br><span class=en>{}</span></td><td>{}<br><span class=en>{}</span></td>\
                 <td class=num>{}</td></tr>",
                escape(group.name_zh()),
                escape(group.name_en()),
                escape(t.name_zh()),
                escape(t.name_en()),
                escape(&n)
            );
        }
        let _ = writeln!(
            out,
            "<tr><td>合计<br><span class=en>Total shown</span></td><td></td><td class=num>{}</td></tr>\
             </tbody></table>",
            group_thousands(total as i64)
        );
    }
    out.push_str(
        "<p class=note>Counts are of the returns behind the published figures; each figure's \
         lineage lists them.</p></section>\n",
    );
}

fn outcome_name(status: i32) -> &'static str {
    match pb::RuleStatus::try_from(status) {
        Ok(pb::RuleStatus::Passed) => "passed 通过",
        Ok(pb::RuleStatus::Failed) => "failed 未通过",
        Ok(pb::RuleStatus::MissingInputs) => "missing inputs 缺少输入",
        Ok(pb::RuleStatus::EvaluationError) => "evaluation error 计算错误",
        _ => "unknown",
    }
}

fn trail_section(out: &mut String, trail: &Trail) {
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

/// The report of `doc`, with the trail it passed.
pub fn render(doc: &Document, trail: &Trail) -> String {
    let catalogue = Catalogue::embedded();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!doctype html><html lang=zh><head><meta charset=utf-8>\
         <title>全国数据资源调查 {0} · National data resource survey {0}</title><style>{STYLE}</style></head><body>\
         <header><h1>全国数据资源调查报告（{0}年）</h1><p class=en>National data resource survey, {0}: release version {1}</p>\
         <p class=meta>release {2} · published {3} by {4} · candidate {5}</p></header>",
        doc.cycle_year,
        doc.version,
        escape(&doc.release_id),
        escape(&doc.published_at),
        escape(&doc.published_by),
        escape(&doc.lineage.candidate_hash[..12.min(doc.lineage.candidate_hash.len())]),
    );
    let national: Vec<&Figure> = doc
        .figures
        .iter()
        .filter(|f| f.dimensions.is_empty())
        .collect();

    out.push_str("<section id=headline><h2>一、调查结果 · Findings</h2>\n");
    for (group, title_zh, title_en, ids) in HEADLINE {
        let _ = writeln!(
            out,
            "<h3 id={group}>{} <span class=en>· {}</span></h3><div class=cards>",
            escape(title_zh),
            escape(title_en)
        );
        for id in ids {
            let Some(f) = national.iter().find(|f| f.id == *id) else {
                continue;
            };
            let Some(v) = f.value else { continue };
            let (value, unit) = shown(v, &f.unit);
            let (zh, en) = catalogue
                .get(id)
                .map_or(("", ""), |i| (i.name_zh.as_str(), i.name_en.as_str()));
            let _ = writeln!(
                out,
                "<div class=card data-id={id}><div class=value>{} <small>{}</small></div>\
                 <div>{}</div><div class=en>{}</div><div class=interval>{}</div></div>",
                escape(&value),
                escape(&unit),
                escape(zh),
                escape(en),
                escape(&interval_text(f))
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
    sample_section(&mut out, doc);

    for stage in IndicatorStage::ALL {
        let figures: Vec<&Figure> = national
            .iter()
            .copied()
            .filter(|f| catalogue.get(&f.id).is_some_and(|i| i.stage == stage))
            .collect();
        if figures.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<section id={}><h2>{} · {}</h2>",
            stage.code(),
            stage.name_zh(),
            stage.name_en()
        );
        figure_table(&mut out, &figures, catalogue);
        out.push_str("</section>\n");
    }

    out.push_str("<section id=charts><h2>图表 · Figures</h2>\n");
    for (id, dimension, zh, en) in CHARTS {
        let mut cells: BTreeMap<String, (f64, &str)> = BTreeMap::new();
        for f in doc.figures.iter().filter(|f| f.id == id) {
            if let (Some(level), Some(v)) = (f.dimensions.get(dimension), f.value)
                && f.dimensions.len() == 1
            {
                cells.insert(level_label(dimension, level), (v, f.unit.as_str()));
            }
        }
        let unit = cells.values().next().map_or("", |(_, u)| *u).to_string();
        let list: Vec<(&str, f64)> = cells.iter().map(|(k, (v, _))| (k.as_str(), *v)).collect();
        bar_chart(&mut out, &list, zh, en, &unit);
    }
    let suppressed = doc.figures.iter().filter(|f| f.value.is_none()).count();
    let _ = writeln!(
        out,
        "<p class=note>{suppressed} breakdown cell(s) withheld by disclosure control \
         (fewer than {} reporters or one reporter above {:.0}% of the cell).</p></section>",
        doc.lineage.disclosure.min_reporters,
        doc.lineage.disclosure.max_share * 100.0
    );

    trail_section(&mut out, trail);
    let _ = writeln!(
        out,
        "<footer><p>Software {} {} · inputs {} · JSON sha256 {}</p></footer></body></html>",
        escape(&doc.lineage.software.name),
        escape(&doc.lineage.software.version),
        escape(&doc.lineage.candidate_hash),
        escape(&trail.release.document_sha256)
    );
    out
}

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733}\
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #1f5fa8;padding-bottom:.2rem;margin-top:2.2rem}\
.en{color:#5a6775;font-size:.9em}.meta,.note{color:#5a6775;font-size:.85em}\
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:.8rem}\
.card{border:1px solid #d5dde6;border-radius:8px;padding:.8rem;background:#f6f9fc}\
.card .value{font-size:1.6em;font-weight:600;color:#1f5fa8}.card .interval{font-size:.8em;color:#5a6775}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #e3e8ee;padding:.35rem;text-align:left;vertical-align:top}\
td.num{text-align:right;white-space:nowrap}td.id{font-family:monospace}td.lineage{font-size:.8em;color:#5a6775}\
.chart{margin:1rem 0}.bar{fill:#d9762b}.label,.value{font-size:12px;fill:#1d2733}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_counts_are_grouped_and_other_values_keep_their_precision() {
        assert_eq!(shown(536_135_000_000.0, "count").0, "536,135,000,000");
        assert_eq!(shown(53.0, "count").0, "53");
        assert_eq!(shown(-1234.0, "count").0, "-1,234");
        // A weighted count is an estimate, not a whole number.
        assert_eq!(shown(4.1429, "count").0, "4.14");
        assert_eq!(shown(0.179, "ratio").0, "17.90");
    }
}
