//! The census estimator on small registers whose answers are known by hand.

use super::*;
use crate::domain::Precision;
use crate::registry::RegisteredCentre;

fn stored(unit: &str, n: u32) -> StoredReturn {
    StoredReturn {
        id: i64::from(n),
        return_id: format!("r-{unit}"),
        version: 1,
        return_kind: "compute_centre".into(),
        cycle_year: 2023,
        reporting_unit_id: unit.into(),
        idempotency_key: "k".into(),
        content_hash: "h".into(),
        payload_json: "{}".into(),
        findings_json: "[]".into(),
        submitted_by: "t".into(),
        received_at: "2024-01-01T00:00:00Z".into(),
    }
}

fn centre_return(t: CentreType, province: &str, flops: f64) -> CentreReturn {
    CentreReturn {
        centre_type: t,
        province_code: province.into(),
        capacity_flops: [(Precision::Fp32, flops)].into_iter().collect(),
        storage_capacity_bytes: (flops / 1e9) as u64,
        storage_used_bytes: (flops / 2e9) as u64,
        cloud_storage_bytes: 0,
        average_utilisation: 0.5,
        racks: 0,
        power_capacity_kw: 0.0,
        questionnaire_version: String::new(),
        answers: Default::default(),
    }
}

fn registered(id: &str, t: CentreType, province: &str, power: f64) -> RegisteredCentre {
    RegisteredCentre {
        centre_id: id.into(),
        centre_type: t,
        province_code: province.into(),
        operator_name: "op".into(),
        racks: 10,
        power_capacity_kw: power,
    }
}

fn registry(centres: Vec<RegisteredCentre>) -> Registry {
    let mut centres = centres;
    centres.sort_by(|a, b| a.centre_id.cmp(&b.centre_id));
    Registry {
        cycle_year: 2023,
        version: 1,
        content_hash: "h".into(),
        loaded_at: "t".into(),
        loaded_by: "o".into(),
        centres,
    }
}

/// One centre of a test cycle: its register entry (id, type, province, power in kW) and the FP32
/// capacity it reported, if it responded.
type Centre = (&'static str, CentreType, &'static str, f64, Option<f64>);

/// The register of `centres` and the returns of those that responded, numbered in order.
fn census(centres: &[Centre]) -> (Registry, Vec<(StoredReturn, CentreReturn)>) {
    let reg = registry(
        centres
            .iter()
            .map(|&(id, t, province, power, _)| registered(id, t, province, power))
            .collect(),
    );
    let returns = centres
        .iter()
        .filter_map(|&(id, t, province, _, flops)| Some((id, centre_return(t, province, flops?))))
        .zip(1..)
        .map(|((id, centre), n)| (stored(id, n), centre))
        .collect();
    (reg, returns)
}

fn value(figures: &[pb::Figure], id: &str) -> f64 {
    figures
        .iter()
        .find(|f| f.id == id && f.dimensions.is_empty())
        .unwrap_or_else(|| panic!("{id}"))
        .value
}

/// Four registered centres: intelligent a (100 kW), b (300 kW), c (250 kW) in the east, general d
/// (50 kW) in the west; a, b and d respond, exactly 1e15 FLOPS per kW among the intelligent ones,
/// so c is imputed at 2.5e17.
fn east_and_west() -> (Registry, Vec<(StoredReturn, CentreReturn)>) {
    census(&[
        ("a", CentreType::Intelligent, "11", 100.0, Some(1.0e17)),
        ("b", CentreType::Intelligent, "31", 300.0, Some(3.0e17)),
        ("c", CentreType::Intelligent, "44", 250.0, None),
        ("d", CentreType::General, "52", 50.0, Some(9.0e16)),
    ])
}

/// The figures of one cycle over `reg` and `returns`, without a previous cycle.
fn national(reg: &Registry, returns: &[(StoredReturn, CentreReturn)]) -> Vec<pb::Figure> {
    figures(
        CycleInputs {
            registry: Some(reg),
            returns,
        },
        None,
    )
}

