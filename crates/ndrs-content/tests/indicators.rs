//! Indicator documents: the shipped 2023 application indicators evaluated over answers, item
//! non-response, and every kind of bad content refused naming the indicator and the field.

use std::sync::Arc;

use ndrs_content::builtin;
use ndrs_content::{
    Answer, Answers, CompiledIndicators, CompiledQuestionnaire, ContentError, Respondent, Values,
};
use ndrs_core::classification::SubjectType;

const BREAKDOWNS: [&str; 3] = ["subject_type", "industry", "province"];

fn application_2023() -> Arc<CompiledQuestionnaire> {
    let shipped = builtin::questionnaire(2023, "application_questionnaire").expect("shipped");
    Arc::new(CompiledQuestionnaire::from_toml(shipped.text).unwrap_or_else(|e| panic!("{e:?}")))
}

fn shipped_indicators() -> CompiledIndicators {
    let shipped = builtin::indicators(2023, "application_indicators").expect("shipped");
    CompiledIndicators::from_toml(shipped.text, application_2023(), &BREAKDOWNS)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn unit(subject_type: SubjectType, size_class: &str) -> Respondent {
    Respondent {
        subject_type,
        province: "11".into(),
        industry: "finance".into(),
        size_class: size_class.into(),
    }
}

fn bytes(value: i64) -> Answer {
    Answer::Integer {
        value,
        unit: "bytes".into(),
    }
}

/// The values of figure `id` (its first definition) for one return.
fn values_of(indicators: &CompiledIndicators, id: &str, r: &Respondent, a: &Answers) -> Values {
    let i = indicators
        .indicators
        .iter()
        .position(|d| d.id == id)
        .unwrap();
    indicators.evaluate(&[(r, a)])[0][i]
}

#[test]
fn the_shipped_indicators_read_answers_and_the_frame_classification() {
    let indicators = shipped_indicators();
    let kie = unit(SubjectType::KeyIndustryEnterprise, "large");
    let answers = Answers::new()
        .with("has_data_management_system", Answer::Boolean(false))
        .with("applies_data_in_scenarios", Answer::Boolean(true))
        .with(
            "scenarios",
            Answer::Choice(vec!["production".into(), "marketing".into()]),
        )
        .with("storage_stored_bytes", bytes(800))
        .with("storage_cloud_stored_bytes", bytes(300))
        .with("data_inflow_bytes", bytes(5))
        .with("data_outflow_bytes", bytes(7));
    // A14: a large enterprise without a data management system.
    let a14 = values_of(&indicators, "A14", &kie, &answers);
    assert!(a14.in_domain && !a14.unanswered);
    assert_eq!(a14.y, 1.0);
    // A13: production is among its scenarios; A12 (operations management) is not.
    assert_eq!(values_of(&indicators, "A13", &kie, &answers).y, 1.0);
    assert_eq!(values_of(&indicators, "A12", &kie, &answers).y, 0.0);
    // P10: terminal storage is stored minus cloud-stored, over stored.
    let p10 = values_of(&indicators, "P10", &kie, &answers);
    assert_eq!((p10.y, p10.x), (500.0, 800.0));
    // F02: a key industry enterprise is in the denominator domain only.
    let f02 = values_of(&indicators, "F02", &kie, &answers);
    assert!(!f02.in_domain && f02.in_denominator_domain);
    assert_eq!(f02.y, 12.0);
    // A government body is in none of the enterprise figures' domains.
    let department = unit(SubjectType::NationalDepartment, "");
    let a14 = values_of(&indicators, "A14", &department, &Answers::new());
    assert!(!a14.in_domain && !a14.unanswered);
}

#[test]
fn an_unanswered_question_is_item_non_response_not_a_no() {
    let indicators = shipped_indicators();
    let kie = unit(SubjectType::KeyIndustryEnterprise, "large");
    // Not answered: left out of the domain, and said so.
    let a14 = values_of(&indicators, "A14", &kie, &Answers::new());
    assert!(!a14.in_domain && a14.unanswered, "{a14:?}");
    // A scenario question that was not asked (the unit applies no data) reads as "none".
    let no_data = Answers::new().with("applies_data_in_scenarios", Answer::Boolean(false));
    let a12 = values_of(&indicators, "A12", &kie, &no_data);
    assert!(a12.in_domain && !a12.unanswered);
    assert_eq!(a12.y, 0.0);
}

/// Compiles a document of one indicator (the fields given) against the 2023 questionnaire;
/// (field, indicator id, message) of every error.
fn errors(indicator: &str) -> Vec<(String, Option<String>, String)> {
    let text = format!(
        r#"
kind = "application_indicators"
version = "t"
title = {{ zh = "测试", en = "Test" }}
questionnaire = "application_questionnaire"

[[indicator]]
id = "T01"
name = {{ zh = "测试", en = "Test" }}
{indicator}
"#
    );
    match CompiledIndicators::from_toml(&text, application_2023(), &BREAKDOWNS) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(
                |ContentError {
                     field,
                     indicator_id,
                     message,
                     ..
                 }| (field, indicator_id, message),
            )
            .collect(),
    }
}

