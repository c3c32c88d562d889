//! The application return on the platform's submit path ([`AnsweredReturn`]): the typed message
//! read as answers by question id, and checked answers read back as the typed return the
//! estimates use. Which answers are acceptable is the published questionnaire's to say, not this
//! module's: the 2023 edit rules live in `content/2023/application.toml`.

use ndrs_content::{Answer, Answers, Respondent, TypedAnswers};
use ndrs_core::Violations;
use ndrs_core::classification::{IndustryGroup, SizeClass, SubjectType};
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, ReturnHeader};
use ndrs_platform::stage::{AnsweredReturn, StageReturn, check_province};
use ndrs_proto::v1 as pb;

use crate::questionnaire::Reading;
pub use crate::questionnaire::{Questionnaire, Scenario, Storage};

/// Reads an `ndrs.v1.ApplicationReturn` as the answers it gives (see
/// [`ndrs_content::TypedAnswers`]): each field is the answer to the question of the same id
/// (storage answers flattened, `storage.stored_bytes` being `storage_stored_bytes`). Only what
/// cannot be read at all is refused here; everything else is the questionnaire's to judge.
pub fn typed_answers(
    request: pb::ApplicationReturn,
) -> ndrs_core::Result<(ReturnHeader, Respondent, TypedAnswers)> {
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
    v.check(subject.is_some(), "subject_type", "unknown subject type");
    check_province("province_code", &province_code, &mut v);
    let size = match size_class {
        0 => "",
        n => SizeClass::from_i32(n).map_or_else(
            || {
                v.push("size_class", "unknown size class");
                ""
            },
            |s| s.code(),
        ),
    };
    v.check(
        industry.chars().count() <= ndrs_content::limits::MAX_ID_CHARS,
        "industry",
        "is not an industry group code",
    );
    let mut typed = TypedAnswers::default();
    let choice = |code: &str| Answer::Choice(vec![code.to_string()]);
    if !industry.is_empty() {
        typed.field("industry", choice(&industry), false);
    }
    if !size.is_empty() {
        typed.field("size_class", choice(size), false);
    }
    let mut scenario_codes = Vec::with_capacity(scenarios.len());
    for (i, s) in scenarios.into_iter().enumerate() {
        match Scenario::from_i32(s) {
            Some(s) => scenario_codes.push(s.code().to_string()),
            None => v.push(format!("scenarios[{i}]"), "unknown scenario"),
        }
    }
    if !scenario_codes.is_empty() {
        typed.field("scenarios", Answer::Choice(scenario_codes), false);
    }
    let pb::StorageAnswers {
        capacity_bytes,
        stored_bytes,
        cloud_stored_bytes,
        unused_for_a_year_bytes,
    } = storage.unwrap_or_default();
    for (id, b) in [
        ("has_data_management_system", has_data_management_system),
        ("applies_data_in_scenarios", applies_data_in_scenarios),
        (
            "achieves_data_reuse_value_add",
            achieves_data_reuse_value_add,
        ),
        ("in_digital_transformation", in_digital_transformation),
        ("uses_government_open_data", uses_government_open_data),
        (
            "industrial_chain_collaboration",
            industrial_chain_collaboration,
        ),
        (
            "industrial_chain_risk_prediction",
            industrial_chain_risk_prediction,
        ),
        ("pilots_authorised_operation", pilots_authorised_operation),
    ] {
        typed.field(id, Answer::Boolean(b), !b);
    }
    for (id, bytes) in [
        ("storage_capacity_bytes", capacity_bytes),
        ("storage_stored_bytes", stored_bytes),
        ("storage_cloud_stored_bytes", cloud_stored_bytes),
        ("storage_unused_for_a_year_bytes", unused_for_a_year_bytes),
        ("data_inflow_bytes", data_inflow_bytes),
        ("data_outflow_bytes", data_outflow_bytes),
        ("public_data_opened_bytes", public_data_opened_bytes),
        (
            "public_data_opened_previous_year_bytes",
            public_data_opened_previous_year_bytes,
        ),
    ] {
        match i64::try_from(bytes) {
            Ok(value) => typed.field(
                id,
                Answer::Integer {
                    value,
                    unit: "bytes".into(),
                },
                value == 0,
            ),
            Err(_) => v.push(typed_field(id), "is beyond any byte count a unit can hold"),
        }
    }
    for (id, yuan) in [
        ("digital_investment_yuan", digital_investment_yuan),
        (
            "data_purchased_on_exchanges_yuan",
            data_purchased_on_exchanges_yuan,
        ),
    ] {
        let answer = Answer::Decimal {
            value: yuan,
            unit: "yuan".into(),
        };
        typed.field(id, answer, yuan == 0.0);
    }
    let header = v.finish(header)?;
    let respondent = Respondent {
        // Known: an unknown subject type is a violation above.
        subject_type: subject.unwrap_or(SubjectType::KeyIndustryEnterprise),
        province: province_code,
        industry,
        size_class: size.to_string(),
    };
    Ok((header, respondent, typed))
}

/// The `ApplicationReturn` field of a question: its id, except that the storage answers are one
/// nested message (`storage_stored_bytes` is `storage.stored_bytes`).
fn typed_field(question_id: &str) -> String {
    match question_id.strip_prefix("storage_") {
        Some(field) => format!("storage.{field}"),
        None => question_id.to_string(),
    }
}

