//! The reference data the repository carries (`data/reference/`: the 2023 report's published
//! figures and its sample table) agrees with the vocabulary of `ndrs-core`: the indicator
//! catalogue names every published figure as the report does, and every subject type of the sample
//! table is one of the classifications.

use std::collections::HashSet;

use ndrs_core::catalogue::Catalogue;
use ndrs_core::classification::{CentreType, IndustryGroup, SubjectGroup, SubjectType};
use ndrs_core::units::Unit;
use ndrs_demo::demo_data::targets;
use serde::Deserialize;

#[derive(Deserialize)]
struct ReportRow {
    id: String,
    stage: String,
    name_zh: String,
    name_en: String,
    unit: String,
    definition: String,
}

#[test]
fn catalogue_matches_the_2023_report_table() {
    let text = targets::REPORT_INDICATORS_CSV;
    let rows: Vec<ReportRow> = csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<std::result::Result<_, _>>()
        .expect("parse report-2023-indicators.csv");
    let c = Catalogue::embedded();
    assert_eq!(c.len(), rows.len());
    let ids: Vec<_> = c.iter().map(|i| i.id.as_str()).collect();
    let report_ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, report_ids);
    for r in &rows {
        let i = c.get(&r.id).unwrap();
        assert_eq!(i.stage.code(), r.stage, "{}", r.id);
        assert_eq!(i.name_zh, r.name_zh, "{}", r.id);
        assert_eq!(i.name_en, r.name_en, "{}", r.id);
        assert_eq!(i.presentation, r.unit, "{}", r.id);
        let expected = match r.unit.as_str() {
            "ZB" => Unit::Bytes,
            "ZFLOPS" => Unit::Flops,
            "%" => Unit::Ratio,
            "x" => Unit::Times,
            "count" => Unit::Count,
            other => panic!("{}: unexpected report unit {other}", r.id),
        };
        assert_eq!(i.unit, expected, "{}", r.id);
        // Definitions are the report table's, except that a stated value ("reported as
        // 'about 70%'", "2.06万") is dropped so the pipeline cannot see its targets.
        let stated_value = ["reported as", "万", "亿"]
            .iter()
            .any(|s| r.definition.to_lowercase().contains(s));
        if stated_value {
            assert!(
                r.definition
                    .to_lowercase()
                    .contains(&i.definition.to_lowercase()),
                "{}: definition must be the report's minus the stated value",
                r.id
            );
        } else {
            assert_eq!(i.definition, r.definition, "{}", r.id);
        }
    }
}

#[test]
fn sample_table_maps_onto_the_classifications() {
    let text = targets::SAMPLE_CSV;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = record.expect("csv record");
        let (group, subject, subtypes) = (&record[0], &record[1], &record[2]);
        let subtypes: Vec<&str> = subtypes.split('|').filter(|s| !s.is_empty()).collect();
        let mut types = Vec::new();
        match subject {
            // The frame splits data service providers by subtype; the enum has one member each.
            "data_service_provider" => {
                assert!(!subtypes.is_empty());
                for sub in &subtypes {
                    let code = format!("{sub}_{subject}");
                    types.push(
                        SubjectType::from_code(&code)
                            .unwrap_or_else(|| panic!("unknown subject type {code}")),
                    );
                }
            }
            _ => {
                types.push(
                    SubjectType::from_code(subject)
                        .unwrap_or_else(|| panic!("unknown subject type {subject}")),
                );
                for sub in &subtypes {
                    match subject {
                        "compute_centre" => {
                            assert!(CentreType::from_code(sub).is_some(), "centre type {sub}")
                        }
                        "key_industry_enterprise" => {
                            assert!(IndustryGroup::from_code(sub).is_some(), "industry {sub}")
                        }
                        _ => panic!("unexpected subtype {sub} of {subject}"),
                    }
                }
            }
        }
        for t in types {
            assert_eq!(t.group().code(), group, "group of {t}");
            seen.insert(t);
        }
    }
    // Every subject type except the vendors (model sources, not sampled) is in the 2023 frame.
    for t in SubjectType::ALL {
        assert_eq!(seen.contains(&t), t.group() != SubjectGroup::Vendor, "{t}");
    }
    // And the sample table names every industry group and centre type.
    let industries = text
        .lines()
        .find(|l| l.contains("key_industry_enterprise"))
        .unwrap();
    for i in IndustryGroup::ALL {
        assert!(industries.contains(i.code()), "{i}");
    }
    let centres = text.lines().find(|l| l.contains("compute_centre")).unwrap();
    for c in CentreType::ALL {
        assert!(centres.contains(c.code()), "{c}");
    }
}
