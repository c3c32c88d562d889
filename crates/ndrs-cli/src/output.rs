//! How a command prints its answer: `--output json` is the proto3 JSON mapping of the gRPC
//! answer (what grpcurl prints, and what `load` commands read back), `--output table` a plain
//! text table for people. Results go to stdout only; progress and errors go to stderr.

use std::fmt::Write as _;

use crate::cli::Output;

/// Prints `message` as JSON or as the table `table` renders.
pub fn emit<M>(output: Output, message: &M, table: impl FnOnce(&M) -> String)
where
    M: prost::Message + prost::Name,
{
    match output {
        Output::Json => print_json(&ndrs_proto::json::to_value(message)),
        Output::Table => print!("{}", table(message)),
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

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
