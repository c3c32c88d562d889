//! Tests of the application survey's demo data: its calibration lands on the published figures.

use super::*;

/// The weighted share of a flag among a subject type's respondents, with the service's
/// weights (non-response adjustment within strata), from the requests as sent.
fn share(data: &ApplicationData, subject: St, flag: fn(&pb::ApplicationReturn) -> bool) -> f64 {
    let design = &data.designs[1];
    let answered: BTreeMap<&str, &pb::ApplicationReturn> = data.returns[1]
        .iter()
        .map(|r| (r.header.as_ref().unwrap().reporting_unit_id.as_str(), r))
        .collect();
    let mut all: BTreeMap<&str, f64> = BTreeMap::new();
    let mut resp: BTreeMap<&str, f64> = BTreeMap::new();
    for u in &design.units {
        *all.entry(&u.stratum).or_default() += u.design_weight;
        if answered.contains_key(u.reporting_unit_id.as_str()) {
            *resp.entry(&u.stratum).or_default() += u.design_weight;
        }
    }
    let (mut yes, mut total) = (0.0, 0.0);
    for u in design
        .units
        .iter()
        .filter(|u| u.subject_type == subject as i32)
    {
        if let Some(r) = answered.get(u.reporting_unit_id.as_str()) {
            let w = u.design_weight * all[u.stratum.as_str()] / resp[u.stratum.as_str()];
            total += w;
            if flag(r) {
                yes += w;
            }
        }
    }
    yes / total
}

#[test]
fn shares_land_well_inside_the_reports_rounding() {
    for scale in [1.0, 0.25] {
        let options = DemoOptions {
            scale,
            ..DemoOptions::default()
        };
        let data = generate(20_231_231, &options, [2022, 2023], [1e10, 1e10]);
        let a07 = share(&data, St::PlatformDataServiceProvider, |r| {
            r.uses_government_open_data
        });
        let a08 = share(&data, St::CentralSoe, |r| r.uses_government_open_data);
        let a11 = share(&data, St::KeyIndustryEnterprise, |r| {
            r.applies_data_in_scenarios
        });
        assert!((a07 - 0.186).abs() < 0.0002, "A07 {a07} at scale {scale}");
        assert!((a08 - 0.51).abs() < 0.005, "A08 {a08} at scale {scale}");
        assert!((a11 - 0.96).abs() < 0.002, "A11 {a11} at scale {scale}");
    }
}
