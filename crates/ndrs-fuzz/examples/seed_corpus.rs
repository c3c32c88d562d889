//! Writes the fuzzers' starting corpus (`fuzz/corpus/<target>/`) from valid requests: the sample
//! returns of the test kit, a small register and taxonomy, a benchmark, the default rule set and
//! a two-stratum sample design. Run from the repository root:
//! `cargo run -p ndrs-fuzz --example seed_corpus`. The fuzzers grow the corpus from there.

use std::path::Path;

use ndrs_proto::v1 as pb;
use ndrs_testkit::sample;
use prost::Message;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).expect("create corpus directory");
    std::fs::write(dir.join(name), bytes).expect("write seed");
}

fn request(kind: usize, name: &str, message: impl Message) {
    let mut bytes = vec![kind as u8];
    bytes.extend(message.encode_to_vec());
    write("request", name, &bytes);
}

fn main() {
    request(
        0,
        "device",
        sample::smartphones("vendor", "k", 1.0e9, "source"),
    );
    request(
        1,
        "medium",
        sample::medium(
            "vendor",
            "k",
            pb::StorageMedium::Hdd,
            "enterprise",
            [1.0e21, 1.0e20, 1.0e19, 0.0],
        ),
    );
    request(
        2,
        "centre",
        sample::centre("cc", "k", pb::CentreType::Intelligent, "11", 1.0e18),
    );
    request(3, "carrier", sample::carrier("carrier", "k", 4_000, 3_000));
    request(4, "exchange", sample::exchange("exchange", "k", "31"));
    request(
        5,
        "questionnaire",
        sample::key_industry_enterprise("ent", "k", true, 1_000_000, 500_000),
    );
    request(
        6,
        "hub",
        pb::SharingHubReturn {
            header: sample::header("hub", "k"),
            departments_connected: 40,
            resources_mounted: 1_000,
            cumulative_service_calls: 5_000_000,
            previous_cumulative_service_calls: 4_000_000,
        },
    );
    request(
        7,
        "registry",
        pb::LoadCentreRegistryRequest {
            cycle_year: sample::CYCLE,
            centres: vec![sample::registered_centre(
                "cc",
                pb::CentreType::Intelligent,
                "11",
                1_000.0,
            )],
        },
    );
    request(
        8,
        "taxonomy",
        pb::LoadDeviceTaxonomyRequest {
            cycle_year: sample::CYCLE,
            device_types: vec![pb::DeviceTypeEntry {
                device_type: "smartphone".into(),
                category: pb::DataSourceCategory::DailyLife as i32,
                ..Default::default()
            }],
        },
    );
    request(
        9,
        "benchmarks",
        pb::AddBenchmarksRequest {
            benchmarks: vec![pb::Benchmark {
                publisher: "CAICT".into(),
                indicator: "data produced".into(),
                scope: "national".into(),
                year: 2023,
                value: 32.0,
                unit: "ZB".into(),
                comparable_to: "P01".into(),
                comparability: pb::Comparability::SameDefinition as i32,
                tolerance: 0.1,
                ..Default::default()
            }],
            note: "seed".into(),
        },
    );
    let rules = ndrs_rules::parse_rule_file(ndrs_rules::DEFAULT_RULES).expect("default rules");
    request(
        10,
        "rules",
        pb::LoadRuleSetRequest {
            cycle_year: sample::CYCLE,
            source: Some(pb::load_rule_set_request::Source::Rules(pb::RuleList {
                rules: rules
                    .iter()
                    .map(|r| pb::Rule {
                        id: r.id.clone(),
                        description: r.description.clone(),
                        expression: r.expression.clone(),
                        severity: pb::Severity::Error as i32,
                        tolerance: r.tolerance,
                    })
                    .collect(),
            })),
        },
    );
    request(
        11,
        "publish",
        pb::PublishRequest {
            candidate_id: "c".into(),
            // 2030-01-01T00:00:00Z
            embargo_until: Some(ndrs_proto::prost_types::Timestamp {
                seconds: 1_893_456_000,
                nanos: 0,
            }),
            note: "first release".into(),
        },
    );
    for (i, rule) in rules.iter().enumerate() {
        write(
            "rules",
            &format!("default-{i:02}"),
            rule.expression.as_bytes(),
        );
    }
    write("rules", "file", ndrs_rules::DEFAULT_RULES.as_bytes());
    let unit = |id: &str, stratum: &str, weight: f64, size: pb::SizeClass| pb::SampleUnit {
        reporting_unit_id: id.into(),
        stratum: stratum.into(),
        psu: String::new(),
        design_weight: weight,
        subject_type: pb::SubjectType::KeyIndustryEnterprise as i32,
        size_class: size as i32,
        province_code: "44".into(),
        industry: String::new(),
    };
    let design = pb::LoadSampleDesignRequest {
        cycle_year: sample::CYCLE,
        units: vec![
            unit("e1", "large", 2.0, pb::SizeClass::Large),
            unit("e2", "large", 2.0, pb::SizeClass::Large),
            unit("e3", "small", 10.0, pb::SizeClass::Small),
            unit("e4", "small", 10.0, pb::SizeClass::Small),
        ],
        strata: vec![
            pb::StratumPopulation {
                stratum: "large".into(),
                population_psus: 4.0,
                certainty: false,
            },
            pb::StratumPopulation {
                stratum: "small".into(),
                population_psus: 20.0,
                certainty: false,
            },
        ],
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: "stratum".into(),
            ..Default::default()
        }),
        variance: Some(pb::VarianceSpecification {
            method: pb::VarianceMethod::Jackknife as i32,
            confidence_level: 0.95,
            lonely_psu: pb::LonelyPsuPolicy::Certainty as i32,
            ..Default::default()
        }),
    };
    write("sample_design", "two-strata", &design.encode_to_vec());
    println!("seed corpus written under fuzz/corpus/");
}
