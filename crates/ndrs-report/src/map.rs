//! The provinces as a tile map: one square per provincial-level division, placed where it lies
//! (north at the top, the coast on the right), shaded by its value in five quantile classes.
//!
//! A tile map rather than a drawn outline: every province gets the same area, so Beijing and
//! Shanghai are as readable as Xinjiang, and the report needs no boundary data (a shipped
//! outline is a political document in its own right). The layout is the survey's 31 divisions
//! plus 新疆生产建设兵团 (XPCC, beside Xinjiang); a code outside it is listed under the map.

use std::fmt::Write as _;

use ndrs_core::classification::province;

use crate::chart::{Cell, chart_unit, decimals};
use crate::format::escape;

/// (GB/T 2260 code, column, row) of each tile.
const TILES: [(&str, u8, u8); 32] = [
    ("23", 7, 0),
    ("65", 0, 1),
    ("66", 1, 1),
    ("15", 4, 1),
    ("11", 5, 1),
    ("21", 6, 1),
    ("22", 7, 1),
    ("62", 2, 2),
    ("64", 3, 2),
    ("14", 4, 2),
    ("13", 5, 2),
    ("12", 6, 2),
    ("54", 1, 3),
    ("63", 2, 3),
    ("61", 3, 3),
    ("41", 4, 3),
    ("37", 5, 3),
    ("51", 2, 4),
    ("50", 3, 4),
    ("42", 4, 4),
    ("34", 5, 4),
    ("32", 6, 4),
    ("31", 7, 4),
    ("53", 2, 5),
    ("52", 3, 5),
    ("43", 4, 5),
    ("36", 5, 5),
    ("33", 6, 5),
    ("45", 3, 6),
    ("44", 4, 6),
    ("35", 5, 6),
    ("46", 4, 7),
];

/// Five sequential blues, light to dark, and the text colour readable on each.
const CLASSES: [(&str, &str); 5] = [
    ("#deebf7", "#1d2733"),
    ("#9ecae1", "#1d2733"),
    ("#6baed6", "#1d2733"),
    ("#3182bd", "#ffffff"),
    ("#08519c", "#ffffff"),
];

