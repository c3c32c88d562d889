//! Request files: a message in the proto3 JSON mapping (`.json`, what grpcurl and every protobuf
//! library read and write) or the same fields in TOML (`.toml`, easier to write by hand), and
//! files of many messages, one JSON object per line (`.jsonl`).
//!
//! Every file has a size limit, and every mistake is an invalid-argument error that names the
//! file (and the line) and says what is wrong, bounded in length.

use std::path::Path;

use ndrs_core::error::bounded;
use ndrs_core::{Error, Result};

/// Most bytes a request file may hold: far above a census-size register (2,200 centres are a few
/// hundred KiB), far below what would exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Longest error text echoed from a parser.
const MAX_ERROR_CHARS: usize = 400;

/// How a file's content is written, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    JsonLines,
    Csv,
}

impl Format {
    /// The format a path's extension names; JSON when it names none this knows.
    pub fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Format::Toml,
            Some("jsonl" | "ndjson") => Format::JsonLines,
            Some("csv") => Format::Csv,
            _ => Format::Json,
        }
    }
}

fn invalid(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::invalid(
        bounded(&path.display().to_string(), 200),
        bounded(&what.to_string(), MAX_ERROR_CHARS),
    )
}

/// A file's text, refused when it is larger than [`MAX_FILE_BYTES`] or not UTF-8.
pub fn read_text(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path)
        .map_err(|e| invalid(path, format!("cannot read: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(invalid(
            path,
            format!("{size} bytes; a request file holds at most {MAX_FILE_BYTES}"),
        ));
    }
    std::fs::read_to_string(path).map_err(|e| invalid(path, format!("cannot read: {e}")))
}

/// The JSON value of a TOML or JSON text.
fn value_of(text: &str, format: Format) -> std::result::Result<serde_json::Value, String> {
    match format {
        Format::Toml => toml::from_str(text).map_err(|e| e.to_string()),
        _ => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}

/// One message read from a file in JSON or TOML (by its extension).
pub fn read_message<M>(path: &Path) -> Result<M>
where
    M: prost::Message + prost::Name + Default,
{
    let text = read_text(path)?;
    let format = match Format::of(path) {
        Format::Toml => Format::Toml,
        _ => Format::Json,
    };
    let value = value_of(&text, format).map_err(|e| invalid(path, e))?;
    message_of(&value).map_err(|e| invalid(path, e))
}

/// A message from its JSON value, as the proto3 JSON mapping reads it.
pub fn message_of<M>(value: &serde_json::Value) -> std::result::Result<M, String>
where
    M: prost::Message + prost::Name + Default,
{
    ndrs_proto::json::from_value(value)
}

/// The JSON objects of a JSON-lines file with their line numbers (from 1); blank lines and lines
/// starting with `#` are skipped. A line that is not JSON is an error naming it.
pub fn read_lines(path: &Path) -> Result<Vec<(usize, serde_json::Value)>> {
    let text = read_text(path)?;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let value = serde_json::from_str(line)
            .map_err(|e| invalid(path, format!("line {}: {e}", index + 1)))?;
        lines.push((index + 1, value));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndrs_proto::v1 as pb;

    fn file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn toml_and_json_files_read_into_the_same_message() {
        let (_a, toml) = file(
            "b.toml",
            "note = \"sourced\"\n[[benchmarks]]\npublisher = \"CAICT\"\nvalue = 1.5\n\
             comparability = \"COMPARABILITY_SAME_DEFINITION\"\n",
        );
        let (_b, json) = file(
            "b.json",
            r#"{"note": "sourced", "benchmarks": [{"publisher": "CAICT", "value": 1.5,
                "comparability": "COMPARABILITY_SAME_DEFINITION"}]}"#,
        );
        let from_toml: pb::AddBenchmarksRequest = read_message(&toml).unwrap();
        let from_json: pb::AddBenchmarksRequest = read_message(&json).unwrap();
        assert_eq!(from_toml, from_json);
        assert_eq!(from_toml.benchmarks[0].publisher, "CAICT");
    }

    #[test]
    fn a_misspelt_field_is_an_error_naming_the_file_and_the_field() {
        let (_d, path) = file("r.json", r#"{"note": "x", "benchmark": []}"#);
        let error = read_message::<pb::AddBenchmarksRequest>(&path).unwrap_err();
        let violation = &error.field_violations()[0];
        assert!(violation.field.ends_with("r.json"), "{violation:?}");
        assert!(violation.description.contains("benchmark"), "{violation:?}");
    }

    #[test]
    fn a_line_that_is_not_json_is_named_by_its_number() {
        let (_d, path) = file("s.jsonl", "# returns\n{\"a\": 1}\n\n{oops\n");
        let error = read_lines(&path).unwrap_err();
        assert!(error.to_string().contains("line 4"), "{error}");
    }
}
