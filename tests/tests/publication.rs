//! Validation stages 1-3 and publication over gRPC: warnings and benchmark deviations need
//! justifications, a rejected review round forces a revised candidate and a new round, votes on
//! stale candidates are refused, nothing is published before all three stages pass on the same
//! hash, releases are byte-for-byte stable and revisions keep old versions readable, and the
//! audit log detects a tampered row.

mod common;

use common::{
    as_organiser, assemble, figure, justify, load_rules, pass_stages_1_and_2, refused, stage,
    start, status, submit_samples, token, validate,
};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_platform::db::{DatabaseTarget, connect};
use ndrs_platform::grpc_status::field_violations;
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_testkit::sample;
use prost::Message;
use sea_orm::ConnectionTrait;
use tonic::Code;

type Client = AggregatorServiceClient<AuthedChannel>;

async fn as_named(
    system: &ndrs_cli::system::RunningSystem,
    name: &str,
    role: Role,
) -> AuthedChannel {
    let issued = system
        .runtime
        .identity
        .issue(name, role, None)
        .await
        .expect("issue token");
    channel(&system.endpoints.aggregator, Some(&issued.token)).unwrap()
}

async fn vote(
    agg: &mut Client,
    round: &pb::ReviewRound,
    hash: &str,
    figure_id: &str,
    verdict: pb::Verdict,
    reason: &str,
) -> Result<pb::ReviewRound, tonic::Status> {
    agg.cast_vote(pb::CastVoteRequest {
        round_id: round.round_id.clone(),
        candidate_hash: hash.into(),
        figure_id: figure_id.into(),
        verdict: verdict as i32,
        reason: reason.into(),
    })
    .await
    .map(|r| r.into_inner())
}

async fn open_round(agg: &mut Client, candidate: &pb::Candidate, quorum: u32) -> pb::ReviewRound {
    agg.open_review_round(pb::OpenReviewRoundRequest {
        candidate_id: candidate.candidate_id.clone(),
        quorum,
    })
    .await
    .unwrap()
    .into_inner()
}

async fn publish(
    agg: &mut Client,
    candidate: &pb::Candidate,
    embargo_until: Option<Timestamp>,
    note: &str,
) -> Result<pb::ReleaseSummary, tonic::Status> {
    agg.publish(pb::PublishRequest {
        candidate_id: candidate.candidate_id.clone(),
        embargo_until,
        note: note.into(),
    })
    .await
    .map(|r| r.into_inner())
}

