//! Benchmarks as they are added, from an `AddBenchmarks` request or the seed file, and the checks
//! every one passes before the registry takes it: a benchmark that cannot be judged (unknown
//! unit, no catalogue figure to compare with, no tolerance) would only fail stage 2 later.

use ndrs_core::catalogue::Catalogue;
use ndrs_core::limits::{MAX_LINE_CHARS, MAX_NOTE_CHARS};
use ndrs_core::units::Unit;
use ndrs_core::{Error, FieldViolation, Result, Violations};
use ndrs_proto::v1 as pb;

use super::MAX_BENCHMARKS_PER_ADDITION;

/// The longest unit text of a benchmark ("billion CNY" is the longest the registry knows).
const MAX_UNIT_CHARS: usize = 32;

crate::codes::coded_enum! {
    /// How comparable an outside figure is with ours.
    pub enum Comparability => pb::Comparability, unspecified Unspecified {
        SameDefinition = "same_definition",
        GrowthOnly = "growth_only",
        DifferentScope = "different_scope",
    }
}

/// The base unit and the factor to it of a unit as publishers print it. Volumes use decimal
/// prefixes (1 ZB = 10^21 bytes), as the survey does by default.
pub fn parse_unit(unit: &str) -> Option<(Unit, f64)> {
    Some(match unit.trim() {
        "ZB" => (Unit::Bytes, 1e21),
        "EB" => (Unit::Bytes, 1e18),
        "PB" => (Unit::Bytes, 1e15),
        "TB" => (Unit::Bytes, 1e12),
        "billion GB" => (Unit::Bytes, 1e18),
        "bytes" => (Unit::Bytes, 1.0),
        "ZFLOPS" => (Unit::Flops, 1e21),
        "EFLOPS" => (Unit::Flops, 1e18),
        "PFLOPS" => (Unit::Flops, 1e15),
        "FLOPS" => (Unit::Flops, 1.0),
        "%" => (Unit::Ratio, 0.01),
        "ratio" => (Unit::Ratio, 1.0),
        "count" => (Unit::Count, 1.0),
        "billion CNY" => (Unit::Yuan, 1e9),
        "CNY" => (Unit::Yuan, 1.0),
        _ => return None,
    })
}

/// A benchmark as added, before it has an id and a registry version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBenchmark {
    pub publisher: String,
    pub indicator: String,
    pub scope: String,
    pub year: i32,
    pub value: f64,
    pub unit: String,
    pub comparable_to: String,
    pub comparability: Comparability,
    pub tolerance: f64,
    pub note: String,
}

/// Two benchmarks with the same key describe the same outside figure: the registry holds one.
pub(super) type BenchmarkKey = (String, String, String, i32, String);

impl NewBenchmark {
    /// Publisher, indicator, scope, year and the catalogue figure it is compared with, trimmed and
    /// case-folded so that "CAICT" and "caict " are the same publisher.
    pub(super) fn key(&self) -> BenchmarkKey {
        benchmark_key(
            &self.publisher,
            &self.indicator,
            &self.scope,
            self.year,
            &self.comparable_to,
        )
    }
}

pub(super) fn benchmark_key(
    publisher: &str,
    indicator: &str,
    scope: &str,
    year: i32,
    comparable_to: &str,
) -> BenchmarkKey {
    let fold = |s: &str| s.trim().to_lowercase();
    (
        fold(publisher),
        fold(indicator),
        fold(scope),
        year,
        comparable_to.trim().to_string(),
    )
}

/// Checks one benchmark, pushing a violation per bad field under `prefix` (`benchmarks[2]`).
fn check_benchmark(b: &NewBenchmark, prefix: &str, v: &mut Vec<FieldViolation>) {
    let mut texts = Violations::new();
    texts.line(
        &format!("{prefix}.publisher"),
        &b.publisher,
        MAX_LINE_CHARS,
        true,
    );
    texts.line(
        &format!("{prefix}.indicator"),
        &b.indicator,
        MAX_LINE_CHARS,
        true,
    );
    texts.line(&format!("{prefix}.scope"), &b.scope, MAX_LINE_CHARS, false);
    texts.line(&format!("{prefix}.unit"), &b.unit, MAX_UNIT_CHARS, true);
    texts.note(&format!("{prefix}.note"), &b.note, MAX_NOTE_CHARS, false);
    if let Err(e) = texts.finish(()) {
        v.extend(e.field_violations().iter().cloned());
    }
    let mut bad = |field: &str, why: String| {
        v.push(FieldViolation::new(format!("{prefix}.{field}"), why));
    };
    if !(1990..=2100).contains(&b.year) {
        bad("year", "must be between 1990 and 2100".into());
    }
    if !b.value.is_finite() || b.value <= 0.0 {
        bad("value", "must be a finite positive number".into());
    }
    if !b.tolerance.is_finite() || b.tolerance < 0.0 {
        bad("tolerance", "must be finite and not negative".into());
    }
    let unit = parse_unit(&b.unit);
    if unit.is_none() {
        bad(
            "unit",
            format!(
                "unknown unit {:?}; use ZB, EB, PB, TB, billion GB, ZFLOPS, EFLOPS, PFLOPS, %, count or billion CNY",
                b.unit
            ),
        );
    }
    match Catalogue::embedded().get(&b.comparable_to) {
        None => bad(
            "comparable_to",
            format!("{:?} is not an indicator of the catalogue", b.comparable_to),
        ),
        Some(indicator) => {
            if b.comparability != Comparability::DifferentScope
                && let Some((unit, _)) = unit
                && unit != indicator.unit
            {
                bad(
                    "unit",
                    format!(
                        "{} is measured in {}, the benchmark in {}; only a different-scope benchmark may differ",
                        indicator.id, indicator.unit, unit
                    ),
                );
            }
            if b.comparability == Comparability::GrowthOnly
                && growth_indicator(&indicator.id).is_none()
            {
                bad(
                    "comparability",
                    format!("{} has no growth indicator to compare with", indicator.id),
                );
            }
        }
    }
    if b.comparability != Comparability::DifferentScope && b.tolerance == 0.0 {
        bad(
            "tolerance",
            "a judged benchmark needs a tolerance band above 0".into(),
        );
    }
}

