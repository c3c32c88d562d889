//! Which questions each kind of respondent is asked, by questionnaire version
//! (`data/questionnaires.toml`). A cycle uses the newest version that applies to it; the version
//! is stored with every return, so a return keeps the meaning it was answered under when a later
//! cycle's questionnaire changes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use ndrs_core::classification::SubjectType;
use serde::Deserialize;

use crate::domain::{Questionnaire, Storage};

/// Every question of the application return, by its field name in `ndrs.v1.ApplicationReturn`.
pub const QUESTIONS: [&str; 18] = [
    "industry",
    "size_class",
    "has_data_management_system",
    "applies_data_in_scenarios",
    "scenarios",
    "achieves_data_reuse_value_add",
    "in_digital_transformation",
    "storage",
    "digital_investment_yuan",
    "uses_government_open_data",
    "data_inflow_bytes",
    "data_outflow_bytes",
    "industrial_chain_collaboration",
    "industrial_chain_risk_prediction",
    "public_data_opened_bytes",
    "public_data_opened_previous_year_bytes",
    "data_purchased_on_exchanges_yuan",
    "pilots_authorised_operation",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: Vec<QuestionnaireVersion>,
}

/// One version of the questionnaires.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireVersion {
    pub id: String,
    pub first_cycle: i32,
    /// Subject group or subject type code -> questions asked.
    questions: BTreeMap<String, Vec<String>>,
}

impl QuestionnaireVersion {
    /// The questions asked of `subject`: its own list if it has one, else its group's.
    pub fn asked_of(&self, subject: SubjectType) -> &[String] {
        self.questions
            .get(subject.code())
            .or_else(|| self.questions.get(subject.group().code()))
            .map_or(&[], Vec::as_slice)
    }
}

static VERSIONS: LazyLock<Vec<QuestionnaireVersion>> = LazyLock::new(|| {
    let file: File = toml::from_str(include_str!("../data/questionnaires.toml"))
        .unwrap_or_else(|e| panic!("data/questionnaires.toml is invalid: {e}"));
    let mut versions = file.version;
    versions.sort_by_key(|v| v.first_cycle);
    versions
});

/// The questionnaire version a cycle uses, if any applies to it.
pub fn for_cycle(cycle_year: i32) -> Option<&'static QuestionnaireVersion> {
    VERSIONS.iter().rev().find(|v| v.first_cycle <= cycle_year)
}

/// Whether a return carries an answer (anything but the empty value) to `question`.
pub fn is_answered(q: &Questionnaire, question: &str) -> bool {
    match question {
        "industry" => q.industry.is_some(),
        "size_class" => q.size_class.is_some(),
        "has_data_management_system" => q.has_data_management_system,
        "applies_data_in_scenarios" => q.applies_data_in_scenarios,
        "scenarios" => !q.scenarios.is_empty(),
        "achieves_data_reuse_value_add" => q.achieves_data_reuse_value_add,
        "in_digital_transformation" => q.in_digital_transformation,
        "storage" => q.storage != Storage::default(),
        "digital_investment_yuan" => q.digital_investment_yuan != 0.0,
        "uses_government_open_data" => q.uses_government_open_data,
        "data_inflow_bytes" => q.data_inflow_bytes != 0,
        "data_outflow_bytes" => q.data_outflow_bytes != 0,
        "industrial_chain_collaboration" => q.industrial_chain_collaboration,
        "industrial_chain_risk_prediction" => q.industrial_chain_risk_prediction,
        "public_data_opened_bytes" => q.public_data_opened_bytes != 0,
        "public_data_opened_previous_year_bytes" => q.public_data_opened_previous_year_bytes != 0,
        "data_purchased_on_exchanges_yuan" => q.data_purchased_on_exchanges_yuan != 0.0,
        "pilots_authorised_operation" => q.pilots_authorised_operation,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndrs_core::classification::SubjectGroup;

    #[test]
    fn every_version_names_known_questions_and_respondents() {
        assert!(!VERSIONS.is_empty());
        for v in VERSIONS.iter() {
            for (respondent, questions) in &v.questions {
                assert!(
                    SubjectType::from_code(respondent).is_some()
                        || SubjectGroup::from_code(respondent).is_some(),
                    "{}: unknown respondent {respondent}",
                    v.id
                );
                for q in questions {
                    assert!(
                        QUESTIONS.contains(&q.as_str()),
                        "{}: unknown question {q}",
                        v.id
                    );
                }
            }
        }
    }

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
        let (_, q) = crate::domain::questionnaire_from_proto(department(vec![])).unwrap();
        assert_eq!(q.questionnaire_version, "2023.1");
        let err = crate::domain::questionnaire_from_proto(department(vec![
            pb::Scenario::Production as i32,
        ]))
        .unwrap_err();
        let fields: Vec<&str> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["applies_data_in_scenarios", "scenarios"]);
    }

    #[test]
    fn a_cycle_uses_the_newest_version_that_applies() {
        let v = for_cycle(2023).expect("a questionnaire for 2023");
        assert_eq!(v.id, "2023.1");
        assert!(for_cycle(1990).is_none());
        let enterprise = v.asked_of(SubjectType::KeyIndustryEnterprise);
        assert!(enterprise.iter().any(|q| q == "applies_data_in_scenarios"));
        let government = v.asked_of(SubjectType::NationalDepartment);
        assert!(government.iter().any(|q| q == "public_data_opened_bytes"));
        assert!(!government.iter().any(|q| q == "scenarios"));
    }
}