/// The typed return of answers that passed the questionnaire's check.
pub fn from_answers(
    respondent: Respondent,
    answers: Answers,
    questionnaire_ref: String,
) -> ndrs_core::Result<Questionnaire> {
    let mut r = Reading::new(&answers);
    let industry = r
        .codes("industry", IndustryGroup::from_code)
        .pop()
        .or_else(|| IndustryGroup::from_code(&respondent.industry));
    let size_class = r
        .codes("size_class", SizeClass::from_code)
        .pop()
        .or_else(|| SizeClass::from_code(&respondent.size_class));
    let value = Questionnaire {
        subject_type: respondent.subject_type,
        province_code: respondent.province,
        industry,
        size_class,
        has_data_management_system: r.boolean("has_data_management_system"),
        applies_data_in_scenarios: r.boolean("applies_data_in_scenarios"),
        scenarios: r.codes("scenarios", Scenario::from_code),
        achieves_data_reuse_value_add: r.boolean("achieves_data_reuse_value_add"),
        in_digital_transformation: r.boolean("in_digital_transformation"),
        storage: Storage {
            capacity_bytes: r.bytes("storage_capacity_bytes"),
            stored_bytes: r.bytes("storage_stored_bytes"),
            cloud_stored_bytes: r.bytes("storage_cloud_stored_bytes"),
            unused_for_a_year_bytes: r.bytes("storage_unused_for_a_year_bytes"),
        },
        digital_investment_yuan: r.yuan("digital_investment_yuan"),
        uses_government_open_data: r.boolean("uses_government_open_data"),
        data_inflow_bytes: r.bytes("data_inflow_bytes"),
        data_outflow_bytes: r.bytes("data_outflow_bytes"),
        industrial_chain_collaboration: r.boolean("industrial_chain_collaboration"),
        industrial_chain_risk_prediction: r.boolean("industrial_chain_risk_prediction"),
        public_data_opened_bytes: r.bytes("public_data_opened_bytes"),
        public_data_opened_previous_year_bytes: r.bytes("public_data_opened_previous_year_bytes"),
        data_purchased_on_exchanges_yuan: r.yuan("data_purchased_on_exchanges_yuan"),
        pilots_authorised_operation: r.boolean("pilots_authorised_operation"),
        questionnaire_version: questionnaire_ref,
        answers: Answers::default(),
    };
    let mut value = r.violations.finish(value)?;
    value.answers = answers;
    Ok(value)
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

impl StageReturn for Questionnaire {
    const KIND: &'static str = "application_questionnaire";
    /// Its edit rules are its questionnaire's constraints, checked before it is built.
    fn edit_findings(&self) -> Vec<EditFinding> {
        Vec::new()
    }
    fn quantities(&self) -> Vec<Reported> {
        questionnaire_quantities(self)
    }
}

impl AnsweredReturn for Questionnaire {
    type Proto = pb::ApplicationReturn;
    fn typed_answers(
        message: pb::ApplicationReturn,
    ) -> ndrs_core::Result<(ReturnHeader, Respondent, TypedAnswers)> {
        typed_answers(message)
    }
    fn typed_field(question_id: &str) -> String {
        typed_field(question_id)
    }
    fn from_answers(
        respondent: Respondent,
        answers: Answers,
        questionnaire_ref: String,
    ) -> ndrs_core::Result<Self> {
        from_answers(respondent, answers, questionnaire_ref)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A typed return checked as the service checks it, against the shipped 2023 questionnaire.
    pub(crate) fn checked_2023(
        message: pb::ApplicationReturn,
    ) -> ndrs_core::Result<(ReturnHeader, Questionnaire)> {
        static COMPILED: std::sync::LazyLock<ndrs_content::CompiledQuestionnaire> =
            std::sync::LazyLock::new(|| {
                let shipped =
                    ndrs_content::builtin::questionnaire(2023, Questionnaire::KIND).unwrap();
                ndrs_content::CompiledQuestionnaire::from_toml(shipped.text).unwrap()
            });
        ndrs_platform::stage::check_typed::<Questionnaire>(message, &COMPILED, "q2023")
            .map(|(h, q, _)| (h, q))
    }

    fn department(scenarios: Vec<i32>) -> pb::ApplicationReturn {
        pb::ApplicationReturn {
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
        }
    }

    #[test]
    fn answers_to_questions_not_asked_are_refused_by_question() {
        let (_, q) = checked_2023(department(vec![])).unwrap();
        assert_eq!(q.questionnaire_version, "q2023");
        let err = checked_2023(department(vec![pb::Scenario::Production as i32])).unwrap_err();
        let fields: Vec<&str> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        // Named as the typed message's fields; SubmitAnswers names `answers.<question id>`.
        assert_eq!(fields, ["applies_data_in_scenarios", "scenarios"]);
    }

    #[test]
    fn a_typed_return_answers_every_question_asked_of_the_unit_and_no_other() {
        let (_, q) = checked_2023(department(vec![])).unwrap();
        let answered: Vec<&str> = q.answers.0.keys().map(String::as_str).collect();
        // Government bodies are asked the storage, flow and public-data questions, so their
        // zero and false fields are answers; the enterprise questions are not answered at all.
        assert!(answered.contains(&"has_data_management_system"));
        assert!(answered.contains(&"storage_stored_bytes"));
        assert!(answered.contains(&"pilots_authorised_operation"));
        assert!(!answered.contains(&"applies_data_in_scenarios"));
        assert!(!answered.contains(&"digital_investment_yuan"));
        assert_eq!(
            q.answers.get("public_data_opened_bytes"),
            Some(&Answer::Integer {
                value: 120,
                unit: "bytes".into()
            })
        );
    }

    #[test]
    fn a_unit_that_does_not_answer_the_questionnaire_is_refused() {
        let mut carrier = department(vec![]);
        carrier.subject_type = pb::SubjectType::TelecomCarrier as i32;
        let err = checked_2023(carrier).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "subject_type", "{err}");
    }
}
