//! Fuzz targets over everything that parses a client's input, and the corpus they start from.
//!
//! Each target is a plain function of bytes that must never panic, whatever the bytes: it decodes
//! them the way a service does and runs the same proto-to-domain conversion, edit and plausibility
//! checks, rule compilation or design validation, then renders any refusal as the gRPC status a
//! client would get and checks that its text is bounded. Three targets:
//! - [`request`]: the first byte picks one of the requests partners and organisers send
//!   ([`REQUEST_KINDS`]), the rest is its protobuf encoding;
//! - [`rules`]: the bytes as a rule expression and as a TOML rule file (the CEL rule loader);
//! - [`sample_design`]: a `LoadSampleDesignRequest` (the sample-design loader), and when valid,
//!   estimation over it;
//! - [`content`]: the bytes as a questionnaire, an indicator document and a derived-figures
//!   document (the content loaders), each evaluated over fixed returns or figures when it
//!   compiles.
//!
//! `fuzz/` runs them under libFuzzer (`scripts/fuzz.sh`); `tests/corpus_replay.rs` runs every
//! input of `fuzz/corpus/` through them in `cargo test`, deterministically, so a crash once found
//! stays fixed. `examples/seed_corpus.rs` wrote the starting corpus from valid requests.

use ndrs_proto::v1 as pb;
use prost::Message;

/// The requests [`request`] decodes, by the value of the first byte (modulo their number).
pub const REQUEST_KINDS: [&str; 12] = [
    "DeviceParameterReturn",
    "StorageMediumReturn",
    "ComputeCentreReturn",
    "CarrierReturn",
    "ExchangeReturn",
    "ApplicationReturn",
    "SharingHubReturn",
    "LoadCentreRegistryRequest",
    "LoadDeviceTaxonomyRequest",
    "AddBenchmarksRequest",
    "LoadRuleSetRequest",
    "PublishRequest",
];

/// The shipped 2023 application indicators, compiled once.
static APPLICATION_INDICATORS_2023: std::sync::LazyLock<
    ndrs_platform::indicators::InForceIndicators,
> = std::sync::LazyLock::new(|| {
    ndrs_platform::indicators::shipped(
        ndrs_application::estimate::INDICATOR_KIND,
        2023,
        &ndrs_application::estimate::BREAKDOWNS,
    )
    .expect("the shipped indicators compile")
});

/// The shipped 2023 application questionnaire, which application returns are checked against
/// and indicator documents compiled against.
pub static APPLICATION_2023: std::sync::LazyLock<
    std::sync::Arc<ndrs_content::CompiledQuestionnaire>,
