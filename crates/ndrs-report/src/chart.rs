//! Bar charts as inline SVG: the report opens anywhere, offline, with no script.
//!
//! A chart reads like a statistical office's: bars sorted from the largest, an axis with ticks,
//! the unit stated once in the caption (not on every bar), every value at the same precision,
//! the confidence interval as an error bar where the figure has one, and a 数据来源 (source)
//! line naming the release.

use std::fmt::Write as _;

use ndrs_core::units::{Unit, ZettabyteBase, present};

use crate::format::escape;

/// One bar: its label, value and (when the figure has one) interval, in base units.
pub(crate) struct Cell<'a> {
    pub label: &'a str,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

/// The presentation unit of a chart: the one its largest value is shown in, as (factor the base
/// value is divided by, unit label). Every bar of the chart is shown in it.
pub(crate) fn chart_unit(max: f64, unit: &str) -> (f64, String) {
    match Unit::from_code(unit) {
        Some(Unit::Count) => {
            if max >= 1e8 {
                (1e8, "亿 (10^8)".into())
            } else if max >= 1e4 {
                (1e4, "万 (10^4)".into())
            } else {
                (1.0, "个 · count".into())
            }
        }
        Some(u) => {
            let p = present(max, u, ZettabyteBase::Decimal);
            let factor = if p.value != 0.0 { max / p.value } else { 1.0 };
            (factor, p.unit_label)
        }
        None => (1.0, unit.to_string()),
    }
}

/// Decimals that show the smallest bar's value with three significant digits, at most 2.
pub(crate) fn decimals(max_shown: f64) -> usize {
    if max_shown >= 100.0 {
        0
    } else if max_shown >= 10.0 {
        1
    } else {
        2
    }
}

/// A "nice" tick step for an axis up to `max`: 1, 2 or 5 times a power of ten, 3 to 6 ticks.
fn tick_step(max: f64) -> f64 {
    let raw = max / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// A horizontal bar chart of one breakdown, sorted from the largest bar, as inline SVG.
pub(crate) fn bar_chart(
    out: &mut String,
    cells: &mut [Cell<'_>],
    (title_zh, title_en): (&str, &str),
    unit: &str,
    source: &str,
) {
    let upper = |c: &Cell<'_>| c.interval.map_or(c.value, |(_, hi)| hi.max(c.value));
    let max = cells.iter().map(upper).fold(0.0, f64::max);
    if cells.is_empty() || max.is_nan() || max <= 0.0 {
        return;
    }
    cells.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.label.cmp(b.label)));
    let (factor, unit_label) = chart_unit(max, unit);
    let top = max / factor;
    let step = tick_step(top);
    let axis_max = (top / step).ceil() * step;
    let places = decimals(top);
    let (left, width, row) = (260.0, 470.0, 22.0);
    let x = |v: f64| left + width * (v / factor) / axis_max;
    let height = row * cells.len() as f64 + 28.0;
    let _ = writeln!(
        out,
        "<figure class=chart><figcaption>{} · {} <span class=unit>（单位 · unit: {}）</span></figcaption>\
         <svg role=img aria-label=\"{}\" viewBox=\"0 0 820 {height}\" width=820 height={height}>",
        escape(title_zh),
        escape(title_en),
        escape(&unit_label),
        escape(title_en)
    );
    // The axis: ticks and grid lines below the bars.
    let axis_y = row * cells.len() as f64 + 8.0;
    let mut tick = 0.0;
    while tick <= axis_max + step * 1e-9 {
        let tx = left + width * tick / axis_max;
        let _ = writeln!(
            out,
            "<line x1={tx:.1} y1=2 x2={tx:.1} y2={axis_y:.1} class=grid></line>\
             <text x={tx:.1} y={:.1} text-anchor=middle class=tick>{}</text>",
            axis_y + 14.0,
            format_tick(tick, step)
        );
        tick += step;
    }
    let _ = writeln!(
        out,
        "<line x1={left} y1={axis_y:.1} x2={:.1} y2={axis_y:.1} class=axis></line>",
        left + width
    );
    for (i, c) in cells.iter().enumerate() {
        let y = i as f64 * row + 5.0;
        let w = x(c.value) - left;
        let _ = writeln!(
            out,
            "<text x={:.1} y={} text-anchor=end class=label>{}</text>\
             <rect x={left} y={y} width={w:.1} height={} class=\"bar\"></rect>",
            left - 8.0,
            y + 15.0,
            escape(c.label),
            row - 6.0
        );
        let mut value_x = x(c.value) + 5.0;
        if let Some((lo, hi)) = c.interval {
            let (x1, x2, mid) = (x(lo.max(0.0)), x(hi), y + (row - 6.0) / 2.0);
            let _ = writeln!(
                out,
                "<line x1={x1:.1} y1={mid:.1} x2={x2:.1} y2={mid:.1} class=err></line>\
                 <line x1={x1:.1} y1={:.1} x2={x1:.1} y2={:.1} class=err></line>\
                 <line x1={x2:.1} y1={:.1} x2={x2:.1} y2={:.1} class=err></line>",
                mid - 4.0,
                mid + 4.0,
                mid - 4.0,
                mid + 4.0
            );
            value_x = value_x.max(x2 + 5.0);
        }
        let _ = writeln!(
            out,
            "<text x={value_x:.1} y={} class=value>{:.places$}</text>",
            y + 15.0,
            c.value / factor
        );
    }
    let _ = writeln!(
        out,
        "</svg><figcaption class=source>数据来源 · Source: {}{}</figcaption></figure>",
        escape(source),
        if cells.iter().any(|c| c.interval.is_some()) {
            "; error bars: confidence interval · 误差线为置信区间"
        } else {
            ""
        }
    );
}

fn format_tick(tick: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{tick:.0}")
    } else {
        let places = (-step.log10().floor()) as usize;
        format!("{tick:.places$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_sorted_with_one_unit_an_axis_and_error_bars() {
        let mut out = String::new();
        let mut cells = vec![
            Cell {
                label: "small",
                value: 0.1,
                interval: Some((0.05, 0.15)),
            },
            Cell {
                label: "large",
                value: 0.6,
                interval: None,
            },
            Cell {
                label: "mid",
                value: 0.3,
                interval: None,
            },
        ];
        bar_chart(
            &mut out,
            &mut cells,
            ("图", "Chart"),
            "ratio",
            "全国数据资源调查 2023",
        );
        let order: Vec<usize> = ["large", "mid", "small"]
            .iter()
            .map(|l| out.find(&format!(">{l}<")).unwrap())
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "sorted from the largest: {out}"
        );
        assert_eq!(out.matches("class=\"bar\"").count(), 3);
        assert_eq!(
            out.matches("class=err").count(),
            3,
            "one error bar (three lines) for the one interval"
        );
        assert!(out.contains("class=tick>0<"), "the axis starts at 0");
        assert!(out.contains("数据来源"));
        assert_eq!(
            out.matches("%").count(),
            1,
            "the unit once, in the caption: {out}"
        );
    }

    #[test]
    fn counts_are_charted_in_the_report_s_own_units() {
        assert_eq!(chart_unit(5.36135e11, "count").1, "亿 (10^8)");
        assert_eq!(chart_unit(53_000.0, "count").1, "万 (10^4)");
        assert_eq!(tick_step(5361.35), 2000.0);
        assert_eq!(tick_step(0.6), 0.2);
    }
}
