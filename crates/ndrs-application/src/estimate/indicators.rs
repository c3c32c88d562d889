//! The indicator table: every figure of the application stage defined once, with its domain and
//! measure, so the stage result and `GetEstimates` cannot drift apart; and the cells (an
//! indicator, optionally restricted to one level of a breakdown) that estimation runs over.

use ndrs_core::classification::{SizeClass, SubjectGroup, SubjectType};
use ndrs_proto::v1::{FigureKind, Unit};

use crate::design::region_of;
use crate::domain::{Questionnaire, Scenario};

/// Classifications a figure can be broken down by in `GetEstimates`.
pub const BREAKDOWNS: [&str; 5] = [
    "subject_type",
    "size_class",
    "region",
    "province",
    "industry",
];

pub(super) fn is_enterprise(q: &Questionnaire) -> bool {
    q.subject_type.group() == SubjectGroup::Enterprise
}

pub(super) fn is_kie(q: &Questionnaire) -> bool {
    q.subject_type == SubjectType::KeyIndustryEnterprise
}

pub(super) fn is_large_enterprise(q: &Questionnaire) -> bool {
    is_enterprise(q) && q.size_class == Some(SizeClass::Large)
}

pub(super) fn is_dsp(q: &Questionnaire) -> bool {
    matches!(
        q.subject_type,
        SubjectType::PlatformDataServiceProvider | SubjectType::NonPlatformDataServiceProvider
    )
}

pub(super) fn interaction(q: &Questionnaire) -> f64 {
    q.data_inflow_bytes as f64 + q.data_outflow_bytes as f64
}

/// What a figure measures over its domain.
#[derive(Clone, Copy)]
pub(super) enum Measure {
    /// Share of the domain's units for which the predicate holds.
    Share(fn(&Questionnaire) -> bool),
    /// Ratio of two totals over the domain.
    RatioOfTotals(fn(&Questionnaire) -> f64, fn(&Questionnaire) -> f64),
    /// Mean over the domain.
    Mean(fn(&Questionnaire) -> f64),
    /// Mean over the domain divided by the mean over another domain.
    MeanRatio(fn(&Questionnaire) -> f64, fn(&Questionnaire) -> bool),
    /// Population total over the domain.
    Total(fn(&Questionnaire) -> f64),
}

/// One published or auxiliary figure of this stage.
#[derive(Clone, Copy)]
pub struct Indicator {
    pub id: &'static str,
    pub(super) kind: FigureKind,
    pub(super) domain: fn(&Questionnaire) -> bool,
    pub(super) measure: Measure,
    pub(super) unit: Unit,
    /// Published as a growth rate: ratio minus one.
    pub(super) growth: bool,
    pub(super) dimensions: &'static [(&'static str, &'static str)],
}

pub(super) fn share(
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    p: fn(&Questionnaire) -> bool,
) -> Indicator {
    Indicator {
        id,
        kind: FigureKind::Estimate,
        domain,
        measure: Measure::Share(p),
        unit: Unit::Ratio,
        growth: false,
        dimensions: &[],
    }
}

pub(super) fn ratio_of_totals(
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    num: fn(&Questionnaire) -> f64,
    den: fn(&Questionnaire) -> f64,
) -> Indicator {
    Indicator {
        measure: Measure::RatioOfTotals(num, den),
        ..share(id, domain, |_| false)
    }
}

/// A share within `domain` published as a breakdown cell of `id` (report figure 3.4: data
/// application scenarios; figure 3.3 in spirit: use of government open data).
pub(super) fn auxiliary_share(
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    p: fn(&Questionnaire) -> bool,
    dimensions: &'static [(&'static str, &'static str)],
) -> Indicator {
    Indicator {
        kind: FigureKind::Auxiliary,
        dimensions,
        ..share(id, domain, p)
    }
}

