//! The application questionnaire, validated, and what the platform's submit path runs for it
//! ([`StageReturn`]).

use ndrs_core::Violations;
use ndrs_core::classification::{IndustryGroup, SizeClass, SubjectGroup, SubjectType};
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnHeader};
use ndrs_platform::stage::{StageReturn, check_province};
use ndrs_proto::v1 as pb;

pub use crate::questionnaire::{Questionnaire, Scenario, Storage};

/// Subject groups that answer the application questionnaire.
fn answers_questionnaire(t: SubjectType) -> bool {
    matches!(
        t.group(),
        SubjectGroup::Enterprise | SubjectGroup::Government | SubjectGroup::Research
    )
}

pub fn questionnaire_from_proto(
    request: pb::ApplicationReturn,
) -> ndrs_core::Result<(ReturnHeader, Questionnaire)> {
    let pb::ApplicationReturn {
        header,
        subject_type,
        province_code,
        industry,
        size_class,
        has_data_management_system,
        applies_data_in_scenarios,
        scenarios,
        achieves_data_reuse_value_add,
        in_digital_transformation,
        storage,
        digital_investment_yuan,
        uses_government_open_data,
        data_inflow_bytes,
        data_outflow_bytes,
        industrial_chain_collaboration,
        industrial_chain_risk_prediction,
        public_data_opened_bytes,
        public_data_opened_previous_year_bytes,
        data_purchased_on_exchanges_yuan,
        pilots_authorised_operation,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    let subject = SubjectType::from_i32(subject_type);
    match subject {
        None => v.push("subject_type", "unknown subject type"),
        Some(t) if !answers_questionnaire(t) => v.push(
            "subject_type",
            format!("{} does not answer the application questionnaire", t.code()),
        ),
        Some(_) => {}
    }
    check_province("province_code", &province_code, &mut v);
    let industry_group = if industry.is_empty() {
        None
    } else {
        let g = IndustryGroup::from_code(&industry);
        v.check(g.is_some(), "industry", "unknown industry group code");
        g
    };
    if subject == Some(SubjectType::KeyIndustryEnterprise) {
        v.check(
            industry_group.is_some(),
            "industry",
            "is required for key industry enterprises",
        );
    }
    let size = if size_class == 0 {
        None
    } else {
        let s = SizeClass::from_i32(size_class);
        v.check(s.is_some(), "size_class", "unknown size class");
        s
    };
    if subject.is_some_and(|t| t.group() == SubjectGroup::Enterprise) {
        v.check(size.is_some(), "size_class", "is required for enterprises");
    }
    let mut scenario_list = Vec::with_capacity(scenarios.len());
    for (i, s) in scenarios.into_iter().enumerate() {
        match Scenario::from_proto(s) {
            Some(s) if !scenario_list.contains(&s) => scenario_list.push(s),
            Some(_) => v.push(format!("scenarios[{i}]"), "scenario listed twice"),
            None => v.push(format!("scenarios[{i}]"), "unknown scenario"),
        }
    }
    v.check(
        applies_data_in_scenarios || scenario_list.is_empty(),
        "scenarios",
        "scenarios listed although applies_data_in_scenarios is false",
    );
    let pb::StorageAnswers {
        capacity_bytes,
        stored_bytes,
        cloud_stored_bytes,
        unused_for_a_year_bytes,
    } = storage.unwrap_or_default();
    // cloud-stored <= stored <= capacity and unused <= stored: impossible otherwise.
    v.check(
        stored_bytes <= capacity_bytes,
        "storage.stored_bytes",
        "cannot exceed storage capacity",
    );
    v.check(
        cloud_stored_bytes <= stored_bytes,
        "storage.cloud_stored_bytes",
        "cannot exceed stored data",
    );
    v.check(
        unused_for_a_year_bytes <= stored_bytes,
        "storage.unused_for_a_year_bytes",
        "cannot exceed stored data",
    );
    v.non_negative("digital_investment_yuan", digital_investment_yuan);
    v.non_negative(
        "data_purchased_on_exchanges_yuan",
        data_purchased_on_exchanges_yuan,
    );
    let value = Questionnaire {
        subject_type: subject.unwrap_or(SubjectType::KeyIndustryEnterprise),
        province_code,
        industry: industry_group,
        size_class: size,
        has_data_management_system,
        applies_data_in_scenarios,
        scenarios: scenario_list,
        achieves_data_reuse_value_add,
        in_digital_transformation,
        storage: Storage {
            capacity_bytes,
            stored_bytes,
            cloud_stored_bytes,
            unused_for_a_year_bytes,
        },
        digital_investment_yuan,
        uses_government_open_data,
        data_inflow_bytes,
        data_outflow_bytes,
        industrial_chain_collaboration,
        industrial_chain_risk_prediction,
        public_data_opened_bytes,
        public_data_opened_previous_year_bytes,
        data_purchased_on_exchanges_yuan,
        pilots_authorised_operation,
        questionnaire_version: String::new(),
    };
    let value = check_questions_asked(value, header.cycle_year, subject, &mut v);
    v.finish((header, value))
}

/// Refuses answers to questions the respondent's questionnaire does not ask, and records the
/// questionnaire version the return was answered under.
fn check_questions_asked(
    mut q: Questionnaire,
    cycle_year: i32,
    subject: Option<SubjectType>,
    v: &mut Violations,
) -> Questionnaire {
    let Some(subject) = subject else { return q };
    let Some(version) = crate::questionnaire::for_cycle(cycle_year) else {
        v.push(
            "header.cycle_year",
            format!("no application questionnaire applies to cycle {cycle_year}"),
        );
        return q;
    };
    let asked = version.asked_of(subject);
    for question in crate::questionnaire::QUESTIONS {
        if !asked.iter().any(|a| a == question) && crate::questionnaire::is_answered(&q, question) {
            v.push(
                question,
                format!(
                    "not asked of {} in questionnaire {}; leave it empty",
                    subject.code(),
                    version.id
                ),
            );
        }
    }
    q.questionnaire_version = version.id.clone();
    q
}

/// Every number a questionnaire reports, with its field and what it measures (for the
/// plausibility bounds).
pub fn questionnaire_quantities(q: &Questionnaire) -> Vec<Reported> {
    let bytes =
        |field: &str, value: u64| (Quantity::RespondentBytes, field.to_string(), value as f64);
    vec![
        bytes("storage.capacity_bytes", q.storage.capacity_bytes),
        bytes("storage.stored_bytes", q.storage.stored_bytes),
        bytes("storage.cloud_stored_bytes", q.storage.cloud_stored_bytes),
        bytes(
            "storage.unused_for_a_year_bytes",
            q.storage.unused_for_a_year_bytes,
        ),
        bytes("data_inflow_bytes", q.data_inflow_bytes),
        bytes("data_outflow_bytes", q.data_outflow_bytes),
        bytes("public_data_opened_bytes", q.public_data_opened_bytes),
        bytes(
            "public_data_opened_previous_year_bytes",
            q.public_data_opened_previous_year_bytes,
        ),
        (
            Quantity::RespondentYuan,
            "digital_investment_yuan".to_string(),
            q.digital_investment_yuan,
        ),
        (
            Quantity::RespondentYuan,
            "data_purchased_on_exchanges_yuan".to_string(),
            q.data_purchased_on_exchanges_yuan,
        ),
    ]
}

pub fn edit_findings(q: &Questionnaire) -> Vec<EditFinding> {
    let mut findings = Vec::new();
    if q.achieves_data_reuse_value_add && !q.applies_data_in_scenarios {
        findings.push(EditFinding {
            rule_id: "application.reuse_without_application".into(),
            severity: FindingSeverity::Warning,
            message: "data reuse value-add reported without applying data in any scenario".into(),
            fields: vec![
                "achieves_data_reuse_value_add".into(),
                "applies_data_in_scenarios".into(),
            ],
        });
    }
    if q.industrial_chain_risk_prediction && !q.industrial_chain_collaboration {
        findings.push(EditFinding {
            rule_id: "application.risk_prediction_without_collaboration".into(),
            severity: FindingSeverity::Warning,
            message:
                "industrial-chain risk prediction reported without industrial-chain collaboration"
                    .into(),
            fields: vec!["industrial_chain_risk_prediction".into()],
        });
    }
    findings
}

impl StageReturn for Questionnaire {
    type Proto = pb::ApplicationReturn;
    const KIND: &'static str = "application_questionnaire";
    fn from_proto(message: pb::ApplicationReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        questionnaire_from_proto(message)
    }
    fn edit_findings(&self) -> Vec<EditFinding> {
        edit_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        questionnaire_quantities(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_to_questions_not_asked_are_refused_by_field() {
        use ndrs_proto::v1 as pb;
        let department = |scenarios: Vec<i32>| pb::ApplicationReturn {
            header: Some(pb::ReturnHeader {
                cycle_year: 2023,
                reporting_unit_id: "nd-1".into(),
                idempotency_key: "k".into(),
                ..Default::default()
            }),
            subject_type: pb::SubjectType::NationalDepartment as i32,
            province_code: "11".into(),
            applies_data_in_scenarios: !scenarios.is_empty(),
            scenarios,
            public_data_opened_bytes: 120,
            public_data_opened_previous_year_bytes: 100,
            ..Default::default()
        };
        let (_, q) = questionnaire_from_proto(department(vec![])).unwrap();
        assert_eq!(q.questionnaire_version, "2023.1");
        let err = questionnaire_from_proto(department(vec![pb::Scenario::Production as i32]))
            .unwrap_err();
        let fields: Vec<&str> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["applies_data_in_scenarios", "scenarios"]);
    }
}
