//! `ndrs content` against a running `ndrs serve` (every service in one process, SQLite in a
//! temporary data directory): a working group member publishes the shipped content, reads a
//! document back, dry-runs a changed indicator document, and a bad document exits non-zero
//! naming the indicator and the field, with nothing stored.

mod common;

use common::{json, serve};

#[test]
fn a_working_group_member_publishes_and_checks_content_from_the_command_line() {
    let served = serve();
    let issued = served
        .command(&[
            "admin",
            "issue-token",
            "--name",
            "cli organiser",
            "--role",
            "organiser",
        ])
        .output()
        .unwrap();
    assert!(issued.status.success());
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_string();

    let shipped = json(&served.run(&["content", "publish-shipped", "--cycle", "2023"], &token));
    let published: Vec<&str> = shipped["published"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        published
            .iter()
            .any(|r| r.starts_with("indicators.application_indicators:2023@1")),
        "{published:?}"
    );
    assert!(
        published
            .iter()
            .any(|r| r.starts_with("derived_figures:2023@1"))
    );

    let document = json(&served.run(
        &[
            "content",
            "get",
            "--kind",
            "application_indicators",
            "--cycle",
            "2023",
        ],
        &token,
    ));
    assert!(
        document["indicator"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == "A14")
    );

    let dir = tempfile::tempdir().unwrap();
    let shipped_text = include_str!("../../ndrs-content/content/2023/application_indicators.toml");
    let draft = dir.path().join("draft.toml");
    std::fs::write(
        &draft,
        shipped_text.replace("version = \"2023.1\"", "version = \"2023.2\""),
    )
    .unwrap();
    let check = json(&served.run(
        &[
            "content",
            "check",
            draft.to_str().unwrap(),
            "--cycle",
            "2023",
        ],
        &token,
    ));
    assert_eq!(check["version_name"], "2023.2");
    assert!(
        check["current"]
            .as_str()
            .unwrap()
            .starts_with("indicators.application_indicators:2023@1")
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        shipped_text.replace(
            "measure = \"!a.has_data_management_system\"",
            "measure = \"!a.has_data_managment_system\"",
        ),
    )
    .unwrap();
    let refused = served.run(
        &[
            "content",
            "publish",
            bad.to_str().unwrap(),
            "--cycle",
            "2023",
        ],
        &token,
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("source.indicators[5].measure") && stderr.contains("indicator A14"),
        "{stderr}"
    );
    // Nothing was stored: the latest version is still the shipped one.
    let latest = json(&served.run(
        &[
            "content",
            "get",
            "--kind",
            "application_indicators",
            "--cycle",
            "2023",
        ],
        &token,
    ));
    assert_eq!(latest["version"], "2023.1");
}
