//! The HTML report of a release, in Chinese and English, laid out like the 2023 survey report:
//! the findings in its three groups (一组数据, 一批成效, 一些问题), the sample tables (2.1-2.3), a
//! section per stage of the data lifecycle with its figures (value, interval, lineage), the
//! charts of figures 3.1-3.4 and appendix figures 1-2 drawn from the release's breakdowns, then
//! the validation and review trail that the release passed.
//!
//! It is rendered from the release's canonical JSON document (what `GetRelease` serves), never
//! from anything the release does not hold, so the report cannot say more than was published.
//! Charts are inline SVG: the file opens anywhere, offline, with no script.

//!
//! - [`labels`]: the findings' groups, the charts and the names of breakdown levels.
//! - `format`: numbers and text as printed ([`shown`]); `chart`: inline SVG bar charts; `map`:
//!   the provinces as a tile map;
//!   `sections`: the figure and sample tables; `trail`: the validation and review trail;
//!   `style`: the stylesheet.

mod chart;
mod format;
pub mod labels;
mod map;
mod sections;
mod style;
mod trail;

use std::fmt::Write as _;

use ndrs_aggregator::release::{Document, Figure};
use ndrs_core::catalogue::{Catalogue, IndicatorStage};

pub use crate::format::shown;
use crate::format::{escape, interval_text};
pub use crate::labels::{CHARTS, HEADLINE, headline_ids};
pub use crate::style::STYLE;
pub use crate::trail::Trail;

/// The report of `doc`, with the validation and review trail it passed when the caller holds it
/// (the demo does; a reader with only the published document renders it without).
pub fn render(doc: &Document, trail: Option<&Trail>) -> String {
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
    sections::sample_section(&mut out, doc);

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
        sections::figure_table(&mut out, &figures, catalogue);
        out.push_str("</section>\n");
    }

    out.push_str("<section id=charts><h2>图表 · Figures</h2>\n");
    let source = format!(
        "全国数据资源调查（{0}年），发布版本 v{1} · National data resource survey {0}, release v{1}",
        doc.cycle_year, doc.version
    );
    for (id, dimension, zh, en) in CHARTS {
        let mut labelled: Vec<(String, &Figure)> = doc
            .figures
            .iter()
            .filter(|f| f.id == id && f.dimensions.len() == 1 && f.value.is_some())
            .filter_map(|f| {
                let level = f.dimensions.get(dimension)?;
                Some((labels::level_label_bilingual(dimension, level), f))
            })
            .collect();
        labelled.sort_by(|a, b| a.0.cmp(&b.0));
        let unit = labelled
            .first()
            .map_or("", |(_, f)| f.unit.as_str())
            .to_string();
        let mut cells: Vec<chart::Cell<'_>> = labelled
            .iter()
            .map(|(label, f)| chart::Cell {
                label,
                value: f.value.unwrap_or_default(),
                interval: f.interval.as_ref().map(|i| (i.lower, i.upper)),
            })
            .collect();
        chart::bar_chart(&mut out, &mut cells, (zh, en), &unit, &source);
        if dimension == "province" {
            let by_code: Vec<(&str, chart::Cell<'_>)> = labelled
                .iter()
                .map(|(label, f)| {
                    let code = f.dimensions.get(dimension).map_or("", String::as_str);
                    let cell = chart::Cell {
                        label,
                        value: f.value.unwrap_or(f64::NAN),
                        interval: None,
                    };
                    (code, cell)
                })
                .collect();
            map::province_map(&mut out, &by_code, (zh, en), &unit, &source);
        }
    }
    let suppressed = doc.figures.iter().filter(|f| f.value.is_none()).count();
    let _ = writeln!(
        out,
        "<p class=note>{suppressed} breakdown cell(s) withheld by disclosure control \
         (fewer than {} reporters or one reporter above {:.0}% of the cell).</p></section>",
        doc.lineage.disclosure.min_reporters,
        doc.lineage.disclosure.max_share * 100.0
    );

    if let Some(trail) = trail {
        trail::trail_section(&mut out, trail);
    }
    let document_hash = trail.map_or(String::new(), |t| {
        format!(" · JSON sha256 {}", escape(&t.release.document_sha256))
    });
    let _ = writeln!(
        out,
        "<footer><p>Software {} {} · inputs {}{document_hash}</p></footer></body></html>",
        escape(&doc.lineage.software.name),
        escape(&doc.lineage.software.version),
        escape(&doc.lineage.candidate_hash),
    );
    out
}

#[cfg(test)]
mod tests {
    use ndrs_aggregator::disclosure::DisclosureRule;
    use ndrs_aggregator::release::{Lineage, Software, VersionRef};

    use super::*;

    fn figure(id: &str, dimensions: &[(&str, &str)], value: Option<f64>) -> Figure {
        Figure {
            key: id.into(),
            id: id.into(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            label: id.into(),
            kind: "estimate".into(),
            value,
            unit: "bytes".into(),
            precision: String::new(),
            interval: None,
            status: "final".into(),
            suppression: value.is_none().then(|| "primary".into()),
            lineage: None,
        }
    }

    fn document() -> Document {
        let version = VersionRef {
            version: 1,
            content_hash: "ab".repeat(32),
        };
        Document {
            schema: "ndrs.release.v1".into(),
            release_id: "release <1>".into(),
            cycle_year: 2023,
            version: 1,
            previous_version: None,
            published_at: "2024-05-01T00:00:00Z".into(),
            published_by: "publisher".into(),
            embargo_until: None,
            note: String::new(),
            lineage: Lineage {
                candidate_id: "c".into(),
                candidate_sequence: 1,
                candidate_hash: "cd".repeat(32),
                stage_hashes: std::collections::BTreeMap::new(),
                rule_set: version.clone(),
                benchmark_registry: version,
                review_rounds: Vec::new(),
                disclosure: DisclosureRule {
                    min_reporters: 3,
                    max_share: 0.8,
                },
                software: Software {
                    name: "ndrs".into(),
                    version: "0.1.0".into(),
                },
            },
            figures: vec![
                figure("P01", &[], Some(3.285e22)),
                figure(
                    "production.bytes",
                    &[("category", "daily_life")],
                    Some(2.0e21),
                ),
                figure("production.bytes", &[("category", "software")], None),
            ],
            changes: Vec::new(),
        }
    }

    /// A reader holding only the published document gets the findings, tables and charts, with
    /// every value escaped, and no trail section or document hash it could not know.
    #[test]
    fn a_document_alone_renders_without_the_trail() {
        let html = render(&document(), None);
        assert!(html.contains("data-id=P01"), "the headline card of P01");
        assert!(html.contains("32.85"), "P01 in ZB");
        assert!(
            html.contains("release &lt;1&gt;"),
            "text from the release is escaped"
        );
        assert_eq!(
            html.matches("class=\"bar\"").count() + html.matches("class=bar").count(),
            1
        );
        assert!(html.contains("1 breakdown cell(s) withheld"));
        assert!(!html.contains("Validation and review trail"));
        assert!(!html.contains("JSON sha256"));
        assert!(html.ends_with("</html>\n"));
    }
}
