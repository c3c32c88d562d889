//! Questionnaires as documents over gRPC: an organiser dry-runs and publishes the shipped 2023
//! application questionnaire, partners read it back, a 2024 version adds a question, and bad
//! content is refused naming the field with nothing stored; returns answered by question id are
//! checked against the published version and cite it.

mod common;

use common::{application_questionnaire_2024, as_organiser, as_reporter, refused, start};
use ndrs_platform::client::AuthedChannel;
use ndrs_platform::grpc_status::field_violations;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::questionnaire_service_client::QuestionnaireServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

type Client = QuestionnaireServiceClient<AuthedChannel>;

const APPLICATION_2023: &str =
    include_str!("../../crates/ndrs-content/content/2023/application.toml");

fn toml(text: &str) -> Option<pb::QuestionnaireSource> {
    Some(pb::QuestionnaireSource {
        format: Some(pb::questionnaire_source::Format::Toml(text.into())),
    })
}

fn boolean(b: bool) -> pb::Answer {
    pb::Answer {
        value: Some(pb::answer::Value::Boolean(b)),
    }
}

fn choice(code: &str) -> pb::Answer {
    pb::Answer {
        value: Some(pb::answer::Value::Choice(pb::ChoiceAnswer {
            codes: vec![code.into()],
        })),
    }
}

fn bytes(value: i64) -> pb::Answer {
    pb::Answer {
        value: Some(pb::answer::Value::Integer(pb::IntegerAnswer {
            value,
            unit: "bytes".into(),
        })),
    }
}

fn example(
    name: &str,
    subject: pb::SubjectType,
    answers: &[(&str, pb::Answer)],
) -> pb::QuestionnaireExample {
    pb::QuestionnaireExample {
        name: name.into(),
        respondent: Some(pb::Respondent {
            subject_type: subject as i32,
            province_code: "11".into(),
            industry: String::new(),
            size_class: String::new(),
        }),
        answers: Some(pb::AnswerSet {
            answers: answers
                .iter()
                .map(|(id, a)| (id.to_string(), a.clone()))
                .collect(),
        }),
    }
}

