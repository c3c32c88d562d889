//! Indicator documents over gRPC: the application stage has no questionnaire figures before an
//! organiser publishes its indicators; a bad document is refused naming the indicator and the
//! field, with nothing stored; the shipped 2023 document defines the stage result, whose
//! figures cite it; and a dry run of a changed definition reports every figure beside the one
//! in force, with the difference, storing nothing.

mod common;

use common::{as_organiser, as_reporter, refused, start};
use ndrs_platform::client::AuthedChannel;
use ndrs_platform::grpc_status::field_violations;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::indicator_service_client::IndicatorServiceClient;
use ndrs_proto::v1::questionnaire_service_client::QuestionnaireServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

const APPLICATION_2023: &str =
    include_str!("../../crates/ndrs-content/content/2023/application.toml");
const INDICATORS_2023: &str =
    include_str!("../../crates/ndrs-content/content/2023/application_indicators.toml");

fn source(text: &str) -> Option<pb::IndicatorSource> {
    Some(pb::IndicatorSource {
        format: Some(pb::indicator_source::Format::Toml(text.into())),
    })
}

async fn latest(
    client: &mut IndicatorServiceClient<AuthedChannel>,
) -> Result<pb::IndicatorsDocument, tonic::Status> {
    client
        .get_indicators(pb::GetIndicatorsRequest {
            cycle_year: sample::CYCLE,
            kind: "application_indicators".into(),
            version: 0,
        })
        .await
        .map(tonic::Response::into_inner)
}

