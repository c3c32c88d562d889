//! The application survey's design-based estimates over gRPC: the organiser loads a sample
//! design (strata, design weights, non-respondents), enterprises answer, and the figures come out
//! weighted with their precision, nationally and by breakdown.
//!
//! The sample, small enough to check by hand:
//! - stratum `kie-large`: 4 large key industry enterprises sampled with weight 5 (20 in the
//!   population); k1, k2, k3 respond, k4 does not. k1 and k2 apply data in scenarios.
//! - stratum `kie-small`: 6 small ones with weight 10 (60); s1..s5 respond, s6 does not. s1 and
//!   s2 apply data.
//! - stratum `platform`: 2 platform enterprises, take-all (weight 1), both respond.
//!
//! Non-response adjustment within strata gives respondents weight 20/3 and 12, so
//! A11 = (2 x 20/3 + 2 x 12) / (20 + 60) = 7/15, where the unweighted share is 4/8.

mod common;

use common::{
    as_organiser, as_reporter, assert_close, publish_content_for, refused, start, violated_fields,
};
use ndrs_cli::system::RunningSystem;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

const YEAR: i32 = 2023;

fn unit(
    id: &str,
    stratum: &str,
    weight: f64,
    t: pb::SubjectType,
    size: pb::SizeClass,
) -> pb::SampleUnit {
    pb::SampleUnit {
        reporting_unit_id: id.into(),
        stratum: stratum.into(),
        psu: String::new(),
        design_weight: weight,
        subject_type: t as i32,
        size_class: size as i32,
        province_code: "44".into(),
        industry: String::new(),
    }
}

fn design(variance: pb::VarianceSpecification) -> pb::LoadSampleDesignRequest {
    use pb::SizeClass::{Large, Small};
    use pb::SubjectType::{KeyIndustryEnterprise as Kie, PlatformDataServiceProvider as Platform};
    let mut units = Vec::new();
    for k in 1..=4 {
        units.push(unit(&format!("k{k}"), "kie-large", 5.0, Kie, Large));
    }
    for s in 1..=6 {
        units.push(unit(&format!("s{s}"), "kie-small", 10.0, Kie, Small));
    }
    for p in 1..=2 {
        units.push(unit(&format!("p{p}"), "platform", 1.0, Platform, Large));
    }
    pb::LoadSampleDesignRequest {
        cycle_year: YEAR,
        units,
        strata: vec![
            pb::StratumPopulation {
                stratum: "kie-large".into(),
                population_psus: 20.0,
                certainty: false,
            },
            pb::StratumPopulation {
                stratum: "kie-small".into(),
                population_psus: 60.0,
                certainty: false,
            },
            pb::StratumPopulation {
                stratum: "platform".into(),
                population_psus: 0.0,
                certainty: true,
            },
        ],
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: "stratum".into(),
            ..Default::default()
        }),
        variance: Some(variance),
    }
}

fn jackknife() -> pb::VarianceSpecification {
    pb::VarianceSpecification {
        method: pb::VarianceMethod::Jackknife as i32,
        confidence_level: 0.95,
        lonely_psu: pb::LonelyPsuPolicy::Fail as i32,
        ..Default::default()
    }
}

/// A 200-replicate seeded bootstrap at confidence level `level`.
fn bootstrap(seed: u64, level: f64) -> pb::VarianceSpecification {
    pb::VarianceSpecification {
        method: pb::VarianceMethod::Bootstrap as i32,
        replicates: 200,
        seed,
        confidence_level: level,
        lonely_psu: pb::LonelyPsuPolicy::Fail as i32,
        ..Default::default()
    }
}

/// The questionnaire of a sampled unit.
fn answers(id: &str, key: &str) -> pb::ApplicationReturn {
    let applies = matches!(id, "k1" | "k2" | "s1" | "s2");
    let mut q = sample::key_industry_enterprise(id, key, applies, 1_000, 100);
    if id.starts_with('s') {
        q.size_class = pb::SizeClass::Small as i32;
    }
    if let Some(n) = id.strip_prefix('p') {
        // Platform enterprises: 10 MB and 30 MB of interaction, mean 20 MB, 10x the key
        // industry enterprises' 2 MB.
        q.subject_type = pb::SubjectType::PlatformDataServiceProvider as i32;
        q.industry = String::new();
        let mb = if n == "1" { 5_000_000 } else { 15_000_000 };
        q.data_inflow_bytes = mb;
        q.data_outflow_bytes = mb;
    }
    q
}

