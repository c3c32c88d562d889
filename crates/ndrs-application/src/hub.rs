//! The government data sharing hub's administrative return: a census of one, reported by the
//! national department that operates the hub. What it asks and which answers are acceptable is
//! its questionnaire (`content/2023/sharing_hub.toml`); its figures are the reported values, as
//! its indicator document (`content/2023/sharing_hub_indicators.toml`) sums them
//! ([`crate::estimate::reported_figures`]).

use ndrs_content::{Answer, Answers, Respondent, TypedAnswers};
use ndrs_core::Violations;
use ndrs_core::classification::SubjectType;
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, ReturnHeader};
use ndrs_platform::stage::{AnsweredReturn, StageReturn};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharingHub {
    pub departments_connected: u32,
    pub resources_mounted: u64,
    pub cumulative_service_calls: u64,
    pub previous_cumulative_service_calls: u64,
    /// The published questionnaire the return was checked against, as lineage cites it.
    #[serde(default)]
    pub questionnaire_version: String,
    /// The answers by question id, exactly as given.
    #[serde(default)]
    pub answers: Answers,
}

/// Who reports the hub's return: the operating national department. The typed message does not
/// say; answers by id carry the respondent.
fn operator() -> Respondent {
    Respondent {
        subject_type: SubjectType::NationalDepartment,
        province: String::new(),
        industry: String::new(),
        size_class: String::new(),
    }
}

fn count(value: u64) -> Answer {
    Answer::Integer {
        value: i64::try_from(value).unwrap_or(i64::MAX),
        unit: "count".into(),
    }
}

/// Reads a `SharingHubReturn` as the answers it gives: every field answers its question (a hub
/// return has no question it may skip), and the questionnaire judges them.
pub fn typed_answers(
    request: pb::SharingHubReturn,
) -> ndrs_core::Result<(ReturnHeader, Respondent, TypedAnswers)> {
    let pb::SharingHubReturn {
        header,
        departments_connected,
        resources_mounted,
        cumulative_service_calls,
        previous_cumulative_service_calls,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    let mut typed = TypedAnswers::default();
    for (id, value) in [
        ("departments_connected", u64::from(departments_connected)),
        ("resources_mounted", resources_mounted),
        ("cumulative_service_calls", cumulative_service_calls),
        (
            "previous_cumulative_service_calls",
            previous_cumulative_service_calls,
        ),
    ] {
        if i64::try_from(value).is_err() {
            v.push(id, "is beyond any count a hub can hold");
        }
        typed.field(id, count(value), false);
    }
    Ok((v.finish(header)?, operator(), typed))
}

/// The stored return of checked answers.
pub fn from_answers(answers: Answers, questionnaire_ref: String) -> ndrs_core::Result<SharingHub> {
    let mut v = Violations::new();
    let mut read = |id: &str| -> u64 {
        match answers.get(id) {
            Some(Answer::Integer { value, .. }) => u64::try_from(*value).unwrap_or_else(|_| {
                v.push(format!("answers.{id}"), "a count cannot be negative");
                0
            }),
            None => 0,
            Some(other) => {
                v.push(
                    format!("answers.{id}"),
                    format!("is a {} answer; a count is an integer", other.type_name()),
                );
                0
            }
        }
    };
    let departments = read("departments_connected");
    let hub = SharingHub {
        departments_connected: u32::try_from(departments).unwrap_or(u32::MAX),
        resources_mounted: read("resources_mounted"),
        cumulative_service_calls: read("cumulative_service_calls"),
        previous_cumulative_service_calls: read("previous_cumulative_service_calls"),
        questionnaire_version: questionnaire_ref,
        answers: Answers::default(),
    };
    let mut hub = v.finish(hub)?;
    hub.answers = answers;
    Ok(hub)
}

impl SharingHub {
    /// The answers the indicators read; a return stored before answers were kept has its typed
    /// fields read as the answers they always were.
    pub fn answers_for_estimation(&self) -> std::borrow::Cow<'_, Answers> {
        if !self.answers.0.is_empty() {
            return std::borrow::Cow::Borrowed(&self.answers);
        }
        std::borrow::Cow::Owned(
            Answers::new()
                .with(
                    "departments_connected",
                    count(u64::from(self.departments_connected)),
                )
                .with("resources_mounted", count(self.resources_mounted))
                .with(
                    "cumulative_service_calls",
                    count(self.cumulative_service_calls),
                )
                .with(
                    "previous_cumulative_service_calls",
                    count(self.previous_cumulative_service_calls),
                ),
        )
    }

    pub fn respondent(&self) -> Respondent {
        operator()
    }
}