/// Upper bounds of the five quantile classes of `values` (sorted ascending, non-empty).
fn class_bounds(values: &[f64]) -> [f64; 5] {
    let at =
        |q: f64| values[((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1];
    [at(0.2), at(0.4), at(0.6), at(0.8), values[values.len() - 1]]
}

/// A tile map of `cells`, each labelled by its province code, after the bar chart of the same
/// figures. Provinces without a published value are grey.
pub(crate) fn province_map(
    out: &mut String,
    cells: &[(&str, Cell<'_>)],
    (title_zh, title_en): (&str, &str),
    unit: &str,
    source: &str,
) {
    let mut values: Vec<f64> = cells
        .iter()
        .map(|(_, c)| c.value)
        .filter(|v| v.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    let Some(&max) = values.last() else { return };
    if max <= 0.0 {
        return;
    }
    let (factor, unit_label) = chart_unit(max, unit);
    let places = decimals(max / factor);
    let bounds = class_bounds(&values);
    let class_of = |v: f64| bounds.iter().position(|b| v <= *b).unwrap_or(4);
    let (tile, gap) = (64.0, 4.0);
    let (width, height) = (8.0 * (tile + gap), 8.0 * (tile + gap) + 40.0);
    let _ = writeln!(
        out,
        "<figure class=chart><figcaption>{} · {}（分省地图 · tile map） <span class=unit>（单位 · unit: {}）</span></figcaption>\
         <svg role=img aria-label=\"{} (tile map)\" viewBox=\"0 0 {width} {height}\" width={width} height={height}>",
        escape(title_zh),
        escape(title_en),
        escape(&unit_label),
        escape(title_en)
    );
    for (code, col, row) in TILES {
        let (x, y) = (f64::from(col) * (tile + gap), f64::from(row) * (tile + gap));
        let name = province(code).map_or(code, |p| p.name_zh);
        // XPCC's name is too long for a tile; its title keeps it whole.
        let short = if code == "66" { "兵团" } else { name };
        let cell = cells.iter().find(|(c, _)| *c == code).map(|(_, c)| c);
        let (fill, ink, shown) = match cell {
            Some(c) if c.value.is_finite() => {
                let (fill, ink) = CLASSES[class_of(c.value)];
                (fill, ink, format!("{:.places$}", c.value / factor))
            }
            _ => ("#eceff2", "#5a6775", "—".to_string()),
        };
        let _ = writeln!(
            out,
            "<g><title>{} {}: {}</title><rect x={x:.1} y={y:.1} width={tile} height={tile} rx=4 fill=\"{fill}\"></rect>\
             <text x={:.1} y={:.1} text-anchor=middle font-size=12 fill=\"{ink}\">{}</text>\
             <text x={:.1} y={:.1} text-anchor=middle font-size=11 fill=\"{ink}\">{}</text></g>",
            escape(name),
            escape(code),
            escape(&shown),
            x + tile / 2.0,
            y + 26.0,
            escape(short),
            x + tile / 2.0,
            y + 44.0,
            escape(&shown)
        );
    }
    // The legend: each class's range, in the chart's unit.
    let legend_y = 8.0 * (tile + gap) + 8.0;
    let mut lower = values[0];
    for (i, upper) in bounds.iter().enumerate() {
        let x = i as f64 * 86.0;
        let _ = writeln!(
            out,
            "<rect x={x:.1} y={legend_y:.1} width=18 height=14 fill=\"{}\"></rect>\
             <text x={:.1} y={:.1} font-size=11 class=tick>{:.places$}–{:.places$}</text>",
            CLASSES[i].0,
            x + 22.0,
            legend_y + 11.0,
            lower / factor,
            upper / factor
        );
        lower = *upper;
    }
    let _ = writeln!(
        out,
        "<rect x=430 y={legend_y:.1} width=18 height=14 fill=\"#eceff2\"></rect>\
         <text x=452 y={:.1} font-size=11 class=tick>无数据 · none</text></svg>",
        legend_y + 11.0
    );
    let outside: Vec<&str> = cells
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !TILES.iter().any(|(c, _, _)| c == code))
        .collect();
    let _ = writeln!(
        out,
        "<figcaption class=source>数据来源 · Source: {}; classes are quintiles of the published values{}</figcaption></figure>",
        escape(source),
        if outside.is_empty() {
            String::new()
        } else {
            format!("; not on the map: {}", escape(&outside.join(", ")))
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(value: f64) -> Cell<'static> {
        Cell {
            label: "",
            value,
            interval: None,
        }
    }

    #[test]
    fn every_division_has_one_tile_of_its_own() {
        let mut codes: Vec<&str> = TILES.iter().map(|(c, _, _)| *c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ndrs_core::classification::PROVINCES.len());
        assert!(codes.iter().all(|c| province(c).is_some()));
        let mut places: Vec<(u8, u8)> = TILES.iter().map(|(_, c, r)| (*c, *r)).collect();
        places.sort();
        places.dedup();
        assert_eq!(places.len(), TILES.len(), "no two tiles in one place");
    }

    #[test]
    fn tiles_are_shaded_by_quintile_and_missing_provinces_are_grey() {
        let cells: Vec<(&str, Cell<'_>)> = [("11", 1.0), ("31", 10.0), ("44", 100.0), ("99", 5.0)]
            .into_iter()
            .map(|(c, v)| (c, cell(v)))
            .collect();
        let mut out = String::new();
        province_map(&mut out, &cells, ("附图", "Map"), "count", "survey");
        assert!(out.contains("<title>北京 11: 1</title>"), "{out}");
        assert!(
            out.contains(&format!("fill=\"{}\"", CLASSES[4].0)),
            "the largest is darkest"
        );
        assert!(
            out.contains("<title>西藏 54: —</title>"),
            "no value for Tibet"
        );
        assert!(out.contains("not on the map: 99"));
        assert_eq!(
            out.matches("<rect").count(),
            32 + 6,
            "32 tiles and 6 legend keys"
        );
        assert_eq!(
            class_bounds(&[1.0, 5.0, 10.0, 100.0]),
            [1.0, 5.0, 10.0, 100.0, 100.0]
        );
    }
}
