//! The report's sections drawn from the release document: the figure tables of each lifecycle
//! stage and the sample tables 2.1-2.3.

use std::fmt::Write as _;

use ndrs_aggregator::release::{Document, Figure};
use ndrs_core::catalogue::Catalogue;

use crate::format::{escape, group_thousands, interval_text, shown};
use crate::labels::SOURCE_CATEGORIES;

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

pub(crate) fn figure_table(out: &mut String, figures: &[&Figure], catalogue: &Catalogue) {
    out.push_str(
        "<table><thead><tr><th>id</th><th>指标 Indicator</th><th>值 Value</th><th>单位 Unit</th>\
         <th>区间 Interval</th><th>来源 Lineage</th></tr></thead><tbody>\n",
    );
    for f in figures {
        figure_row(out, f, catalogue);
    }
    out.push_str("</tbody></table>\n");
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
pub(crate) fn sample_section(out: &mut String, doc: &Document) {
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