> = std::sync::LazyLock::new(|| {
    let shipped = ndrs_content::builtin::questionnaire(2023, "application_questionnaire")
        .expect("the 2023 application questionnaire ships");
    std::sync::Arc::new(
        ndrs_content::CompiledQuestionnaire::from_toml(shipped.text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", shipped.path)),
    )
});

/// The shipped 2023 compute centre questionnaire.
pub static COMPUTE_2023: std::sync::LazyLock<ndrs_content::CompiledQuestionnaire> =
    std::sync::LazyLock::new(|| {
        let shipped = ndrs_content::builtin::questionnaire(2023, "compute_centre")
            .expect("the 2023 compute centre questionnaire ships");
        ndrs_content::CompiledQuestionnaire::from_toml(shipped.text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", shipped.path))
    });

/// The shipped 2023 sharing-hub questionnaire.
pub static HUB_2023: std::sync::LazyLock<ndrs_content::CompiledQuestionnaire> =
    std::sync::LazyLock::new(|| {
        let shipped = ndrs_content::builtin::questionnaire(2023, "sharing_hub")
            .expect("the 2023 sharing-hub questionnaire ships");
        ndrs_content::CompiledQuestionnaire::from_toml(shipped.text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", shipped.path))
    });

/// The most bytes a refusal may carry to the client: message plus every field violation, each
/// bounded ([`ndrs_core::error`]). Far below what clients accept in trailers.
const MAX_STATUS_BYTES: usize = 64 * 1024;

/// Renders a refusal as the client sees it and checks that it is bounded.
fn refused(error: ndrs_core::Error) {
    let status = ndrs_platform::grpc_status::to_status(error);
    let violations = ndrs_platform::grpc_status::field_violations(&status);
    let size = status.message().len()
        + violations
            .iter()
            .map(|(f, d)| f.len() + d.len())
            .sum::<usize>();
    assert!(size <= MAX_STATUS_BYTES, "refusal of {size} bytes");
}

fn check<T>(result: ndrs_core::Result<T>, then: impl FnOnce(T)) {
    match result {
        Ok(value) => then(value),
        Err(e) => refused(e),
    }
}

/// Decodes `bytes[1..]` as the request `bytes[0]` picks and converts it as its service does.
pub fn request(bytes: &[u8]) {
    let Some((&kind, body)) = bytes.split_first() else {
        return;
    };
    let plausibility = ndrs_platform::settings::Settings::defaults().plausibility;
    let findings = |reported: &[ndrs_platform::plausibility::Reported]| {
        let _ = ndrs_platform::stage::refuse_on_errors(plausibility.findings(reported))
            .map_err(refused);
    };
    macro_rules! decode {
        ($t:ty) => {
            match <$t>::decode(body) {
                Ok(message) => message,
                Err(_) => return,
            }
        };
    }
    match kind as usize % REQUEST_KINDS.len() {
        0 => check(
            ndrs_production::domain::device_parameters_from_proto(decode!(
                pb::DeviceParameterReturn
            )),
            |(_, d)| {
                findings(&ndrs_production::domain::device_quantities(&d));
                let _ = ndrs_production::domain::device_findings(&d);
            },
        ),
        1 => check(
            ndrs_production::domain::storage_medium_from_proto(decode!(pb::StorageMediumReturn)),
            |(_, m)| {
                findings(&ndrs_production::domain::medium_quantities(&m));
                let _ = ndrs_production::domain::medium_findings(&m);
            },
        ),
        2 => check(
            ndrs_platform::stage::check_typed::<ndrs_compute::domain::CentreReturn>(
                decode!(pb::ComputeCentreReturn),
                &COMPUTE_2023,
                "fuzz",
            ),
            |(_, c, _)| findings(&ndrs_compute::domain::centre_quantities(&c)),
        ),
        3 => check(
            ndrs_circulation::domain::carrier_return_from_proto(decode!(pb::CarrierReturn)),
            |(_, r)| {
                findings(&ndrs_circulation::domain::carrier_quantities(&r));
                let _ = ndrs_circulation::domain::carrier_findings(&r);
            },
        ),
        4 => check(
            ndrs_circulation::domain::exchange_return_from_proto(decode!(pb::ExchangeReturn)),
            |(_, r)| {
                findings(&ndrs_circulation::domain::exchange_quantities(&r));
                let _ = ndrs_circulation::domain::exchange_findings(&r);
            },
        ),
        5 => check(
            ndrs_platform::stage::check_typed::<ndrs_application::domain::Questionnaire>(
                decode!(pb::ApplicationReturn),
                &APPLICATION_2023,
                "fuzz",
            ),
            |(_, q, _)| findings(&ndrs_application::domain::questionnaire_quantities(&q)),
        ),
        6 => check(
            ndrs_platform::stage::check_typed::<ndrs_application::hub::SharingHub>(
                decode!(pb::SharingHubReturn),
                &HUB_2023,
                "q2023",
            ),
            |(_, h, _)| findings(&ndrs_application::hub::hub_quantities(&h)),
        ),
        7 => check(
            ndrs_compute::registry::registry_from_proto(decode!(pb::LoadCentreRegistryRequest)),
            |_| {},
        ),
        8 => check(
            ndrs_production::taxonomy::taxonomy_from_proto(decode!(pb::LoadDeviceTaxonomyRequest)),
            |_| {},
        ),
        9 => check(
            ndrs_aggregator::benchmarks::benchmarks_from_proto(
                decode!(pb::AddBenchmarksRequest).benchmarks,
            ),
            |_| {},
        ),
        10 => check(
            ndrs_aggregator::validation::rules_from_proto(
                match decode!(pb::LoadRuleSetRequest).source {
                    Some(pb::load_rule_set_request::Source::Rules(list)) => list.rules,
                    _ => Vec::new(),
                },
            ),
            |defs| check(ndrs_aggregator::validation::check_rules(&defs), |()| {}),
        ),
        _ => check(
            ndrs_aggregator::release::embargo_from_request(
                decode!(pb::PublishRequest).embargo_until.as_ref(),
            ),
            |_| {},
        ),
    }
}

/// The bytes as one rule's expression, and as a TOML rule file; what compiles is evaluated.
pub fn rules(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let schema = ndrs_rules::FigureSchema::standard();
    let def = ndrs_rules::RuleDef {
        id: "fuzz".into(),
        description: "fuzzed expression".into(),
        expression: text.to_string(),
        severity: ndrs_rules::Severity::Error,
        tolerance: 0.1,
    };
    let mut values = ndrs_rules::FigureValues::new();
    for (id, value) in [
        ("P01", 32.85e21),
        ("P03", 1.73e21),
        ("P04", 0.95e21),
        ("C02", 2.3e20),
    ] {
        values.add(id, &[], value);
        values.add_previous(id, value * 0.8);
    }
    let values = values.into_map();
    if let Ok(set) = ndrs_rules::compile_rules(vec![def], &schema) {
        let _ = set.evaluate(&values);
    }
    if let Ok(defs) = ndrs_rules::parse_rule_file(&text)
        && let Ok(set) = ndrs_rules::compile_rules(defs, &schema)
    {
        let _ = set.evaluate(&values);
    }
}

/// The bytes as a sample design load; a valid design is estimated over (with no returns yet).
pub fn sample_design(bytes: &[u8]) {
    let Ok(request) = pb::LoadSampleDesignRequest::decode(bytes) else {
        return;
    };
    check(
        ndrs_application::design::design_from_proto(request),
        |(cycle_year, body)| {
            let versioned = ndrs_platform::documents::Versioned {
                cycle_year,
                version: 1,
                content_hash: "0".repeat(64),
                loaded_at: String::new(),
                loaded_by: "fuzz".into(),
                body,
            };
            let _ = ndrs_application::estimate::figures(
                &[],
                Some(&versioned),
                &APPLICATION_INDICATORS_2023,
            )
            .map_err(refused);
        },
    );
}

/// The bytes (as text) as each kind of content document a working group publishes: compiled as
/// the service compiles it and, when it compiles, run the way the service runs it.
pub fn content(bytes: &[u8]) {
    use std::collections::BTreeMap;

    use ndrs_content::derived::Input;
    use ndrs_content::{
        Answer, Answers, CompiledDerived, CompiledIndicators, CompiledQuestionnaire,
        DerivedDocument, Respondent, into_invalid,
    };
    let text = String::from_utf8_lossy(bytes);
    let respondent = Respondent {
        subject_type: ndrs_core::classification::SubjectType::KeyIndustryEnterprise,
        province: "11".into(),
        industry: "finance".into(),
        size_class: "large".into(),
    };
    let answers = Answers::new()
        .with("has_data_management_system", Answer::Boolean(true))
        .with(
            "storage_stored_bytes",
            Answer::Integer {
                value: 800,
                unit: "bytes".into(),
            },
        )
        .with("scenarios", Answer::Choice(vec!["production".into()]));
    match CompiledQuestionnaire::from_toml(&text) {
        Ok(q) => {
            let _ = q.check(&answers, &respondent);
        }
        Err(errors) => refused(into_invalid(errors)),
    }
    let breakdowns = ndrs_application::estimate::BREAKDOWNS;
    match CompiledIndicators::from_toml(&text, APPLICATION_2023.clone(), &breakdowns) {
        Ok(indicators) => {
            let _ = indicators.evaluate(&[(&respondent, &answers), (&respondent, &Answers::new())]);
        }
        Err(errors) => refused(into_invalid(errors)),
    }
    let known = |id: &str| matches!(id, "P01" | "P03" | "P04" | "A11");
    match DerivedDocument::from_toml(&text)
        .map_err(|e| vec![e])
        .and_then(|d| CompiledDerived::compile(d, &known))
    {
        Ok(derived) => {
            let figures: BTreeMap<String, Input> = ["P01", "P03", "P04", "A11"]
                .into_iter()
                .enumerate()
                .map(|(i, id)| {
                    let value = i as f64 - 1.0;
                    (
                        id.to_string(),
                        Input {
                            value,
                            interval: (i % 2 == 0).then_some((value - 1.0, value + 1.0)),
                        },
                    )
                })
                .collect();
            let _ = derived.compute(&figures, Some(&figures));
            let _ = derived.compute(&figures, None);
        }
        Err(errors) => refused(into_invalid(errors)),
    }
}
