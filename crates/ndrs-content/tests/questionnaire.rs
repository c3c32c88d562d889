//! Questionnaires as documents: the shipped 2023 one, answers checked against it, a 2024 version
//! that adds questions and a repeat group, and every kind of bad content refused with the field.

use ndrs_content::builtin;
use ndrs_content::{Answer, Answers, CompiledQuestionnaire, ContentError, Respondent};
use ndrs_core::classification::SubjectType;
use ndrs_rules::Severity;

fn application_2023() -> CompiledQuestionnaire {
    let shipped = builtin::questionnaire(2023, "application_questionnaire").expect("shipped");
    CompiledQuestionnaire::from_toml(shipped.text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn unit(subject_type: SubjectType) -> Respondent {
    Respondent {
        subject_type,
        province: "11".into(),
        industry: String::new(),
        size_class: String::new(),
    }
}

fn bytes(value: i64) -> Answer {
    Answer::Integer {
        value,
        unit: "bytes".into(),
    }
}

fn yuan(value: f64) -> Answer {
    Answer::Decimal {
        value,
        unit: "yuan".into(),
    }
}

fn code(c: &str) -> Answer {
    Answer::Choice(vec![c.into()])
}

/// A complete, consistent return of a central SOE.
fn enterprise_answers() -> Answers {
    Answers::new()
        .with("industry", code("finance"))
        .with("size_class", code("large"))
        .with("has_data_management_system", Answer::Boolean(true))
        .with("applies_data_in_scenarios", Answer::Boolean(true))
        .with(
            "scenarios",
            Answer::Choice(vec!["marketing".into(), "production".into()]),
        )
        .with("achieves_data_reuse_value_add", Answer::Boolean(true))
        .with("storage_capacity_bytes", bytes(1_000))
        .with("storage_stored_bytes", bytes(800))
        .with("storage_cloud_stored_bytes", bytes(300))
        .with("storage_unused_for_a_year_bytes", bytes(100))
        .with("digital_investment_yuan", yuan(5.0e6))
}

/// (question id, field, severity) of every finding, for compact assertions.
fn findings(
    q: &CompiledQuestionnaire,
    answers: &Answers,
    who: &Respondent,
) -> Vec<(String, String, Severity)> {
    q.check(answers, who)
        .findings
        .into_iter()
        .map(|f| (f.question_id, f.field, f.severity))
        .collect()
}

fn error(id: &str) -> (String, String, Severity) {
    (id.into(), format!("answers.{id}"), Severity::Error)
}

#[test]
fn the_shipped_2023_questionnaire_compiles_and_keeps_the_return_fields_as_ids() {
    let q = application_2023();
    let ids = q.question_ids();
    assert_eq!(ids.len(), 21);
    assert!(ids.contains(&"has_data_management_system"));
    assert!(ids.contains(&"storage_unused_for_a_year_bytes"));
    assert_eq!(q.document.version, "2023.1");
}

#[test]
fn a_consistent_return_has_no_findings_and_unanswered_is_not_false() {
    let q = application_2023();
    let who = unit(SubjectType::CentralSoe);
    assert_eq!(findings(&q, &enterprise_answers(), &who), vec![]);
    // Leaving optional questions out is not answering "no": nothing is refused, nothing is
    // invented, and the constraint that reads them is simply not checked.
    let sparse = Answers::new().with("size_class", code("small"));
    assert_eq!(findings(&q, &sparse, &who), vec![]);
    let checked = q.check(&sparse, &who);
    assert!(!checked.refused());
}

#[test]
fn who_is_asked_what_follows_subject_types_groups_and_conditions() {
    let q = application_2023();
    // A government body is not asked the enterprise questions, and must not answer them.
    let government = unit(SubjectType::ProvincialDataBureau);
    let answers = Answers::new()
        .with("public_data_opened_bytes", bytes(10))
        .with("digital_investment_yuan", yuan(1.0));
    assert_eq!(
        findings(&q, &answers, &government),
        vec![error("digital_investment_yuan")]
    );
    // An enterprise is not asked the government questions.
    let answers = enterprise_answers().with("pilots_authorised_operation", Answer::Boolean(true));
    assert_eq!(
        findings(&q, &answers, &unit(SubjectType::CentralSoe)),
        vec![error("pilots_authorised_operation")]
    );
    // The industry is required of key industry enterprises only (a conditional `required`).
    let mut answers = enterprise_answers();
    answers.0.remove("industry");
    assert_eq!(
        findings(&q, &answers, &unit(SubjectType::CentralSoe)),
        vec![]
    );
    assert_eq!(
        findings(&q, &answers, &unit(SubjectType::KeyIndustryEnterprise)),
        vec![error("industry")]
    );
    // Scenarios are asked only when data is applied: listing some after "no" is refused, as
    // the 2023 service refused it in code.
    let answers = enterprise_answers().with("applies_data_in_scenarios", Answer::Boolean(false));
    let got = findings(&q, &answers, &unit(SubjectType::CentralSoe));
    assert!(got.contains(&error("scenarios")), "{got:?}");
    // The size class is required of every enterprise.
    let mut answers = enterprise_answers();
    answers.0.remove("size_class");
    assert_eq!(
        findings(&q, &answers, &unit(SubjectType::CentralSoe)),
        vec![error("size_class")]
    );
}

#[test]
fn answers_of_the_wrong_form_are_refused_naming_the_question() {
    let q = application_2023();
    let who = unit(SubjectType::CentralSoe);
    let cases = [
        ("no_such_question", Answer::Boolean(true)),
        ("storage_capacity_bytes", yuan(1.0)),
        (
            "storage_capacity_bytes",
            Answer::Integer {
                value: 5,
                unit: "yuan".into(),
            },
        ),
        ("digital_investment_yuan", yuan(f64::NAN)),
        ("has_data_management_system", code("yes")),
        ("size_class", code("gigantic")),
        (
            "size_class",
            Answer::Choice(vec!["large".into(), "small".into()]),
        ),
        (
            "scenarios",
            Answer::Choice(vec!["marketing".into(), "marketing".into()]),
        ),
    ];
    for (id, answer) in cases {
        let answers = enterprise_answers().with(id, answer.clone());
        let got = findings(&q, &answers, &who);
        assert_eq!(got, vec![error(id)], "{id} = {answer:?}");
    }
    // Quantities beyond 2^53 are sound answers: a large holder stores more than 9 PB.
    let huge = enterprise_answers().with(
        "storage_capacity_bytes",
        Answer::Integer {
            value: 1 << 60,
            unit: "bytes".into(),
        },
    );
    assert_eq!(findings(&q, &huge, &who), vec![]);
    let message = q
        .check(
            &enterprise_answers().with("storage_capacity_bytes", yuan(1.0)),
            &who,
        )
        .findings[0]
        .message
        .clone();
    assert!(
        message.contains("decimal") && message.contains("bytes"),
        "{message}"
    );
}

#[test]
fn constraints_refuse_or_warn_by_severity() {
    let q = application_2023();
    let who = unit(SubjectType::CentralSoe);
    // Stored above capacity is impossible: an error.
    let answers = enterprise_answers().with("storage_stored_bytes", bytes(2_000));
    let checked = q.check(&answers, &who);
    assert!(checked.refused());
    let errors: Vec<_> = checked.errors().map(|f| f.question_id.as_str()).collect();
    // The cloud and unused figures are still below 2,000, so only stored is at fault.
    assert_eq!(errors, vec!["storage_stored_bytes"]);
    assert!(
        checked.findings[0]
            .message
            .contains("cannot exceed storage capacity")
    );
    // Reuse without applying data is only implausible: a warning, the return is accepted.
    let answers = enterprise_answers()
        .with("applies_data_in_scenarios", Answer::Boolean(false))
        .with("scenarios", Answer::Choice(vec![]));
    let mut answers = answers;
    answers.0.remove("scenarios");
    let checked = q.check(&answers, &who);
    assert!(!checked.refused(), "{:?}", checked.findings);
    let warnings: Vec<_> = checked.warnings().map(|f| f.question_id.as_str()).collect();
    assert_eq!(warnings, vec!["achieves_data_reuse_value_add"]);
}

/// The 2024 round adds a question the 2023 questionnaire did not have (data resources recorded
/// as assets, and the amount), a repeat group (turnover by industry), and a date.
const APPLICATION_2024: &str = r#"
kind = "application_questionnaire"
version = "2024.1"
title = { zh = "数据资源应用情况调查", en = "Data resource application survey" }

[code_lists.industry_group]
code = [
  { code = "finance", label = { zh = "金融", en = "Finance" } },
  { code = "industry", label = { zh = "工业", en = "Industry" } },
]

[[question]]
id = "records_data_assets"
label = { zh = "是否将数据资源计入资产负债表", en = "Records data resources as assets on the balance sheet" }
type = "boolean"
asked_of = ["enterprise"]
required = true

[[question]]
id = "data_assets_yuan"
label = { zh = "数据资源入表金额", en = "Amount recorded as data assets" }
type = "decimal"
unit = "yuan"
asked_of = ["enterprise"]
relevant = "a.records_data_assets"
required = true

[[question.constraint]]
expression = "value > 0.0"
severity = "error"
message = { zh = "入表金额须为正", en = "the amount recorded must be positive" }

[[question.constraint]]
expression = "value < 1.0e12"
severity = "warning"
message = { zh = "入表金额超过一万亿元，请核实", en = "over a trillion yuan: please confirm" }

[[question]]
id = "recorded_on"
label = { zh = "入表日期", en = "Date first recorded" }
type = "date"
relevant = "a.records_data_assets"

[[question]]
id = "turnover_by_industry"
label = { zh = "分行业营业收入占比", en = "Turnover by industry" }
type = "group"
max_repeats = 3
asked_of = ["enterprise"]

[[question.constraint]]
expression = "value.all(r, !has(r.turnover_share) || r.turnover_share > 0.0) && size(value) > 0"
severity = "warning"
message = { zh = "请列出营业收入占比大于零的行业", en = "list the industries with a positive share of turnover" }

[[question.question]]
id = "turnover_industry"
label = { zh = "行业", en = "Industry" }
type = "choice"
code_list = "industry_group"
required = true

[[question.question]]
id = "turnover_share"
label = { zh = "占比", en = "Share" }
type = "decimal"
unit = "ratio"
required = true

[[question.question.constraint]]
expression = "value >= 0.0 && value <= 1.0"
severity = "error"
message = { zh = "占比须在0到1之间", en = "a share lies between 0 and 1" }

[[question.question]]
id = "turnover_note"
label = { zh = "说明", en = "Note" }
type = "text"
max_chars = 10
relevant = "row.turnover_industry == 'industry'"
"#;

fn row(industry: &str, share: f64) -> Answers {
    Answers::new()
        .with("turnover_industry", code(industry))
        .with(
            "turnover_share",
            Answer::Decimal {
                value: share,
                unit: "ratio".into(),
            },
        )
}

#[test]
fn a_new_cycle_adds_questions_and_a_repeat_group_without_code() {
    let q = CompiledQuestionnaire::from_toml(APPLICATION_2024).unwrap_or_else(|e| panic!("{e:?}"));
    let who = unit(SubjectType::KeyIndustryEnterprise);
    let base = Answers::new()
        .with("records_data_assets", Answer::Boolean(true))
        .with("data_assets_yuan", yuan(2.5e7))
        .with("recorded_on", Answer::Date("2024-03-31".into()))
        .with(
            "turnover_by_industry",
            Answer::Group(vec![row("finance", 0.6), row("industry", 0.4)]),
        );
    assert_eq!(findings(&q, &base, &who), vec![]);

    // Recorded assets without the amount: the amount is required once it is relevant.
    let mut missing = base.clone();
    missing.0.remove("data_assets_yuan");
    assert_eq!(
        findings(&q, &missing, &who),
        vec![error("data_assets_yuan")]
    );
    // "No assets" makes the amount irrelevant: answering it is refused, leaving it out is fine.
    let none = Answers::new().with("records_data_assets", Answer::Boolean(false));
    assert_eq!(findings(&q, &none, &who), vec![]);
    let stray = none.clone().with("data_assets_yuan", yuan(1.0));
    assert_eq!(findings(&q, &stray, &who), vec![error("data_assets_yuan")]);
    // Not answering the first question at all is its own error, not a "no".
    assert_eq!(
        findings(&q, &Answers::new(), &who),
        vec![error("records_data_assets")]
    );
    // A huge amount warns, a zero one is refused.
    let huge = base.clone().with("data_assets_yuan", yuan(5.0e12));
    let got = findings(&q, &huge, &who);
    assert_eq!(
        got,
        vec![(
            "data_assets_yuan".into(),
            "answers.data_assets_yuan".into(),
            Severity::Warning
        )]
    );
    let zero = base.clone().with("data_assets_yuan", yuan(0.0));
    assert_eq!(findings(&q, &zero, &who), vec![error("data_assets_yuan")]);
    // Dates are calendar dates.
    let bad_date = base
        .clone()
        .with("recorded_on", Answer::Date("2024-02-30".into()));
    assert_eq!(findings(&q, &bad_date, &who), vec![error("recorded_on")]);

    // Group rows are checked one by one, with the row in the field path.
    let rows = base.clone().with(
        "turnover_by_industry",
        Answer::Group(vec![
            row("finance", 0.6),
            row("industry", 1.4),
            Answers::new().with("turnover_industry", code("finance")),
        ]),
    );
    let got = findings(&q, &rows, &who);
    assert_eq!(
        got,
        vec![
            (
                "turnover_share".into(),
                "answers.turnover_by_industry[1].turnover_share".into(),
                Severity::Error
            ),
            (
                "turnover_share".into(),
                "answers.turnover_by_industry[2].turnover_share".into(),
                Severity::Error
            ),
        ]
    );
    // Relevance inside a row reads the row: a note is asked only for the industry row.
    let noted = base.clone().with(
        "turnover_by_industry",
        Answer::Group(vec![
            row("industry", 0.5).with("turnover_note", Answer::Text("ok".into())),
            row("finance", 0.5).with("turnover_note", Answer::Text("no".into())),
        ]),
    );
    assert_eq!(
        findings(&q, &noted, &who),
        vec![(
            "turnover_note".into(),
            "answers.turnover_by_industry[1].turnover_note".into(),
            Severity::Error
        )]
    );
    // The group's own rule reads its rows: an empty list warns.
    let empty = base
        .clone()
        .with("turnover_by_industry", Answer::Group(vec![]));
    assert_eq!(
        findings(&q, &empty, &who),
        vec![(
            "turnover_by_industry".into(),
            "answers.turnover_by_industry".into(),
            Severity::Warning
        )]
    );
    // At most max_repeats rows.
    let many = base.with(
        "turnover_by_industry",
        Answer::Group(vec![row("finance", 0.1); 4]),
    );
    assert_eq!(
        findings(&q, &many, &who),
        vec![error("turnover_by_industry")]
    );
}

/// Compiles `questions` (TOML `[[question]]` tables) in a minimal document and returns the
/// (field, question) of every error.
fn refusals(questions: &str) -> Vec<(String, Option<String>, String)> {
    let text = format!(
        r#"
kind = "application_questionnaire"
version = "t"
title = {{ zh = "测试", en = "Test" }}

[code_lists.yes_no]
code = [{{ code = "y", label = {{ zh = "是", en = "Yes" }} }}]

[[question]]
id = "amount_yuan"
label = {{ zh = "金额", en = "Amount" }}
type = "decimal"
unit = "yuan"

[[question]]
id = "stored_bytes"
label = {{ zh = "存储", en = "Stored" }}
type = "integer"
unit = "bytes"
{questions}
"#
    );
    match CompiledQuestionnaire::from_toml(&text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(
                |ContentError {
                     field,
                     question_id,
                     message,
                     ..
                 }| (field, question_id, message),
            )
            .collect(),
    }
}

fn refused_at(questions: &str, field: &str, says: &str) {
    let got = refusals(questions);
    assert!(
        got.iter().any(|(f, _, m)| f == field && m.contains(says)),
        "expected {field} to be refused with `{says}`, got {got:?}"
    );
}

const Q: &str = "[[question]]\nid = \"q\"\nlabel = { zh = \"问\", en = \"Q\" }\n";

#[test]
fn the_test_document_itself_is_sound() {
    assert_eq!(refusals(""), vec![]);
    assert_eq!(
        refusals(&format!(
            "{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes > 0.0 && has(a.amount_yuan)\""
        )),
        vec![]
    );
}

#[test]
fn bad_expressions_are_refused_with_the_position_and_the_field() {
    let syntax = format!("{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes >\"");
    refused_at(&syntax, "questions[2].relevant", "column");
    let unknown = format!("{Q}type = \"boolean\"\nrelevant = \"a.nothing\"");
    refused_at(
        &unknown,
        "questions[2].relevant",
        "unknown question `nothing`",
    );
    let later = format!(
        "{Q}type = \"boolean\"\nrelevant = \"a.r\"\n[[question]]\nid = \"r\"\nlabel = {{ zh = \"问\", en = \"R\" }}\ntype = \"boolean\""
    );
    refused_at(&later, "questions[2].relevant", "not asked before");
    let itself = format!("{Q}type = \"boolean\"\nrelevant = \"a.q\"");
    refused_at(&itself, "questions[2].relevant", "not asked before");
    let units =
        format!("{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes + a.amount_yuan > 0.0\"");
    refused_at(&units, "questions[2].relevant", "mixes units");
    let compare = format!("{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes > a.amount_yuan\"");
    refused_at(&compare, "questions[2].relevant", "mixes units");
    let text_number = format!("{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes == 'big'\"");
    refused_at(
        &text_number,
        "questions[2].relevant",
        "compares a number with a text",
    );
    let integer = format!("{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes * 2 > 0.0\"");
    refused_at(&integer, "questions[2].relevant", "integer literals");
    let not_condition = format!("{Q}type = \"boolean\"\nrelevant = \"a.stored_bytes\"");
    refused_at(
        &not_condition,
        "questions[2].relevant",
        "must be a condition",
    );
    let unknown_name = format!("{Q}type = \"boolean\"\nrelevant = \"stored_bytes > 0.0\"");
    refused_at(
        &unknown_name,
        "questions[2].relevant",
        "unknown name `stored_bytes`",
    );
    let value = format!("{Q}type = \"boolean\"\nrelevant = \"value\"");
    refused_at(&value, "questions[2].relevant", "`value`");
    let attribute = format!("{Q}type = \"boolean\"\nrelevant = \"unit.colour == 'red'\"");
    refused_at(&attribute, "questions[2].relevant", "no attribute `colour`");
    let function = format!("{Q}type = \"boolean\"\nrelevant = \"launch(a.stored_bytes)\"");
    refused_at(
        &function,
        "questions[2].relevant",
        "unknown function `launch`",
    );
    let row = format!("{Q}type = \"boolean\"\nrelevant = \"row.x\"");
    refused_at(
        &row,
        "questions[2].relevant",
        "only known inside a repeat group",
    );
    let big = format!(
        "{Q}type = \"boolean\"\nrelevant = \"{} > 0.0\"",
        vec!["a.stored_bytes"; 300].join(" + ")
    );
    refused_at(&big, "questions[2].relevant", "bytes");
    let constraint = format!(
        "{Q}type = \"decimal\"\nunit = \"yuan\"\n[[question.constraint]]\nexpression = \"value > a.stored_bytes\"\nseverity = \"error\"\nmessage = {{ zh = \"x\", en = \"x\" }}"
    );
    refused_at(
        &constraint,
        "questions[2].constraint[0].expression",
        "mixes units",
    );
    let required = format!("{Q}type = \"boolean\"\nrequired = \"a.nothing\"");
    refused_at(&required, "questions[2].required", "unknown question");
}

#[test]
fn bad_questions_are_refused_naming_the_field() {
    refused_at(
        &format!("{Q}type = \"integer\""),
        "questions[2].unit",
        "needs a unit",
    );
    refused_at(
        &format!("{Q}type = \"decimal\"\nunit = \"furlongs\""),
        "questions[2].unit",
        "unknown unit",
    );
    refused_at(
        &format!("{Q}type = \"boolean\"\nunit = \"bytes\""),
        "questions[2].unit",
        "does not apply",
    );
    refused_at(
        &format!("{Q}type = \"choice\""),
        "questions[2].code_list",
        "needs a code list",
    );
    refused_at(
        &format!("{Q}type = \"choice\"\ncode_list = \"colours\""),
        "questions[2].code_list",
        "unknown code list",
    );
    refused_at(
        &format!("{Q}type = \"boolean\"\nasked_of = [\"aliens\"]"),
        "questions[2].asked_of[0]",
        "neither a subject type nor a subject group",
    );
    refused_at(
        "[[question]]\nid = \"stored_bytes\"\nlabel = { zh = \"问\", en = \"Q\" }\ntype = \"boolean\"",
        "questions[2].id",
        "earlier question",
    );
    refused_at(
        "[[question]]\nid = \"in\"\nlabel = { zh = \"问\", en = \"Q\" }\ntype = \"boolean\"",
        "questions[2].id",
        "reserved word",
    );
    refused_at(
        "[[question]]\nid = \"Bad-Id\"\nlabel = { zh = \"问\", en = \"Q\" }\ntype = \"boolean\"",
        "questions[2].id",
        "lower-case",
    );
    refused_at(
        "[[question]]\nid = \"q\"\nlabel = { zh = \"\", en = \"Q\" }\ntype = \"boolean\"",
        "questions[2].label.zh",
        "must not be empty",
    );
    refused_at(
        &format!("{Q}type = \"group\"\nmax_repeats = 2"),
        "questions[2].questions",
        "at least one question",
    );
    refused_at(
        &format!(
            "{Q}type = \"group\"\n[[question.question]]\nid = \"m\"\nlabel = {{ zh = \"问\", en = \"M\" }}\ntype = \"boolean\""
        ),
        "questions[2].max_repeats",
        "needs max_repeats",
    );
    refused_at(
        &format!(
            "{Q}type = \"group\"\nmax_repeats = 2\n[[question.question]]\nid = \"m\"\nlabel = {{ zh = \"问\", en = \"M\" }}\ntype = \"group\"\nmax_repeats = 2\n[[question.question.question]]\nid = \"n\"\nlabel = {{ zh = \"问\", en = \"N\" }}\ntype = \"boolean\""
        ),
        "questions[2].questions[0].type",
        "cannot hold another group",
    );
    refused_at(
        &format!("{Q}type = \"text\"\nmax_chars = 0"),
        "questions[2].max_chars",
        "must be 1 to",
    );
    // A mistyped key is an error, not an optional question.
    refused_at(
        &format!("{Q}type = \"boolean\"\nrequried = true"),
        "document",
        "requried",
    );
}

#[test]
fn oversize_documents_are_refused_before_anything_is_compiled() {
    let many: String = (0..501)
        .map(|i| {
            format!("[[question]]\nid = \"q{i}\"\nlabel = {{ zh = \"问\", en = \"Q\" }}\ntype = \"boolean\"\n")
        })
        .collect();
    refused_at(&many, "questions", "at most 500");
}

#[test]
fn every_problem_is_reported_at_once_and_maps_to_invalid_argument() {
    let text = format!(
        "{Q}type = \"integer\"\nrelevant = \"a.nothing\"\n[[question]]\nid = \"r\"\nlabel = {{ zh = \"问\", en = \"R\" }}\ntype = \"choice\""
    );
    let errors = refusals(&text);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].1.as_deref(), Some("q"));
    let doc =
        format!("kind = \"x\"\nversion = \"1\"\ntitle = {{ zh = \"题\", en = \"T\" }}\n{text}");
    let refused = CompiledQuestionnaire::from_toml(&doc).unwrap_err();
    let error = ndrs_content::into_invalid(refused);
    let fields: Vec<_> = error
        .field_violations()
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(
        fields,
        vec![
            "questions[0].unit",
            "questions[0].relevant",
            "questions[1].code_list"
        ]
    );
}