/// Each unit of `ids` submits its questionnaire (idempotency key `key`, or the unit's id) as
/// its own reporter.
async fn answer_as(system: &RunningSystem, endpoint: &str, ids: &[&str], key: Option<&str>) {
    for id in ids {
        let mut reporter =
            ApplicationSurveyServiceClient::new(as_reporter(system, endpoint, id).await);
        reporter
            .submit_questionnaire(answers(id, key.unwrap_or(id)))
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

fn national<'a>(figures: &'a [pb::Figure], id: &str) -> &'a pb::Figure {
    figures
        .iter()
        .find(|f| f.id == id && f.dimensions.is_empty())
        .unwrap_or_else(|| panic!("no figure {id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_estimates_with_precision_over_grpc() {
    let (_env, system) = start().await;
    // One publication for the year before serves both cycles the test reports for.
    publish_content_for(&system, YEAR - 1).await;
    let endpoint = system.endpoints.application.clone();
    let mut organiser = ApplicationSurveyServiceClient::new(as_organiser(&system, &endpoint).await);

    // A bad design is refused whole, naming every offending field; nothing is stored.
    let mut bad = design(jackknife());
    bad.units.push(unit(
        "k1",
        "kie-large",
        0.5,
        pb::SubjectType::KeyIndustryEnterprise,
        pb::SizeClass::Large,
    ));
    bad.weighting.as_mut().unwrap().margins = vec![pb::PopulationMargin {
        variable: "colour".into(),
        targets: [("red".to_string(), 1.0)].into(),
    }];
    let status = refused(
        organiser.load_sample_design(bad).await,
        Code::InvalidArgument,
    );
    let fields = violated_fields(&status);
    for expected in [
        "units[12].reporting_unit_id",
        "units[12].design_weight",
        "weighting.margins[0].variable",
    ] {
        assert!(
            fields.contains(&expected.to_string()),
            "{expected} missing in {fields:?}"
        );
    }
    refused(
        organiser
            .get_sample_design(pb::GetSampleDesignRequest {
                cycle_year: YEAR,
                version: 0,
            })
            .await,
        Code::NotFound,
    );

    // A design with nobody answered yet has nothing to estimate, and says so without failing.
    let mut early = design(jackknife());
    early.cycle_year = YEAR - 1;
    organiser.load_sample_design(early).await.unwrap();
    let empty = organiser
        .get_stage_result(pb::GetStageResultRequest {
            cycle_year: YEAR - 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(empty.figures.is_empty());

    // While the small stratum has no respondent, the design cannot be estimated: the stage
    // answers without figures and says why, and GetEstimates refuses with the reason.
    let early_answer = |id: &str| {
        let mut q = answers(id, "early");
        q.header.as_mut().unwrap().cycle_year = YEAR - 1;
        q
    };
    let mut k1 = ApplicationSurveyServiceClient::new(as_reporter(&system, &endpoint, "k1").await);
    k1.submit_questionnaire(early_answer("k1")).await.unwrap();
    let waiting = organiser
        .get_stage_result(pb::GetStageResultRequest {
            cycle_year: YEAR - 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(waiting.figures.is_empty());
    assert!(
        waiting.notes[0].contains("kie-small"),
        "{:?}",
        waiting.notes
    );
    let early_a11 = pb::GetEstimatesRequest {
        cycle_year: YEAR - 1,
        indicator: "A11".into(),
        breakdown: String::new(),
        precision: None,
    };
    refused(
        organiser.get_estimates(early_a11.clone()).await,
        Code::FailedPrecondition,
    );

    // With one respondent per stratum, the jackknife replicate that deletes k1 has nobody left
    // to carry its stratum's weight: points are published without a standard error.
    for id in ["s1", "p1"] {
        let mut reporter =
            ApplicationSurveyServiceClient::new(as_reporter(&system, &endpoint, id).await);
        reporter
            .submit_questionnaire(early_answer(id))
            .await
            .unwrap();
    }
    let partial = organiser
        .get_estimates(early_a11)
        .await
        .unwrap()
        .into_inner();
    let a11 = &partial.figures[0];
    assert_close(a11.value, 1.0, "A11 from k1 and s1, who both apply data");
    assert!(a11.interval.is_none());
    let precision = a11.sampling.unwrap();
    assert!(precision.standard_error.is_nan() && !precision.reliable);
    assert!(
        partial
            .weighting_report
            .iter()
            .any(|l| l.starts_with("variance undefined")),
        "{:?}",
        partial.weighting_report
    );

    // A reporter cannot load a design.
    refused(
        k1.load_sample_design(design(jackknife())).await,
        Code::PermissionDenied,
    );

    // Everybody but k4 and s6 answers, plus x1, who is not in the sample.
    answer_as(
        &system,
        &endpoint,
        &[
            "k1", "k2", "k3", "s1", "s2", "s3", "s4", "s5", "p1", "p2", "x1",
        ],
        Some("first"),
    )
    .await;

    // Without a design the figures are interim: every respondent counts once (x1 does not
    // apply data: 4 of 9 key industry enterprises).
    let interim = organiser
        .get_stage_result(pb::GetStageResultRequest { cycle_year: YEAR })
        .await
        .unwrap()
        .into_inner();
    let a11 = national(&interim.figures, "A11");
    assert_close(a11.value, 4.0 / 9.0, "interim A11");
    assert!(a11.lineage.as_ref().unwrap().method.starts_with("interim"));

    let summary = organiser
        .load_sample_design(design(jackknife()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.version, summary.units, summary.strata), (1, 12, 3));
    let stored = organiser
        .get_sample_design(pb::GetSampleDesignRequest {
            cycle_year: YEAR,
            version: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.units.len(), 12);
    assert_eq!(stored.summary.unwrap().content_hash, summary.content_hash);

    // With the design loaded, the frame is authoritative: a correction that moves s5 to
    // Beijing is accepted with a warning, and x1 is told its return is not used.
    let mut s5 = ApplicationSurveyServiceClient::new(as_reporter(&system, &endpoint, "s5").await);
    let mut moved = answers("s5", "second");
    moved.province_code = "11".into();
    let receipt = s5.submit_questionnaire(moved).await.unwrap().into_inner();
    let finding = receipt
        .findings
        .iter()
        .find(|f| f.rule_id == "application.frame_classification")
        .expect("classification warning");
    assert_eq!(finding.fields, ["province_code"]);
    let mut x1 = ApplicationSurveyServiceClient::new(as_reporter(&system, &endpoint, "x1").await);
    let receipt = x1
        .submit_questionnaire(answers("x1", "second"))
        .await
        .unwrap()
        .into_inner();
    assert!(
        receipt
            .findings
            .iter()
            .any(|f| f.rule_id == "application.outside_sample")
    );

    let result = organiser
        .get_stage_result(pb::GetStageResultRequest { cycle_year: YEAR })
        .await
        .unwrap()
        .into_inner();
    let a11 = national(&result.figures, "A11");
    assert_close(a11.value, 7.0 / 15.0, "weighted A11");
    let lineage = a11.lineage.as_ref().unwrap();
    assert!(
        lineage.method.starts_with("design-based"),
        "{}",
        lineage.method
    );
    assert!(
        lineage
            .weighting_spec
            .starts_with("application-sample-design:2023@1#"),
        "{}",
        lineage.weighting_spec
    );
    assert_eq!(
        lineage.returns.len(),
        8,
        "the 8 responding key industry enterprises"
    );
    // The questionnaire the returns answered (published for 2022, in force for 2023) is cited.
    assert!(
        lineage
            .parameters
            .iter()
            .any(|p| p.starts_with("questionnaire.application_questionnaire:2022@1#")),
        "{:?}",
        lineage.parameters
    );
    let precision = a11.sampling.unwrap();
    assert_eq!(precision.respondents, 8);
    // PSUs holding a respondent of the domain (3 + 5) minus the two strata.
    assert_eq!(precision.degrees_of_freedom, 6.0);
    // JKn by hand. Deleting a PSU re-runs the non-response adjustment, so each stratum keeps its
    // population weight and only its share moves. Large (weight 20 of 80): deleting k4, k1, k2,
    // k3 gives 2/3, 1/2, 1/2, 1; small (60 of 80): deleting s6, s1..s5 gives 2/5, 1/4, 1/4,
    // 1/2, 1/2, 1/2. Variance = sum over strata of fpc x (n-1)/n x sum of squared deviations:
    // 0.8 x 3/4 x (1/4)^2 x (1/36 + 1/36 + 1/9) + 0.9 x 5/6 x (3/4)^2 x 0.075 = 0.037890625.
    assert_close(
        precision.standard_error,
        0.037890625f64.sqrt(),
        "A11 jackknife SE",
    );
    assert!(
        !precision.reliable,
        "8 respondents are below the reliability threshold"
    );
    let ci = a11.interval.as_ref().unwrap();
    assert!(0.0 < ci.lower && ci.lower < a11.value && a11.value < ci.upper && ci.upper < 1.0);
    assert_eq!(ci.level, 0.95);

    // F02: platform enterprises' mean interaction (20 MB) over key industry enterprises' (2 MB).
    let f02 = national(&result.figures, "F02");
    assert_close(f02.value, 10.0, "F02");
    assert_eq!(f02.unit, pb::Unit::Times as i32);

    // Breakdown cells of published indicators are the same estimates: the operations
    // management scenario is A12, platforms' use of government open data is A07.
    let cell = |id: &str, dimension: &str, level: &str| {
        result
            .figures
            .iter()
            .find(|f| f.id == id && f.dimensions.get(dimension).map(String::as_str) == Some(level))
            .unwrap_or_else(|| panic!("no {id} {dimension}={level}"))
    };
    assert_eq!(
        cell(
            "application.scenario_share",
            "scenario",
            "operations_management"
        )
        .value,
        national(&result.figures, "A12").value
    );
    assert_eq!(
        cell(
            "application.open_data_use_share",
            "subject_type",
            "platform_data_service_provider"
        )
        .value,
        national(&result.figures, "A07").value
    );
    // The valid sample counts returns in the design (x1 is outside it), classified by the
    // frame: s5's correction to Beijing does not move it out of Guangdong.
    let valid = |dimension: &str, level: &str| {
        let f = cell("application.valid_sample", dimension, level);
        assert_eq!(f.kind, pb::FigureKind::Auxiliary as i32);
        assert_eq!(f.lineage.as_ref().unwrap().reporters as f64, f.value);
        f.value
    };
    assert_eq!(valid("subject_type", "key_industry_enterprise"), 8.0);
    assert_eq!(valid("subject_type", "platform_data_service_provider"), 2.0);
    assert_eq!(valid("province", "44"), 10.0);
    assert!(
        !result
            .figures
            .iter()
            .any(|f| f.id == "application.valid_sample"
                && f.dimensions.get("province").map(String::as_str) == Some("11"))
    );

    // Check figures for the aggregator are population totals: 80 weighted key industry
    // enterprises and 2 platforms bought 100,000 yuan each on exchanges; interaction is
    // 80 x 2 MB + 10 MB + 30 MB.
    let purchases = national(
        &result.figures,
        "check.application.enterprise_exchange_purchases_yuan",
    );
    assert_close(purchases.value, 8.2e6, "enterprise purchases");
    assert_eq!(purchases.kind, pb::FigureKind::Check as i32);
    let interaction = national(
        &result.figures,
        "check.application.enterprise_data_interaction_bytes",
    );
    assert_close(interaction.value, 2.0e8, "enterprise interaction");

    // The same figure by size class: the large stratum 2 of 3, the small one 2 of 5.
    let by_size = organiser
        .get_estimates(pb::GetEstimatesRequest {
            cycle_year: YEAR,
            indicator: "A11".into(),
            breakdown: "size_class".into(),
            precision: None,
        })
        .await
        .unwrap()
        .into_inner();
    let level = |code: &str| {
        by_size
            .figures
            .iter()
            .find(|f| f.dimensions.get("size_class").map(String::as_str) == Some(code))
            .unwrap_or_else(|| panic!("no {code} cell"))
    };
    assert_close(level("large").value, 2.0 / 3.0, "A11 large");
    assert_close(level("small").value, 0.4, "A11 small");
    assert_eq!(by_size.figures.len(), 2);
    assert_eq!(by_size.design.unwrap().version, 1);
    assert!(
        by_size.weighting_report[0].starts_with("non-response adjustment"),
        "{:?}",
        by_size.weighting_report
    );
    assert!(
        by_size.weighting_report.iter().any(|l| l.contains("x1")),
        "the report names returns outside the design: {:?}",
        by_size.weighting_report
    );

    // A seeded bootstrap (version 2) gives the same point, its own SE, and the same bits twice.
    organiser
        .load_sample_design(design(bootstrap(7, 0.9)))
        .await
        .unwrap();
    let national_a11 = pb::GetEstimatesRequest {
        cycle_year: YEAR,
        indicator: "A11".into(),
        breakdown: String::new(),
        precision: None,
    };
    let first = organiser
        .get_estimates(national_a11.clone())
        .await
        .unwrap()
        .into_inner();
    let second = organiser
        .get_estimates(national_a11)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.figures, second.figures, "bootstrap is reproducible");
    let boot = &first.figures[0];
    assert_close(boot.value, 7.0 / 15.0, "bootstrap point");
    assert_eq!(boot.interval.as_ref().unwrap().level, 0.9);
    let boot_se = boot.sampling.unwrap().standard_error;
    assert!(boot_se > 0.0 && boot_se != precision.standard_error);

    // Unknown indicator and breakdown are named.
    let status = refused(
        organiser
            .get_estimates(pb::GetEstimatesRequest {
                cycle_year: YEAR,
                indicator: "Z99".into(),
                breakdown: "colour".into(),
                precision: None,
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["indicator", "breakdown"]);
}

/// A take-all stratum of five large enterprises (k1..k5, weight 1) and a sampled stratum of six
/// small ones (s1..s6, weight 10 of 60), Taylor linearisation.
fn take_all_design() -> pb::LoadSampleDesignRequest {
    use pb::SizeClass::{Large, Small};
    use pb::SubjectType::KeyIndustryEnterprise as Kie;
    let mut units: Vec<pb::SampleUnit> = (1..=5)
        .map(|k| unit(&format!("k{k}"), "kie-large", 1.0, Kie, Large))
        .collect();
    units.extend((1..=6).map(|s| unit(&format!("s{s}"), "kie-small", 10.0, Kie, Small)));
    pb::LoadSampleDesignRequest {
        cycle_year: YEAR,
        units,
        strata: vec![
            pb::StratumPopulation {
                stratum: "kie-large".into(),
                population_psus: 0.0,
                certainty: true,
            },
            pb::StratumPopulation {
                stratum: "kie-small".into(),
                population_psus: 60.0,
                certainty: false,
            },
        ],
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: "stratum".into(),
            ..Default::default()
        }),
        variance: Some(pb::VarianceSpecification {
            method: pb::VarianceMethod::Taylor as i32,
            confidence_level: 0.95,
            lonely_psu: pb::LonelyPsuPolicy::Fail as i32,
            ..Default::default()
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_all_strata_and_precision_chosen_per_request() {
    let (_env, system) = start().await;
    publish_content_for(&system, YEAR - 1).await;
    let endpoint = system.endpoints.application.clone();
    let mut organiser = ApplicationSurveyServiceClient::new(as_organiser(&system, &endpoint).await);
    organiser
        .load_sample_design(take_all_design())
        .await
        .unwrap();
    // k1..k4 of the take-all stratum answer (k1 and k2 apply data), and every small one.
    answer_as(
        &system,
        &endpoint,
        &["k1", "k2", "k3", "k4", "s1", "s2", "s3", "s4", "s5", "s6"],
        None,
    )
    .await;
    let by_size = pb::GetEstimatesRequest {
        cycle_year: YEAR,
        indicator: "A11".into(),
        breakdown: "size_class".into(),
        precision: None,
    };
    let large = |figures: &[pb::Figure]| {
        figures
            .iter()
            .find(|f| f.dimensions.get("size_class").map(String::as_str) == Some("large"))
            .cloned()
            .expect("a large cell")
    };
    let answer = organiser
        .get_estimates(by_size.clone())
        .await
        .unwrap()
        .into_inner();
    let cell = large(&answer.figures);
    assert_close(cell.value, 0.5, "A11 large");
    // No sampling variance, but k5's missing answer is estimated from the other four: as four
    // drawn from five, Var(p) = (1 - r/N) s^2 / r with s^2 = 1/3, r = 4, N = 5.
    let precision = cell.sampling.unwrap();
    assert_close(
        precision.standard_error,
        ((1.0 - 4.0 / 5.0) * (1.0 / 3.0) / 4.0_f64).sqrt(),
        "response-phase SE",
    );
    assert_eq!(precision.degrees_of_freedom, 3.0);
    let method = &cell.lineage.as_ref().unwrap().method;
    assert!(
        method.contains("take-all strata with non-response (kie-large)")
            && method.contains("95% intervals, degrees of freedom over the domain's PSUs"),
        "{method}"
    );
    assert!(
        answer
            .weighting_report
            .iter()
            .any(|l| l.contains("take-all strata with non-response (kie-large)")),
        "{:?}",
        answer.weighting_report
    );

    // The design's strata are a breakdown too, alone or crossed with a classification.
    let by_stratum = organiser
        .get_estimates(pb::GetEstimatesRequest {
            breakdown: "stratum,size_class".into(),
            ..by_size.clone()
        })
        .await
        .unwrap()
        .into_inner();
    let strata: Vec<(String, String)> = by_stratum
        .figures
        .iter()
        .map(|f| {
            (
                f.dimensions["stratum"].clone(),
                f.dimensions["size_class"].clone(),
            )
        })
        .collect();
    assert_eq!(
        strata,
        [
            ("kie-large".to_string(), "large".to_string()),
            ("kie-small".to_string(), "small".to_string())
        ]
    );
    assert_close(
        by_stratum.figures[0].value,
        0.5,
        "A11 in the take-all stratum",
    );

    // The same cell under the design's degrees of freedom (11 PSUs, 2 strata), a 90% level and
    // the jackknife, asked for by this request only.
    let asked = organiser
        .get_estimates(pb::GetEstimatesRequest {
            precision: Some(pb::PrecisionRequest {
                method: pb::VarianceMethod::Jackknife as i32,
                confidence_level: 0.9,
                degrees_of_freedom: pb::DegreesOfFreedom::Design as i32,
                ..Default::default()
            }),
            ..by_size.clone()
        })
        .await
        .unwrap()
        .into_inner();
    let chosen = large(&asked.figures);
    assert_close(chosen.value, 0.5, "same point");
    let chosen_precision = chosen.sampling.unwrap();
    assert_eq!(chosen_precision.degrees_of_freedom, 9.0);
    assert!(chosen_precision.standard_error > 0.0);
    assert_eq!(chosen.interval.as_ref().unwrap().level, 0.9);
    let chosen_method = &chosen.lineage.as_ref().unwrap().method;
    assert!(
        chosen_method.contains("JKn jackknife")
            && chosen_method.contains("90% intervals, degrees of freedom of the whole design"),
        "{chosen_method}"
    );
    // The stage result (what is published) keeps the design's method.
    let stage = organiser
        .get_stage_result(pb::GetStageResultRequest { cycle_year: YEAR })
        .await
        .unwrap()
        .into_inner();
    let a11 = national(&stage.figures, "A11");
    let stage_method = &a11.lineage.as_ref().unwrap().method;
    assert!(
        stage_method.contains("Taylor linearisation"),
        "{stage_method}"
    );

    // A bad statement of precision is refused, naming each field.
    let status = refused(
        organiser
            .get_estimates(pb::GetEstimatesRequest {
                precision: Some(pb::PrecisionRequest {
                    method: pb::VarianceMethod::Bootstrap as i32,
                    replicates: 3,
                    confidence_level: 1.5,
                    ..Default::default()
                }),
                ..by_size.clone()
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        ["precision.replicates", "precision.confidence_level"]
    );

    // Once k5 answers, the take-all stratum is complete: SE exactly 0, the point its own
    // interval, and a statement of precision all the same.
    answer_as(&system, &endpoint, &["k5"], None).await;
    let complete = organiser.get_estimates(by_size).await.unwrap().into_inner();
    let cell = large(&complete.figures);
    assert_close(cell.value, 0.4, "A11 large, k5 not applying");
    let precision = cell.sampling.unwrap();
    assert_eq!(precision.standard_error, 0.0);
    let interval = cell.interval.unwrap();
    assert_eq!((interval.lower, interval.upper), (0.4, 0.4));
    assert_eq!(interval.method, "NoSamplingVariance");
}

/// The weights behind a published figure come out as CSV, and svy recomputes the figure from
/// them: the same point and the same bootstrap SE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_weights_reproduce_a_published_figure() {
    let (_env, system) = start().await;
    publish_content_for(&system, YEAR - 1).await;
    let endpoint = system.endpoints.application.clone();
    let mut organiser = ApplicationSurveyServiceClient::new(as_organiser(&system, &endpoint).await);
    organiser
        .load_sample_design(design(bootstrap(11, 0.95)))
        .await
        .unwrap();
    answer_as(
        &system,
        &endpoint,
        &["k1", "k2", "k3", "s1", "s2", "s3", "s4", "s5", "p1", "p2"],
        None,
    )
    .await;
    let stage = organiser
        .get_stage_result(pb::GetStageResultRequest { cycle_year: YEAR })
        .await
        .unwrap()
        .into_inner();
    let a11 = national(&stage.figures, "A11").clone();
    let a11_se = a11.sampling.unwrap().standard_error;

    let request = pb::ExportWeightsRequest {
        cycle_year: YEAR,
        version: 0,
        replicates: true,
        indicators: vec!["A11".into()],
    };
    let mut stream = organiser
        .export_weights(request.clone())
        .await
        .unwrap()
        .into_inner();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        chunks.push(chunk);
    }
    let first = &chunks[0];
    assert_eq!(first.design.as_ref().unwrap().version, 1);
    assert!(
        first
            .method
            .contains("Rao-Wu bootstrap (200 replicates, seed 11)")
    );
    assert_eq!(first.replicate_coefficients, vec![1.0 / 200.0; 200]);
    assert_eq!(first.replicate_labels.len(), 200);
    let csv: String = chunks.iter().map(|c| c.csv.as_str()).collect();
    let lines: Vec<&str> = csv.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(
        header[..8],
        [
            "reporting_unit_id",
            "stratum",
            "psu",
            "population_psus",
            "certainty",
            "respondent",
            "design_weight",
            "final_weight"
        ]
    );
    assert!(header.contains(&"A11.domain") && header.contains(&"A11.y"));
    assert_eq!(header.last(), Some(&"replicate_200"));
    assert_eq!(lines.len(), 1 + 12, "every sampled unit, respondent or not");
    // Final weights: non-respondents 0, the rest adding up to the population (20 + 60 + 2).
    let final_weight = |line: &str| -> f64 { line.split(',').nth(7).unwrap().parse().unwrap() };
    let k4 = lines.iter().find(|l| l.starts_with("k4,")).unwrap();
    assert_eq!(final_weight(k4), 0.0);
    let total: f64 = lines[1..].iter().map(|l| final_weight(l)).sum();
    assert_close(total, 82.0, "final weights add up to the population");

    // svy recomputes A11 and its SE from the export alone.
    if let Ok(python) = std::env::var("NDRS_TEST_SVY_PYTHON") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weights.csv");
        std::fs::write(&path, &csv).unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/check-weights-export.py"
        );
        let out = std::process::Command::new(python)
            .arg(script)
            .arg(&path)
            .arg("A11")
            .arg(a11.value.to_string())
            .arg(a11_se.to_string())
            .output()
            .expect("run the svy check");
        assert!(
            out.status.success(),
            "svy does not reproduce A11: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{}", String::from_utf8_lossy(&out.stdout));
    }

    // Every bad field is named; a reporter may not export.
    let status = refused(
        organiser
            .export_weights(pb::ExportWeightsRequest {
                indicators: vec!["Z99".into()],
                ..request.clone()
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["indicators[0]"]);
    organiser
        .load_sample_design(design(pb::VarianceSpecification {
            method: pb::VarianceMethod::Taylor as i32,
            lonely_psu: pb::LonelyPsuPolicy::Fail as i32,
            ..Default::default()
        }))
        .await
        .unwrap();
    let status = refused(
        organiser.export_weights(request.clone()).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["replicates"]);
    let mut k1 = ApplicationSurveyServiceClient::new(as_reporter(&system, &endpoint, "k1").await);
    refused(k1.export_weights(request).await, Code::PermissionDenied);
}
