//! A survey round acted out only through the `ndrs` binary, as a working group member runs it
//! from files: publish the content, load the rule set and a benchmark, submit two files of
//! returns with a tokens file (one return is refused), submit again and see nothing stored twice,
//! validate, justify, review, vote, publish, revise a return, publish again and compare the two
//! versions. Also the exit codes a script branches on: a reporter's token on an organiser's
//! command (4), an address without a scheme (3), the services down (69).

mod common;

use std::path::Path;
use std::process::Output;

use common::{Served, json, serve};
use ndrs_client::returns::Return;

const CYCLE: &str = "2023";

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `ndrs ... --output json`, whatever the exit code, with the code.
fn json_and_code(served: &Served, args: &[&str], token: &str) -> (serde_json::Value, i32) {
    let mut args = args.to_vec();
    args.extend(["--output", "json"]);
    let out = served.run(&args, token);
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`ndrs {}` printed no JSON ({e}): {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        )
    });
    (value, code(&out))
}

fn ok_json(served: &Served, args: &[&str], token: &str) -> serde_json::Value {
    let mut args = args.to_vec();
    args.extend(["--output", "json"]);
    json(&served.run(&args, token))
}

/// A JSON-lines file of returns, each as `{"kind", "return"}` in the proto3 JSON mapping.
fn write_returns(path: &Path, returns: &[Return]) {
    let mut text = String::from("# returns written by the round test\n");
    for r in returns {
        let body = match r {
            Return::DeviceParameters(m) => ndrs_proto::json::to_value(m),
            Return::StorageMedium(m) => ndrs_proto::json::to_value(m),
            Return::Centre(m) => ndrs_proto::json::to_value(m),
            Return::Carrier(m) => ndrs_proto::json::to_value(m),
            Return::Exchange(m) => ndrs_proto::json::to_value(m),
            Return::Questionnaire(m) => ndrs_proto::json::to_value(m),
            Return::SharingHub(m) => ndrs_proto::json::to_value(m),
            Return::Answers(m) => ndrs_proto::json::to_value(m),
        };
        let line = serde_json::json!({"kind": r.kind(), "return": body});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn str_of<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
}

/// Runs stages 1 and 2 on a candidate through `ndrs candidate validate`, justifies every failed
/// warning and every open benchmark deviation through `ndrs justify`, and checks that both
/// stages then pass.
fn pass_automatic_stages(served: &Served, organiser: &str, candidate: &str) {
    let (reports, exit) = json_and_code(served, &["candidate", "validate", candidate], organiser);
    assert_eq!(exit, 5, "open warnings block until justified: {reports}");
    let mut justified = 0;
    for result in reports["rules"]["results"].as_array().unwrap() {
        let failed = result["status"] != "RULE_STATUS_PASSED";
        if failed {
            assert_eq!(result["severity"], "SEVERITY_WARNING", "{result}");
            let out = served.run(
                &[
                    "justify",
                    "--candidate",
                    candidate,
                    "--stage",
                    "rules",
                    "--subject",
                    str_of(result, "ruleId"),
                    "--text",
                    "the round test has no previous release",
                ],
                organiser,
            );
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            justified += 1;
        }
    }
    for comparison in reports["benchmarks"]["comparisons"].as_array().unwrap() {
        let outcome = comparison["outcome"].as_str().unwrap_or_default();
        if outcome.ends_with("OUT_OF_BAND") || outcome.ends_with("MISSING_INPUTS") {
            let out = served.run(
                &[
                    "justify",
                    "--candidate",
                    candidate,
                    "--stage",
                    "benchmarks",
                    "--subject",
                    str_of(comparison, "benchmarkId"),
                    "--text",
                    "the test sample is not the national picture",
                ],
                organiser,
            );
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            justified += 1;
        }
    }
    assert!(justified > 0);
    let status = ok_json(served, &["candidate", "status", candidate], organiser);
    for stage in status["stages"].as_array().unwrap() {
        if stage["stage"] != "VALIDATION_STAGE_REVIEW" {
            assert_eq!(stage["passed"], true, "{status}");
        }
    }
}

/// Opens a round with quorum 1, votes approve as the expert, publishes; returns the release.
fn review_and_publish(
    served: &Served,
    tokens: &Tokens,
    candidate: &str,
    note: &str,
) -> serde_json::Value {
    let round = ok_json(
        served,
        &["review", "open", "--candidate", candidate, "--quorum", "1"],
        &tokens.organiser,
    );
    let round_id = str_of(&round, "roundId").to_string();
    let voted = ok_json(
        served,
        &["review", "vote", &round_id, "--verdict", "approve"],
        &tokens.expert,
    );
    assert_eq!(voted["state"], "ROUND_STATE_PASSED", "{voted}");
    let shown = ok_json(served, &["review", "show", &round_id], &tokens.organiser);
    assert_eq!(shown["votes"].as_array().unwrap().len(), 1);
    let mut args = vec!["publish", "--candidate", candidate];
    if !note.is_empty() {
        args.extend(["--note", note]);
    }
    ok_json(served, &args, &tokens.publisher)
}

/// Assembles a candidate, takes it through the three stages and publishes it; returns its id
/// and the release.
fn assemble_and_publish(
    served: &Served,
    tokens: &Tokens,
    note: &str,
) -> (String, serde_json::Value) {
    let candidate = ok_json(
        served,
        &["candidate", "assemble", "--cycle", CYCLE],
        &tokens.organiser,
    );
    let id = str_of(&candidate, "candidateId").to_string();
    pass_automatic_stages(served, &tokens.organiser, &id);
    let release = review_and_publish(served, tokens, &id, note);
    (id, release)
}

struct Tokens {
    organiser: String,
    expert: String,
    publisher: String,
}

fn versions_of(served: &Served, organiser: &str, kind: &str) -> Vec<u64> {
    let list = ok_json(
        served,
        &["returns", "list", "--kind", kind, "--cycle", CYCLE],
        organiser,
    );
    list["returns"]
        .as_array()
        .map(|returns| {
            returns
                .iter()
                .map(|r| r["version"].as_u64().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_working_group_runs_a_round_from_files_with_the_cli() {
    let served = serve();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let tokens = Tokens {
        organiser: served.issue_token("working group", "organiser", None),
        expert: served.issue_token("expert one", "expert", None),
        publisher: served.issue_token("release office", "publisher", None),
    };
    let organiser = tokens.organiser.as_str();

    // Content, rules and one outside figure, from files.
    json(&served.run(&["content", "publish-shipped", "--cycle", CYCLE], organiser));
    let rules = ok_json(
        &served,
        &["rules", "load", "--default", "--cycle", CYCLE],
        organiser,
    );
    assert_eq!(rules["version"], 1);
    std::fs::write(
        path("benchmarks.toml"),
        "note = \"a bureau's year-end figure\"\n\n[[benchmarks]]\npublisher = \"Test bureau\"\n\
         indicator = \"compute capacity\"\nscope = \"China\"\nyear = 2023\nvalue = 10.0\n\
         unit = \"EFLOPS\"\ncomparable_to = \"C02\"\n\
         comparability = \"COMPARABILITY_SAME_DEFINITION\"\ntolerance = 0.1\n",
    )
    .unwrap();
    let added = ok_json(
        &served,
        &[
            "benchmarks",
            "add",
            path("benchmarks.toml").to_str().unwrap(),
        ],
        organiser,
    );
    assert_eq!(added["version"], 2);

    // The collection window: opened an hour ago, its deadline a few seconds from now, so that
    // the returns sent after the pause below are late.
    let now = chrono::Utc::now();
    let deadline = now + chrono::Duration::seconds(6);
    let opened = ok_json(
        &served,
        &[
            "cycle",
            "open",
            "--cycle",
            CYCLE,
            "--opens-at",
            &(now - chrono::Duration::hours(1)).to_rfc3339(),
            "--deadline",
            &deadline.to_rfc3339(),
        ],
        organiser,
    );
    assert_eq!(opened["state"], "CYCLE_STATE_OPEN");
    assert_eq!(opened["referenceDate"], "2023-12-31");

    // The sample returns (their idempotency keys dropped, so `submit` derives them): all but one
    // enterprise's on time; that one's after the deadline, with a centre whose province code
    // does not exist.
    let mut returns = ndrs_testkit::submit::sample_returns(2023);
    for r in &mut returns {
        r.header_mut().idempotency_key.clear();
    }
    let late_enterprise = returns.pop().unwrap();
    assert_eq!(late_enterprise.reporting_unit_id(), "kie-2");
    let mut bad = ndrs_testkit::sample::centre(
        "cc-bad-01",
        "k",
        ndrs_proto::v1::CentreType::General,
        "99",
        1.0e18,
    );
    bad.header.as_mut().unwrap().idempotency_key.clear();
    write_returns(&path("returns.jsonl"), &returns);
    write_returns(&path("late.jsonl"), &[Return::Centre(bad)]);
    // The late enterprise's questionnaire as a spreadsheet row: answers by question id, typed by
    // the published questionnaire; the empty cell is a question not answered.
    std::fs::write(
        path("late.csv"),
        "kind,reporting_unit_id,subject_type,province_code,industry,size_class,\
         has_data_management_system,applies_data_in_scenarios,achieves_data_reuse_value_add,\
         in_digital_transformation,storage_capacity_bytes,storage_stored_bytes,\
         storage_cloud_stored_bytes,storage_unused_for_a_year_bytes,digital_investment_yuan,\
         uses_government_open_data,data_inflow_bytes,data_outflow_bytes,\
         industrial_chain_collaboration,industrial_chain_risk_prediction,\
         data_purchased_on_exchanges_yuan,scenarios\n\
         application_questionnaire,kie-2,key_industry_enterprise,44,industry,large,yes,no,no,\
         yes,6000,3000,800,750,1000000,no,1000000,1000000,no,no,100000,\n",
    )
    .unwrap();

    // The frame: every unit above plus one centre that never reports; tokens issued from it.
    let mut frame = String::from(
        "reporting_unit_id,name,subject_type,province_code,expected_kinds,contact,stratum,design_weight\n",
    );
    let mut expected: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for r in returns.iter().chain([&late_enterprise]) {
        let kinds = expected
            .entry(r.reporting_unit_id().to_string())
            .or_default();
        if !kinds.contains(&r.kind()) {
            kinds.push(r.kind());
        }
    }
    expected.insert("cc-bad-01".into(), vec!["compute_centre"]);
    expected.insert("cc-silent-01".into(), vec!["compute_centre"]);
    for (unit, kinds) in &expected {
        let (subject, stratum, weight) = if unit.starts_with("kie") {
            ("KEY_INDUSTRY_ENTERPRISE", "kie", "4")
        } else {
            ("COMPUTE_CENTRE", "", "")
        };
        frame.push_str(&format!(
            "{unit},{unit},{subject},11,{},{unit}@example.org,{stratum},{weight}\n",
            kinds.join(";")
        ));
    }
    std::fs::write(path("frame.csv"), frame).unwrap();
    let loaded = ok_json(
        &served,
        &[
            "frame",
            "load",
            path("frame.csv").to_str().unwrap(),
            "--cycle",
            CYCLE,
        ],
        organiser,
    );
    assert_eq!(loaded["units"], expected.len());
    assert_eq!(loaded["expectedReturns"], 12);
    // A design naming a unit the frame does not list is refused, naming it.
    std::fs::write(
        path("design.json"),
        r#"{"cycleYear": 2023, "units": [
            {"reportingUnitId": "kie-1", "stratum": "kie", "designWeight": 4,
             "subjectType": "SUBJECT_TYPE_KEY_INDUSTRY_ENTERPRISE", "provinceCode": "11"},
            {"reportingUnitId": "kie-ghost", "stratum": "kie", "designWeight": 4,
             "subjectType": "SUBJECT_TYPE_KEY_INDUSTRY_ENTERPRISE", "provinceCode": "11"}],
            "strata": [{"stratum": "kie", "populationPsus": 8}]}"#,
    )
    .unwrap();
    let design = served.run(
        &["design", "load", path("design.json").to_str().unwrap()],
        organiser,
    );
    assert_eq!(code(&design), 3, "{}", stderr(&design));
    assert!(
        stderr(&design).contains("units[1].reporting_unit_id")
            && stderr(&design).contains("kie-ghost"),
        "{}",
        stderr(&design)
    );
    let issued = ok_json(
        &served,
        &[
            "tokens",
            "issue",
            "--frame",
            path("frame.csv").to_str().unwrap(),
            "--out",
            path("tokens.csv").to_str().unwrap(),
        ],
        organiser,
    );
    assert_eq!(issued["issued"], expected.len());
    let again = served.run(
        &[
            "tokens",
            "issue",
            "--frame",
            path("frame.csv").to_str().unwrap(),
            "--out",
            path("tokens.csv").to_str().unwrap(),
        ],
        organiser,
    );
    assert_eq!(
        code(&again),
        3,
        "an existing tokens file is never overwritten"
    );

    let submit = |files: &[&str], receipts: &str| {
        let mut args = vec!["submit".to_string()];
        args.extend(files.iter().map(|f| path(f).to_str().unwrap().to_string()));
        args.extend(
            [
                "--tokens",
                path("tokens.csv").to_str().unwrap(),
                "--receipts",
                path(receipts).to_str().unwrap(),
                "--concurrency",
                "4",
                "--cycle",
                CYCLE,
            ]
            .map(String::from),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        json_and_code(&served, &args, "")
    };
    let (first, exit) = submit(&["returns.jsonl"], "receipts.jsonl");
    assert_eq!(exit, 0, "{first}");
    assert_eq!(first["accepted"], returns.len(), "{first}");

    // After the deadline: the same file again (resumed from the receipts: nothing is sent
    // again) and the late file (one return refused, one late).
    let wait = deadline - chrono::Utc::now() + chrono::Duration::milliseconds(500);
    std::thread::sleep(wait.to_std().unwrap_or_default());
    let (second, exit) = submit(
        &["returns.jsonl", "late.jsonl", "late.csv"],
        "receipts.jsonl",
    );
    assert_eq!(exit, 3, "one return was refused: {second}");
    assert_eq!(second["already_done"], returns.len(), "{second}");
    assert_eq!(second["accepted"], 1, "{second}");
    assert_eq!(second["refused"], 1, "{second}");
    let receipts = std::fs::read_to_string(path("receipts.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = receipts
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let refused: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["status"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]["error"]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["field"].as_str().unwrap().contains("province")),
        "{}",
        refused[0]
    );
    // The receipts say which returns came late: the hand count progress is checked against.
    let late_receipts = records
        .iter()
        .filter(|r| r["receipt"]["late"] == true)
        .count();
    assert!(
        late_receipts >= 1,
        "the late enterprise's receipt says late"
    );
    assert!(
        records
            .iter()
            .any(|r| r["reporting_unit_id"] == "kie-2" && r["receipt"]["late"] == true)
    );

    // Again without the receipts: every line is sent, and every accepted one is a replay.
    let (replayed, _) = submit(
        &["returns.jsonl", "late.jsonl", "late.csv"],
        "fresh-receipts.jsonl",
    );
    assert_eq!(replayed["replayed"], returns.len() + 1, "{replayed}");
    assert_eq!(replayed["accepted"], 0, "{replayed}");
    assert_eq!(versions_of(&served, organiser, "compute_centre"), [1, 1, 1]);

    // Progress, by hand: 12 expected returns (11 units, one of them owing two storage media as
    // one return kind); 10 received, the late one late; the bad centre refused; it and the
    // silent centre outstanding.
    let progress = ok_json(&served, &["cycle", "progress", "--cycle", CYCLE], organiser);
    let total = &progress["total"];
    let count = |v: &serde_json::Value, key: &str| v[key].as_u64().unwrap_or(0);
    assert_eq!(count(total, "expected"), 12, "{progress}");
    assert_eq!(count(total, "received"), 10, "{progress}");
    assert_eq!(count(total, "late"), late_receipts as u64, "{progress}");
    assert_eq!(count(total, "refused"), 1, "{progress}");
    assert_eq!(count(total, "outstanding"), 2, "{progress}");
    assert_eq!(count(total, "revised"), 0, "{progress}");
    let outstanding: Vec<&str> = progress["outstanding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["reportingUnitId"].as_str().unwrap())
        .collect();
    assert_eq!(outstanding, ["cc-bad-01", "cc-silent-01"]);
    assert!(
        progress["outstanding"][0]["lastRefusal"]
            .as_str()
            .unwrap()
            .contains("province")
    );
    let kie = progress["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == "stratum" && c["value"] == "kie")
        .unwrap();
    assert_eq!(count(&kie["counts"], "received"), 2);
    assert_eq!(progress["application"]["unweighted"], 1.0);
    let table = served.run(&["cycle", "progress", "--cycle", CYCLE], organiser);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(
        table.contains("all returns") && table.contains("cc-silent-01"),
        "{table}"
    );

    // Validate, justify, review, publish.
    let (c1, v1) = assemble_and_publish(&served, &tokens, "");
    assert_eq!(v1["version"], 1);

    // A carrier revises its return (the return id its receipt named); a second version follows.
    let carrier_receipt = receipts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["kind"] == "carrier_traffic")
        .unwrap();
    let return_id = carrier_receipt["receipt"]["returnId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut revision = returns
        .iter()
        .find(|r| r.kind() == "carrier_traffic")
        .unwrap()
        .clone();
    if let Return::Carrier(m) = &mut revision {
        m.traffic_bytes = 1_100_000_000_000_000_000;
        // The split is optional; a revised total without one needs no revised split.
        m.categories.clear();
        m.header.as_mut().unwrap().return_id = return_id.clone();
    }
    write_returns(&path("revision.jsonl"), &[revision]);
    let (revised, exit) = json_and_code(
        &served,
        &[
            "submit",
            path("revision.jsonl").to_str().unwrap(),
            "--tokens",
            path("tokens.csv").to_str().unwrap(),
            "--receipts",
            path("revision-receipts.jsonl").to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(
        exit,
        0,
        "{revised}: {}",
        std::fs::read_to_string(path("revision-receipts.jsonl")).unwrap_or_default()
    );
    assert_eq!(revised["accepted"], 1);
    let history = ok_json(&served, &["returns", "history", &return_id], organiser);
    assert_eq!(
        history["versions"].as_array().unwrap().len(),
        2,
        "{history}"
    );

    let (c2, v2) = assemble_and_publish(&served, &tokens, "carrier-1 revised its traffic");
    assert_ne!(c1, c2);
    assert_eq!(v2["version"], 2);
    let diff = ok_json(
        &served,
        &["release", "diff", "--cycle", CYCLE, "1", "2"],
        &tokens.publisher,
    );
    let changes = diff["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["change"] == "revised"),
        "a traffic revision revises a figure: {diff}"
    );
    let table = served.run(
        &["release", "diff", "--cycle", CYCLE, "1", "2"],
        &tokens.publisher,
    );
    assert!(String::from_utf8_lossy(&table.stdout).contains("v1 -> v2"));

    // The deadline moves later (never earlier), then the cycle closes: nothing more is taken.
    let earlier = served.run(
        &[
            "cycle",
            "extend",
            "--cycle",
            CYCLE,
            "--deadline",
            &now.to_rfc3339(),
            "--reason",
            "x",
        ],
        organiser,
    );
    assert_eq!(code(&earlier), 3, "{}", stderr(&earlier));
    let extended = ok_json(
        &served,
        &[
            "cycle",
            "extend",
            "--cycle",
            CYCLE,
            "--deadline",
            &(now + chrono::Duration::days(7)).to_rfc3339(),
            "--reason",
            "two provinces asked for a week",
        ],
        organiser,
    );
    assert_eq!(extended["events"].as_array().unwrap().len(), 2);
    let closed = ok_json(&served, &["cycle", "close", "--cycle", CYCLE], organiser);
    assert_eq!(closed["state"], "CYCLE_STATE_CLOSED");
    let (after_close, exit) = submit(&["late.jsonl", "late.csv"], "after-close.jsonl");
    assert_eq!(exit, 3, "{after_close}");
    assert_eq!(after_close["refused"], 2, "{after_close}");
    assert!(
        std::fs::read_to_string(path("after-close.jsonl"))
            .unwrap()
            .contains("closed")
    );
    let audit = served.run(&["audit", "verify"], organiser);
    assert_eq!(code(&audit), 0, "{}", stderr(&audit));

    // Exit codes a script branches on.
    let reporter = served.issue_token("a reporter", "reporter", Some("carrier-1"));
    let denied = served.run(&["rules", "load", "--default", "--cycle", CYCLE], &reporter);
    assert_eq!(code(&denied), 4, "{}", stderr(&denied));
    let missing = served.run(&["release", "get", "--cycle", "2025"], &tokens.publisher);
    assert_eq!(code(&missing), 5, "{}", stderr(&missing));
    let no_scheme = served.run(
        &["release", "list", "--cycle", CYCLE, "--url", "127.0.0.1:1"],
        &tokens.publisher,
    );
    assert_eq!(code(&no_scheme), 3, "{}", stderr(&no_scheme));
    assert!(stderr(&no_scheme).contains("http://127.0.0.1:1"));
    let port = common::free_port();
    let down = served
        .command(&["release", "list", "--cycle", CYCLE])
        .env("NDRS_TOKEN", &tokens.publisher)
        .env("NDRS__SERVICES__AGGREGATOR__PORT", port.to_string())
        .output()
        .unwrap();
    assert_eq!(code(&down), 69, "{}", stderr(&down));
    assert!(
        stderr(&down).contains(&format!("127.0.0.1:{port}")),
        "{}",
        stderr(&down)
    );
    let usage = served.run(&["review", "vote"], &tokens.expert);
    assert_eq!(code(&usage), 2);
}