async fn get(
    client: &mut Client,
    cycle_year: i32,
    version: u32,
) -> Result<pb::QuestionnaireDocument, tonic::Status> {
    client
        .get_questionnaire(pb::GetQuestionnaireRequest {
            cycle_year,
            kind: "application_questionnaire".into(),
            version,
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_checks_publishes_and_partners_read_questionnaires() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut organiser =
        QuestionnaireServiceClient::new(as_organiser(&system, &e.application).await);
    let mut reporter =
        QuestionnaireServiceClient::new(as_reporter(&system, &e.application, "ent-1").await);

    // Nothing is published yet.
    refused(get(&mut reporter, sample::CYCLE, 0).await, Code::NotFound);

    // The dry run tells what each example would get, and stores nothing.
    let run = organiser
        .check_questionnaire(pb::CheckQuestionnaireRequest {
            cycle_year: sample::CYCLE,
            source: toml(APPLICATION_2023),
            examples: vec![
                example(
                    "consistent",
                    pb::SubjectType::CentralSoe,
                    &[
                        ("size_class", choice("large")),
                        ("storage_capacity_bytes", bytes(100)),
                        ("storage_stored_bytes", bytes(80)),
                    ],
                ),
                example(
                    "stored above capacity, government question",
                    pb::SubjectType::CentralSoe,
                    &[
                        ("size_class", choice("large")),
                        ("storage_capacity_bytes", bytes(100)),
                        ("storage_stored_bytes", bytes(180)),
                        ("pilots_authorised_operation", boolean(true)),
                    ],
                ),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(run.kind, "application_questionnaire");
    assert_eq!(run.question_ids.len(), 21);
    assert!(!run.examples[0].refused, "{:?}", run.examples[0]);
    assert!(run.examples[1].refused);
    let rules: Vec<_> = run.examples[1]
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.fields[0].as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "question.storage_stored_bytes",
                "answers.storage_stored_bytes"
            ),
            (
                "question.pilots_authorised_operation",
                "answers.pilots_authorised_operation"
            ),
        ]
    );
    refused(get(&mut reporter, sample::CYCLE, 0).await, Code::NotFound);

    // Only organisers check and publish.
    refused(
        reporter
            .publish_questionnaire(pb::PublishQuestionnaireRequest {
                cycle_year: sample::CYCLE,
                source: toml(APPLICATION_2023),
            })
            .await,
        Code::PermissionDenied,
    );

    let published = organiser
        .publish_questionnaire(pb::PublishQuestionnaireRequest {
            cycle_year: sample::CYCLE,
            source: toml(APPLICATION_2023),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(published.version, 1);
    assert_eq!(published.version_name, "2023.1");
    assert_eq!(published.questions, 21);
    assert!(
        published
            .lineage_ref
            .starts_with("questionnaire.application_questionnaire:2023@1#")
    );

    // A partner reads it back, as JSON it could send again.
    let document = get(&mut reporter, sample::CYCLE, 0).await.unwrap();
    assert_eq!(
        document.summary.as_ref().unwrap().content_hash,
        published.content_hash
    );
    let json: serde_json::Value = serde_json::from_str(&document.document_json).unwrap();
    assert_eq!(json["question"][0]["id"], "industry");
    let listed = reporter
        .list_questionnaires(pb::ListQuestionnairesRequest {
            cycle_year: sample::CYCLE,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.questionnaires.len(), 1);

    // The next cycle adds a question on data assets: a new document, no new build.
    let with_assets = application_questionnaire_2024();
    let next = organiser
        .publish_questionnaire(pb::PublishQuestionnaireRequest {
            cycle_year: sample::CYCLE + 1,
            source: Some(pb::QuestionnaireSource {
                format: Some(pb::questionnaire_source::Format::Json(
                    serde_json::to_string(
                        &ndrs_content::Questionnaire::from_toml(&with_assets).unwrap(),
                    )
                    .unwrap(),
                )),
            }),
        })
        .await;
    assert_eq!(next.unwrap().into_inner().questions, 23);
    system.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_content_is_refused_naming_the_field_and_nothing_is_stored() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut organiser =
        QuestionnaireServiceClient::new(as_organiser(&system, &e.application).await);
    let publish = |text: String| pb::PublishQuestionnaireRequest {
        cycle_year: sample::CYCLE,
        source: toml(&text),
    };
    let cases = [
        (
            APPLICATION_2023.replace(
                "relevant = \"has(a.applies_data_in_scenarios) && a.applies_data_in_scenarios\"",
                "relevant = \"a.applies_data_in_scenarios &&\"",
            ),
            "source.questions[4].relevant",
        ),
        (
            APPLICATION_2023.replace(
                "expression = \"value <= a.storage_capacity_bytes\"",
                "expression = \"value <= a.digital_investment_yuan\"",
            ),
            "source.questions[8].constraint[1].expression",
        ),
        (
            APPLICATION_2023.replace("code_list = \"scenario\"", "code_list = \"scenarios\""),
            "source.questions[4].code_list",
        ),
        (
            APPLICATION_2023.replace(
                "kind = \"application_questionnaire\"",
                "kind = \"compute_centre\"",
            ),
            "source.kind",
        ),
        (
            APPLICATION_2023.replace("type = \"boolean\"", "typ = \"boolean\""),
            "source.document",
        ),
    ];
    for (text, field) in cases {
        let status = refused(
            organiser.publish_questionnaire(publish(text)).await,
            Code::InvalidArgument,
        );
        let fields: Vec<_> = field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert!(fields.contains(&field.to_string()), "{field}: {fields:?}");
    }
    refused(get(&mut organiser, sample::CYCLE, 0).await, Code::NotFound);

    // Once 2023.1 is published, a version that changes what a question means is refused.
    organiser
        .publish_questionnaire(publish(APPLICATION_2023.to_string()))
        .await
        .unwrap();
    let changed = APPLICATION_2023
        .replace("version = \"2023.1\"", "version = \"2023.2\"")
        .replace(
            "id = \"digital_investment_yuan\"\nlabel = { zh = \"数字化投入\", en = \"Investment in digitalisation\" }\ntype = \"decimal\"\nunit = \"yuan\"",
            "id = \"digital_investment_yuan\"\nlabel = { zh = \"数字化投入\", en = \"Investment in digitalisation\" }\ntype = \"decimal\"\nunit = \"count\"",
        );
    assert_ne!(changed, APPLICATION_2023);
    let status = refused(
        organiser.publish_questionnaire(publish(changed)).await,
        Code::InvalidArgument,
    );
    let violations = field_violations(&status);
    assert!(violations[0].0.ends_with(".unit"), "{violations:?}");
    assert!(
        violations[0].1.contains("digital_investment_yuan"),
        "{violations:?}"
    );
    assert_eq!(
        get(&mut organiser, sample::CYCLE, 0)
            .await
            .unwrap()
            .summary
            .unwrap()
            .version,
        1
    );
    system.stop().await.unwrap();
}

fn yuan(value: f64) -> pb::Answer {
    pb::Answer {
        value: Some(pb::answer::Value::Decimal(pb::DecimalAnswer {
            value,
            unit: "yuan".into(),
        })),
    }
}

fn answer_return(cycle_year: i32, key: &str, answers: &[(&str, pb::Answer)]) -> pb::AnswerReturn {
    let example = example("", pb::SubjectType::CentralSoe, answers);
    let mut header = sample::header("ent-1", key);
    header.as_mut().unwrap().cycle_year = cycle_year;
    pb::AnswerReturn {
        header,
        kind: "application_questionnaire".into(),
        respondent: example.respondent,
        answers: example.answers,
    }
}

/// The stored answers of the unit's latest return, as `GetReturn` reads them back.
async fn stored_answers(
    app: &mut ApplicationSurveyServiceClient<AuthedChannel>,
    return_id: &str,
) -> serde_json::Value {
    let history = app
        .get_return(pb::GetReturnRequest {
            return_id: return_id.into(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    serde_json::from_str(&history.versions.last().unwrap().payload_json).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_by_question_id_are_checked_against_the_published_questionnaire() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut organiser =
        QuestionnaireServiceClient::new(as_organiser(&system, &e.application).await);
    let mut app =
        ApplicationSurveyServiceClient::new(as_reporter(&system, &e.application, "ent-1").await);
    let consistent = [
        ("size_class", choice("large")),
        ("storage_capacity_bytes", bytes(100)),
        ("storage_stored_bytes", bytes(80)),
        ("has_data_management_system", boolean(false)),
    ];

    // No return is taken before its questionnaire is published.
    refused(
        app.submit_answers(answer_return(sample::CYCLE, "k0", &consistent))
            .await,
        Code::FailedPrecondition,
    );
    let publish = |cycle_year: i32, text: &str| pb::PublishQuestionnaireRequest {
        cycle_year,
        source: toml(text),
    };
    let published = organiser
        .publish_questionnaire(publish(sample::CYCLE, APPLICATION_2023))
        .await
        .unwrap()
        .into_inner();
    // Publishing the same document again is a retry: the same version, not a new one.
    let again = organiser
        .publish_questionnaire(publish(sample::CYCLE, APPLICATION_2023))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (again.version, again.content_hash),
        (1, published.content_hash.clone())
    );

    // An answer is stored as given, and a question not answered has no entry: "no" is not
    // confused with "not answered".
    let receipt = app
        .submit_answers(answer_return(sample::CYCLE, "k1", &consistent))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.questionnaire_ref, published.lineage_ref);
    let first = receipt.return_id.clone();
    let stored = stored_answers(&mut app, &first).await;
    assert_eq!(
        stored["answers"]["has_data_management_system"]["boolean"],
        false
    );
    assert!(stored["answers"].get("in_digital_transformation").is_none());
    assert_eq!(stored["questionnaire_version"], published.lineage_ref);

    // Errors refuse the return naming every answer at fault; nothing is stored.
    let mut wrong = consistent.to_vec();
    wrong.push(("no_such_question", boolean(true)));
    wrong[1] = ("storage_capacity_bytes", yuan(100.0));
    wrong.push(("pilots_authorised_operation", boolean(true)));
    let status = refused(
        app.submit_answers(answer_return(sample::CYCLE, "k2", &wrong))
            .await,
        Code::InvalidArgument,
    );
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    for expected in [
        "answers.no_such_question",
        "answers.storage_capacity_bytes",
        "answers.pilots_authorised_operation",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected}: {fields:?}"
        );
    }
    let mut other_kind = answer_return(sample::CYCLE, "k3", &consistent);
    other_kind.kind = "compute_centre".into();
    let status = refused(app.submit_answers(other_kind).await, Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "kind");

    // Warnings travel in the receipt, naming the question.
    let mut warned = consistent.to_vec();
    warned.push(("achieves_data_reuse_value_add", boolean(true)));
    let receipt = app
        .submit_answers(answer_return(sample::CYCLE, "k4", &warned))
        .await
        .unwrap()
        .into_inner();
    assert!(
        receipt
            .findings
            .iter()
            .any(|f| f.rule_id == "question.achieves_data_reuse_value_add"),
        "{:?}",
        receipt.findings
    );
    let listed = app
        .list_returns(sample::returns_of("ent-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.returns.len(),
        2,
        "the refused submissions stored nothing"
    );

    // 2024 asks a question the typed message has no field for: answered by id, under the 2024
    // document, while the 2023 return keeps its version.
    let v2024 = organiser
        .publish_questionnaire(publish(
            sample::CYCLE + 1,
            &application_questionnaire_2024(),
        ))
        .await
        .unwrap()
        .into_inner();
    let mut assets = consistent.to_vec();
    assets.push(("records_data_assets", boolean(true)));
    let status = refused(
        app.submit_answers(answer_return(sample::CYCLE + 1, "k5", &assets))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&status)[0].0, "answers.data_assets_yuan");
    assets.push(("data_assets_yuan", yuan(5.0e6)));
    let receipt = app
        .submit_answers(answer_return(sample::CYCLE + 1, "k6", &assets))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.questionnaire_ref, v2024.lineage_ref);
    let stored = stored_answers(&mut app, &receipt.return_id).await;
    assert_eq!(
        stored["answers"]["data_assets_yuan"]["decimal"]["value"],
        5.0e6
    );
    // The typed message still works for 2024: it cannot answer the new questions, and need not.
    let mut typed = sample::key_industry_enterprise("ent-1", "k7", true, 1_000, 500);
    typed.header.as_mut().unwrap().cycle_year = sample::CYCLE + 1;
    typed.subject_type = pb::SubjectType::CentralSoe as i32;
    let receipt = app.submit_questionnaire(typed).await.unwrap().into_inner();
    assert_eq!(receipt.questionnaire_ref, v2024.lineage_ref);
    let stored = stored_answers(&mut app, &first).await;
    assert_eq!(stored["questionnaire_version"], published.lineage_ref);
    system.stop().await.unwrap();
}
