//! The structure and the data answers on small hand-made releases.

use std::collections::BTreeMap;
use std::sync::Arc;

use ndrs_aggregator::disclosure::DisclosureRule;
use ndrs_aggregator::release::{Document, Figure, Interval, Lineage, SCHEMA, Software, VersionRef};
use ndrs_proto::v1 as pb;

use ndrs_aggregator::release::sdmx::data as write;
use ndrs_aggregator::release::sdmx::{Selection, Structure};

use super::data::{self, Query};
use crate::releases::Published;

fn figure(id: &str, dims: &[(&str, &str)], value: Option<f64>, unit: &str) -> Figure {
    Figure {
        key: id.into(),
        id: id.into(),
        dimensions: dims
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        label: format!("label of {id}"),
        kind: "estimate".into(),
        value,
        unit: unit.into(),
        precision: String::new(),
        interval: None,
        status: if value.is_some() {
            "final"
        } else {
            "suppressed"
        }
        .into(),
        suppression: value.is_none().then(|| "fewer than 3 reporters (1)".into()),
        lineage: None,
    }
}

fn release(year: i32, version: u32, figures: Vec<Figure>) -> Published {
    let reference = VersionRef {
        version: 1,
        content_hash: "h".into(),
    };
    let document = Document {
        schema: SCHEMA.into(),
        release_id: format!("r{year}{version}"),
        cycle_year: year,
        version,
        previous_version: None,
        published_at: "2024-05-01T00:00:00Z".into(),
        published_by: "p".into(),
        embargo_until: None,
        note: String::new(),
        lineage: Lineage {
            candidate_id: "c".into(),
            candidate_sequence: 1,
            candidate_hash: "h".into(),
            stage_hashes: BTreeMap::new(),
            rule_set: reference.clone(),
            benchmark_registry: reference,
            review_rounds: Vec::new(),
            disclosure: DisclosureRule {
                min_reporters: 3,
                max_share: 0.85,
            },
            software: Software {
                name: "ndrs".into(),
                version: "0".into(),
            },
        },
        figures,
        changes: Vec::new(),
    };
    Published {
        summary: pb::ReleaseSummary {
            cycle_year: year,
            version,
            published_at: Some(std::time::SystemTime::UNIX_EPOCH.into()),
            ..Default::default()
        },
        document: Arc::new(document),
    }
}

fn releases() -> Vec<Published> {
    let mut p01 = figure("P01", &[], Some(3.285e22), "bytes");
    p01.interval = Some(Interval {
        lower: 3.2e22,
        upper: 3.4e22,
        level: 0.95,
        method: "m".into(),
    });
    vec![
        release(2022, 1, vec![figure("P01", &[], Some(2.9e22), "bytes")]),
        release(2023, 1, vec![figure("P01", &[], Some(3.0e22), "bytes")]),
        release(
            2023,
            2,
            vec![
                p01,
                figure(
                    "compute.capacity_share",
                    &[("province", "11")],
                    Some(0.067),
                    "ratio",
                ),
                figure(
                    "compute.capacity_share",
                    &[("province", "65")],
                    None,
                    "ratio",
                ),
                figure("odd.figure", &[("novel & new", "x<y")], Some(1.0), "count"),
            ],
        ),
    ]
}

