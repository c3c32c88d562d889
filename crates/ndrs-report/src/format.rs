//! Numbers and text as the report prints them: presentation units, grouped thousands, intervals,
//! and HTML escaping of everything that comes from the release.

use ndrs_aggregator::release::Figure;
use ndrs_core::units::{Unit, ZettabyteBase, present};

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A value in the report's presentation units, e.g. `32.85 ZB (10^21 bytes)` or `59.0 %`, as
/// (number, unit label).
pub fn shown(value: f64, unit: &str) -> (String, String) {
    match Unit::from_code(unit) {
        // Large counts as the 2023 report prints them: 5361.35亿 (10^8) calls.
        Some(Unit::Count) if value.abs() >= 1e8 && value.abs() < 1e20 => {
            (format!("{:.2}", value / 1e8), "亿".into())
        }
        // Money as the report prints it: 1,234.56亿元 (10^8 yuan).
        Some(Unit::Yuan) if value.abs() >= 1e8 && value.abs() < 1e20 => {
            (format!("{:.2}", value / 1e8), "亿元".into())
        }
        // A count that is a whole number reads as one: 53,613 units, not 53613.00.
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

pub(crate) fn group_thousands(n: i64) -> String {
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
    } else if v.abs() >= 1e9 {
        // Past any unit the figure has (a comparison across units, a runaway ratio): powers of
        // ten as the unit labels write them, not 25 digits.
        let text = format!("{v:.3e}");
        let (mantissa, power) = text.split_once('e').unwrap_or((&text, "0"));
        format!("{mantissa}×10^{power}")
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

pub(crate) fn interval_text(f: &Figure) -> String {
    match &f.interval {
        Some(i) => {
            let (lo, _) = shown(i.lower, &f.unit);
            let (hi, _) = shown(i.upper, &f.unit);
            format!("[{lo}, {hi}] ({:.0}%)", i.level * 100.0)
        }
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_counts_are_grouped_and_other_values_keep_their_precision() {
        assert_eq!(
            shown(536_135_000_000.0, "count"),
            ("5361.35".into(), "亿".into())
        );
        assert_eq!(shown(53_613.0, "count").0, "53,613");
        assert_eq!(shown(53.0, "count").0, "53");
        assert_eq!(shown(-1234.0, "count").0, "-1,234");
        // A weighted count is an estimate, not a whole number.
        assert_eq!(shown(4.1429, "count").0, "4.14");
        assert_eq!(shown(0.179, "ratio").0, "17.90");
        assert_eq!(shown(1.5e11, "yuan"), ("1500.00".into(), "亿元".into()));
        // A ratio no figure has (a benchmark in other units) stays readable.
        assert_eq!(shown(3.015e22, "ratio").0, "3.015×10^24");
    }
}