fn national<'a>(figures: &'a [pb::Figure], id: &str) -> Option<&'a pb::Figure> {
    figures
        .iter()
        .find(|f| f.id == id && f.dimensions.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_are_published_dry_run_and_bad_documents_change_nothing() {
    let (_env, system) = start().await;
    let endpoint = system.endpoints.application.clone();
    let mut questionnaires =
        QuestionnaireServiceClient::new(as_organiser(&system, &endpoint).await);
    let mut indicators = IndicatorServiceClient::new(as_organiser(&system, &endpoint).await);
    let mut organiser = ApplicationSurveyServiceClient::new(as_organiser(&system, &endpoint).await);
    questionnaires
        .publish_questionnaire(pb::PublishQuestionnaireRequest {
            cycle_year: sample::CYCLE,
            source: Some(pb::QuestionnaireSource {
                format: Some(pb::questionnaire_source::Format::Toml(
                    APPLICATION_2023.into(),
                )),
            }),
        })
        .await
        .unwrap();
    // Three key industry enterprises answer; two apply data.
    for (i, unit) in ["kie-1", "kie-2", "kie-3"].into_iter().enumerate() {
        let mut reporter =
            ApplicationSurveyServiceClient::new(as_reporter(&system, &endpoint, unit).await);
        let answers = sample::key_industry_enterprise(unit, "k", i < 2, 1_000, 250);
        reporter.submit_questionnaire(answers).await.unwrap();
    }
    let stage_result = async |organiser: &mut ApplicationSurveyServiceClient<AuthedChannel>| {
        organiser
            .get_stage_result(pb::GetStageResultRequest {
                cycle_year: sample::CYCLE,
            })
            .await
            .unwrap()
            .into_inner()
    };

    // No indicators, no questionnaire figures: the stage says why instead of failing.
    let before = stage_result(&mut organiser).await;
    assert!(national(&before.figures, "A11").is_none());
    assert!(
        before.notes.iter().any(|n| n.contains("PublishIndicators")),
        "{:?}",
        before.notes
    );

    // A misspelt question is refused naming the indicator and the field; nothing is stored.
    let misspelt = INDICATORS_2023.replace(
        "measure = \"!a.has_data_management_system\"",
        "measure = \"!a.has_data_managment_system\"",
    );
    assert_ne!(misspelt, INDICATORS_2023);
    let status = refused(
        indicators
            .publish_indicators(pb::PublishIndicatorsRequest {
                cycle_year: sample::CYCLE,
                source: source(&misspelt),
            })
            .await,
        Code::InvalidArgument,
    );
    let violations = field_violations(&status);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "source.indicators[5].measure");
    assert!(
        violations[0].1.starts_with("indicator A14: ")
            && violations[0].1.contains("unknown question"),
        "{}",
        violations[0].1
    );
    refused(latest(&mut indicators).await, Code::NotFound);
    // A reporter may not publish.
    let mut reporter = IndicatorServiceClient::new(as_reporter(&system, &endpoint, "kie-1").await);
    refused(
        reporter
            .publish_indicators(pb::PublishIndicatorsRequest {
                cycle_year: sample::CYCLE,
                source: source(INDICATORS_2023),
            })
            .await,
        Code::PermissionDenied,
    );

    // The shipped document defines the stage result; publishing it again is a retry.
    let published = indicators
        .publish_indicators(pb::PublishIndicatorsRequest {
            cycle_year: sample::CYCLE,
            source: source(INDICATORS_2023),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((published.version, published.indicators), (1, 39));
    let again = indicators
        .publish_indicators(pb::PublishIndicatorsRequest {
            cycle_year: sample::CYCLE,
            source: source(INDICATORS_2023),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.version, 1);
    let after = stage_result(&mut organiser).await;
    let a11 = national(&after.figures, "A11").expect("A11 under the published document");
    assert!((a11.value - 2.0 / 3.0).abs() < 1e-12, "{}", a11.value);
    let lineage = a11.lineage.as_ref().unwrap();
    assert!(
        lineage.parameters.contains(&published.lineage_ref),
        "{:?}",
        lineage.parameters
    );
    assert!(
        lineage
            .method
            .contains("share of a.applies_data_in_scenarios"),
        "{}",
        lineage.method
    );

    // Partners read the definitions back in the form they can send.
    let document = latest(&mut reporter).await.unwrap();
    assert_eq!(document.summary.unwrap().lineage_ref, published.lineage_ref);
    assert!(document.document_json.contains("\"id\":\"A14\""));

    // A dry run of a changed definition: A11 becomes "applies data and invests", a new figure
    // counts key industry enterprises; every figure is reported beside the current one.
    let draft = INDICATORS_2023
        .replace(
            "measure = \"a.applies_data_in_scenarios\"",
            "measure = \"a.applies_data_in_scenarios && a.digital_investment_yuan > 2.0e6\"",
        )
        .replace("version = \"2023.1\"", "version = \"2023.2-draft\"")
        + r#"
[[indicator]]
id = "T01"
name = { zh = "行业重点企业数", en = "Key industry enterprises" }
unit = "count"
estimator = "count"
domain = "unit.subject_type == 'key_industry_enterprise'"
"#;
    let check = indicators
        .check_indicators(pb::CheckIndicatorsRequest {
            cycle_year: sample::CYCLE,
            source: source(&draft),
            returns_cycle_year: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(check.version_name, "2023.2-draft");
    assert_eq!(check.current_lineage_ref, published.lineage_ref);
    let difference = |id: &str| {
        check
            .differences
            .iter()
            .find(|d| d.figure_id == id && d.dimensions.is_empty())
            .unwrap_or_else(|| panic!("no difference for {id}"))
    };
    let a11 = difference("A11");
    // The sample returns invest 1e6 yuan: nobody is in the new A11.
    assert_eq!(a11.draft_value, Some(0.0));
    assert!((a11.current_value.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((a11.difference.unwrap() + 2.0 / 3.0).abs() < 1e-12);
    let t01 = difference("T01");
    assert_eq!((t01.draft_value, t01.current_value), (Some(3.0), None));
    let a12 = difference("A12");
    assert_eq!(a12.difference, Some(0.0));
    // Nothing was stored: the published version is still the latest.
    assert_eq!(
        latest(&mut indicators)
            .await
            .unwrap()
            .summary
            .unwrap()
            .version,
        1
    );

    // A draft that does not compile is refused as publishing it would be.
    let status = refused(
        indicators
            .check_indicators(pb::CheckIndicatorsRequest {
                cycle_year: sample::CYCLE,
                source: source(&misspelt),
                returns_cycle_year: 0,
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        field_violations(&status)[0].0,
        "source.indicators[5].measure"
    );
    system.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_derived_figures_document_is_refused_and_changes_nothing() {
    use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
    let (_env, system) = start().await;
    let mut org =
        AggregatorServiceClient::new(as_organiser(&system, &system.endpoints.aggregator).await);
    let document = |figures: &str| {
        Some(pb::IndicatorSource {
            format: Some(pb::indicator_source::Format::Toml(format!(
                "kind = \"derived_figures\"\nversion = \"t\"\ntitle = {{ zh = \"测试\", en = \"Test\" }}\n{figures}"
            ))),
        })
    };
    let figure = |id: &str, expression: &str| {
        format!(
            "[[figure]]\nid = \"{id}\"\nname = {{ zh = \"{id}\", en = \"{id}\" }}\nunit = \"ratio\"\nexpression = \"{expression}\"\n"
        )
    };
    for (figures, field, says) in [
        (
            figure("X1", "f['P99'] / f['P01']"),
            "source.figures[0].expression",
            "`P99` is not a figure",
        ),
        (
            figure("X1", "f['X2'] * 1.0") + &figure("X2", "f['X1'] * 1.0"),
            "source.figures",
            "cycle",
        ),
    ] {
        let status = refused(
            org.publish_derived_figures(pb::PublishDerivedFiguresRequest {
                cycle_year: sample::CYCLE,
                source: document(&figures),
            })
            .await,
            Code::InvalidArgument,
        );
        let violations = field_violations(&status);
        assert_eq!(violations[0].0, field, "{violations:?}");
        assert!(violations[0].1.contains(says), "{violations:?}");
    }
    refused(
        org.get_derived_figures(pb::GetDerivedFiguresRequest {
            cycle_year: sample::CYCLE,
            version: 0,
        })
        .await,
        Code::NotFound,
    );
    // The shipped one is accepted, and read back.
    let shipped = include_str!("../../crates/ndrs-content/content/2023/derived.toml");
    let published = org
        .publish_derived_figures(pb::PublishDerivedFiguresRequest {
            cycle_year: sample::CYCLE,
            source: Some(pb::IndicatorSource {
                format: Some(pb::indicator_source::Format::Toml(shipped.into())),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((published.version, published.figures), (1, 1));
    system.stop().await.unwrap();
}
