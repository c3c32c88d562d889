//! Small, hand-checkable returns for every stage service.
//!
//! The values are round so that a test can state the figures they must produce: e.g. two sources
//! for smartphones (installed base 1.0e9 and 1.2e9, so a consolidated 1.1e9) at 80% active and
//! 40 GB a year per active unit give 1.1e9 x 0.8 x 4.0e10 = 3.52e19 bytes.

use ndrs_proto::v1 as pb;

pub const CYCLE: i32 = 2023;

/// Asks for the first page of the sample cycle's stored returns of `unit`, or of every unit when
/// `unit` is empty (as the organiser lists them).
pub fn returns_of(unit: &str) -> pb::ListReturnsRequest {
    pb::ListReturnsRequest {
        cycle_year: CYCLE,
        reporting_unit_id: unit.into(),
        ..Default::default()
    }
}

pub fn header(unit: &str, idempotency_key: &str) -> Option<pb::ReturnHeader> {
    Some(pb::ReturnHeader {
        cycle_year: CYCLE,
        reporting_unit_id: unit.to_string(),
        idempotency_key: idempotency_key.to_string(),
        return_id: String::new(),
    })
}

fn exact(value: f64) -> Option<pb::Parameter> {
    Some(pb::Parameter {
        value,
        uncertainty: None,
        unit: String::new(),
    })
}

fn ranged(value: f64, low: f64, high: f64) -> Option<pb::Parameter> {
    Some(pb::Parameter {
        value,
        uncertainty: Some(pb::parameter::Uncertainty::Range(pb::Range { low, high })),
        unit: String::new(),
    })
}

/// Smartphone parameters from one source, with the given installed base.
pub fn smartphones(
    unit: &str,
    key: &str,
    installed_base: f64,
    source: &str,
) -> pb::DeviceParameterReturn {
    pb::DeviceParameterReturn {
        header: header(unit, key),
        category: pb::DataSourceCategory::DailyLife as i32,
        device_type: "smartphone".into(),
        installed_base: ranged(installed_base, installed_base * 0.9, installed_base * 1.1),
        active_share: exact(0.8),
        data_per_active_unit: Some(pb::DataPerUnit {
            created_bytes: exact(1.0e10),
            captured_bytes: exact(2.0e10),
            replicated_bytes: exact(5.0e9),
            consumed_bytes: exact(5.0e9),
        }),
        source: source.into(),
        vintage: CYCLE,
        public_share: None,
    }
}

/// A storage medium's figures: `[capacity, used, newly added, overwritten]` in bytes.
pub fn medium(
    unit: &str,
    key: &str,
    medium: pb::StorageMedium,
    holder: &str,
    bytes: [f64; 4],
) -> pb::StorageMediumReturn {
    let [capacity, used, new, overwritten] = bytes;
    pb::StorageMediumReturn {
        header: header(unit, key),
        medium: medium as i32,
        holder: holder.into(),
        installed_capacity_bytes: exact(capacity),
        used_bytes: exact(used),
        newly_added_bytes: exact(new),
        overwritten_bytes: exact(overwritten),
        source: "storage vendor survey".into(),
        vintage: CYCLE,
    }
}

/// A compute centre reporting FP32 capacity.
pub fn centre(
    unit: &str,
    key: &str,
    centre_type: pb::CentreType,
    province_code: &str,
    fp32_flops: f64,
) -> pb::ComputeCentreReturn {
    pb::ComputeCentreReturn {
        header: header(unit, key),
        centre_type: centre_type as i32,
        province_code: province_code.into(),
        capacity: vec![pb::PrecisionCapacity {
            precision: pb::Precision::Fp32 as i32,
            flops: fp32_flops,
        }],
        storage_capacity_bytes: 1_000_000_000_000_000,
        storage_used_bytes: 600_000_000_000_000,
        cloud_storage_bytes: 300_000_000_000_000,
        average_utilisation: 0.55,
        racks: 500,
        power_capacity_kw: 8_000.0,
    }
}

/// A compute centre's entry in the cycle's register.
pub fn registered_centre(
    centre_id: &str,
    centre_type: pb::CentreType,
    province_code: &str,
    power_capacity_kw: f64,
) -> pb::RegisteredCentre {
    pb::RegisteredCentre {
        centre_id: centre_id.into(),
        centre_type: centre_type as i32,
        province_code: province_code.into(),
        operator_name: "operator".into(),
        racks: 100,
        power_capacity_kw,
    }
}

/// A carrier's traffic, split 3:1 between mobile internet and fixed broadband (`traffic` and
/// `previous` should be multiples of 4 for an exact split).
pub fn carrier(unit: &str, key: &str, traffic: u64, previous: u64) -> pb::CarrierReturn {
    let line = |category: pb::TrafficCategory, share: u64| pb::TrafficCategoryLine {
        category: category as i32,
        traffic_bytes: traffic / 4 * share,
        previous_year_traffic_bytes: previous / 4 * share,
    };
    pb::CarrierReturn {
        header: header(unit, key),
        traffic_bytes: traffic,
        previous_year_traffic_bytes: previous,
        categories: vec![
            line(pb::TrafficCategory::MobileInternet, 3),
            line(pb::TrafficCategory::FixedBroadband, 1),
        ],
    }
}

/// One exchange with a consumer line and an industry line.
pub fn exchange(unit: &str, key: &str, province_code: &str) -> pb::ExchangeReturn {
    pb::ExchangeReturn {
        header: header(unit, key),
        province_code: province_code.into(),
        lines: vec![
            pb::ExchangeIndustryLine {
                industry: pb::IndustryGroup::Consumer as i32,
                products_listed: 200,
                products_transacted: 20,
                buyers: 48,
                sellers: 20,
                turnover_yuan: 1.0e7,
                saas_products: 120,
            },
            pb::ExchangeIndustryLine {
                industry: pb::IndustryGroup::Finance as i32,
                products_listed: 800,
                products_transacted: 160,
                buyers: 127,
                sellers: 80,
                turnover_yuan: 9.0e7,
                saas_products: 300,
            },
        ],
    }
}

/// A key industry enterprise's questionnaire.
pub fn key_industry_enterprise(
    unit: &str,
    key: &str,
    applies_data: bool,
    stored: u64,
    cloud: u64,
) -> pb::ApplicationReturn {
    pb::ApplicationReturn {
        header: header(unit, key),
        subject_type: pb::SubjectType::KeyIndustryEnterprise as i32,
        province_code: "44".into(),
        industry: "industry".into(),
        size_class: pb::SizeClass::Large as i32,
        has_data_management_system: true,
        applies_data_in_scenarios: applies_data,
        scenarios: if applies_data {
            vec![pb::Scenario::OperationsManagement as i32]
        } else {
            Vec::new()
        },
        achieves_data_reuse_value_add: false,
        in_digital_transformation: true,
        storage: Some(pb::StorageAnswers {
            capacity_bytes: stored * 2,
            stored_bytes: stored,
            cloud_stored_bytes: cloud,
            unused_for_a_year_bytes: stored / 4,
        }),
        digital_investment_yuan: 1.0e6,
        uses_government_open_data: false,
        data_inflow_bytes: 1_000_000,
        data_outflow_bytes: 1_000_000,
        industrial_chain_collaboration: false,
        industrial_chain_risk_prediction: false,
        public_data_opened_bytes: 0,
        public_data_opened_previous_year_bytes: 0,
        data_purchased_on_exchanges_yuan: 1.0e5,
        pilots_authorised_operation: false,
    }
}
