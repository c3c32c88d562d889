//! The comparison of a candidate with the benchmarks of its cycle year: pure, so a report can be
//! recomputed from the candidate and the registry version it names (see the module docs of
//! [`benchmarks`](crate::benchmarks) for how each comparability is judged).

use ndrs_proto::v1 as pb;

use super::input::{Comparability, growth_indicator, parse_unit};

/// The status name of an outcome, for reasons.
pub(super) fn outcome_name(o: pb::BenchmarkOutcome) -> &'static str {
    match o {
        pb::BenchmarkOutcome::OutOfBand => "is outside its tolerance band",
        pb::BenchmarkOutcome::MissingInputs => "could not be compared (figure missing)",
        _ => "",
    }
}

pub(super) fn needs_justification(outcome: i32) -> bool {
    outcome == pb::BenchmarkOutcome::OutOfBand as i32
        || outcome == pb::BenchmarkOutcome::MissingInputs as i32
}

/// The candidate's national figure `id`, if any.
fn national<'a>(candidate: &'a pb::Candidate, id: &str) -> Option<&'a pb::Figure> {
    candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .find(|f| f.id == id && f.dimensions.is_empty())
}

/// Compares a candidate with every benchmark of its cycle year (pure; see the module docs).
pub fn compare(
    candidate: &pb::Candidate,
    benchmarks: &[pb::Benchmark],
) -> Vec<pb::BenchmarkComparison> {
    let mut out = Vec::new();
    for b in benchmarks.iter().filter(|b| b.year == candidate.cycle_year) {
        let Some(comparability) = Comparability::from_proto(b.comparability) else {
            continue;
        };
        let factor = parse_unit(&b.unit).map_or(f64::NAN, |(_, f)| f);
        let mut c = pb::BenchmarkComparison {
            benchmark_id: b.benchmark_id.clone(),
            figure_id: b.comparable_to.clone(),
            comparability: b.comparability,
            candidate_value: f64::NAN,
            benchmark_value: b.value * factor,
            deviation: f64::NAN,
            tolerance: b.tolerance,
            outcome: pb::BenchmarkOutcome::Unspecified as i32,
            detail: String::new(),
        };
        match comparability {
            Comparability::DifferentScope => {
                if let Some(f) = national(candidate, &b.comparable_to) {
                    c.candidate_value = f.value;
                    if c.benchmark_value != 0.0 {
                        c.deviation = (f.value - c.benchmark_value) / c.benchmark_value;
                    }
                }
                c.outcome = pb::BenchmarkOutcome::NotJudged as i32;
                c.detail = format!("different scope ({}): reported, not judged", b.scope);
            }
            Comparability::SameDefinition => match national(candidate, &b.comparable_to) {
                Some(f) => {
                    c.candidate_value = f.value;
                    c.deviation = (f.value - c.benchmark_value) / c.benchmark_value;
                    c.outcome = judge(c.deviation, b.tolerance);
                    c.detail = "relative deviation from the benchmark".into();
                }
                None => {
                    c.outcome = pb::BenchmarkOutcome::MissingInputs as i32;
                    c.detail = format!("candidate has no national {}", b.comparable_to);
                }
            },
            Comparability::GrowthOnly => {
                let growth_id = growth_indicator(&b.comparable_to).unwrap_or_default();
                c.figure_id = growth_id.clone();
                let previous = benchmarks.iter().find(|p| {
                    p.year == b.year - 1
                        && p.publisher == b.publisher
                        && p.indicator == b.indicator
                        && p.comparable_to == b.comparable_to
                });
                let ours = national(candidate, &growth_id);
                match (previous, ours) {
                    (Some(p), Some(f)) => {
                        let p_value = p.value * parse_unit(&p.unit).map_or(f64::NAN, |(_, f)| f);
                        c.benchmark_value = c.benchmark_value / p_value - 1.0;
                        c.candidate_value = f.value;
                        c.deviation = f.value - c.benchmark_value;
                        c.outcome = judge(c.deviation, b.tolerance);
                        c.detail = format!(
                            "growth over {} ({}) against {growth_id}, difference in growth",
                            p.year, p.benchmark_id
                        );
                    }
                    (None, _) => {
                        c.outcome = pb::BenchmarkOutcome::MissingInputs as i32;
                        c.detail = format!(
                            "the registry has no {} figure of {} for {}",
                            b.publisher,
                            b.indicator,
                            b.year - 1
                        );
                    }
                    (_, None) => {
                        c.outcome = pb::BenchmarkOutcome::MissingInputs as i32;
                        c.detail = format!("candidate has no national {growth_id}");
                    }
                }
            }
        }
        out.push(c);
    }
    out
}