/// Converts requested benchmarks, naming every bad field.
pub fn benchmarks_from_proto(benchmarks: Vec<pb::Benchmark>) -> Result<Vec<NewBenchmark>> {
    let mut violations = Vec::new();
    if benchmarks.is_empty() {
        violations.push(FieldViolation::new("benchmarks", "add at least one"));
    }
    if benchmarks.len() > MAX_BENCHMARKS_PER_ADDITION {
        return Err(Error::invalid(
            "benchmarks",
            format!(
                "holds {} benchmarks; at most {MAX_BENCHMARKS_PER_ADDITION} are added at once",
                benchmarks.len()
            ),
        ));
    }
    let mut keys = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for (i, b) in benchmarks.into_iter().enumerate() {
        let pb::Benchmark {
            benchmark_id,
            publisher,
            indicator,
            scope,
            year,
            value,
            unit,
            comparable_to,
            comparability,
            tolerance,
            note,
            registry_version,
        } = b;
        let prefix = format!("benchmarks[{i}]");
        if !benchmark_id.is_empty() || registry_version != 0 {
            violations.push(FieldViolation::new(
                format!("{prefix}.benchmark_id"),
                "ids and registry versions are assigned by the registry",
            ));
        }
        let comparability = Comparability::from_proto(comparability).unwrap_or_else(|| {
            violations.push(FieldViolation::new(
                format!("{prefix}.comparability"),
                "must be same_definition, growth_only or different_scope",
            ));
            Comparability::DifferentScope
        });
        let new = NewBenchmark {
            publisher,
            indicator,
            scope,
            year,
            value,
            unit,
            comparable_to,
            comparability,
            tolerance,
            note,
        };
        check_benchmark(&new, &prefix, &mut violations);
        if let Some(first) = keys.insert(new.key(), i) {
            violations.push(FieldViolation::new(
                prefix.clone(),
                format!("repeats benchmarks[{first}] (same publisher, indicator, scope, year and figure)"),
            ));
        }
        out.push(new);
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

/// Parses the seed file.
pub fn parse_seed(text: &str) -> Result<Vec<NewBenchmark>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut violations = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let r = record.map_err(|e| Error::Internal(format!("benchmark seed unreadable: {e}")))?;
        let field = |n: usize| r.get(n).unwrap_or("").trim().to_string();
        let number = |n: usize| field(n).parse::<f64>().unwrap_or(f64::NAN);
        let b = NewBenchmark {
            publisher: field(0),
            indicator: field(1),
            scope: field(2),
            year: field(3).parse().unwrap_or(0),
            value: number(4),
            unit: field(5),
            comparable_to: field(6),
            comparability: Comparability::from_code(&field(7))
                .unwrap_or(Comparability::DifferentScope),
            tolerance: number(8),
            note: field(9),
        };
        if Comparability::from_code(&field(7)).is_none() {
            violations.push(FieldViolation::new(
                format!("row {}.comparability", i + 2),
                "unknown",
            ));
        }
        check_benchmark(&b, &format!("row {}", i + 2), &mut violations);
        out.push(b);
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(Error::Internal(format!(
            "benchmark seed invalid: {}",
            violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}

/// The catalogue's growth indicator of `id` (`P02` for `P01`): the one defined as
/// `id(year)/id(year-1)-1`.
pub fn growth_indicator(id: &str) -> Option<String> {
    let definition = format!("{id}(year)/{id}(year-1)-1");
    Catalogue::embedded()
        .iter()
        .find(|i| i.definition.replace(' ', "") == definition)
        .map(|i| i.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmarks::SEED_CSV;

    #[test]
    fn the_seed_parses_and_names_catalogue_indicators() {
        let seed = parse_seed(SEED_CSV).unwrap();
        assert_eq!(seed.len(), 10);
        assert!(seed.iter().all(|b| !b.comparable_to.is_empty()));
    }

    #[test]
    fn bad_benchmarks_name_every_field() {
        let err = benchmarks_from_proto(vec![pb::Benchmark {
            publisher: "X".into(),
            indicator: "Y".into(),
            year: 2023,
            value: f64::NAN,
            unit: "ZB".into(),
            comparable_to: "C02".into(),
            comparability: pb::Comparability::SameDefinition as i32,
            tolerance: -1.0,
            ..Default::default()
        }])
        .unwrap_err();
        let fields: Vec<_> = err
            .field_violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert!(fields.contains(&"benchmarks[0].value"), "{fields:?}");
        assert!(fields.contains(&"benchmarks[0].tolerance"), "{fields:?}");
        // ZB against a FLOPS indicator.
        assert!(fields.contains(&"benchmarks[0].unit"), "{fields:?}");
    }
}
