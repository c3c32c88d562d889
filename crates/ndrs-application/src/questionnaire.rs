//! The application return as the estimates read it ([`Questionnaire`]): the typed form of the
//! answers a unit gave under the cycle's published questionnaire (the content document
//! `content/2023/application.toml` and its successors), together with those answers by question
//! id and the version they were checked against, so a stored return keeps the meaning it was
//! answered under when a later cycle's questionnaire changes.

use ndrs_content::{Answer, Answers};
pub use ndrs_core::classification::Scenario;
use ndrs_core::classification::{IndustryGroup, SizeClass, SubjectType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Storage {
    pub capacity_bytes: u64,
    pub stored_bytes: u64,
    pub cloud_stored_bytes: u64,
    pub unused_for_a_year_bytes: u64,
}

/// One application return. The typed fields read an unanswered question as `false` or 0, as the
/// 2023 estimates always did; `answers` keeps what was actually answered.
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
    /// The published questionnaire the return was checked against, as lineage cites it.
    #[serde(default)]
    pub questionnaire_version: String,
    /// The answers by question id, exactly as given: an unanswered question has no entry.
    #[serde(default)]
    pub answers: Answers,
}

impl Questionnaire {
    /// The answers the indicators read. A return stored before answers were kept by question
    /// id has none: its typed fields are read as the answers they always were (every field
    /// answered, a default included), which is how the 2023 estimates read it.
    pub fn answers_for_estimation(&self) -> std::borrow::Cow<'_, Answers> {
        if !self.answers.0.is_empty() {
            return std::borrow::Cow::Borrowed(&self.answers);
        }
        let bytes = |value: u64| Answer::Integer {
            value: i64::try_from(value).unwrap_or(i64::MAX),
            unit: "bytes".into(),
        };
        let yuan = |value: f64| Answer::Decimal {
            value,
            unit: "yuan".into(),
        };
        let mut a = Answers::new()
            .with(
                "has_data_management_system",
                Answer::Boolean(self.has_data_management_system),
            )
            .with(
                "applies_data_in_scenarios",
                Answer::Boolean(self.applies_data_in_scenarios),
            )
            .with(
                "achieves_data_reuse_value_add",
                Answer::Boolean(self.achieves_data_reuse_value_add),
            )
            .with(
                "in_digital_transformation",
                Answer::Boolean(self.in_digital_transformation),
            )
            .with("storage_capacity_bytes", bytes(self.storage.capacity_bytes))
            .with("storage_stored_bytes", bytes(self.storage.stored_bytes))
            .with(
                "storage_cloud_stored_bytes",
                bytes(self.storage.cloud_stored_bytes),
            )
            .with(
                "storage_unused_for_a_year_bytes",
                bytes(self.storage.unused_for_a_year_bytes),
            )
            .with(
                "digital_investment_yuan",
                yuan(self.digital_investment_yuan),
            )
            .with(
                "uses_government_open_data",
                Answer::Boolean(self.uses_government_open_data),
            )
            .with("data_inflow_bytes", bytes(self.data_inflow_bytes))
            .with("data_outflow_bytes", bytes(self.data_outflow_bytes))
            .with(
                "industrial_chain_collaboration",
                Answer::Boolean(self.industrial_chain_collaboration),
            )
            .with(
                "industrial_chain_risk_prediction",
                Answer::Boolean(self.industrial_chain_risk_prediction),
            )
            .with(
                "public_data_opened_bytes",
                bytes(self.public_data_opened_bytes),
            )
            .with(
                "public_data_opened_previous_year_bytes",
                bytes(self.public_data_opened_previous_year_bytes),
            )
            .with(
                "data_purchased_on_exchanges_yuan",
                yuan(self.data_purchased_on_exchanges_yuan),
            )
            .with(
                "pilots_authorised_operation",
                Answer::Boolean(self.pilots_authorised_operation),
            );
        if !self.scenarios.is_empty() {
            a = a.with(
                "scenarios",
                Answer::Choice(
                    self.scenarios
                        .iter()
                        .map(|s| s.code().to_string())
                        .collect(),
                ),
            );
        }
        if let Some(industry) = self.industry {
            a = a.with(
                "industry",
                Answer::Choice(vec![industry.code().to_string()]),
            );
        }
        if let Some(size) = self.size_class {
            a = a.with("size_class", Answer::Choice(vec![size.code().to_string()]));
        }
        std::borrow::Cow::Owned(a)
    }

    /// The unit as the indicators' `unit.<attribute>` reads it: the classification estimation
    /// uses (the frame's, under a sample design).
    pub fn respondent(&self) -> ndrs_content::Respondent {
        ndrs_content::Respondent {
            subject_type: self.subject_type,
            province: self.province_code.clone(),
            industry: self
                .industry
                .map(|i| i.code().to_string())
                .unwrap_or_default(),
            size_class: self
                .size_class
                .map(|s| s.code().to_string())
                .unwrap_or_default(),
        }
    }
}

/// The typed reading of checked answers; what does not fit the typed fields (a code the
/// estimates have no class for, a negative byte count a questionnaire let through) is refused
/// naming the answer.
pub(crate) struct Reading<'a> {
    answers: &'a Answers,
    pub violations: ndrs_core::Violations,
}

impl<'a> Reading<'a> {
    pub fn new(answers: &'a Answers) -> Self {
        Self {
            answers,
            violations: ndrs_core::Violations::new(),
        }
    }

    pub fn boolean(&mut self, id: &str) -> bool {
        match self.answers.get(id) {
            Some(Answer::Boolean(b)) => *b,
            None => false,
            Some(other) => self.wrong(id, other, "boolean", false),
        }
    }

    pub fn bytes(&mut self, id: &str) -> u64 {
        match self.answers.get(id) {
            Some(Answer::Integer { value, .. }) => u64::try_from(*value).unwrap_or_else(|_| {
                self.violations
                    .push(format!("answers.{id}"), "a byte count cannot be negative");
                0
            }),
            None => 0,
            Some(other) => self.wrong(id, other, "integer", 0),
        }
    }

    pub fn yuan(&mut self, id: &str) -> f64 {
        match self.answers.get(id) {
            Some(Answer::Decimal { value, .. }) if *value >= 0.0 => *value,
            Some(Answer::Decimal { .. }) => {
                self.violations
                    .push(format!("answers.{id}"), "an amount cannot be negative");
                0.0
            }
            None => 0.0,
            Some(other) => self.wrong(id, other, "decimal", 0.0),
        }
    }

    /// The codes of a choice answer, each mapped by `from_code`.
    pub fn codes<T>(&mut self, id: &str, from_code: impl Fn(&str) -> Option<T>) -> Vec<T> {
        let codes = match self.answers.get(id) {
            Some(Answer::Choice(codes)) => codes,
            None => return Vec::new(),
            Some(other) => return self.wrong(id, other, "choice", Vec::new()),
        };
        codes
            .iter()
            .filter_map(|code| {
                let found = from_code(code);
                if found.is_none() {
                    self.violations.push(
                        format!("answers.{id}"),
                        format!(
                            "`{}` has no class in the application estimates",
                            ndrs_core::error::bounded(code, 64)
                        ),
                    );
                }
                found
            })
            .collect()
    }

    fn wrong<T>(&mut self, id: &str, answer: &Answer, expected: &str, empty: T) -> T {
        self.violations.push(
            format!("answers.{id}"),
            format!(
                "is a {} answer; the application estimates read it as {expected}",
                answer.type_name()
            ),
        );
        empty
    }
}
