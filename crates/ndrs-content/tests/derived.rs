//! Derived figures as a document: computing from the candidate and the previous release, the
//! interval carried over from the one uncertain input, and bad content refused naming the
//! figure and the field.

use std::collections::BTreeMap;

use ndrs_content::derived::{CompiledDerived, DerivedDocument, Input, Source};

fn document(figures: &str) -> String {
    format!(
        r#"
kind = "derived_figures"
version = "t"
title = {{ zh = "测试", en = "Test" }}
{figures}
"#
    )
}

fn figure(id: &str, expression: &str) -> String {
    format!(
        "[[figure]]\nid = \"{id}\"\nname = {{ zh = \"{id}\", en = \"{id}\" }}\nunit = \"ratio\"\nexpression = \"{expression}\"\n"
    )
}

fn known(id: &str) -> bool {
    [
        "A11",
        "P03",
        "P04",
        "P01",
        "check.compute.cloud_storage_bytes",
    ]
    .contains(&id)
}

fn compile(text: &str) -> Result<CompiledDerived, Vec<ndrs_content::ContentError>> {
    CompiledDerived::compile(DerivedDocument::from_toml(text).unwrap(), &known)
}

fn input(value: f64, interval: Option<(f64, f64)>) -> Input {
    Input { value, interval }
}

#[test]
fn the_shipped_document_compiles_and_derives_p08() {
    let shipped = ndrs_content::builtin::derived_for(2023)[0];
    let compiled =
        CompiledDerived::compile(DerivedDocument::from_toml(shipped.text).unwrap(), &known)
            .unwrap();
    let current = BTreeMap::from([
        (
            "check.compute.cloud_storage_bytes".to_string(),
            input(42.0, None),
        ),
        ("P03".to_string(), input(100.0, Some((80.0, 125.0)))),
    ]);
    let computed = compiled.compute(&current, None);
    let (id, result) = &computed[0];
    assert_eq!(id, "P08");
    let p08 = result.as_ref().unwrap();
    assert!((p08.value - 0.42).abs() < 1e-12);
    // A ratio falls as its denominator rises: the stock's interval maps onto P08's reversed.
    let (lower, upper) = p08.interval.unwrap();
    assert!((lower - 42.0 / 125.0).abs() < 1e-12 && (upper - 42.0 / 80.0).abs() < 1e-12);
    assert_eq!(
        p08.interval_from,
        Some((Source::Current, "P03".to_string()))
    );
}

#[test]
fn a_growth_rate_reads_the_previous_release_and_a_later_figure_reads_an_earlier_one() {
    let compiled = compile(&document(&format!(
        "{}{}",
        // Written before what it reads: computed after it all the same.
        figure("A11.growth_pp", "(f['A11.growth'] + 1.0) * 100.0"),
        figure("A11.growth", "f['A11'] / previous['A11'] - 1.0"),
    )))
    .unwrap();
    let current = BTreeMap::from([("A11".to_string(), input(0.6, None))]);
    let previous = BTreeMap::from([("A11".to_string(), input(0.5, None))]);
    let computed: BTreeMap<String, f64> = compiled
        .compute(&current, Some(&previous))
        .into_iter()
        .map(|(id, r)| (id, r.unwrap().value))
        .collect();
    assert!((computed["A11.growth"] - 0.2).abs() < 1e-12);
    assert!((computed["A11.growth_pp"] - 120.0).abs() < 1e-9);
    // Without last year's release there is no growth rate, and the reason says so.
    let without = compiled.compute(&current, None);
    let reason = without
        .iter()
        .find(|(id, _)| id == "A11.growth")
        .unwrap()
        .1
        .clone()
        .unwrap_err();
    assert!(
        reason.contains("no release of the previous cycle"),
        "{reason}"
    );
}

#[test]
fn two_uncertain_inputs_give_no_invented_interval() {
    let compiled = compile(&document(&figure("P05x", "f['P04'] / f['P01']"))).unwrap();
    let current = BTreeMap::from([
        ("P04".to_string(), input(2.0, Some((1.0, 3.0)))),
        ("P01".to_string(), input(4.0, Some((3.0, 5.0)))),
    ]);
    let computed = compiled.compute(&current, None);
    let result = computed[0].1.as_ref().unwrap();
    assert_eq!(result.interval, None);
    assert!(result.note.as_ref().unwrap().contains("joint distribution"));
}

/// The errors of a document, as (field, figure id, message).
fn errors(text: &str) -> Vec<(String, Option<String>, String)> {
    compile(text)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.field, e.indicator_id, e.message))
        .collect()
}

#[test]
fn derived_figures_reading_each_other_in_a_cycle_are_refused() {
    let found = errors(&document(&format!(
        "{}{}",
        figure("X1", "f['X2'] + 1.0"),
        figure("X2", "f['X1'] * 2.0")
    )));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "figures");
    assert!(found[0].2.contains("X1 -> X2 -> X1"), "{}", found[0].2);
}

#[test]
fn an_unknown_figure_is_refused() {
    let found = errors(&document(&figure("X1", "f['P99'] / f['P01']")));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_deref()),
        ("figures[0].expression", Some("X1"))
    );
    assert!(
        found[0].2.contains("`P99` is not a figure"),
        "{}",
        found[0].2
    );
}

#[test]
fn figures_are_named_by_literal_ids_and_only_arithmetic_is_available() {
    for (expression, expected) in [
        ("f.P03 / 2.0", "write f['<id>']"),
        ("f[unknown] / 2.0", "literal id"),
        ("f['P03'] / 2", "decimals"),
        ("size(f) * 1.0", "not available"),
        ("P03 * 1.0", "alone is not a figure"),
        ("f['P03'] / (", "column"),
    ] {
        let found = errors(&document(&figure("X1", expression)));
        assert!(
            found
                .iter()
                .any(|(field, _, m)| field == "figures[0].expression" && m.contains(expected)),
            "{expression}: {found:?}"
        );
    }
}

#[test]
fn a_duplicate_id_or_an_unknown_unit_is_refused() {
    let text = document(&format!(
        "{}{}",
        figure("X1", "f['P03'] * 1.0"),
        figure("X1", "f['P03'] * 2.0").replace("unit = \"ratio\"", "unit = \"parsecs\""),
    ));
    let fields: Vec<String> = errors(&text).into_iter().map(|(f, _, _)| f).collect();
    assert_eq!(fields, ["figures[1].id", "figures[1].unit"]);
}