/// The one error of a document, which must name indicator T01 and `field`.
fn the_error(indicator: &str, field: &str) -> String {
    let found = errors(indicator);
    assert_eq!(found.len(), 1, "{found:?}");
    let (f, id, message) = found.into_iter().next().unwrap();
    assert_eq!(f, field, "{message}");
    assert_eq!(id.as_deref(), Some("T01"));
    message
}

#[test]
fn a_well_formed_indicator_compiles() {
    assert_eq!(
        errors(
            r#"unit = "ratio"
estimator = "share"
domain = "unit.subject_group == 'enterprise'"
measure = "a.uses_government_open_data""#
        ),
        []
    );
}

#[test]
fn a_cel_syntax_error_is_refused_with_its_position() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "a.uses_government_open_data &&""#,
        "indicators[0].measure",
    );
    assert!(message.contains("column"), "{message}");
}

#[test]
fn an_unknown_question_is_refused() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "a.uses_goverment_open_data""#,
        "indicators[0].measure",
    );
    assert!(
        message.contains("unknown question `uses_goverment_open_data`"),
        "{message}"
    );
}

#[test]
fn an_unknown_unit_attribute_is_refused() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
domain = "unit.colour == 'red'"
measure = "a.uses_government_open_data""#,
        "indicators[0].domain",
    );
    assert!(message.contains("no attribute `colour`"), "{message}");
}

#[test]
fn bytes_added_to_yuan_is_refused() {
    let message = the_error(
        r#"unit = "yuan"
estimator = "total"
measure = "a.digital_investment_yuan + a.data_inflow_bytes""#,
        "indicators[0].measure",
    );
    assert!(message.contains("mixes units"), "{message}");
}

#[test]
fn a_ratio_of_bytes_to_yuan_is_refused() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "ratio"
numerator = "a.data_inflow_bytes"
denominator = "a.digital_investment_yuan""#,
        "indicators[0].denominator",
    );
    assert!(message.contains("mixes units"), "{message}");
}

#[test]
fn an_estimator_that_does_not_fit_the_question_type_is_refused() {
    // A share of a quantity: a share needs a condition.
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "a.digital_investment_yuan""#,
        "indicators[0].measure",
    );
    assert!(message.contains("condition"), "{message}");
    // A mean of a condition.
    let message = the_error(
        r#"unit = "ratio"
estimator = "mean"
measure = "a.uses_government_open_data""#,
        "indicators[0].measure",
    );
    assert!(message.contains("needs a quantity"), "{message}");
    // A domain that is not a condition.
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
domain = "a.data_inflow_bytes"
measure = "a.uses_government_open_data""#,
        "indicators[0].domain",
    );
    assert!(message.contains("condition"), "{message}");
}

#[test]
fn a_declared_unit_the_estimate_is_not_in_is_refused() {
    let message = the_error(
        r#"unit = "bytes"
estimator = "total"
measure = "a.digital_investment_yuan""#,
        "indicators[0].unit",
    );
    assert!(message.contains("in money, not bytes"), "{message}");
    let message = the_error(
        r#"unit = "furlongs"
estimator = "count""#,
        "indicators[0].unit",
    );
    assert!(message.contains("not a unit"), "{message}");
}

