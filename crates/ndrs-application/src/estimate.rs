//! Application and storage figures from the questionnaires.
//!
//! Until the cycle's sample frame and weights are loaded, every respondent counts once: shares are
//! sample proportions over the respondents of the figure's domain and storage figures are ratios of
//! sample totals. The lineage states this method, and each figure carries its respondent count.

use ndrs_core::classification::{SizeClass, SubjectGroup, SubjectType};
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{figure, lineage_of, ratio};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};

use crate::domain::{Questionnaire, Scenario};

pub const METHOD: &str = "unweighted: sample proportions and ratios of sample totals over the respondents of each domain";

type Row = (StoredReturn, Questionnaire);

fn is_enterprise(q: &Questionnaire) -> bool {
    q.subject_type.group() == SubjectGroup::Enterprise
}

fn is_kie(q: &Questionnaire) -> bool {
    q.subject_type == SubjectType::KeyIndustryEnterprise
}

fn is_large_enterprise(q: &Questionnaire) -> bool {
    is_enterprise(q) && q.size_class == Some(SizeClass::Large)
}

fn is_dsp(q: &Questionnaire) -> bool {
    matches!(
        q.subject_type,
        SubjectType::PlatformDataServiceProvider | SubjectType::NonPlatformDataServiceProvider
    )
}

/// A share (proportion) over a domain, or a ratio of two totals over a domain.
enum Measure {
    Share(fn(&Questionnaire) -> bool),
    RatioOfTotals(fn(&Questionnaire) -> f64, fn(&Questionnaire) -> f64),
}

struct Spec {
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    measure: Measure,
    unit: Unit,
}

fn specs() -> Vec<Spec> {
    use Measure::*;
    let s = |id, domain, measure| Spec {
        id,
        domain,
        measure,
        unit: Unit::Ratio,
    };
    vec![
        s(
            "A07",
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            Share(|q| q.uses_government_open_data),
        ),
        s(
            "A08",
            |q| q.subject_type == SubjectType::CentralSoe,
            Share(|q| q.uses_government_open_data),
        ),
        s("A11", is_kie, Share(|q| q.applies_data_in_scenarios)),
        s(
            "A12",
            is_kie,
            Share(|q| q.scenarios.contains(&Scenario::OperationsManagement)),
        ),
        s(
            "A13",
            is_kie,
            Share(|q| q.scenarios.contains(&Scenario::Production)),
        ),
        s(
            "A14",
            is_large_enterprise,
            Share(|q| !q.has_data_management_system),
        ),
        s(
            "A15",
            |q| is_large_enterprise(q) && q.in_digital_transformation,
            Share(|q| q.achieves_data_reuse_value_add),
        ),
        s(
            "A16",
            is_enterprise,
            Share(|q| q.industrial_chain_collaboration),
        ),
        s(
            "A17",
            is_enterprise,
            Share(|q| q.industrial_chain_risk_prediction),
        ),
        s("A18", is_kie, Share(|q| q.digital_investment_yuan > 0.0)),
        s(
            "A05",
            |q| q.subject_type == SubjectType::NationalDepartment,
            RatioOfTotals(
                |q| q.public_data_opened_bytes as f64,
                |q| q.public_data_opened_previous_year_bytes as f64,
            ),
        ),
        s(
            "A06",
            |q| q.subject_type == SubjectType::ProvincialDataBureau,
            RatioOfTotals(
                |q| q.public_data_opened_bytes as f64,
                |q| q.public_data_opened_previous_year_bytes as f64,
            ),
        ),
        s(
            "P09",
            is_kie,
            RatioOfTotals(
                |q| q.storage.cloud_stored_bytes as f64,
                |q| q.storage.stored_bytes as f64,
            ),
        ),
        s(
            "P10",
            is_kie,
            RatioOfTotals(
                |q| (q.storage.stored_bytes - q.storage.cloud_stored_bytes) as f64,
                |q| q.storage.stored_bytes as f64,
            ),
        ),
        s(
            "P11",
            |q| q.subject_type.group() == SubjectGroup::Government,
            RatioOfTotals(
                |q| q.storage.stored_bytes as f64,
                |q| q.storage.capacity_bytes as f64,
            ),
        ),
        s(
            "P12",
            is_kie,
            RatioOfTotals(
                |q| q.storage.stored_bytes as f64,
                |q| q.storage.capacity_bytes as f64,
            ),
        ),
        s(
            "P13",
            is_dsp,
            RatioOfTotals(
                |q| q.storage.stored_bytes as f64,
                |q| q.storage.capacity_bytes as f64,
            ),
        ),
        s(
            "P14",
            is_enterprise,
            RatioOfTotals(
                |q| q.storage.unused_for_a_year_bytes as f64,
                |q| q.storage.stored_bytes as f64,
            ),
        ),
    ]
}

/// Growth figures (A05, A06) are published as growth rates: ratio minus one.
fn is_growth(id: &str) -> bool {
    matches!(id, "A05" | "A06")
}

pub fn figures(rows: &[Row]) -> Vec<pb::Figure> {
    let mut out = Vec::new();
    for spec in specs() {
        let domain: Vec<&Row> = rows.iter().filter(|(_, q)| (spec.domain)(q)).collect();
        if domain.is_empty() {
            continue;
        }
        let value = match spec.measure {
            Measure::Share(p) => ratio(
                domain.iter().filter(|(_, q)| p(q)).count() as f64,
                domain.len() as f64,
            ),
            Measure::RatioOfTotals(num, den) => ratio(
                domain.iter().map(|(_, q)| num(q)).sum(),
                domain.iter().map(|(_, q)| den(q)).sum(),
            ),
        };
        let Some(mut value) = value else { continue };
        if is_growth(spec.id) {
            value -= 1.0;
        }
        let mut f = figure(
            spec.id,
            FigureKind::Estimate,
            value,
            spec.unit,
            lineage_of(domain.iter().map(|(s, _)| s), METHOD),
            &[],
        );
        f.sampling = Some(pb::SamplingPrecision {
            respondents: domain.len() as u64,
            ..Default::default()
        });
        out.push(f);
    }
    // Mean data interaction (inflow + outflow) per enterprise group: the inputs of F02 and F03.
    for group in [
        SubjectType::PlatformDataServiceProvider,
        SubjectType::CentralSoe,
        SubjectType::KeyIndustryEnterprise,
    ] {
        let domain: Vec<&Row> = rows
            .iter()
            .filter(|(_, q)| q.subject_type == group)
            .collect();
        let total: f64 = domain
            .iter()
            .map(|(_, q)| (q.data_inflow_bytes as f64) + (q.data_outflow_bytes as f64))
            .sum();
        if let Some(mean) = ratio(total, domain.len() as f64) {
            out.push(figure(
                "application.mean_data_interaction_bytes",
                FigureKind::Auxiliary,
                mean,
                Unit::Bytes,
                lineage_of(domain.iter().map(|(s, _)| s), METHOD),
                &[("subject_type", group.code())],
            ));
        }
    }
    out
}
