//! A new survey round, 2024, on the same binary with no code change: after the 2023 round is
//! published, the organiser publishes a 2024 application questionnaire that asks a question the
//! 2023 one did not (does the enterprise record data resources as assets on its balance sheet,
//! and for how much), dry-runs a 2024 indicator document over the 2023 returns, and publishes it
//! with a new indicator over the question (the share of large enterprises that record them, with
//! its design-based interval) and the amount broken down by industry, and a 2024 derived-figures
//! document with a growth rate of an existing indicator against the 2023 release. Units answer by
//! question id; the 2024 candidate is validated, reviewed and published; the release carries the
//! new figures with lineage citing the 2024 documents; the 2023 returns and release are
//! unchanged.

mod common;

use common::{
    application_questionnaire_2024, as_organiser, as_reporter, assemble, load_rules,
    pass_stages_1_and_2, start, submit_samples,
};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::indicator_service_client::IndicatorServiceClient;
use ndrs_proto::v1::questionnaire_service_client::QuestionnaireServiceClient;
use ndrs_testkit::sample;

type Aggregator = AggregatorServiceClient<AuthedChannel>;

const Y2023: i32 = sample::CYCLE;
const Y2024: i32 = sample::CYCLE + 1;

const INDICATORS_2023: &str =
    include_str!("../../crates/ndrs-content/content/2023/application_indicators.toml");
const DERIVED_2023: &str = include_str!("../../crates/ndrs-content/content/2023/derived.toml");

/// The 2024 derived figures: the 2023 ones and A11's growth against the 2023 release.
fn derived_2024() -> String {
    DERIVED_2023.replace("version = \"2023.1\"", "version = \"2024.1\"")
        + r#"
[[figure]]
id = "A11.growth"
name = { zh = "数据场景化应用企业比例增长", en = "Growth of the share of key industry enterprises applying data" }
unit = "ratio"
expression = "f['A11'] / previous['A11'] - 1.0"
"#
}

/// The 2024 indicators: the 2023 ones, a new indicator and a new breakdown.
fn indicators_2024() -> String {
    INDICATORS_2023.replace("version = \"2023.1\"", "version = \"2024.1\"")
        + r#"
[[indicator]]
id = "A19"
name = { zh = "数据资源入表的大企业比例", en = "Large enterprises recording data resources as assets" }
unit = "ratio"
estimator = "share"
domain = "unit.subject_group == 'enterprise' && unit.size_class == 'large'"
measure = "a.records_data_assets"

[[indicator]]
id = "application.data_assets_yuan"
name = { zh = "企业数据资源入表金额", en = "Data resources enterprises recorded as assets" }
role = "auxiliary"
unit = "yuan"
estimator = "total"
domain = "unit.subject_group == 'enterprise' && has(a.records_data_assets)"
measure = "a.records_data_assets ? a.data_assets_yuan : 0.0"
breakdowns = ["industry"]
publish_by = ["industry"]
"#
}

/// The 2024 application sample: the two sample key industry enterprises (typed returns, which
/// cannot answer the new questions) and six large enterprises answering by question id.
fn design_2024() -> pb::LoadSampleDesignRequest {
    let units = ["kie-1", "kie-2", "e1", "e2", "e3", "e4", "e5", "e6"]
        .into_iter()
        .map(|id| pb::SampleUnit {
            reporting_unit_id: id.into(),
            stratum: "large".into(),
            psu: String::new(),
            design_weight: 5.0,
            subject_type: pb::SubjectType::KeyIndustryEnterprise as i32,
            size_class: pb::SizeClass::Large as i32,
            province_code: "44".into(),
            industry: String::new(),
        })
        .collect();
    pb::LoadSampleDesignRequest {
        cycle_year: Y2024,
        units,
        strata: vec![pb::StratumPopulation {
            stratum: "large".into(),
            population_psus: 40.0,
            certainty: false,
        }],
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: "stratum".into(),
            ..Default::default()
        }),
        variance: Some(pb::VarianceSpecification {
            method: pb::VarianceMethod::Jackknife as i32,
            confidence_level: 0.95,
            lonely_psu: pb::LonelyPsuPolicy::Fail as i32,
            ..Default::default()
        }),
    }
}

