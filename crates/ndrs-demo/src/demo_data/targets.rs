//! The published 2023 figures and the 2023 sample table, as the repository carries them
//! (`crates/ndrs-testkit/data/reference/`, with their source in the README there) and as the
//! binary embeds them: `ndrs demo` runs from any directory, with nothing beside the repository.
//!
//! The generator reads the figures to calibrate its microdata (test data may know its targets; the
//! services never see them), and the reproduction test reads them to judge what the pipeline
//! computed. Both use the same comparison, defined here once: an `eq` figure passes within half a
//! unit of its last published digit (the report's rounding), `gt`/`lt`/`gte` on the stated side,
//! and `approx` within [`APPROX_BAND`] of the published value.
//!
//! [`load`] parses both tables and says what is wrong if they do not parse; the demo calls it
//! before anything else, so the accessors below ([`published`], [`get`], [`sample_count`]) only
//! ever run on tables that parsed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The 2023 report's published indicator table (source: the report, see the data README).
pub const REPORT_INDICATORS_CSV: &str =
    include_str!("../../data/reference/report-2023-indicators.csv");
/// The 2023 report's sample table: reporting units per subject type.
pub const SAMPLE_CSV: &str = include_str!("../../data/reference/sample-2023.csv");

/// Both reference tables, parsed.
#[derive(Debug, Clone)]
pub struct Reference {
    pub published: Vec<Published>,
    pub sample_counts: BTreeMap<String, usize>,
}

/// Parses the embedded reference tables once; an error names the file, the row and the problem.
pub fn load() -> Result<&'static Reference, String> {
    static REFERENCE: OnceLock<Result<Reference, String>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| {
            Ok(Reference {
                published: parse_published(REPORT_INDICATORS_CSV)?,
                sample_counts: parse_sample_counts(SAMPLE_CSV)?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The loaded tables; the demo has called [`load`] first, so this cannot fail there.
fn reference() -> &'static Reference {
    load().unwrap_or_else(|e| panic!("embedded reference data: {e}"))
}

/// Relative band within which an `approx` figure ("about 70%") counts as reproduced: the report
/// rounds such figures to one significant digit in words, so +-5% of the value is a strict
/// reading of "about".
pub const APPROX_BAND: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Gt,
    Lt,
    Gte,
    Approx,
}

impl Comparator {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "eq" => Some(Self::Eq),
            "gt" => Some(Self::Gt),
            "lt" => Some(Self::Lt),
            "gte" => Some(Self::Gte),
            "approx" => Some(Self::Approx),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Gte => "gte",
            Self::Approx => "approx",
        }
    }
}

/// One published figure, in the report's units (ZB, %, ZFLOPS, x, count).
#[derive(Debug, Clone)]
pub struct Published {
    pub id: String,
    pub stage: String,
    pub name_en: String,
    pub value: f64,
    /// The value as printed, whose decimals give the rounding.
    pub value_text: String,
    pub unit: String,
    pub comparator: Comparator,
}

impl Published {
    /// Half a unit of the last published digit.
    pub fn half_unit(&self) -> f64 {
        let decimals = self
            .value_text
            .split_once('.')
            .map_or(0, |(_, d)| d.len() as i32);
        0.5 * 10f64.powi(-decimals)
    }

    /// Factor from the pipeline's units (bytes, FLOPS, ratios) to the report's.
    pub fn report_factor(&self) -> f64 {
        match self.unit.as_str() {
            "ZB" | "ZFLOPS" => 1e-21,
            "%" => 100.0,
            _ => 1.0,
        }
    }

    pub fn to_report_units(&self, native: f64) -> f64 {
        native * self.report_factor()
    }

    /// The published value in the pipeline's units.
    pub fn native(&self) -> f64 {
        self.value / self.report_factor()
    }

    /// Interval of report-unit values that reproduce the figure (open ends as infinities).
    pub fn accepted(&self) -> (f64, f64) {
        let v = self.value;
        match self.comparator {
            Comparator::Eq => (v - self.half_unit(), v + self.half_unit()),
            Comparator::Gt => (v, f64::INFINITY),
            Comparator::Gte => (v, f64::INFINITY),
            Comparator::Lt => (f64::NEG_INFINITY, v),
            Comparator::Approx => (v * (1.0 - APPROX_BAND), v * (1.0 + APPROX_BAND)),
        }
    }

    /// Whether a value in the report's units reproduces the published figure.
    pub fn passes(&self, report_value: f64) -> bool {
        if !report_value.is_finite() {
            return false;
        }
        let (lo, hi) = self.accepted();
        match self.comparator {
            Comparator::Gt | Comparator::Lt => lo < report_value && report_value < hi,
            _ => lo <= report_value && report_value <= hi,
        }
    }

