//! The published 2023 figures (`reference/report-2023-indicators.csv`) and the 2023 sample
//! (`reference/sample-2023.csv`), read once at run time from [`reference_dir`].
//!
//! At run time, not compile time: `ndrs-testkit` is linked into the `ndrs` binary (for `ndrs demo`),
//! whose container build sees only the repository, and the published figures have no business
//! inside a shipped binary (the services never read them).
//!
//! The generator reads the figures to calibrate its microdata (test data may know its targets; the
//! services never see them), and the reproduction test reads them to judge what the pipeline
//! computed. Both use the same comparison, defined here once: an `eq` figure passes within half a
//! unit of its last published digit (the report's rounding), `gt`/`lt`/`gte` on the stated side,
//! and `approx` within [`APPROX_BAND`] of the published value.

use std::collections::BTreeMap;

use std::path::PathBuf;
use std::sync::OnceLock;

/// Environment variable naming the directory of the reference files.
pub const REFERENCE_DIR_VAR: &str = "NDRS_REFERENCE_DIR";

/// Where the reference files are: `NDRS_REFERENCE_DIR`, else `../shared/reference` next to the
/// repository (where the project keeps them, and where `ndrs-core`'s tests read them too).
pub fn reference_dir() -> PathBuf {
    std::env::var_os(REFERENCE_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/reference"
            ))
        })
}

/// Reads one reference file; the demo dataset cannot be calibrated without it.
fn read_reference(name: &str) -> String {
    let path = reference_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the demo dataset needs {} ({e}); set {REFERENCE_DIR_VAR} to the reference directory",
            path.display()
        )
    })
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
    fn parse(s: &str) -> Self {
        match s {
            "eq" => Self::Eq,
            "gt" => Self::Gt,
            "lt" => Self::Lt,
            "gte" => Self::Gte,
            "approx" => Self::Approx,
            other => panic!("report-2023-indicators.csv: unknown comparator {other:?}"),
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
///
/// # Panics
/// When the reference file is missing or malformed (see [`reference_dir`]).
pub fn published() -> Vec<Published> {
    static PUBLISHED: OnceLock<Vec<Published>> = OnceLock::new();
    PUBLISHED.get_or_init(parse_published).clone()
}

fn parse_published() -> Vec<Published> {
    let text = read_reference("report-2023-indicators.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("indicator csv header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("report-2023-indicators.csv has no column {name}"))
    };
    let (id, stage, name, value, unit, comparator) = (
        col("id"),
        col("stage"),
        col("name_en"),
        col("value_2023"),
        col("unit"),
        col("comparator"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("indicator csv record");
            let text = r[value].trim().to_string();
            Published {
                id: r[id].to_string(),
                stage: r[stage].to_string(),
                name_en: r[name].to_string(),
                value: text
                    .parse()
                    .unwrap_or_else(|_| panic!("{}: bad value {text:?}", &r[id])),
                value_text: text,
                unit: r[unit].to_string(),
                comparator: Comparator::parse(&r[comparator]),
            }
        })
        .collect()
}

/// One published figure by id.
pub fn get(id: &str) -> Published {
    published()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("report-2023-indicators.csv has no {id}"))
}

/// Reporting units per subject type in the 2023 sample, keyed `subject_type` or
/// `subject_type/subtype` when the sample splits a type (data service providers).
///
/// # Panics
/// When the reference file is missing or malformed (see [`reference_dir`]).
pub fn sample_counts() -> BTreeMap<String, usize> {
    static COUNTS: OnceLock<BTreeMap<String, usize>> = OnceLock::new();
    COUNTS.get_or_init(parse_sample_counts).clone()
}

fn parse_sample_counts() -> BTreeMap<String, usize> {
    let text = read_reference("sample-2023.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = BTreeMap::new();
    for r in reader.records() {
        let r = r.expect("sample csv record");
        let subject = r[1].to_string();
        let subtype = r[2].to_string();
        let key = if subject == "data_service_provider" {
            format!("{subject}/{subtype}")
        } else {
            subject
        };
        let n: usize = r[3].trim().parse().expect("sample count");
        out.insert(key, n);
    }
    out
}

/// Count of one subject type in the 2023 sample.
pub fn sample_count(key: &str) -> usize {
    *sample_counts()
        .get(key)
        .unwrap_or_else(|| panic!("sample-2023.csv has no {key}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
