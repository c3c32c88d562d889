//! Plain-text presentation for people: aligned tables without colour or borders (they read the
//! same in a terminal, a file or a pipe), and the progress report as the working group reads it.
//! The `ndrs` commands and the demo walk-through print through these.

use std::fmt::Write as _;

use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

/// A table: a header row and rows, each column as wide as its widest cell, separated by two
/// spaces; no colour, no borders, so it reads the same in a terminal, a file or a pipe.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.zip(widths).enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                let _ = write!(out, "{cell:<width$}  ");
            }
        }
        let _ = writeln!(text, "{}", out.trim_end());
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    text
}

/// `key  value` lines for one record.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}

/// A cycle's state as a word (`open`, `closed`).
pub fn cycle_state(c: &pb::Cycle) -> String {
    pb::CycleState::try_from(c.state)
        .map_or("unknown", |s| s.as_str_name())
        .trim_start_matches("CYCLE_STATE_")
        .to_lowercase()
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn count_row(label: String, c: &pb::ProgressCounts) -> [String; 9] {
    [
        label,
        c.expected.to_string(),
        c.received.to_string(),
        c.late.to_string(),
        c.revised.to_string(),
        c.accepted_with_warnings.to_string(),
        c.refused.to_string(),
        c.outstanding.to_string(),
        percent(c.response_rate),
    ]
}

/// Every breakdown a progress report has, in the order it lists them.
pub const PROGRESS_DIMENSIONS: [&str; 5] =
    ["kind", "stratum", "subject_type", "province", "size_class"];

/// The progress report as a person reads it: the totals, then the breakdowns by `dimensions`
/// (of [`PROGRESS_DIMENSIONS`]), the response rates, the first `outstanding` returns to chase and
/// the receipts per day.
pub fn progress_table(p: &pb::CycleProgress, outstanding: usize, dimensions: &[&str]) -> String {
    let mut text = String::new();
    if let Some(c) = &p.cycle {
        let _ = writeln!(
            text,
            "cycle {}: {}, deadline {}; frame v{}; as of {}",
            p.cycle_year,
            cycle_state(c),
            display(c.deadline.as_ref()),
            p.frame_version,
            display(p.computed_at.as_ref())
        );
    }
    let mut rows = Vec::new();
    if let Some(total) = &p.total {
        rows.push(count_row("all returns".into(), total));
    }
    for cell in p
        .cells
        .iter()
        .filter(|c| dimensions.contains(&c.dimension.as_str()))
    {
        if let Some(c) = &cell.counts {
            rows.push(count_row(format!("{} {}", cell.dimension, cell.value), c));
        }
    }
    text.push_str(&table(
        [
            "",
            "expected",
            "received",
            "late",
            "revised",
            "warned",
            "refused",
            "outstanding",
            "rate",
        ],
        &rows,
    ));
    if let Some(r) = &p.application
        && r.sampled > 0
    {
        let _ = writeln!(
            text,
            "application survey response (AAPOR RR1): {} unweighted, {} weighted, {} of {} sampled units",
            percent(r.unweighted),
            percent(r.weighted),
            r.responded,
            r.sampled
        );
    }
    if !p.unexpected.is_empty() {
        let listed: Vec<String> = p
            .unexpected
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let _ = writeln!(
            text,
            "received from units not in the frame: {}",
            listed.join(", ")
        );
    }
    if !p.outstanding.is_empty() {
        let _ = writeln!(
            text,
            "outstanding ({} of {} listed):",
            outstanding.min(p.outstanding.len()),
            p.outstanding.len()
        );
        let rows: Vec<[String; 6]> = p
            .outstanding
            .iter()
            .take(outstanding)
            .map(|o| {
                [
                    o.reporting_unit_id.clone(),
                    o.return_kind.clone(),
                    o.province_code.clone(),
                    o.contact.clone(),
                    display(o.last_activity.as_ref()),
                    ndrs_core::error::bounded(&o.last_refusal, 80).into_owned(),
                ]
            })
            .collect();
        text.push_str(&table(
            [
                "unit",
                "kind",
                "province",
                "contact",
                "last activity",
                "last refusal",
            ],
            &rows,
        ));
    }
    if !p.receipts_by_day.is_empty() {
        let rows: Vec<[String; 3]> = p
            .receipts_by_day
            .iter()
            .map(|d| {
                [
                    d.date.clone(),
                    d.receipts.to_string(),
                    d.cumulative.to_string(),
                ]
            })
            .collect();
        text.push_str(&table(["day", "receipts", "cumulative"], &rows));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_its_columns_and_keeps_no_trailing_space() {
        let text = table(
            ["unit", "status"],
            &[
                ["carrier-1".into(), "accepted".into()],
                ["c".into(), "refused".into()],
            ],
        );
        assert_eq!(
            text,
            "unit       status\ncarrier-1  accepted\nc          refused\n"
        );
    }
}
