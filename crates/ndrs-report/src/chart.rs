//! Bar charts as inline SVG: the report opens anywhere, offline, with no script.

use std::fmt::Write as _;

use crate::format::{escape, shown};

/// A horizontal bar chart of one breakdown, as inline SVG.
pub(crate) fn bar_chart(
    out: &mut String,
    cells: &[(&str, f64)],
    title_zh: &str,
    title_en: &str,
    unit: &str,
) {
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