/// Every number a hub return reports, with its field and what it measures.
pub fn hub_quantities(h: &SharingHub) -> Vec<Reported> {
    let q = Quantity::HubCount;
    vec![
        (
            q,
            "departments_connected".to_string(),
            f64::from(h.departments_connected),
        ),
        (
            q,
            "resources_mounted".to_string(),
            h.resources_mounted as f64,
        ),
        (
            q,
            "cumulative_service_calls".to_string(),
            h.cumulative_service_calls as f64,
        ),
        (
            q,
            "previous_cumulative_service_calls".to_string(),
            h.previous_cumulative_service_calls as f64,
        ),
    ]
}

impl StageReturn for SharingHub {
    const KIND: &'static str = "sharing_hub";
    /// Its edit rules are its questionnaire's constraints, checked before it is built.
    fn edit_findings(&self) -> Vec<EditFinding> {
        Vec::new()
    }
    fn quantities(&self) -> Vec<Reported> {
        hub_quantities(self)
    }
}

impl AnsweredReturn for SharingHub {
    type Proto = pb::SharingHubReturn;
    fn typed_answers(
        message: pb::SharingHubReturn,
    ) -> ndrs_core::Result<(ReturnHeader, Respondent, TypedAnswers)> {
        typed_answers(message)
    }
    fn from_answers(
        _respondent: Respondent,
        answers: Answers,
        questionnaire_ref: String,
    ) -> ndrs_core::Result<Self> {
        from_answers(answers, questionnaire_ref)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A typed hub return checked as the service checks it, against the shipped questionnaire.
    pub(crate) fn checked_2023(
        message: pb::SharingHubReturn,
    ) -> ndrs_core::Result<(SharingHub, Vec<EditFinding>)> {
        static COMPILED: std::sync::LazyLock<ndrs_content::CompiledQuestionnaire> =
            std::sync::LazyLock::new(|| {
                let shipped = ndrs_content::builtin::questionnaire(2023, SharingHub::KIND).unwrap();
                ndrs_content::CompiledQuestionnaire::from_toml(shipped.text).unwrap()
            });
        ndrs_platform::stage::check_typed::<SharingHub>(message, &COMPILED, "hub2023")
            .map(|(_, h, f)| (h, f))
    }

    pub(crate) fn hub(calls: u64, previous: u64) -> pb::SharingHubReturn {
        pb::SharingHubReturn {
            header: Some(pb::ReturnHeader {
                cycle_year: 2023,
                reporting_unit_id: "nd-hub".into(),
                idempotency_key: "k".into(),
                ..Default::default()
            }),
            departments_connected: 53,
            resources_mounted: 20_600,
            cumulative_service_calls: calls,
            previous_cumulative_service_calls: previous,
        }
    }

    #[test]
    fn a_falling_cumulative_count_is_refused_by_field() {
        let err = checked_2023(hub(10, 20)).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "cumulative_service_calls");
        let (h, findings) = checked_2023(hub(30, 20)).unwrap();
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(h.questionnaire_version, "hub2023");
        assert_eq!(h.answers.0.len(), 4);
        let (_, idle) = checked_2023(hub(20, 20)).unwrap();
        assert_eq!(idle[0].rule_id, "question.cumulative_service_calls");
        let mut none = hub(30, 20);
        none.departments_connected = 0;
        let err = checked_2023(none).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "departments_connected");
    }

    #[test]
    fn a_return_stored_before_answers_were_kept_reads_its_typed_fields() {
        let (h, _) = checked_2023(hub(30, 20)).unwrap();
        let mut legacy = h.clone();
        legacy.answers = Answers::default();
        assert_eq!(legacy.answers_for_estimation().as_ref(), &h.answers);
    }
}
