//! Every floating-point field of every return refuses NaN, both infinities and the values that
//! make no sense for it (negative quantities, shares outside [0, 1]), naming the field. Integer
//! fields are unsigned in the contract, so a negative one cannot be sent; their bounds are the
//! plausibility bounds (tested in the platform and end to end).

use ndrs_proto::v1 as pb;
use ndrs_testkit::sample;

const NOT_FINITE: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

/// Asserts that `convert` refuses the message `mutate` made from `valid` with `value`, naming
/// `field` among the violations.
fn refuses<M: Clone, T>(
    valid: &M,
    field: &str,
    values: &[f64],
    mutate: impl Fn(&mut M, f64),
    convert: impl Fn(M) -> ndrs_core::Result<T>,
) {
    assert!(
        convert(valid.clone()).is_ok(),
        "the valid message must pass ({field})"
    );
    for &value in values {
        let mut message = valid.clone();
        mutate(&mut message, value);
        match convert(message) {
            Ok(_) => panic!("{field} = {value} was accepted"),
            Err(e) => {
                let fields: Vec<&str> = e
                    .field_violations()
                    .iter()
                    .map(|v| v.field.as_str())
                    .collect();
                assert!(
                    fields.contains(&field),
                    "{field} = {value}: violations name {fields:?}"
                );
            }
        }
    }
}

fn quantity(values: &[f64]) -> Vec<f64> {
    let mut all = NOT_FINITE.to_vec();
    all.extend_from_slice(values);
    all
}

fn set(p: &mut Option<pb::Parameter>, value: f64) {
    let p = p.as_mut().expect("parameter present");
    p.value = value;
    p.uncertainty = None;
}

#[test]
fn device_parameters() {
    let valid = sample::smartphones("vendor", "k", 1.0e9, "source");
    let convert = ndrs_production::domain::device_parameters_from_proto;
    refuses(
        &valid,
        "installed_base.value",
        &quantity(&[-1.0]),
        |m, v| set(&mut m.installed_base, v),
        convert,
    );
    refuses(
        &valid,
        "active_share.value",
        &quantity(&[-0.1, 1.5]),
        |m, v| set(&mut m.active_share, v),
        convert,
    );
    type Field = fn(&mut pb::DataPerUnit) -> &mut Option<pb::Parameter>;
    let flows: [(&str, Field); 4] = [
        ("data_per_active_unit.created_bytes.value", |d| {
            &mut d.created_bytes
        }),
        ("data_per_active_unit.captured_bytes.value", |d| {
            &mut d.captured_bytes
        }),
        ("data_per_active_unit.replicated_bytes.value", |d| {
            &mut d.replicated_bytes
        }),
        ("data_per_active_unit.consumed_bytes.value", |d| {
            &mut d.consumed_bytes
        }),
    ];
    for (field, flow) in flows {
        refuses(
            &valid,
            field,
            &quantity(&[-1.0]),
            |m, v| set(flow(m.data_per_active_unit.as_mut().unwrap()), v),
            convert,
        );
    }
    let mut with_public = valid.clone();
    with_public.public_share = Some(pb::Parameter {
        value: 0.3,
        uncertainty: None,
        unit: String::new(),
    });
    refuses(
        &with_public,
        "public_share.value",
        &quantity(&[-0.1, 1.5]),
        |m, v| set(&mut m.public_share, v),
        convert,
    );
    // Stated uncertainty: a range's bounds and a standard deviation.
    refuses(
        &valid,
        "installed_base.range",
        &quantity(&[-1.0]),
        |m, v| {
            m.installed_base.as_mut().unwrap().uncertainty =
                Some(pb::parameter::Uncertainty::Range(pb::Range {
                    low: v,
                    high: 1.1e9,
                }))
        },
        convert,
    );
    refuses(
        &valid,
        "installed_base.standard_deviation",
        &quantity(&[-1.0]),
        |m, v| {
            m.installed_base.as_mut().unwrap().uncertainty =
                Some(pb::parameter::Uncertainty::StandardDeviation(v))
        },
        convert,
    );
}

#[test]
fn storage_media() {
    let valid = sample::medium(
        "vendor",
        "k",
        pb::StorageMedium::Hdd,
        "enterprise",
        [1.0e21, 1.0e20, 1.0e19, 0.0],
    );
    let convert = ndrs_production::domain::storage_medium_from_proto;
    type Field = fn(&mut pb::StorageMediumReturn) -> &mut Option<pb::Parameter>;
    let fields: [(&str, Field); 4] = [
        ("installed_capacity_bytes.value", |m| {
            &mut m.installed_capacity_bytes
        }),
        ("used_bytes.value", |m| &mut m.used_bytes),
        ("newly_added_bytes.value", |m| &mut m.newly_added_bytes),
        ("overwritten_bytes.value", |m| &mut m.overwritten_bytes),
    ];
    for (field, get) in fields {
        refuses(
            &valid,
            field,
            &quantity(&[-1.0]),
            |m, v| set(get(m), v),
            convert,
        );
    }
}

#[test]
fn compute_centres() {
    let valid = sample::centre("cc", "k", pb::CentreType::Intelligent, "11", 1.0e18);
    // Checked as the service checks it: against the shipped 2023 questionnaire.
    let convert = |m| {
        ndrs_platform::stage::check_typed::<ndrs_compute::domain::CentreReturn>(
            m,
            &ndrs_fuzz::COMPUTE_2023,
            "test",
        )
    };
    refuses(
        &valid,
        "capacity[0].flops",
        &quantity(&[-1.0]),
        |m, v| m.capacity[0].flops = v,
        convert,
    );
    refuses(
        &valid,
        "average_utilisation",
        &quantity(&[-0.1, 1.5]),
        |m, v| m.average_utilisation = v,
        convert,
    );
    refuses(
        &valid,
        "power_capacity_kw",
        &quantity(&[-1.0]),
        |m, v| m.power_capacity_kw = v,
        convert,
    );
}

#[test]
fn exchanges() {
    let valid = sample::exchange("exchange", "k", "31");
    refuses(
        &valid,
        "lines[0].turnover_yuan",
        &quantity(&[-1.0]),
        |m, v| m.lines[0].turnover_yuan = v,
        ndrs_circulation::domain::exchange_return_from_proto,
    );
}

#[test]
fn questionnaires() {
    let valid = sample::key_industry_enterprise("ent", "k", true, 1_000_000, 500_000);
    // Checked as the service checks it: against the shipped 2023 questionnaire, whose
    // constraints and answer checks name the answer.
    let convert = |m| {
        ndrs_platform::stage::check_typed::<ndrs_application::domain::Questionnaire>(
            m,
            &ndrs_fuzz::APPLICATION_2023,
            "test",
        )
    };
    refuses(
        &valid,
        "digital_investment_yuan",
        &quantity(&[-1.0]),
        |m, v| m.digital_investment_yuan = v,
        convert,
    );
    refuses(
        &valid,
        "data_purchased_on_exchanges_yuan",
        &quantity(&[-1.0]),
        |m, v| m.data_purchased_on_exchanges_yuan = v,
        convert,
    );
}

#[test]
fn centre_registers() {
    let valid = pb::LoadCentreRegistryRequest {
        cycle_year: sample::CYCLE,
        centres: vec![sample::registered_centre(
            "cc",
            pb::CentreType::Intelligent,
            "11",
            1_000.0,
        )],
    };
    refuses(
        &valid,
        "centres[0].power_capacity_kw",
        &quantity(&[-1.0]),
        |m, v| m.centres[0].power_capacity_kw = v,
        ndrs_compute::registry::registry_from_proto,
    );
}