/// Auxiliary figure ids of the stage's breakdowns.
pub const SCENARIO_SHARE: &str = "application.scenario_share";
pub const OPEN_DATA_USE_SHARE: &str = "application.open_data_use_share";
pub const VALID_SAMPLE: &str = "application.valid_sample";

/// Every figure of the application stage.
pub fn indicators() -> Vec<Indicator> {
    let opened = |q: &Questionnaire| q.public_data_opened_bytes as f64;
    let opened_before = |q: &Questionnaire| q.public_data_opened_previous_year_bytes as f64;
    let stored = |q: &Questionnaire| q.storage.stored_bytes as f64;
    let capacity = |q: &Questionnaire| q.storage.capacity_bytes as f64;
    let mean_interaction = |id, domain, dimensions| Indicator {
        kind: FigureKind::Auxiliary,
        measure: Measure::Mean(interaction),
        unit: Unit::Bytes,
        dimensions,
        ..share(id, domain, |_| false)
    };
    let interaction_multiple = |id, domain| Indicator {
        measure: Measure::MeanRatio(interaction, is_kie),
        unit: Unit::Times,
        ..share(id, domain, |_| false)
    };
    vec![
        share(
            "A07",
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            |q| q.uses_government_open_data,
        ),
        share(
            "A08",
            |q| q.subject_type == SubjectType::CentralSoe,
            |q| q.uses_government_open_data,
        ),
        share("A11", is_kie, |q| q.applies_data_in_scenarios),
        share("A12", is_kie, |q| {
            q.scenarios.contains(&Scenario::OperationsManagement)
        }),
        share("A13", is_kie, |q| {
            q.scenarios.contains(&Scenario::Production)
        }),
        share("A14", is_large_enterprise, |q| {
            !q.has_data_management_system
        }),
        share(
            "A15",
            |q| is_large_enterprise(q) && q.in_digital_transformation,
            |q| q.achieves_data_reuse_value_add,
        ),
        share("A16", is_enterprise, |q| q.industrial_chain_collaboration),
        share("A17", is_enterprise, |q| q.industrial_chain_risk_prediction),
        share("A18", is_kie, |q| q.digital_investment_yuan > 0.0),
        // A09, A10: government bodies piloting authorised operation of public data, as counts
        // (population totals of a yes/no answer).
        Indicator {
            measure: Measure::Total(|q| f64::from(u8::from(q.pilots_authorised_operation))),
            unit: Unit::Count,
            ..share(
                "A09",
                |q| q.subject_type == SubjectType::NationalDepartment,
                |_| false,
            )
        },
        Indicator {
            measure: Measure::Total(|q| f64::from(u8::from(q.pilots_authorised_operation))),
            unit: Unit::Count,
            ..share(
                "A10",
                |q| q.subject_type == SubjectType::ProvincialDataBureau,
                |_| false,
            )
        },
        // A04: public data opened by all government bodies (national departments, provincial and
        // planned-city data bureaus) against the previous year.
        Indicator {
            growth: true,
            ..ratio_of_totals(
                "A04",
                |q| q.subject_type.group() == SubjectGroup::Government,
                opened,
                opened_before,
            )
        },
        Indicator {
            growth: true,
            ..ratio_of_totals(
                "A05",
                |q| q.subject_type == SubjectType::NationalDepartment,
                opened,
                opened_before,
            )
        },
        Indicator {
            growth: true,
            ..ratio_of_totals(
                "A06",
                |q| q.subject_type == SubjectType::ProvincialDataBureau,
                opened,
                opened_before,
            )
        },
        ratio_of_totals(
            "P09",
            is_kie,
            |q| q.storage.cloud_stored_bytes as f64,
            stored,
        ),
        ratio_of_totals(
            "P10",
            is_kie,
            |q| (q.storage.stored_bytes - q.storage.cloud_stored_bytes) as f64,
            stored,
        ),
        ratio_of_totals(
            "P11",
            |q| q.subject_type.group() == SubjectGroup::Government,
            stored,
            capacity,
        ),
        ratio_of_totals("P12", is_kie, stored, capacity),
        ratio_of_totals("P13", is_dsp, stored, capacity),
        ratio_of_totals(
            "P14",
            is_enterprise,
            |q| q.storage.unused_for_a_year_bytes as f64,
            stored,
        ),
        // F02, F03: platform enterprises' and central SOEs' mean data interaction as multiples of
        // key industry enterprises'. The two means share PSUs; the ratio's variance accounts for it.
        interaction_multiple("F02", |q| {
            q.subject_type == SubjectType::PlatformDataServiceProvider
        }),
        interaction_multiple("F03", |q| q.subject_type == SubjectType::CentralSoe),
        mean_interaction(
            "application.mean_data_interaction_bytes",
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            &[("subject_type", "platform_data_service_provider")],
        ),
        mean_interaction(
            "application.mean_data_interaction_bytes",
            |q| q.subject_type == SubjectType::CentralSoe,
            &[("subject_type", "central_soe")],
        ),
        mean_interaction(
            "application.mean_data_interaction_bytes",
            is_kie,
            &[("subject_type", "key_industry_enterprise")],
        ),
        // Report figure 3.4: key industry enterprises applying data, by scenario.
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::OperationsManagement),
            &[("scenario", "operations_management")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::Production),
            &[("scenario", "production")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::Marketing),
            &[("scenario", "marketing")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::ResearchDevelopment),
            &[("scenario", "research_development")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::CustomerService),
            &[("scenario", "customer_service")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::SupplyChain),
            &[("scenario", "supply_chain")],
        ),
        // Use of government open data by enterprise group (the report's section on public data,
        // figure 3.3); A07 and A08 are two of these cells as published indicators.
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            |q| q.uses_government_open_data,
            &[("subject_type", "platform_data_service_provider")],
        ),
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            |q| q.subject_type == SubjectType::NonPlatformDataServiceProvider,
            |q| q.uses_government_open_data,
            &[("subject_type", "non_platform_data_service_provider")],
        ),
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            |q| q.subject_type == SubjectType::CentralSoe,
            |q| q.uses_government_open_data,
            &[("subject_type", "central_soe")],
        ),
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            is_kie,
            |q| q.uses_government_open_data,
            &[("subject_type", "key_industry_enterprise")],
        ),
        // Check figures: the enterprise side of what exchanges and carriers report.
        Indicator {
            kind: FigureKind::Check,
            measure: Measure::Total(|q| q.data_purchased_on_exchanges_yuan),
            unit: Unit::Yuan,
            ..share(
                "check.application.enterprise_exchange_purchases_yuan",
                is_enterprise,
                |_| false,
            )
        },
        Indicator {
            kind: FigureKind::Check,
            measure: Measure::Total(interaction),
            unit: Unit::Bytes,
            ..share(
                "check.application.enterprise_data_interaction_bytes",
                is_enterprise,
                |_| false,
            )
        },
    ]
}

/// The value of a breakdown classification for a respondent (already carrying the frame's
/// classifications when a design is loaded).
pub(super) fn breakdown_level(q: &Questionnaire, breakdown: &str) -> Option<String> {
    match breakdown {
        "subject_type" => Some(q.subject_type.code().to_string()),
        "size_class" => q.size_class.map(|s| s.code().to_string()),
        "region" => Some(region_of(&q.province_code)),
        "province" => Some(q.province_code.clone()),
        "industry" => q.industry.map(|i| i.code().to_string()),
        _ => None,
    }
}

/// A domain to estimate: an indicator restricted, optionally, to one level of a breakdown.
pub(super) struct Cell {
    pub(super) indicator: Indicator,
    pub(super) breakdown: Option<(&'static str, String)>,
}

impl Cell {
    pub(super) fn contains(&self, q: &Questionnaire) -> bool {
        (self.indicator.domain)(q)
            && self
                .breakdown
                .as_ref()
                .is_none_or(|(b, level)| breakdown_level(q, b).as_deref() == Some(level))
    }
}