#[test]
fn a_missing_or_superfluous_expression_is_refused() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "ratio"
numerator = "a.storage_stored_bytes""#,
        "indicators[0].denominator",
    );
    assert!(message.contains("needs `denominator`"), "{message}");
    let message = the_error(
        r#"unit = "count"
estimator = "count"
measure = "a.uses_government_open_data""#,
        "indicators[0].measure",
    );
    assert!(message.contains("does not use `measure`"), "{message}");
}

#[test]
fn a_growth_rate_must_be_a_ratio_of_totals() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "a.uses_government_open_data"
growth = true"#,
        "indicators[0].growth",
    );
    assert!(message.contains("ratio of totals"), "{message}");
}

#[test]
fn an_unknown_breakdown_is_refused() {
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "a.uses_government_open_data"
breakdowns = ["industry", "colour"]"#,
        "indicators[0].breakdowns[1]",
    );
    assert!(message.contains("not a breakdown"), "{message}");
}

#[test]
fn the_same_figure_defined_twice_is_refused() {
    let text = r#"
kind = "application_indicators"
version = "t"
title = { zh = "测试", en = "Test" }
questionnaire = "application_questionnaire"

[[indicator]]
id = "T01"
name = { zh = "测试", en = "Test" }
unit = "count"
estimator = "count"

[[indicator]]
id = "T01"
name = { zh = "测试", en = "Test" }
unit = "count"
estimator = "count"
domain = "unit.subject_group == 'enterprise'"
"#;
    let errors = CompiledIndicators::from_toml(text, application_2023(), &BREAKDOWNS).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "indicators[1].id");
    assert!(errors[0].message.contains("same figure"), "{}", errors[0]);
}

#[test]
fn a_document_for_another_questionnaire_or_with_unknown_fields_is_refused() {
    let text = r#"
kind = "application_indicators"
version = "t"
title = { zh = "测试", en = "Test" }
questionnaire = "compute_centre"

[[indicator]]
id = "T01"
name = { zh = "测试", en = "Test" }
unit = "count"
estimator = "count"
"#;
    let errors = CompiledIndicators::from_toml(text, application_2023(), &BREAKDOWNS).unwrap_err();
    assert_eq!(errors[0].field, "questionnaire");
    let typo = text.replace("estimator = \"count\"", "estimater = \"count\"");
    let errors = CompiledIndicators::from_toml(&typo, application_2023(), &BREAKDOWNS).unwrap_err();
    assert_eq!(errors[0].field, "document");
    assert!(errors[0].message.contains("estimater"), "{}", errors[0]);
}

#[test]
fn an_expression_beyond_the_limits_is_refused_before_it_is_parsed() {
    let deep = format!(
        "{}a.uses_government_open_data{}",
        "(".repeat(200),
        ")".repeat(200)
    );
    let message = the_error(
        &format!("unit = \"ratio\"\nestimator = \"share\"\nmeasure = \"{deep}\""),
        "indicators[0].measure",
    );
    assert!(message.contains("nests"), "{message}");
}

#[test]
fn a_code_that_is_not_in_its_code_list_is_refused() {
    // A misspelt subject type would make the domain silently empty.
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
domain = "unit.subject_type in ['central_soe', 'platfrom_data_service_provider']"
measure = "a.uses_government_open_data""#,
        "indicators[0].domain",
    );
    assert!(
        message.contains("`platfrom_data_service_provider` is not a code of unit.subject_type"),
        "{message}"
    );
    // A scenario that is not in the questionnaire's code list.
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "has(a.scenarios) && 'productoin' in a.scenarios""#,
        "indicators[0].measure",
    );
    assert!(message.contains("not a code of a.scenarios"), "{message}");
    let message = the_error(
        r#"unit = "ratio"
estimator = "share"
measure = "a.size_class == 'huge'""#,
        "indicators[0].measure",
    );
    assert!(message.contains("not a code of a.size_class"), "{message}");
}