fn answer(value: pb::answer::Value) -> pb::Answer {
    pb::Answer { value: Some(value) }
}

/// One enterprise's 2024 answers by question id: (industry, records assets, amount in yuan).
fn answers_2024(unit: &str, industry: &str, recorded: Option<f64>) -> pb::AnswerReturn {
    let mut answers: Vec<(&str, pb::Answer)> = vec![
        (
            "industry",
            answer(pb::answer::Value::Choice(pb::ChoiceAnswer {
                codes: vec![industry.into()],
            })),
        ),
        (
            "size_class",
            answer(pb::answer::Value::Choice(pb::ChoiceAnswer {
                codes: vec!["large".into()],
            })),
        ),
        (
            "has_data_management_system",
            answer(pb::answer::Value::Boolean(true)),
        ),
        (
            "applies_data_in_scenarios",
            answer(pb::answer::Value::Boolean(false)),
        ),
        (
            "records_data_assets",
            answer(pb::answer::Value::Boolean(recorded.is_some())),
        ),
    ];
    if let Some(yuan) = recorded {
        answers.push((
            "data_assets_yuan",
            answer(pb::answer::Value::Decimal(pb::DecimalAnswer {
                value: yuan,
                unit: "yuan".into(),
            })),
        ));
    }
    let mut header = sample::header(unit, "answers-2024");
    header.as_mut().unwrap().cycle_year = Y2024;
    pb::AnswerReturn {
        header,
        kind: "application_questionnaire".into(),
        respondent: Some(pb::Respondent {
            subject_type: pb::SubjectType::KeyIndustryEnterprise as i32,
            province_code: "44".into(),
            industry: industry.into(),
            size_class: "large".into(),
        }),
        answers: Some(pb::AnswerSet {
            answers: answers
                .into_iter()
                .map(|(id, a)| (id.to_string(), a))
                .collect(),
        }),
    }
}

async fn as_named(system: &ndrs_cli::system::RunningSystem, name: &str, role: Role) -> Aggregator {
    let issued = system
        .runtime
        .identity
        .issue(name, role, None)
        .await
        .unwrap();
    AggregatorServiceClient::new(
        channel(&system.endpoints.aggregator, Some(&issued.token)).unwrap(),
    )
}

/// Stages 1 to 3 and publication of a cycle's latest candidate, as the working group does it:
/// every finding that needs a justification gets one ([`pass_stages_1_and_2`]), one expert
/// approves, the publisher publishes. Returns the release's JSON.
async fn publish_round(
    org: &mut Aggregator,
    expert: &mut Aggregator,
    publisher: &mut Aggregator,
    cycle_year: i32,
) -> serde_json::Value {
    let candidate = assemble(org, cycle_year).await;
    pass_stages_1_and_2(org, &candidate).await;
    let round = common::open_round(org, &candidate, 1).await;
    expert
        .cast_vote(pb::CastVoteRequest {
            round_id: round.round_id.clone(),
            candidate_hash: candidate.content_hash.clone(),
            figure_id: String::new(),
            verdict: pb::Verdict::Approve as i32,
            reason: String::new(),
        })
        .await
        .unwrap();
    let release = publisher
        .publish(pb::PublishRequest {
            candidate_id: candidate.candidate_id.clone(),
            embargo_until: None,
            note: String::new(),
        })
        .await
        .unwrap_or_else(|s| panic!("publish {cycle_year}: {s}"))
        .into_inner();
    assert_eq!(release.version, 1);
    read_release(publisher, cycle_year).await
}

async fn read_release(agg: &mut Aggregator, cycle_year: i32) -> serde_json::Value {
    let document = agg
        .get_release(pb::GetReleaseRequest {
            cycle_year,
            version: 1,
            format: pb::ReleaseFormat::Json as i32,
        })
        .await
        .unwrap()
        .into_inner();
    serde_json::from_slice(&document.content).unwrap()
}

