//! What the organiser and the units send: each unit's questionnaire (and its answers a year
//! earlier), the cycle's sample design, and the sharing hub's return.

use ndrs_proto::v1 as pb;

use super::super::header;
use super::super::rng::Rng;
use super::*;

/// The previous year's answers of a unit: smaller volumes, public data opened as the 2023
/// return restates it, practices slightly less widespread.
pub(super) fn year_before(rng: &mut Rng, a: &Answers) -> Answers {
    let mut b = a.clone();
    let k = rng.range(0.75, 0.9);
    b.stored *= k;
    b.cloud *= k;
    b.unused *= k;
    b.capacity *= rng.range(0.85, 0.95);
    b.capacity = b.capacity.max(b.stored);
    b.interaction *= rng.range(0.8, 0.9);
    b.purchased *= rng.range(0.6, 0.8);
    b.investment *= rng.range(0.8, 0.95);
    b.opened = a.opened_before;
    b.opened_before = a.opened_before / rng.lognormal(1.15, 0.05);
    if b.applies && rng.chance(0.03) {
        b.applies = false;
        b.scenarios.clear();
        b.reuse = false;
    }
    b
}

/// The return a unit sends: only the questions its questionnaire asks are answered (government
/// bodies and research institutions are asked about data management, storage and data flows,
/// government bodies also about public data opened; enterprises everything else).
pub(super) fn questionnaire(
    u: &Unit,
    a: &Answers,
    year: i32,
    pilot: bool,
) -> pb::ApplicationReturn {
    let ent = u.enterprise();
    let stored = a.stored.round() as u64;
    let capacity = (a.capacity.round() as u64).max(stored);
    let cloud = (a.cloud.round() as u64).min(stored);
    let unused = (a.unused.round() as u64).min(stored);
    let interaction = a.interaction.round() as u64;
    let inflow = (a.interaction * a.inflow_share).round() as u64;
    pb::ApplicationReturn {
        header: header(year, &u.id, "questionnaire"),
        subject_type: u.subject as i32,
        province_code: u.province.to_string(),
        industry: u
            .industry
            .and_then(|g| ndrs_core::classification::IndustryGroup::from_i32(g as i32))
            .map_or(String::new(), |g| g.code().to_string()),
        size_class: u.size.map_or(0, |s| s as i32),
        has_data_management_system: a.has_dms,
        applies_data_in_scenarios: ent && a.applies,
        scenarios: if ent && a.applies {
            a.scenarios.iter().map(|s| *s as i32).collect()
        } else {
            Vec::new()
        },
        achieves_data_reuse_value_add: ent && a.reuse,
        in_digital_transformation: ent && a.in_dt,
        storage: Some(pb::StorageAnswers {
            capacity_bytes: capacity,
            stored_bytes: stored,
            cloud_stored_bytes: cloud,
            unused_for_a_year_bytes: unused,
        }),
        digital_investment_yuan: if ent { a.investment.round() } else { 0.0 },
        uses_government_open_data: ent && a.open_data,
        data_inflow_bytes: inflow.min(interaction),
        data_outflow_bytes: interaction - inflow.min(interaction),
        industrial_chain_collaboration: ent && a.collaboration,
        industrial_chain_risk_prediction: ent && a.risk,
        public_data_opened_bytes: if u.government() {
            a.opened.round() as u64
        } else {
            0
        },
        public_data_opened_previous_year_bytes: if u.government() {
            a.opened_before.round() as u64
        } else {
            0
        },
        data_purchased_on_exchanges_yuan: if ent { a.purchased.round() } else { 0.0 },
        pilots_authorised_operation: u.government() && pilot,
    }
}

pub(super) fn design(
    units: &[Unit],
    strata: &[Stratum],
    year: i32,
    seed: u64,
) -> pb::LoadSampleDesignRequest {
    let mut by_subject: BTreeMap<String, f64> = BTreeMap::new();
    let mut by_size: BTreeMap<String, f64> = BTreeMap::new();
    for u in units {
        *by_subject.entry(code(u.subject).to_string()).or_default() += u.design_weight;
        *by_size.entry(size_code(u.size).to_string()).or_default() += u.design_weight;
    }
    // Margins are population counts: round away the float dust of summing weights.
    let round = |m: BTreeMap<String, f64>| -> BTreeMap<String, f64> {
        m.into_iter().map(|(k, v)| (k, v.round())).collect()
    };
    pb::LoadSampleDesignRequest {
        cycle_year: year,
        units: units
            .iter()
            .map(|u| pb::SampleUnit {
                reporting_unit_id: u.id.clone(),
                stratum: u.stratum.clone(),
                psu: String::new(),
                design_weight: u.design_weight,
                subject_type: u.subject as i32,
                size_class: u.size.map_or(0, |s| s as i32),
                province_code: u.province.to_string(),
                industry: String::new(),
            })
            .collect(),
        strata: strata
            .iter()
            .map(|s| pb::StratumPopulation {
                stratum: s.name.clone(),
                population_psus: s.population,
                certainty: s.certainty,
            })
            .collect(),
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: "stratum".into(),
            margins: vec![
                pb::PopulationMargin {
                    variable: "subject_type".into(),
                    targets: round(by_subject),
                },
                pb::PopulationMargin {
                    variable: "size_class".into(),
                    targets: round(by_size),
                },
            ],
            raking_lower_bound: 0.0,
            raking_upper_bound: 0.0,
            trim_mean_multiple: 0.0,
        }),
        variance: Some(pb::VarianceSpecification {
            method: pb::VarianceMethod::Bootstrap as i32,
            replicates: 100,
            seed: seed ^ u64::from(year.unsigned_abs()),
            confidence_level: 0.95,
            lonely_psu: pb::LonelyPsuPolicy::Certainty as i32,
            degrees_of_freedom: pb::DegreesOfFreedom::Domain as i32,
        }),
    }
}

/// The government data sharing hub's returns of both cycles, sent by the national department
/// that operates it (`nd-01`): 2023 at the published counts, 2022 a little lower (the hub only
/// grows). Administrative figures, reported as they are; nothing to weight.
pub fn sharing_hub(years: [i32; 2]) -> [pb::SharingHubReturn; 2] {
    let count = |id: &str| targets::get(id).value.round() as u64;
    let (departments, resources, calls) = (count("A01"), count("A02"), count("A03"));
    let return_of = |y: usize, scale: f64, previous_calls: u64| pb::SharingHubReturn {
        header: header(years[y], "nd-01", "sharing-hub"),
        departments_connected: (departments as f64 * scale).round() as u32,
        resources_mounted: (resources as f64 * scale).round() as u64,
        cumulative_service_calls: (calls as f64 * scale).round() as u64,
        previous_cumulative_service_calls: previous_calls,
    };
    let r22 = return_of(0, 0.85, (calls as f64 * 0.6).round() as u64);
    let r23 = return_of(1, 1.0, r22.cumulative_service_calls);
    [r22, r23]
}