fn judge(deviation: f64, tolerance: f64) -> i32 {
    if deviation.is_finite() && deviation.abs() <= tolerance {
        pb::BenchmarkOutcome::WithinBand as i32
    } else {
        pb::BenchmarkOutcome::OutOfBand as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmarks::{SEED_CSV, parse_seed};

    fn candidate(figures: &[(&str, f64)]) -> pb::Candidate {
        pb::Candidate {
            cycle_year: 2022,
            stages: vec![pb::StageResult {
                figures: figures
                    .iter()
                    .map(|(id, value)| pb::Figure {
                        id: id.to_string(),
                        value: *value,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn seeded() -> Vec<pb::Benchmark> {
        parse_seed(SEED_CSV)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, b)| pb::Benchmark {
                benchmark_id: format!("b001-{:03}", i + 1),
                publisher: b.publisher,
                indicator: b.indicator,
                scope: b.scope,
                year: b.year,
                value: b.value,
                unit: b.unit,
                comparable_to: b.comparable_to,
                comparability: b.comparability.to_proto() as i32,
                tolerance: b.tolerance,
                note: b.note,
                registry_version: 1,
            })
            .collect()
    }

    #[test]
    fn growth_is_found_by_definition() {
        assert_eq!(growth_indicator("P01").as_deref(), Some("P02"));
        assert_eq!(growth_indicator("C02").as_deref(), Some("C03"));
        assert_eq!(growth_indicator("P04"), None);
    }

    #[test]
    fn growth_only_benchmarks_compare_growth_not_levels() {
        // CAC: 8.1 / 6.6 - 1 = 22.7 %. A survey level four times CAC's must not matter.
        let within = compare(&candidate(&[("P01", 32.4e21), ("P02", 0.22)]), &seeded());
        let cac = within
            .iter()
            .find(|c| c.comparability == pb::Comparability::GrowthOnly as i32)
            .unwrap();
        assert_eq!(cac.figure_id, "P02");
        assert!((cac.benchmark_value - (8.1 / 6.6 - 1.0)).abs() < 1e-12);
        assert_eq!(cac.outcome, pb::BenchmarkOutcome::WithinBand as i32);
        let outside = compare(&candidate(&[("P02", 0.40)]), &seeded());
        let cac = outside
            .iter()
            .find(|c| c.comparability == pb::Comparability::GrowthOnly as i32)
            .unwrap();
        assert_eq!(cac.outcome, pb::BenchmarkOutcome::OutOfBand as i32);
    }

    #[test]
    fn same_definition_is_judged_on_the_relative_deviation() {
        // CAICT 2022: 180 EFLOPS, band 15 %.
        let near = compare(&candidate(&[("C02", 200e18)]), &seeded());
        let caict = near
            .iter()
            .find(|c| c.comparability == pb::Comparability::SameDefinition as i32)
            .unwrap();
        assert_eq!(caict.outcome, pb::BenchmarkOutcome::WithinBand as i32);
        let far = compare(&candidate(&[("C02", 300e18)]), &seeded());
        let caict = far
            .iter()
            .find(|c| c.comparability == pb::Comparability::SameDefinition as i32)
            .unwrap();
        assert_eq!(caict.outcome, pb::BenchmarkOutcome::OutOfBand as i32);
        let missing = compare(&candidate(&[]), &seeded());
        assert!(
            missing
                .iter()
                .any(|c| c.outcome == pb::BenchmarkOutcome::MissingInputs as i32)
        );
    }
}