#[test]
fn breakdown_cells_count_respondents_and_their_largest_share() {
    // East: a (1e17) and b (3e17) respond, c (imputed 2.5e17) does not; west: d alone.
    let (reg, returns) = east_and_west();
    let figs = national(&reg, &returns);
    let cell = |dim: &str, code: &str| {
        figs.iter()
            .find(|f| {
                f.id == "compute.capacity_share"
                    && f.dimensions.get(dim).map(String::as_str) == Some(code)
            })
            .and_then(|f| f.lineage.clone())
            .unwrap_or_else(|| panic!("no cell {dim}={code}"))
    };
    let east = cell("macro_region", "east");
    assert_eq!(east.reporters, 2, "the imputed centre is not a reporter");
    assert!((east.largest_share - 3.0e17 / 6.5e17).abs() < 1e-12);
    let guizhou = cell("province", "52");
    assert_eq!(guizhou.reporters, 1);
    assert_eq!(guizhou.largest_share, 1.0);
}

#[test]
fn a_non_respondent_recovers_its_value_when_auxiliaries_are_exact() {
    // Capacity is exactly 1e15 FLOPS per kW within the class (intelligent, east).
    let (reg, returns) = east_and_west();
    let units = census_units(Some(&reg), &returns);
    let c = units.iter().find(|u| u.centre_id == "c").unwrap();
    assert!(c.imputed);
    assert!(
        (c.values.fp32_flops - 2.5e17).abs() < 1.0,
        "{}",
        c.values.fp32_flops
    );
    let figs = national(&reg, &returns);
    assert_eq!(value(&figs, "C01"), 4.0);
    let c02 = figs.iter().find(|f| f.id == "C02").unwrap();
    assert!((c02.value - (1.0e17 + 3.0e17 + 2.5e17 + 9.0e16)).abs() < 10.0);
    let share = c02.lineage.as_ref().unwrap().imputed_share;
    assert!((share - 2.5e17 / 7.4e17).abs() < 1e-12, "{share}");
}

#[test]
fn a_class_without_respondents_falls_back_to_its_type() {
    let (reg, returns) = census(&[
        ("a", CentreType::General, "11", 100.0, Some(1.0e17)),
        ("z", CentreType::General, "62", 200.0, None),
    ]);
    let units = census_units(Some(&reg), &returns);
    let z = units.iter().find(|u| u.centre_id == "z").unwrap();
    assert!(z.imputed);
    assert!((z.values.fp32_flops - 2.0e17).abs() < 1.0);
}

#[test]
fn growth_on_the_full_population_and_on_the_matched_panel() {
    let (mut prev_reg, prev_returns) = census(&[
        ("a", CentreType::General, "11", 100.0, Some(1.0e17)),
        ("b", CentreType::General, "11", 100.0, None),
    ]);
    prev_reg.cycle_year = 2022;
    let (reg, returns) = census(&[
        ("a", CentreType::General, "11", 100.0, Some(1.2e17)),
        ("b", CentreType::General, "11", 100.0, Some(2.0e17)),
    ]);
    let figs = figures(
        CycleInputs {
            registry: Some(&reg),
            returns: &returns,
        },
        Some(CycleInputs {
            registry: Some(&prev_reg),
            returns: &prev_returns,
        }),
    );
    // 2022: a = 1e17 observed, b imputed at the same ratio = 1e17; 2023: 3.2e17.
    assert!((value(&figs, "C03") - 0.6).abs() < 1e-12);
    // Only a responded in both years: 1.2e17 / 1.0e17 - 1.
    assert!((value(&figs, "compute.capacity_growth_matched_panel") - 0.2).abs() < 1e-12);
}

#[test]
fn breakdown_shares_sum_to_one() {
    let (reg, returns) = census(&[
        ("a", CentreType::General, "11", 100.0, Some(1.0e17)),
        ("b", CentreType::Intelligent, "31", 100.0, Some(3.0e17)),
        ("c", CentreType::Supercomputing, "62", 100.0, Some(5.0e16)),
        ("d", CentreType::General, "21", 40.0, None),
    ]);
    let figs = national(&reg, &returns);
    for dim in ["province", "macro_region"] {
        let sum: f64 = figs
            .iter()
            .filter(|f| f.id == "compute.capacity_share" && f.dimensions.contains_key(dim))
            .map(|f| f.value)
            .sum();
        assert!((sum - 1.0).abs() < 1e-12, "{dim} shares sum to {sum}");
    }
}
