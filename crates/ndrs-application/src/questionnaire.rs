//! The application questionnaire: its answers ([`Questionnaire`]) and which questions each kind
//! of respondent is asked, by questionnaire version (`data/questionnaires.toml`). A cycle uses the newest version that applies to it; the version
//! is stored with every return, so a return keeps the meaning it was answered under when a later
//! cycle's questionnaire changes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use ndrs_core::classification::{IndustryGroup, SizeClass, SubjectType};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    OperationsManagement,
    Production,
    Marketing,
    ResearchDevelopment,
    CustomerService,
    SupplyChain,
}

impl Scenario {
    pub(crate) fn from_proto(value: i32) -> Option<Self> {
        use pb::Scenario as S;
        Some(match S::try_from(value).ok()? {
            S::OperationsManagement => Scenario::OperationsManagement,
            S::Production => Scenario::Production,
            S::Marketing => Scenario::Marketing,
            S::ResearchDevelopment => Scenario::ResearchDevelopment,
            S::CustomerService => Scenario::CustomerService,
            S::SupplyChain => Scenario::SupplyChain,
            S::Unspecified => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Storage {
    pub capacity_bytes: u64,
    pub stored_bytes: u64,
    pub cloud_stored_bytes: u64,
    pub unused_for_a_year_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub subject_type: SubjectType,
    pub province_code: String,
    pub industry: Option<IndustryGroup>,
    pub size_class: Option<SizeClass>,
    pub has_data_management_system: bool,
    pub applies_data_in_scenarios: bool,
    pub scenarios: Vec<Scenario>,
    pub achieves_data_reuse_value_add: bool,
    pub in_digital_transformation: bool,
    pub storage: Storage,
    pub digital_investment_yuan: f64,
    pub uses_government_open_data: bool,
    pub data_inflow_bytes: u64,
    pub data_outflow_bytes: u64,
    pub industrial_chain_collaboration: bool,
    pub industrial_chain_risk_prediction: bool,
    pub public_data_opened_bytes: u64,
    pub public_data_opened_previous_year_bytes: u64,
    /// Absent in questionnaires stored before the question was asked: read as 0.
    #[serde(default)]
    pub data_purchased_on_exchanges_yuan: f64,
    /// Absent in questionnaires stored before the question was asked: read as false.
    #[serde(default)]
    pub pilots_authorised_operation: bool,
    /// The questionnaire version the return was answered under (`data/questionnaires.toml`).
    #[serde(default)]
    pub questionnaire_version: String,
}

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