#[test]
fn a_new_version_may_add_and_reword_but_not_change_what_a_question_means() {
    let published = application_2023().document;
    // Rewording, adding a question and a code, dropping a question: allowed.
    let mut next = published.clone();
    next.version = "2023.2".into();
    next.questions[2].label.en = "Has a system for managing its data".into();
    next.questions
        .retain(|q| q.id != "pilots_authorised_operation");
    next.code_lists
        .get_mut("scenario")
        .unwrap()
        .codes
        .push(ndrs_content::questionnaire::Code {
            code: "risk_control".into(),
            label: ndrs_content::questionnaire::Label {
                zh: "风险控制".into(),
                en: "Risk control".into(),
            },
        });
    assert_eq!(ndrs_content::meaning_changes(&published, &next), vec![]);

    // A new unit, a new type, a dropped code: refused, naming the question and the field.
    let mut changed = published.clone();
    let at = |d: &ndrs_content::Questionnaire, id: &str| {
        d.questions.iter().position(|q| q.id == id).unwrap()
    };
    let i = at(&changed, "digital_investment_yuan");
    changed.questions[i].unit = Some("count".into());
    let j = at(&changed, "has_data_management_system");
    changed.questions[j].answer_type = ndrs_content::questionnaire::QuestionType::Text;
    changed
        .code_lists
        .get_mut("size_class")
        .unwrap()
        .codes
        .pop();
    let errors = ndrs_content::meaning_changes(&published, &changed);
    let got: Vec<_> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.question_id.as_deref().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                format!("questions[{i}].unit").as_str(),
                "digital_investment_yuan"
            ),
            (
                format!("questions[{j}].type").as_str(),
                "has_data_management_system"
            ),
            ("code_lists.size_class", "size_class"),
        ]
    );
    assert!(errors[2].message.contains("micro"), "{}", errors[2].message);
}
