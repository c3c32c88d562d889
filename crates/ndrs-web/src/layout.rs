//! The page frame every page shares, and the small pieces several pages print the same way:
//! figures in presentation units, timestamps, forms with their CSRF token.

use std::collections::HashMap;

use maud::{DOCTYPE, Markup, html};
use ndrs_core::units::Unit;
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;

use crate::sessions::SignedIn;

/// A whole page: header with the signed-in person (and a sign-out form), then `body`.
pub fn page(title: &str, who: Option<&SignedIn>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 全国数据资源调查 NDRS" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                header.site {
                    a.brand href="/" { "全国数据资源调查 · National data resource survey" }
                    nav {
                        a href="/" { "Releases" }
                        a href="/sdmx/dataflow/NDRS" { "SDMX" }
                        a href="/console" { "Console" }
                        @if let Some(who) = who {
                            span.who { (who.caller.name) " (" (who.caller.role) ")" }
                            form.inline method="post" action="/console/sign-out" {
                                (csrf_field(who))
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field every console form carries.
pub fn csrf_field(who: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf); }
}

/// A figure's value in presentation units, e.g. ("32.85", "ZB (10^21 bytes)").
pub fn value(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) => {
            let (number, unit) = ndrs_report::shown(v, unit);
            format!("{number} {unit}")
        }
        None => "withheld".into(),
    }
}

/// A number without a unit, to four significant digits: `0.076`, `1,234`, `3.285×10²²`
/// (powers of ten outside one thousandth to a million), never Rust's `7.600000000000007e-2`.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".into();
    }
    let exponent = v.abs().log10().floor() as i32;
    if !(-3..6).contains(&exponent) {
        // `{:.3e}` rounds the mantissa into [1, 10) itself (9.9996e22 is 1.000e23).
        let text = format!("{v:.3e}");
        let (mantissa, power) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = trim_zeros(mantissa);
        let power: String = power
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                d => "⁰¹²³⁴⁵⁶⁷⁸⁹"
                    .chars()
                    .nth(d.to_digit(10).unwrap_or(0) as usize)
                    .unwrap_or(d),
            })
            .collect();
        return format!("{mantissa}×10{power}");
    }
    let decimals = (3 - exponent).max(0) as usize;
    let text = format!("{v:.decimals$}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        trim_zeros(&format!("{sign}{grouped}.{fraction}")).to_string()
    }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// The unit code of a wire figure ("" when unset).
pub fn unit_code(f: &pb::Figure) -> &'static str {
    Unit::from_i32(f.unit).map_or("", |u| u.code())
}

/// Each figure id of a candidate with its unit, to print the values validation read in the
/// figures' own presentation units.
#[derive(Debug, Default)]
pub struct Units(HashMap<String, &'static str>);

impl Units {
    pub fn of(candidate: &pb::Candidate) -> Self {
        Units(
            candidate
                .stages
                .iter()
                .flat_map(|s| &s.figures)
                .map(|f| (f.id.clone(), unit_code(f)))
                .collect(),
        )
    }

    /// `v` as the figure `id` is presented, or as a plain number when `id` is not a figure.
    pub fn show(&self, id: &str, v: f64) -> String {
        match self.0.get(id) {
            Some(unit) if !unit.is_empty() => value(Some(v), unit),
            _ => number(v),
        }
    }
}

/// A wire timestamp as people read it, to the minute in UTC ("2027-03-01 09:00 UTC"); "—" when
/// unset.
pub fn time(t: Option<&Timestamp>) -> String {
    let Some(t) = t else { return "—".into() };
    match std::time::SystemTime::try_from(*t) {
        Ok(at) => chrono::DateTime::<chrono::Utc>::from(at)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => ndrs_platform::timestamp::display(Some(t)),
    }
}

/// A percentage with one decimal.
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// The first 12 characters of a hash, as people quote it.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number(7.600000000000007e-2), "0.076");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1234.56), "1,235");
        assert_eq!(number(-42.0), "-42");
        assert_eq!(number(3.285e22), "3.285×10²²");
        assert_eq!(number(9.9996e22), "1×10²³");
        assert_eq!(number(1.5e-5), "1.5×10⁻⁵");
        assert_eq!(number(f64::NAN), "NaN");
    }
}