async fn read(
    agg: &mut Client,
    version: u32,
    format: pb::ReleaseFormat,
) -> Result<pb::ReleaseDocument, tonic::Status> {
    agg.get_release(pb::GetReleaseRequest {
        cycle_year: sample::CYCLE,
        version,
        format: format as i32,
    })
    .await
    .map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_stages_gate_publication_and_releases_are_immutable_and_audited() {
    let (env, system) = start().await;
    let e = system.endpoints.clone();
    let mut org = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let mut publisher =
        AggregatorServiceClient::new(as_named(&system, "release office", Role::Publisher).await);
    let mut reader =
        AggregatorServiceClient::new(as_named(&system, "public reader", Role::Reader).await);
    let mut e1 = AggregatorServiceClient::new(as_named(&system, "expert one", Role::Expert).await);
    let mut e2 = AggregatorServiceClient::new(as_named(&system, "expert two", Role::Expert).await);
    let mut e3 =
        AggregatorServiceClient::new(as_named(&system, "expert three", Role::Expert).await);

    load_rules(&mut org, sample::CYCLE, Vec::new(), true)
        .await
        .unwrap();
    submit_samples(&system).await;
    let c1 = assemble(&mut org, sample::CYCLE).await;

    // Nothing is publishable before the stages have passed (the watcher may already have run the
    // automatic stages 1 and 2, but nobody has reviewed anything).
    let refusal = refused(
        publish(&mut publisher, &c1, None, "").await,
        Code::FailedPrecondition,
    );
    assert!(
        refusal
            .message()
            .contains("no review round has been opened"),
        "{}",
        refusal.message()
    );

    // --- Stage 1: a warning that did not pass blocks until it is justified. ---
    let report = validate(&mut org, &c1).await;
    assert!(report.passed_errors);
    let warnings: Vec<&pb::RuleResult> = report
        .results
        .iter()
        .filter(|r| {
            r.severity == pb::Severity::Warning as i32 && r.status != pb::RuleStatus::Passed as i32
        })
        .collect();
    assert!(
        !warnings.is_empty(),
        "the sample has no previous release, so growth warnings lack inputs"
    );
    let s = status(&mut org, &c1).await;
    let rules = stage(&s, pb::ValidationStage::Rules);
    assert!(!rules.passed);
    assert!(
        rules
            .reasons
            .iter()
            .any(|r| r.contains(&warnings[0].rule_id) && r.contains("no justification")),
        "{rules:?}"
    );
    // Bad justifications: no text, a rule that passed, the wrong role.
    let empty = refused(
        org.justify(pb::JustifyRequest {
            candidate_id: c1.candidate_id.clone(),
            stage: pb::ValidationStage::Rules as i32,
            subject: warnings[0].rule_id.clone(),
            text: "   ".into(),
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&empty)[0].0, "text");
    let no_stage = refused(
        org.justify(pb::JustifyRequest {
            candidate_id: c1.candidate_id.clone(),
            stage: pb::ValidationStage::Unspecified as i32,
            subject: warnings[0].rule_id.clone(),
            text: "fine".into(),
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&no_stage)[0].0, "stage");
    let passed_rule = report
        .results
        .iter()
        .find(|r| r.status == pb::RuleStatus::Passed as i32)
        .unwrap();
    refused(
        justify(
            &mut org,
            &c1,
            pb::ValidationStage::Rules,
            &passed_rule.rule_id,
        )
        .await,
        Code::FailedPrecondition,
    );
    refused(
        justify(
            &mut e1,
            &c1,
            pb::ValidationStage::Rules,
            &warnings[0].rule_id,
        )
        .await,
        Code::PermissionDenied,
    );
    for w in &warnings {
        let j = justify(&mut org, &c1, pb::ValidationStage::Rules, &w.rule_id)
            .await
            .unwrap();
        assert_eq!(j.candidate_hash, c1.content_hash);
    }
    let s = status(&mut org, &c1).await;
    assert!(stage(&s, pb::ValidationStage::Rules).passed, "{s:#?}");
    assert!(!s.publishable);

    // --- Stage 2: the seeded registry plus outside figures added over the API. ---
    let seed = org
        .get_benchmark_registry(pb::GetBenchmarkRegistryRequest { version: 1 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seed.benchmarks.len(), 10);
    let p01 = figure(&c1, "P01").value;
    let c02 = figure(&c1, "C02").value;
    let benchmark = |comparable_to: &str, value: f64, unit: &str| pb::Benchmark {
        publisher: "Test bureau".into(),
        indicator: format!("{comparable_to} as the bureau counts it"),
        scope: "China".into(),
        year: sample::CYCLE,
        value,
        unit: unit.into(),
        comparable_to: comparable_to.into(),
        comparability: pb::Comparability::SameDefinition as i32,
        tolerance: 0.10,
        ..Default::default()
    };
    let bad = refused(
        org.add_benchmarks(pb::AddBenchmarksRequest {
            benchmarks: vec![benchmark("C02", 1.0, "ZB"), benchmark("P99", -1.0, "ZB")],
            note: "bad".into(),
        })
        .await,
        Code::InvalidArgument,
    );
    let fields: Vec<String> = field_violations(&bad).into_iter().map(|v| v.0).collect();
    for f in [
        "benchmarks[0].unit",
        "benchmarks[1].value",
        "benchmarks[1].comparable_to",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
    }
    let added = org
        .add_benchmarks(pb::AddBenchmarksRequest {
            benchmarks: vec![
                // Twice our production: far outside a 10 % band.
                benchmark("P01", 2.0 * p01 / 1e21, "ZB"),
                // 5 % above our compute capacity: inside.
                benchmark("C02", 1.05 * c02 / 1e18, "EFLOPS"),
            ],
            note: "bureau's year-end figures".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.version, 2);
    assert_eq!(added.benchmarks, 12);
    let bench = org
        .check_benchmarks(pb::CheckBenchmarksRequest {
            candidate_id: c1.candidate_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bench.registry_version, 2);
    let outcome = |id: &str| {
        bench
            .comparisons
            .iter()
            .find(|c| c.benchmark_id == id)
            .unwrap_or_else(|| panic!("no comparison with {id}: {bench:#?}"))
            .outcome
    };
    assert_eq!(outcome("b002-001"), pb::BenchmarkOutcome::OutOfBand as i32);
    assert_eq!(outcome("b002-002"), pb::BenchmarkOutcome::WithinBand as i32);
    // CAICT's mid-year 2023 compute capacity is a different scope: reported, not judged.
    let caict = seed
        .benchmarks
        .iter()
        .find(|b| b.publisher == "CAICT" && b.year == 2023 && b.comparable_to == "C02")
        .unwrap();
    assert_eq!(
        outcome(&caict.benchmark_id),
        pb::BenchmarkOutcome::NotJudged as i32
    );
    let s = status(&mut org, &c1).await;
    let benchmarks = stage(&s, pb::ValidationStage::Benchmarks);
    assert!(!benchmarks.passed);
    assert!(
        benchmarks.reasons.iter().any(|r| r.contains("b002-001")),
        "{benchmarks:?}"
    );
    // A benchmark inside its band has nothing to justify.
    refused(
        justify(&mut org, &c1, pb::ValidationStage::Benchmarks, "b002-002").await,
        Code::FailedPrecondition,
    );
    justify(&mut org, &c1, pb::ValidationStage::Benchmarks, "b002-001")
        .await
        .unwrap();
    let s = status(&mut org, &c1).await;
    assert!(stage(&s, pb::ValidationStage::Benchmarks).passed, "{s:#?}");

    // --- Stage 3: a rejection closes the round and forces a revised candidate. ---
    let no_quorum = refused(
        org.open_review_round(pb::OpenReviewRoundRequest {
            candidate_id: c1.candidate_id.clone(),
            quorum: 0,
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&no_quorum)[0].0, "quorum");
    let round1 = open_round(&mut org, &c1, 2).await;
    let unknown_figure = refused(
        vote(
            &mut e1,
            &round1,
            &c1.content_hash,
            "P99",
            pb::Verdict::Approve,
            "",
        )
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&unknown_figure)[0].0, "figure_id");
    assert_eq!(round1.number, 1);
    assert_eq!(round1.candidate_hash, c1.content_hash);
    assert!(round1.figures.iter().any(|f| f.figure_id == "P01"));
    refused(
        vote(
            &mut org,
            &round1,
            &c1.content_hash,
            "",
            pb::Verdict::Approve,
            "",
        )
        .await,
        Code::PermissionDenied,
    );
    let no_reason = refused(
        vote(
            &mut e1,
            &round1,
            &c1.content_hash,
            "P01",
            pb::Verdict::Reject,
            "",
        )
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&no_reason)[0].0, "reason");
    let rejected = vote(
        &mut e1,
        &round1,
        &c1.content_hash,
        "P01",
        pb::Verdict::Reject,
        "P01 twice the bureau's figure is not explained well enough",
    )
    .await
    .unwrap();
    assert_eq!(rejected.state, pb::RoundState::Rejected as i32);
    refused(
        vote(
            &mut e2,
            &round1,
            &c1.content_hash,
            "",
            pb::Verdict::Approve,
            "",
        )
        .await,
        Code::FailedPrecondition,
    );
    let same_again = refused(
        org.open_review_round(pb::OpenReviewRoundRequest {
            candidate_id: c1.candidate_id.clone(),
            quorum: 2,
        })
        .await,
        Code::FailedPrecondition,
    );
    assert!(
        same_again.message().contains("revise"),
        "{}",
        same_again.message()
    );
    let refusal = refused(
        publish(&mut publisher, &c1, None, "").await,
        Code::FailedPrecondition,
    );
    assert!(
        refusal.message().contains("rejected"),
        "{}",
        refusal.message()
    );

    // The organiser revises: the inputs change, giving a new candidate, judged afresh.
    let c2 = common::revise(&system, &mut org, "cc-revision-1").await;
    assert_ne!(c2.content_hash, c1.content_hash);
    let s = status(&mut org, &c2).await;
    assert!(s.stages.iter().all(|s| !s.passed), "{s:#?}");
    pass_stages_1_and_2(&mut org, &c2).await;
    let round2 = open_round(&mut org, &c2, 2).await;
    assert_eq!(round2.number, 2);
    // A vote citing the old candidate is refused.
    let stale = refused(
        vote(
            &mut e1,
            &round2,
            &c1.content_hash,
            "",
            pb::Verdict::Approve,
            "",
        )
        .await,
        Code::FailedPrecondition,
    );
    assert!(stale.message().contains("stale"), "{}", stale.message());
    vote(
        &mut e1,
        &round2,
        &c2.content_hash,
        "",
        pb::Verdict::Approve,
        "",
    )
    .await
    .unwrap();
    // One vote per expert and target: a second approval by the same expert does not count twice.
    refused(
        vote(
            &mut e1,
            &round2,
            &c2.content_hash,
            "",
            pb::Verdict::Approve,
            "",
        )
        .await,
        Code::AlreadyExists,
    );
    let commented = vote(
        &mut e3,
        &round2,
        &c2.content_hash,
        "P01",
        pb::Verdict::ApproveWithComments,
        "state the consumed-data share in the notes",
    )
    .await
    .unwrap();
    // A figure-level approval does not count towards the whole-candidate quorum.
    assert_eq!(commented.state, pb::RoundState::Open as i32);
    let refusal = refused(
        publish(&mut publisher, &c2, None, "").await,
        Code::FailedPrecondition,
    );
    assert!(
        refusal.message().contains("1 of 2"),
        "{}",
        refusal.message()
    );
    let passed = vote(
        &mut e2,
        &round2,
        &c2.content_hash,
        "",
        pb::Verdict::Approve,
        "",
    )
    .await
    .unwrap();
    assert_eq!(passed.state, pb::RoundState::Passed as i32);
    assert!(status(&mut org, &c2).await.publishable);

    // --- Publication. ---
    refused(
        publish(&mut org, &c2, None, "").await,
        Code::PermissionDenied,
    );
    let v1 = publish(&mut publisher, &c2, None, "").await.unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.candidate_hash, c2.content_hash);
    refused(
        publish(&mut publisher, &c2, None, "again").await,
        Code::FailedPrecondition,
    );
    let first = read(&mut reader, 1, pb::ReleaseFormat::Json).await.unwrap();
    let second = read(&mut reader, 0, pb::ReleaseFormat::Json).await.unwrap();
    assert_eq!(
        first.content, second.content,
        "re-reading gives the same bytes"
    );
    assert_eq!(first.media_type, "application/json");
    {
        use sha2::Digest;
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&first.content)),
            v1.document_sha256
        );
    }
    // With Redis configured, the read went through the shared release cache.
    if env.settings.bus.kind == ndrs_platform::settings::BusKind::Redis {
        let client = redis::Client::open(env.settings.bus.redis_url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let key = ndrs_aggregator::release_cache::ReleaseCache::redis_key(
            &env.settings.bus.namespace,
            &ndrs_aggregator::release::cache_key(
                sample::CYCLE,
                1,
                ndrs_aggregator::release::Format::Json,
            ),
        );
        let cached: Option<Vec<u8>> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let cached =
            pb::ReleaseDocument::decode(cached.expect("release cached").as_slice()).unwrap();
        assert_eq!(cached.content, first.content);
    }
    let doc: serde_json::Value = serde_json::from_slice(&first.content).unwrap();
    assert_eq!(doc["lineage"]["candidate_hash"], c2.content_hash.as_str());
    assert_eq!(doc["lineage"]["benchmark_registry"]["version"], 2);
    assert_eq!(doc["lineage"]["rule_set"]["version"], 1);
    assert_eq!(doc["lineage"]["review_rounds"].as_array().unwrap().len(), 2);
    assert!(
        !doc["lineage"]["software"]["version"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let p01_published = doc["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "P01")
        .unwrap();
    assert_eq!(
        p01_published["value"].as_f64().unwrap(),
        figure(&c2, "P01").value
    );
    assert!(
        doc["figures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "check"),
        "check figures are not published"
    );
    refused(
        reader
            .get_release(pb::GetReleaseRequest {
                cycle_year: sample::CYCLE,
                version: 1,
                format: 99,
            })
            .await,
        Code::InvalidArgument,
    );
    // Disclosure control: breakdown cells from fewer than 3 reporters, or dominated by one, are
    // withheld; the others are published as computed.
    assert_eq!(doc["lineage"]["disclosure"]["min_reporters"], 3);
    let published: std::collections::BTreeMap<&str, &serde_json::Value> = doc["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["key"].as_str().unwrap(), f))
        .collect();
    let mut suppressed = 0;
    for cell in c2
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .filter(|f| !f.dimensions.is_empty() && f.kind != pb::FigureKind::Check as i32)
    {
        let l = cell.lineage.clone().unwrap_or_default();
        let out = published[ndrs_aggregator::review::figure_key(cell).as_str()];
        let withheld = (l.reporters > 0 && l.reporters < 3) || l.largest_share > 0.85;
        if withheld {
            suppressed += 1;
            assert_eq!(out["status"], "suppressed", "{out}");
            assert!(out["value"].is_null(), "{out}");
            assert!(out["lineage"]["returns"].as_array().unwrap().is_empty());
        } else if out["status"] == "suppressed" {
            // Withheld only to protect a lone suppressed cell of the same breakdown.
            assert_eq!(
                out["suppression"],
                ndrs_aggregator::release::COMPLEMENTARY,
                "{out}"
            );
        } else {
            assert_eq!(out["status"], "final", "{out}");
            assert_eq!(out["value"].as_f64().unwrap(), cell.value, "{out}");
        }
    }
    assert!(
        suppressed > 0,
        "the sample has provinces with one or two centres"
    );
    let csv1 = read(&mut reader, 1, pb::ReleaseFormat::Csv).await.unwrap();
    let csv2 = read(&mut reader, 1, pb::ReleaseFormat::Csv).await.unwrap();
    assert_eq!(csv1.content, csv2.content);
    let csv_text = String::from_utf8(csv1.content.clone()).unwrap();
    assert!(csv_text.starts_with("cycle_year,version,key,id,"));
    assert!(csv_text.lines().any(|l| l.contains(",P01,P01,")));

    // SDMX-ML: stable on re-read, and read by an outside SDMX implementation (sdmx1) when
    // NDRS_TEST_SDMX_PYTHON names a Python that has it (set but failing fails the test).
    let sdmx1 = read(&mut reader, 1, pb::ReleaseFormat::Sdmx).await.unwrap();
    let sdmx2 = read(&mut reader, 1, pb::ReleaseFormat::Sdmx).await.unwrap();
    assert_eq!(sdmx1.content, sdmx2.content);
    let sdmx_text = String::from_utf8(sdmx1.content.clone()).unwrap();
    assert!(sdmx_text.contains("<generic:Value id=\"INDICATOR\" value=\"P01\"/>"));
    assert!(sdmx_text.contains("<Ref agencyID=\"NDRS\" id=\"DF_NDRS\" version=\"1.0\"/>"));
    if let Ok(python) = std::env::var("NDRS_TEST_SDMX_PYTHON") {
        let dir = tempfile::tempdir().unwrap();
        let (x, j) = (dir.path().join("r.xml"), dir.path().join("r.json"));
        std::fs::write(&x, &sdmx1.content).unwrap();
        std::fs::write(&j, &first.content).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/check-sdmx.py");
        let out = std::process::Command::new(python)
            .arg(script)
            .arg(&x)
            .arg(&j)
            .output()
            .expect("run the SDMX check");
        println!("{}", String::from_utf8_lossy(&out.stdout));
        assert!(
            out.status.success(),
            "sdmx1 check failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // --- A revision: new inputs, all three stages again, a note, a diff; v1 stays readable. ---
    let c3 = common::revise(&system, &mut org, "cc-revision-2").await;
    pass_stages_1_and_2(&mut org, &c3).await;
    let round3 = open_round(&mut org, &c3, 1).await;
    // The inputs change again while round 3 is open: its candidate is stale.
    let c4 = common::revise(&system, &mut org, "cc-revision-3").await;
    let stale = refused(
        vote(
            &mut e1,
            &round3,
            &c3.content_hash,
            "",
            pb::Verdict::Approve,
            "",
        )
        .await,
        Code::FailedPrecondition,
    );
    assert!(stale.message().contains("stale"), "{}", stale.message());
    pass_stages_1_and_2(&mut org, &c4).await;
    let round4 = open_round(&mut org, &c4, 1).await;
    let superseded = org
        .get_review_round(pb::GetReviewRoundRequest {
            round_id: round3.round_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(superseded.state, pb::RoundState::Superseded as i32);
    vote(
        &mut e3,
        &round4,
        &c4.content_hash,
        "",
        pb::Verdict::Approve,
        "",
    )
    .await
    .unwrap();
    let no_note = refused(
        publish(&mut publisher, &c4, None, " ").await,
        Code::InvalidArgument,
    );
    assert_eq!(field_violations(&no_note)[0].0, "note");
    // Not a time a timestamp can hold (nanos beyond a second).
    let impossible = Timestamp {
        seconds: 0,
        nanos: 2_000_000_000,
    };
    refused(
        publish(&mut publisher, &c4, Some(impossible), "x").await,
        Code::InvalidArgument,
    );
    let embargo =
        Timestamp::from(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
    let v2 = publish(
        &mut publisher,
        &c4,
        Some(embargo),
        "three late compute-centre returns added",
    )
    .await
    .unwrap();
    assert_eq!(v2.version, 2);
    // Under embargo v2 does not exist for readers (the latest they see is v1, v2 is not found),
    // and is visible to the publisher.
    let latest_for_reader = read(&mut reader, 0, pb::ReleaseFormat::Json).await.unwrap();
    assert_eq!(latest_for_reader.summary.as_ref().unwrap().version, 1);
    let embargoed = refused(
        read(&mut reader, 2, pb::ReleaseFormat::Json).await,
        Code::NotFound,
    );
    assert!(!embargoed.message().contains("embargo"), "{embargoed:?}");
    let v2_doc = read(&mut publisher, 2, pb::ReleaseFormat::Json)
        .await
        .unwrap();
    let v2_json: serde_json::Value = serde_json::from_slice(&v2_doc.content).unwrap();
    assert_eq!(v2_json["previous_version"], 1);
    let changes = v2_json["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["key"] == "C02" && c["change"] == "revised"),
        "{changes:?}"
    );
    // v1 is still there, byte for byte.
    let v1_again = read(&mut reader, 1, pb::ReleaseFormat::Json).await.unwrap();
    assert_eq!(v1_again.content, first.content);
    let listed = reader
        .list_releases(pb::ListReleasesRequest {
            cycle_year: sample::CYCLE,
        })
        .await
        .unwrap()
        .into_inner()
        .releases;
    assert_eq!(
        listed.len(),
        1,
        "a reader must not see the embargoed v2: {listed:?}"
    );
    let listed_by_publisher = publisher
        .list_releases(pb::ListReleasesRequest {
            cycle_year: sample::CYCLE,
        })
        .await
        .unwrap()
        .into_inner()
        .releases;
    assert_eq!(listed_by_publisher.len(), 2);

    // --- The audit log: intact, then a tampered row is detected. ---
    refused(
        reader
            .list_audit_log(pb::ListAuditLogRequest {
                after_seq: 0,
                limit: 0,
            })
            .await,
        Code::PermissionDenied,
    );
    let audit_channel = channel(
        &e.aggregator,
        Some(&token(&system, Role::Organiser, None).await),
    )
    .unwrap();
    let entries = ndrs_cli::audit::fetch_all(audit_channel.clone())
        .await
        .unwrap();
    for action in [
        "benchmarks.added",
        "rule_set.loaded",
        "justification.recorded",
        "review.round_opened",
        "review.vote",
        "release.published",
    ] {
        assert!(
            entries.iter().any(|e| e.action == action),
            "no {action} in the audit log"
        );
    }
    let verdict = ndrs_cli::audit::verify(audit_channel.clone())
        .await
        .unwrap();
    assert!(
        matches!(verdict, ndrs_cli::audit::Verdict::Intact { rows, .. } if rows == entries.len()),
        "{verdict:?}"
    );
    let vote_row = entries.iter().find(|e| e.action == "review.vote").unwrap();
    let target = DatabaseTarget::resolve(&env.settings, ndrs_aggregator::SERVICE_NAME, "").unwrap();
    let db = connect(&target).await.unwrap();
    db.execute_unprepared(&format!(
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = {}",
        vote_row.seq
    ))
    .await
    .unwrap();
    match ndrs_cli::audit::verify(audit_channel).await.unwrap() {
        ndrs_cli::audit::Verdict::Broken(b) => assert_eq!(b.seq, vote_row.seq, "{b}"),
        other => panic!("tampering not detected: {other:?}"),
    }
    db.close().await.unwrap();
    system.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_rule_blocks_and_cannot_be_justified_while_a_warning_can() {
    let (_env, system) = start().await;
    let mut org =
        AggregatorServiceClient::new(as_organiser(&system, &system.endpoints.aggregator).await);
    let rule = |id: &str, expression: &str, severity: pb::Severity| pb::Rule {
        id: id.into(),
        description: id.into(),
        expression: expression.into(),
        severity: severity as i32,
        tolerance: 0.0,
    };
    load_rules(
        &mut org,
        sample::CYCLE,
        vec![
            // New storage cannot exceed production here, so both rules fail on the sample.
            rule("impossible.error", "P04 > P01", pb::Severity::Error),
            rule("impossible.warning", "P04 > P01", pb::Severity::Warning),
        ],
        false,
    )
    .await
    .unwrap();
    submit_samples(&system).await;
    let candidate = assemble(&mut org, sample::CYCLE).await;
    let report = validate(&mut org, &candidate).await;
    assert!(!report.passed_errors);
    let both_bad = org
        .justify(pb::JustifyRequest {
            candidate_id: candidate.candidate_id.clone(),
            stage: pb::ValidationStage::Rules as i32,
            subject: String::new(),
            text: String::new(),
        })
        .await
        .unwrap_err();
    let fields: Vec<String> = field_violations(&both_bad)
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(fields, ["subject", "text"]);
    let error = refused(
        justify(
            &mut org,
            &candidate,
            pb::ValidationStage::Rules,
            "impossible.error",
        )
        .await,
        Code::FailedPrecondition,
    );
    assert!(
        error.message().contains("cannot be justified"),
        "{}",
        error.message()
    );
    justify(
        &mut org,
        &candidate,
        pb::ValidationStage::Rules,
        "impossible.warning",
    )
    .await
    .unwrap();
    let s = status(&mut org, &candidate).await;
    let rules = stage(&s, pb::ValidationStage::Rules);
    assert!(!rules.passed);
    assert_eq!(rules.reasons, ["error rule impossible.error failed"]);
    system.stop().await.unwrap();
}