#[test]
fn the_structure_has_a_dimension_per_breakdown_and_classification_code_lists() {
    let published = releases();
    let s = Structure::of(published.iter().map(|p| &*p.document));
    let ids: Vec<&str> = s.dimensions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(&ids[..2], ["FREQ", "INDICATOR"]);
    assert!(
        ids.contains(&"PROVINCE") && ids.contains(&"NOVEL___NEW"),
        "{ids:?}"
    );
    let provinces = s.codelist("NDRS", "CL_PROVINCE").unwrap();
    assert_eq!(provinces.codes.len(), 33, "every province and the total");
    let beijing = provinces.codes.iter().find(|c| c.id == "11").unwrap();
    assert_eq!(beijing.name_zh.as_deref(), Some("北京"));
    let indicators = s.codelist("NDRS", "CL_INDICATOR").unwrap();
    assert!(
        indicators
            .codes
            .iter()
            .any(|c| c.id == "compute_capacity_share")
    );
    // A published value outside any classification is coded by itself, made an SDMX id.
    let odd = &published[2].document.figures[3];
    let key = s.series_key(odd);
    assert!(key.contains(&"x_y".to_string()), "{key:?}");
    let national = s.series_key(&published[2].document.figures[0]);
    assert_eq!(
        national.iter().filter(|c| *c == "_T").count(),
        s.dimensions.len() - 2
    );
    let xml = s.to_xml(
        Selection {
            dataflow: true,
            datastructure: true,
            concepts: true,
            codelists: Some(None),
        },
        "2024-05-01T00:00:00Z",
    );
    assert!(xml.contains("<structure:Dimension id=\"PROVINCE\" position=\""));
    assert!(xml.contains("<common:Name xml:lang=\"zh\">北京</common:Name>"));
    assert!(!xml.contains("novel & new"), "free text is escaped");
}

#[test]
fn data_queries_pick_the_latest_versions_or_every_vintage_and_filter_by_key_and_period() {
    let published = releases();
    let s = Structure::of(published.iter().map(|p| &*p.document));
    let all = data::parse_key("all", &s).unwrap();
    let latest = data::select(
        &published,
        &s,
        &Query {
            key: all.clone(),
            ..Default::default()
        },
    );
    let versions: Vec<(i32, u32)> = latest
        .iter()
        .map(|(d, _)| (d.cycle_year, d.version))
        .collect();
    assert_eq!(
        versions,
        [(2022, 1), (2023, 2)],
        "the latest version of each cycle"
    );
    let history = data::select(
        &published,
        &s,
        &Query {
            key: all.clone(),
            include_history: true,
            ..Default::default()
        },
    );
    assert_eq!(history.len(), 3);
    let mut key: Vec<String> = vec![String::new(); s.dimensions.len()];
    key[1] = "P01".into();
    let p01 = data::parse_key(&key.join("."), &s).unwrap();
    let only = data::select(
        &published,
        &s,
        &Query {
            key: p01,
            start_year: Some(2023),
            ..Default::default()
        },
    );
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].1.len(), 1);
    assert_eq!(only[0].1[0].id, "P01");
    let err = data::parse_key("A.P01", &s).unwrap_err();
    assert_eq!(err.field_violations()[0].field, "key");

    let xml = write::structure_specific(&latest, &s, false, "now");
    assert_eq!(
        xml.matches("<message:DataSet").count(),
        1,
        "one data set across cycles"
    );
    assert!(xml.contains("TIME_PERIOD=\"2022\"") && xml.contains("TIME_PERIOD=\"2023\""));
    assert!(xml.contains("LOWER_BOUND=\"3.2e22\""), "{xml}");
    assert!(
        xml.contains("OBS_VALUE=\"NaN\" OBS_STATUS=\"O\" CONF_STATUS=\"A\""),
        "a cell withheld for small counts"
    );
    let vintages = write::structure_specific(&history, &s, true, "now");
    assert_eq!(vintages.matches("<message:DataSet").count(), 3);
    assert!(vintages.contains("ss:setID=\"NDRS_2023_V1\""));
    let generic = write::generic(&history, &s, true, "NDRS_DATA", "now");
    assert_eq!(generic.matches("<message:DataSet").count(), 3);
    assert!(generic.contains(" setID=\"NDRS_2023_V2\" validFromDate=\"2024-05-01T00:00:00Z\""));
    assert_eq!(
        generic.matches("<generic:Obs>").count(),
        vintages.matches("<Obs ").count(),
        "both SDMX-ML forms carry the same observations"
    );
    let csv = write::csv(&latest, &s).unwrap();
    let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap().get(0), Some("DATAFLOW"));
    assert_eq!(reader.records().count(), 5);
}