/// The release's figure `id` with exactly `dimensions`.
fn released<'a>(
    release: &'a serde_json::Value,
    id: &str,
    dimensions: &[(&str, &str)],
) -> Option<&'a serde_json::Value> {
    release["figures"].as_array()?.iter().find(|f| {
        f["id"] == id
            && f["dimensions"].as_object().is_some_and(|d| {
                d.len() == dimensions.len()
                    && dimensions
                        .iter()
                        .all(|(k, v)| d.get(*k).and_then(|x| x.as_str()) == Some(*v))
            })
    })
}

fn cites(figure: &serde_json::Value, reference: &str) -> bool {
    figure["lineage"]["parameters"]
        .as_array()
        .is_some_and(|p| p.iter().any(|x| x == reference))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2024_round_adds_a_question_and_an_indicator_without_a_new_build() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut org = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let mut expert = as_named(&system, "expert one", Role::Expert).await;
    let mut publisher = as_named(&system, "release office", Role::Publisher).await;

    // --- The 2023 round, on the shipped content. ---
    load_rules(&mut org, Y2023, Vec::new(), true).await.unwrap();
    submit_samples(&system).await;
    let release_2023 = publish_round(&mut org, &mut expert, &mut publisher, Y2023).await;
    let a11_2023 = released(&release_2023, "A11", &[]).expect("A11 in 2023")["value"].clone();
    assert!(released(&release_2023, "A19", &[]).is_none());

    // --- 2024 content, published by the organiser over the API. ---
    let mut questionnaires =
        QuestionnaireServiceClient::new(as_organiser(&system, &e.application).await);
    let q2024 = questionnaires
        .publish_questionnaire(pb::PublishQuestionnaireRequest {
            cycle_year: Y2024,
            source: Some(pb::QuestionnaireSource {
                format: Some(pb::questionnaire_source::Format::Toml(
                    application_questionnaire_2024(),
                )),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let mut indicators = IndicatorServiceClient::new(as_organiser(&system, &e.application).await);
    let source = || {
        Some(pb::IndicatorSource {
            format: Some(pb::indicator_source::Format::Toml(indicators_2024())),
        })
    };
    // The impact check over last year's returns: the 2023 figures are unchanged, the new share
    // has no value there (nobody was asked: its domain is empty), and the new total is only the
    // draft's.
    let impact = indicators
        .check_indicators(pb::CheckIndicatorsRequest {
            cycle_year: Y2024,
            source: source(),
            returns_cycle_year: Y2023,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(impact.indicator_ids.contains(&"A19".to_string()));
    for d in &impact.differences {
        if d.figure_id == "application.data_assets_yuan" {
            assert_eq!(d.current_value, None, "{d:?}");
        } else {
            assert_eq!(d.difference, Some(0.0), "{d:?}");
        }
    }
    assert!(impact.differences.iter().any(|d| d.figure_id == "A11"));
    assert!(!impact.differences.iter().any(|d| d.figure_id == "A19"));
    let i2024 = indicators
        .publish_indicators(pb::PublishIndicatorsRequest {
            cycle_year: Y2024,
            source: source(),
        })
        .await
        .unwrap()
        .into_inner();

    let derived = org
        .publish_derived_figures(pb::PublishDerivedFiguresRequest {
            cycle_year: Y2024,
            source: Some(pb::IndicatorSource {
                format: Some(pb::indicator_source::Format::Toml(derived_2024())),
            }),
        })
        .await
        .unwrap()
        .into_inner();

    // --- The 2024 returns. ---
    let mut application =
        ApplicationSurveyServiceClient::new(as_organiser(&system, &e.application).await);
    application.load_sample_design(design_2024()).await.unwrap();
    ndrs_testkit::submit::submit_sample_returns_for(&e, &system.runtime.identity, Y2024)
        .await
        .unwrap();
    for (unit, industry, recorded) in [
        ("e1", "finance", Some(1.0e6)),
        ("e2", "finance", Some(2.0e6)),
        ("e3", "industry", Some(4.0e6)),
        ("e4", "agriculture", None),
        ("e5", "finance", None),
        ("e6", "industry", None),
    ] {
        let mut reporter =
            ApplicationSurveyServiceClient::new(as_reporter(&system, &e.application, unit).await);
        let receipt = reporter
            .submit_answers(answers_2024(unit, industry, recorded))
            .await
            .unwrap_or_else(|s| panic!("{unit}: {s}"))
            .into_inner();
        assert_eq!(receipt.questionnaire_ref, q2024.lineage_ref);
    }

    // --- The 2024 round through validation, review and publication. ---
    load_rules(&mut org, Y2024, Vec::new(), true).await.unwrap();
    let release_2024 = publish_round(&mut org, &mut expert, &mut publisher, Y2024).await;
    // The new indicator: three of the six large enterprises that answered record data assets
    // (the two typed returns could not answer, and are left out rather than read as "no"),
    // with a design-based interval.
    let a19 = released(&release_2024, "A19", &[]).expect("A19 in the 2024 release");
    assert!(
        (a19["value"].as_f64().unwrap() - 0.5).abs() < 1e-12,
        "{a19}"
    );
    let interval = &a19["interval"];
    assert!(interval["lower"].as_f64().unwrap() < 0.5 && interval["upper"].as_f64().unwrap() > 0.5);
    assert!(cites(a19, &i2024.lineage_ref), "{a19}");
    assert!(cites(a19, &q2024.lineage_ref), "{a19}");
    assert!(
        a19["lineage"]["method"]
            .as_str()
            .unwrap()
            .contains("2 responding unit(s) left out"),
        "{a19}"
    );
    // The amount by industry: weight 5 for each responding enterprise of the stratum.
    for (industry, expected) in [
        ("finance", 1.5e7),
        ("industry", 2.0e7),
        ("agriculture", 0.0),
    ] {
        let cell = released(
            &release_2024,
            "application.data_assets_yuan",
            &[("industry", industry)],
        )
        .unwrap_or_else(|| panic!("no {industry} cell in {}", release_2024["figures"]));
        assert!(
            (cell["value"].as_f64().unwrap() - expected).abs() < 1e-6,
            "{industry}: {cell}"
        );
    }
    let national = released(&release_2024, "application.data_assets_yuan", &[]).unwrap();
    assert!((national["value"].as_f64().unwrap() - 3.5e7).abs() < 1e-6);
    // The growth rate against the 2023 release, citing both.
    let a11_2024 = released(&release_2024, "A11", &[]).unwrap()["value"]
        .as_f64()
        .unwrap();
    let growth = released(&release_2024, "A11.growth", &[]).expect("A11.growth in 2024");
    let expected = a11_2024 / a11_2023.as_f64().unwrap() - 1.0;
    assert!(
        (growth["value"].as_f64().unwrap() - expected).abs() < 1e-12,
        "{growth}"
    );
    assert!(cites(growth, &derived.lineage_ref), "{growth}");
    assert!(cites(growth, "previous release 2023@1: A11"), "{growth}");

    // --- 2023 is unchanged and still readable. ---
    assert_eq!(read_release(&mut publisher, Y2023).await, release_2023);
    let stage_2023 = application
        .get_stage_result(pb::GetStageResultRequest { cycle_year: Y2023 })
        .await
        .unwrap()
        .into_inner();
    let a11 = stage_2023
        .figures
        .iter()
        .find(|f| f.id == "A11" && f.dimensions.is_empty())
        .unwrap();
    assert_eq!(serde_json::json!(a11.value), a11_2023);
    let current_2023 = indicators
        .get_indicators(pb::GetIndicatorsRequest {
            cycle_year: Y2023,
            kind: "application_indicators".into(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current_2023.summary.unwrap().version_name, "2023.1");
    system.stop().await.unwrap();
}