    /// The point the generator aims its microdata at, in the pipeline's units: the published
    /// value for `eq`/`approx`/`gte`, and for a one-sided figure ("over 80%") the published bound
    /// moved by `margin` (report units) to the stated side, since the report gives no point.
    pub fn aim(&self, margin: f64) -> f64 {
        let v = match self.comparator {
            Comparator::Gt => self.value + margin,
            Comparator::Lt => self.value - margin,
            _ => self.value,
        };
        v / self.report_factor()
    }
}

/// Every published figure, in file order.
pub fn published() -> Vec<Published> {
    reference().published.clone()
}

fn parse_published(text: &str) -> Result<Vec<Published>, String> {
    let file = "report-2023-indicators.csv";
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{file}: header: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{file} has no column {name}"))
    };
    let (id, stage, name, value, unit, comparator) = (
        col("id")?,
        col("stage")?,
        col("name_en")?,
        col("value_2023")?,
        col("unit")?,
        col("comparator")?,
    );
    reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.map_err(|e| format!("{file}: row {}: {e}", i + 2))?;
            let field = |c: usize| r.get(c).unwrap_or("").trim().to_string();
            let text = field(value);
            Ok(Published {
                id: field(id),
                stage: field(stage),
                name_en: field(name),
                value: text
                    .parse()
                    .map_err(|_| format!("{file}: {}: bad value {text:?}", field(id)))?,
                value_text: text,
                unit: field(unit),
                comparator: Comparator::parse(&field(comparator)).ok_or_else(|| {
                    format!(
                        "{file}: {}: unknown comparator {:?}",
                        field(id),
                        field(comparator)
                    )
                })?,
            })
        })
        .collect()
}

/// One published figure by id.
///
/// # Panics
/// When the table has no such figure: the generator asks only for figures the report publishes.
pub fn get(id: &str) -> Published {
    reference()
        .published
        .iter()
        .find(|p| p.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("report-2023-indicators.csv has no {id}"))
}

/// Reporting units per subject type in the 2023 sample, keyed `subject_type` or
/// `subject_type/subtype` when the sample splits a type (data service providers).
pub fn sample_counts() -> BTreeMap<String, usize> {
    reference().sample_counts.clone()
}

fn parse_sample_counts(text: &str) -> Result<BTreeMap<String, usize>, String> {
    let file = "sample-2023.csv";
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = BTreeMap::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.map_err(|e| format!("{file}: row {}: {e}", i + 2))?;
        let field = |c: usize| r.get(c).unwrap_or("").trim().to_string();
        let subject = field(1);
        let subtype = field(2);
        let key = if subject == "data_service_provider" {
            format!("{subject}/{subtype}")
        } else {
            subject
        };
        let n: usize = field(3)
            .parse()
            .map_err(|_| format!("{file}: {key}: bad count {:?}", field(3)))?;
        out.insert(key, n);
    }
    Ok(out)
}

/// Count of one subject type in the 2023 sample.
///
/// # Panics
/// When the sample table has no such subject type (see [`get`]).
pub fn sample_count(key: &str) -> usize {
    *reference()
        .sample_counts
        .get(key)
        .unwrap_or_else(|| panic!("sample-2023.csv has no {key}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tables_are_errors_naming_the_problem() {
        let header = "id,stage,name_zh,name_en,value_2023,unit,comparator\n";
        let bad_value = format!("{header}P01,production,x,x,lots,ZB,eq\n");
        assert!(
            parse_published(&bad_value)
                .unwrap_err()
                .contains("P01: bad value")
        );
        let bad_comparator = format!("{header}P01,production,x,x,1.0,ZB,about\n");
        assert!(
            parse_published(&bad_comparator)
                .unwrap_err()
                .contains("unknown comparator")
        );
        assert!(
            parse_published("id,stage\n")
                .unwrap_err()
                .contains("no column")
        );
        let bad_count = "group,subject_type,subtype,count_2023\ng,compute_centre,,many\n";
        assert!(
            parse_sample_counts(bad_count)
                .unwrap_err()
                .contains("bad count")
        );
        assert!(load().is_ok());
    }

    #[test]
    fn rounding_and_sides() {
        let p01 = get("P01");
        assert_eq!(p01.half_unit(), 0.005);
        assert!(p01.passes(32.854) && !p01.passes(32.856));
        let a12 = get("A12");
        assert!(a12.passes(80.5) && !a12.passes(80.0));
        assert!((a12.aim(5.0) - 0.85).abs() < 1e-12);
        assert_eq!(sample_count("compute_centre"), 2200);
        assert_eq!(sample_count("data_service_provider/platform"), 354);
    }
}
