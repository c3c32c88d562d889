//! Storage over every backend in one test binary: the suite below is written once
//! (`storage_suite!`) and instantiated for SQLite in memory and, when `NDRS_TEST_DATABASE_URL` is
//! set, PostgreSQL (a fresh database per test), as quickwit does with its metastore suite. It
//! covers the return store, identity, versioned cycle documents, model runs and the aggregator's
//! tables: candidates, validation and benchmark reports, justifications, review rounds and votes,
//! releases and the audit log.
//! The relay and bus test runs on whichever bus the environment selects (Redis Streams when
//! `NDRS_TEST_REDIS_URL` is set).

use std::time::Duration;

use ndrs_core::Error;
use ndrs_platform::bus::BusEvent;
use ndrs_platform::db::{DatabaseTarget, connect_and_migrate};
use ndrs_platform::returns::migration::ReturnStoreMigrator;
use ndrs_platform::returns::{
    INPUTS_CHANGED_TOPIC, InputsChanged, NewReturn, ReturnHeader, ReturnStore,
};
use ndrs_testkit::env::{TestDatabase, TestEnv};
use ndrs_testkit::sample;

async fn store(env: &TestEnv) -> ReturnStore {
    let target = DatabaseTarget::resolve(&env.settings, "storage_suite", "").unwrap();
    let db = connect_and_migrate(&target, &ReturnStoreMigrator)
        .await
        .unwrap();
    ReturnStore::new(db, "storage_suite")
}

fn submission(unit: &str, key: &str, value: i64, corrects: Option<String>) -> NewReturn {
    NewReturn {
        kind: "test_return",
        header: ReturnHeader {
            cycle_year: 2023,
            reporting_unit_id: unit.into(),
            idempotency_key: key.into(),
            corrects,
        },
        payload: serde_json::json!({ "value": value }),
        findings: Vec::new(),
        submitted_by: format!("reporter {unit}"),
    }
}

/// The storage suite, written once: every test takes a fresh database of the backend the macro
/// instance names, and is skipped (saying so) only for PostgreSQL when it is not configured.
macro_rules! storage_suite {
    ($backend:ident, $database:expr) => {
        mod $backend {
            use super::*;

            async fn database() -> Option<TestDatabase> {
                let database = $database;
                if database.is_none() {
                    eprintln!(
                        "skipped on {}: {} is not set",
                        stringify!($backend),
                        ndrs_testkit::env::DATABASE_URL_VAR
                    );
                }
                database
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn versions_are_appended_never_overwritten() {
                let Some(db) = database().await else { return };
                suite::versions_are_appended_never_overwritten(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_retries_with_one_key_store_one_version() {
                let Some(db) = database().await else { return };
                suite::concurrent_retries_with_one_key_store_one_version(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tokens_are_issued_expire_and_are_revoked() {
                let Some(db) = database().await else { return };
                suite::tokens_are_issued_expire_and_are_revoked(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cycle_documents_are_versioned_and_announced() {
                let Some(db) = database().await else { return };
                suite::cycle_documents_are_versioned_and_announced(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_stage_result_cites_the_organisers_model_run() {
                let Some(db) = database().await else { return };
                suite::a_stage_result_cites_the_organisers_model_run(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_audit_chain_appends_and_refuses_a_fork() {
                let Some(db) = database().await else { return };
                suite::the_audit_chain_appends_and_refuses_a_fork(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn candidates_take_each_sequence_number_once_and_reuse_equal_content() {
                let Some(db) = database().await else { return };
                suite::candidates_take_each_sequence_number_once_and_reuse_equal_content(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn reports_stored_in_the_old_encoding_read_the_same_after_migrating() {
                let Some(db) = database().await else { return };
                suite::reports_stored_in_the_old_encoding_read_the_same_after_migrating(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_validation_report_is_stored_once_per_candidate_and_rule_set() {
                let Some(db) = database().await else { return };
                suite::a_validation_report_is_stored_once_per_candidate_and_rule_set(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_benchmark_report_is_stored_once_per_candidate_and_registry() {
                let Some(db) = database().await else { return };
                suite::a_benchmark_report_is_stored_once_per_candidate_and_registry(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn justifications_belong_to_one_candidates_content() {
                let Some(db) = database().await else { return };
                suite::justifications_belong_to_one_candidates_content(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_review_round_counts_each_experts_vote_once() {
                let Some(db) = database().await else { return };
                suite::a_review_round_counts_each_experts_vote_once(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_published_release_never_changes() {
                let Some(db) = database().await else { return };
                suite::a_published_release_never_changes(&db).await;
            }
        }
    };
}

storage_suite!(sqlite, Some(TestDatabase::sqlite()));
storage_suite!(postgres, TestDatabase::postgres().await);

/// The suite's bodies, backend-agnostic.
mod suite {
    use std::collections::BTreeSet;

    use ndrs_aggregator::candidate::{Candidates, Trigger};
    use ndrs_aggregator::stages::{StageClients, StageEndpoints};
    use ndrs_proto::v1 as pb;
    use sea_orm::Set;

    use super::*;

    async fn store(db: &TestDatabase) -> ReturnStore {
        let conn = connect_and_migrate(&db.target("storage_suite"), &ReturnStoreMigrator)
            .await
            .unwrap();
        ReturnStore::new(conn, "storage_suite")
    }

    /// A stored return as a stage loads it, for the tables that refer to returns.
    fn stored(id: i64, kind: &str, unit: &str) -> ndrs_platform::returns::StoredReturn {
        ndrs_platform::returns::StoredReturn {
            id,
            return_id: format!("return-{id}"),
            version: 1,
            return_kind: kind.into(),
            cycle_year: 2023,
            reporting_unit_id: unit.into(),
            idempotency_key: format!("key-{id}"),
            content_hash: String::new(),
            payload_json: String::new(),
            findings_json: "[]".into(),
            submitted_by: format!("reporter {unit}"),
            received_at: "2024-03-01T00:00:00Z".into(),
        }
    }

    /// The run a stage result cites is the organiser's, even when a default run over the same
    /// inputs (one a stage result started before the organiser's run was stored) is stored after
    /// it: otherwise the cycle's figures would change, and a candidate under review go stale,
    /// with no input changed. The default run is cited only while no organiser run exists.
    pub async fn a_stage_result_cites_the_organisers_model_run(db: &TestDatabase) {
        use ndrs_production::{domain, runs};
        let conn = connect_and_migrate(&db.target("production"), &runs::migration::Migrator)
            .await
            .unwrap();
        let runs = runs::ModelRuns::new(conn);
        let (_, phones) = domain::device_parameters_from_proto(sample::smartphones(
            "u1",
            "k1",
            1.0e9,
            "device census",
        ))
        .unwrap();
        let (_, disks) = domain::storage_medium_from_proto(sample::medium(
            "u2",
            "k2",
            ndrs_proto::v1::StorageMedium::Hdd,
            "enterprise",
            [1.0e21, 6.0e20, 2.0e20, 1.0e19],
        ))
        .unwrap();
        let devices = [(stored(1, "device_parameters", "u1"), phones)];
        let media = [(stored(2, "storage_medium", "u2"), disks)];
        let hash = ndrs_platform::stage::inputs_hash(
            runs::inputs_of(&devices, &media).iter().map(String::as_str),
        );
        assert!(runs.cited(2023, &hash).await.unwrap().is_none());

        let requested = runs
            .run(2023, &devices, &media, 7, 500, "organiser")
            .await
            .unwrap();
        // A default run over the same inputs, stored (with a later time) after the organiser's.
        let default = runs.default_run(2023, &devices, &media).await.unwrap();
        assert_ne!(requested.run_id, default.run_id);
        assert!(
            default.run_at > requested.run_at,
            "the default run is the newer"
        );
        let cited = runs.cited(2023, &hash).await.unwrap().unwrap();
        assert_eq!(cited.run_id, requested.run_id);
        // Other inputs have no run to cite.
        assert!(runs.cited(2023, "other inputs").await.unwrap().is_none());

        // Where no organiser has run the model, the default run is cited.
        assert!(runs.cited(2022, &hash).await.unwrap().is_none());
        let default = runs.default_run(2022, &devices, &media).await.unwrap();
        let cited = runs.cited(2022, &hash).await.unwrap().unwrap();
        assert_eq!(cited.run_id, default.run_id, "only the default run exists");
    }

    pub async fn versions_are_appended_never_overwritten(db: &TestDatabase) {
        let store = store(db).await;
        let first = store.submit(submission("u1", "a", 1, None)).await.unwrap();
        let second = store
            .submit(submission("u1", "b", 2, Some(first.return_id.clone())))
            .await
            .unwrap();
        assert_eq!((first.version, second.version), (1, 2));
        let history = store.history(&first.return_id).await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].payload_json, r#"{"value":1}"#);
        assert_eq!(history[1].payload_json, r#"{"value":2}"#);
        let latest = store.latest(2023, None).await.unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].version, 2);
        // A correction of an unknown return is refused and stores nothing.
        let err = store
            .submit(submission("u1", "c", 3, Some("no-such-return".into())))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert_eq!(store.version_count().await.unwrap(), 2);
    }

    pub async fn concurrent_retries_with_one_key_store_one_version(db: &TestDatabase) {
        let store = store(db).await;
        let attempts = (0..8).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.submit(submission("u1", "same-key", 7, None)).await })
        });
        let receipts: Vec<_> = futures_join(attempts).await;
        let ids: std::collections::BTreeSet<_> =
            receipts.iter().map(|r| r.return_id.clone()).collect();
        assert_eq!(ids.len(), 1, "every retry must get the same receipt");
        assert_eq!(receipts.iter().filter(|r| !r.replayed).count(), 1);
        assert_eq!(store.version_count().await.unwrap(), 1);
    }

    pub async fn tokens_are_issued_expire_and_are_revoked(db: &TestDatabase) {
        use ndrs_platform::auth::{IdentityStore, Role, migration::IdentityMigrator};
        let conn = connect_and_migrate(&db.target("identity"), &IdentityMigrator)
            .await
            .unwrap();
        let identity = IdentityStore::from_connection(conn);
        let reporter = identity
            .issue("bureau 11", Role::Reporter, Some("bj-bureau"))
            .await
            .unwrap();
        assert_eq!(
            identity.authenticate(&reporter.token).await.unwrap(),
            reporter.principal
        );
        let short = identity
            .issue_valid_for("short", Role::Organiser, None, Duration::from_millis(50))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(matches!(
            identity.authenticate(&short.token).await,
            Err(Error::Unauthenticated(why)) if why.contains("expired")
        ));
        identity.revoke(&reporter.token_id).await.unwrap();
        assert!(matches!(
            identity.authenticate(&reporter.token).await,
            Err(Error::Unauthenticated(_))
        ));
    }

    /// A stage service's schema: the return store and the cycle documents.
    struct StageMigrator;

    impl sea_orm_migration::MigratorTraitSelf for StageMigrator {
        fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
            vec![
                Box::new(ndrs_platform::returns::migration::CreateReturnStore),
                Box::new(ndrs_platform::documents::migration::CreateCycleDocument),
            ]
        }
    }

    pub async fn cycle_documents_are_versioned_and_announced(db: &TestDatabase) {
        use ndrs_platform::documents::CycleDocuments;
        let conn = connect_and_migrate(&db.target("documents_suite"), &StageMigrator)
            .await
            .unwrap();
        let store = ReturnStore::new(conn, "documents_suite");
        let documents = CycleDocuments::new(&store, "test-register");
        let first = documents
            .load(2023, vec!["cc-a".to_string()], "organiser")
            .await
            .unwrap();
        let second = documents
            .load(
                2023,
                vec!["cc-a".to_string(), "cc-b".to_string()],
                "organiser",
            )
            .await
            .unwrap();
        assert_eq!((first.version, second.version), (1, 2));
        assert_ne!(first.content_hash, second.content_hash);
        let latest = documents
            .get::<Vec<String>>(2023, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.version, 2);
        assert_eq!(latest.body.len(), 2);
        let v1 = documents
            .get::<Vec<String>>(2023, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v1.body, ["cc-a"]);
        assert!(
            documents
                .get::<Vec<String>>(2022, 0)
                .await
                .unwrap()
                .is_none()
        );
        // Each version was announced in the outbox, in the transaction that stored it.
        let published = ndrs_platform::returns::relay::publish_pending(
            store.connection(),
            &ndrs_platform::bus::InProcessBus::new(),
            100,
        )
        .await
        .unwrap();
        assert_eq!(published, 2);
    }

    pub async fn the_audit_chain_appends_and_refuses_a_fork(db: &TestDatabase) {
        use ndrs_aggregator::audit;
        let conn = connect_and_migrate(
            &db.target("aggregator"),
            &ndrs_aggregator::startup::Migrator,
        )
        .await
        .unwrap();
        // Concurrent appends (two replicas recording at once): each either links to the head it
        // read or is refused as a conflict, so the chain never forks.
        let appends = (0..8).map(|i| {
            let conn = conn.clone();
            tokio::spawn(async move {
                audit::append(
                    &conn,
                    audit::Entry {
                        actor: "organiser",
                        action: "test.recorded",
                        subject: "concurrent",
                        details: serde_json::json!({ "n": i }),
                    },
                )
                .await
            })
        });
        let mut appended = 0;
        for handle in appends {
            match handle.await.unwrap() {
                Ok(_) => appended += 1,
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("an append failed otherwise: {e}"),
            }
        }
        assert!(appended >= 1);
        let entries = audit::list(&conn, 0, 100).await.unwrap();
        assert_eq!(entries.len(), appended);
        audit::verify_chain(&entries).expect("the chain is intact");
    }

    /// The aggregator's tables on a fresh database, and its candidate store. The stage clients
    /// point nowhere (they connect lazily and are never called): the suite records stage results
    /// itself with [`Candidates::record`], the store-level half of an assembly.
    async fn aggregator(db: &TestDatabase) -> (sea_orm::DatabaseConnection, Candidates) {
        let conn = connect_and_migrate(
            &db.target("aggregator"),
            &ndrs_aggregator::startup::Migrator,
        )
        .await
        .unwrap();
        let nowhere = || "http://127.0.0.1:1".to_string();
        let endpoints = StageEndpoints {
            production: nowhere(),
            compute: nowhere(),
            circulation: nowhere(),
            application: nowhere(),
        };
        let clients = StageClients::connect(&endpoints, "unused").unwrap();
        (conn.clone(), Candidates::new(conn, clients))
    }

    /// One stage's result for 2023 with the national estimates `figures`; `tag` is its content
    /// hash, so results with different tags are different content.
    fn stage_results(tag: &str, figures: &[(&str, f64)]) -> Vec<pb::StageResult> {
        vec![pb::StageResult {
            stage: pb::Stage::ProductionStorage as i32,
            cycle_year: 2023,
            figures: figures
                .iter()
                .map(|(id, value)| pb::Figure {
                    id: id.to_string(),
                    kind: pb::FigureKind::Estimate as i32,
                    value: *value,
                    ..Default::default()
                })
                .collect(),
            content_hash: format!("content {tag}"),
            returns_used: 1,
            ..Default::default()
        }]
    }

    async fn candidate(
        candidates: &Candidates,
        tag: &str,
        figures: &[(&str, f64)],
    ) -> pb::Candidate {
        candidates
            .record(
                2023,
                stage_results(tag, figures),
                Trigger::Manual,
                "organiser",
            )
            .await
            .unwrap()
    }

    /// Candidates are numbered once per cycle: equal content is the latest candidate again (no
    /// new review round for unchanged inputs), and concurrent assemblies of different content each
    /// take their own number or lose the race as a conflict, never share one.
    pub async fn candidates_take_each_sequence_number_once_and_reuse_equal_content(
        db: &TestDatabase,
    ) {
        use sea_orm::ActiveModelTrait;
        let (conn, candidates) = aggregator(db).await;
        let first = candidate(&candidates, "a", &[("P01", 1.0)]).await;
        assert_eq!(first.sequence, 1);
        let again = candidate(&candidates, "a", &[("P01", 1.0)]).await;
        assert_eq!(
            again.candidate_id, first.candidate_id,
            "equal content, same candidate"
        );

        let attempts = (0..6).map(|i| {
            let candidates = candidates.clone();
            tokio::spawn(async move {
                let stages = stage_results(&format!("b{i}"), &[("P01", 2.0 + f64::from(i))]);
                candidates
                    .record(2023, stages, Trigger::InputsChanged, "watcher")
                    .await
            })
        });
        let mut stored = vec![first.sequence];
        for handle in attempts {
            match handle.await.unwrap() {
                Ok(c) => stored.push(c.sequence),
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("a recording failed otherwise: {e}"),
            }
        }
        stored.sort_unstable();
        let listed: Vec<u32> = candidates
            .list(2023)
            .await
            .unwrap()
            .iter()
            .map(|c| c.sequence)
            .collect();
        assert_eq!(listed, stored, "every stored candidate has its own number");
        assert_eq!(listed, (1..=listed.len() as u32).collect::<Vec<_>>());
        let latest = candidates.latest(2023).await.unwrap();
        assert_eq!(latest.sequence as usize, listed.len());
        let read = candidates.get(&first.candidate_id).await.unwrap();
        assert_eq!(read, first, "a candidate reads back as it was stored");

        // Whoever writes the table, a taken number is refused by its unique key.
        let taken = ndrs_aggregator::store::candidate::ActiveModel {
            candidate_id: Set("another".into()),
            cycle_year: Set(2023),
            sequence: Set(1),
            content_hash: Set("other".into()),
            trigger: Set("manual".into()),
            assembled_at: Set("2024-03-01T00:00:00Z".into()),
            assembled_by: Set("organiser".into()),
            stages: Set(Vec::new()),
        }
        .insert(&conn)
        .await
        .unwrap_err();
        assert!(matches!(
            taken.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ));
    }

    fn error_rule() -> Vec<pb::Rule> {
        vec![pb::Rule {
            id: "storage.new_within_production".into(),
            description: "Newly stored data cannot exceed the data produced".into(),
            expression: "P04 <= P01".into(),
            severity: pb::Severity::Error as i32,
            tolerance: 0.0,
        }]
    }

    /// Validation is deterministic, so replicas validating the same candidate under the same
    /// rule-set version store one report between them; a new rule-set version makes the report
    /// stale until the candidate is validated again, which stores a second report.
    /// A validation report stored before times became timestamps and the rule severity the one
    /// `Severity` (old ERROR = 1, a string time at field 9) reads after the migration as it meant:
    /// its error is an error (not INFO, which would let a failed error rule through) and its
    /// creation time is kept.
    pub async fn reports_stored_in_the_old_encoding_read_the_same_after_migrating(
        db: &TestDatabase,
    ) {
        use ndrs_aggregator::store::validation_report;
        use ndrs_aggregator::validation::Validation;
        use ndrs_proto::v1 as pb;
        use prost::Message;
        use sea_orm::{ActiveModelTrait, Set};
        use sea_orm_migration::MigratorTraitSelf;

        let conn = ndrs_platform::db::connect(&db.target("aggregator"))
            .await
            .unwrap();
        let migrator = ndrs_aggregator::startup::Migrator;
        // Every migration before the re-encoding one.
        let before = migrator
            .migrations()
            .iter()
            .position(|m| m.name() == "m20261202_000001_report_encoding")
            .unwrap() as u32;
        migrator.up(&conn, Some(before)).await.unwrap();
        let result = |rule_id: &str, severity: i32| pb::RuleResult {
            rule_id: rule_id.into(),
            severity,
            status: pb::RuleStatus::Failed as i32,
            ..Default::default()
        };
        let old = pb::ValidationReport {
            report_id: "r1".into(),
            candidate_id: "c1".into(),
            candidate_hash: "h".into(),
            rule_set_version: 1,
            rule_set_hash: "rh".into(),
            // The old RULE_SEVERITY_ERROR and RULE_SEVERITY_WARNING.
            results: vec![result("error.rule", 1), result("warning.rule", 2)],
            passed_errors: false,
            open_warnings: 1,
            created_at: None,
        };
        let created = "2026-11-30T10:00:00.000001Z";
        let mut bytes = old.encode_to_vec();
        prost::encoding::string::encode(9, &created.to_string(), &mut bytes);
        validation_report::ActiveModel {
            report_id: Set("r1".into()),
            candidate_id: Set("c1".into()),
            candidate_hash: Set("h".into()),
            rule_set_version: Set(1),
            rule_set_hash: Set("rh".into()),
            report: Set(bytes),
            created_at: Set(created.into()),
        }
        .insert(&conn)
        .await
        .unwrap();

        migrator.up(&conn, None).await.unwrap();
        let report = Validation::new(conn).latest_report("c1").await.unwrap();
        let severities: Vec<_> = report
            .results
            .iter()
            .map(|r| pb::Severity::try_from(r.severity).unwrap())
            .collect();
        assert_eq!(severities, [pb::Severity::Error, pb::Severity::Warning]);
        assert_eq!(
            report.created_at,
            ndrs_platform::timestamp::from_text(created)
        );
    }

    pub async fn a_validation_report_is_stored_once_per_candidate_and_rule_set(db: &TestDatabase) {
        use ndrs_aggregator::validation::{self, Validation};
        let (conn, candidates) = aggregator(db).await;
        let validation = Validation::new(conn);
        let c = candidate(&candidates, "v", &[("P01", 10.0), ("P04", 20.0)]).await;
        assert!(matches!(
            validation.validate(&c).await,
            Err(Error::FailedPrecondition(_))
        ));
        let rules = validation::rules_from_proto(error_rule()).unwrap();
        let v1 = validation.load(2023, rules, "organiser").await.unwrap();
        assert_eq!(v1.version, 1);

        let runs = (0..4).map(|_| {
            let (validation, c) = (validation.clone(), c.clone());
            tokio::spawn(async move { validation.validate(&c).await })
        });
        let mut ids = BTreeSet::new();
        for handle in runs {
            let report = handle.await.unwrap().unwrap();
            assert!(!report.passed_errors, "P04 exceeds P01");
            ids.insert(report.report_id);
        }
        assert_eq!(ids.len(), 1, "one report for one candidate and rule set");
        let stored = validation.latest_report(&c.candidate_id).await.unwrap();
        assert!(ids.contains(&stored.report_id));
        assert_eq!(
            (stored.rule_set_version, stored.rule_set_hash.as_str()),
            (1, v1.content_hash.as_str())
        );

        let rules = validation::rules_from_proto(error_rule()).unwrap();
        let v2 = validation.load(2023, rules, "organiser").await.unwrap();
        assert_eq!(v2.version, 2);
        let (outcome, _) = validation
            .stage_outcome(&c, &BTreeSet::new())
            .await
            .unwrap();
        assert!(
            outcome.reasons.iter().any(|r| r.contains("validate again")),
            "{:?}",
            outcome.reasons
        );
        let again = validation.validate(&c).await.unwrap();
        assert_ne!(again.report_id, stored.report_id);
        assert_eq!(again.rule_set_version, 2);
    }

    /// The registry is seeded once however many replicas start at once, a check stores one
    /// report per candidate and registry version, an addition is the next version holding every
    /// earlier benchmark, and the same outside figure is never registered twice.
    pub async fn a_benchmark_report_is_stored_once_per_candidate_and_registry(db: &TestDatabase) {
        use ndrs_aggregator::benchmarks::{Benchmarks, benchmarks_from_proto};
        let (conn, candidates) = aggregator(db).await;
        let benchmarks = Benchmarks::new(conn);
        let seeds = (0..3).map(|_| {
            let benchmarks = benchmarks.clone();
            tokio::spawn(async move { benchmarks.seed_if_empty().await })
        });
        for handle in seeds {
            handle.await.unwrap().unwrap();
        }
        let seed = benchmarks.registry(0).await.unwrap();
        let seeded = seed.summary.clone().unwrap();
        assert_eq!(seeded.version, 1, "seeded once");
        assert_eq!(seed.benchmarks.len() as u32, seeded.benchmarks);

        let c = candidate(&candidates, "b", &[("C02", 200e18)]).await;
        let checks = (0..3).map(|_| {
            let (benchmarks, c) = (benchmarks.clone(), c.clone());
            tokio::spawn(async move { benchmarks.check(&c).await })
        });
        let mut ids = BTreeSet::new();
        for handle in checks {
            let report = handle.await.unwrap().unwrap();
            assert_eq!(report.registry_version, 1);
            ids.insert(report.report_id);
        }
        assert_eq!(ids.len(), 1, "one report for one candidate and registry");

        let addition = || {
            benchmarks_from_proto(vec![pb::Benchmark {
                publisher: "storage suite".into(),
                indicator: "Compute capacity".into(),
                scope: "test scope".into(),
                year: 2023,
                value: 200.0,
                unit: "EFLOPS".into(),
                comparable_to: "C02".into(),
                comparability: pb::Comparability::DifferentScope as i32,
                ..Default::default()
            }])
            .unwrap()
        };
        let v2 = benchmarks
            .add(addition(), "one more", "organiser")
            .await
            .unwrap();
        assert_eq!((v2.version, v2.benchmarks), (2, seeded.benchmarks + 1));
        assert!(matches!(
            benchmarks.add(addition(), "again", "organiser").await,
            Err(Error::InvalidArgument(_))
        ));
        let (outcome, _) = benchmarks
            .stage_outcome(&c, &BTreeSet::new())
            .await
            .unwrap();
        assert!(
            outcome.reasons.iter().any(|r| r.contains("check again")),
            "{:?}",
            outcome.reasons
        );
        let again = benchmarks.check(&c).await.unwrap();
        assert_eq!(again.registry_version, 2);
        assert!(!ids.contains(&again.report_id));
        // Version 1 still reads as it was.
        assert_eq!(benchmarks.registry(1).await.unwrap(), seed);
    }

    /// A justification belongs to one candidate's content and stage: a new candidate is judged
    /// afresh, and every justification is recorded with its audit row.
    pub async fn justifications_belong_to_one_candidates_content(db: &TestDatabase) {
        use ndrs_aggregator::audit;
        use ndrs_aggregator::justify::{Justifications, JustifiedStage};
        let (conn, candidates) = aggregator(db).await;
        let justifications = Justifications::new(conn.clone());
        let a = candidate(&candidates, "j1", &[("P01", 1.0)]).await;
        let b = candidate(&candidates, "j2", &[("P01", 2.0)]).await;
        let recorded = justifications
            .record(
                &a,
                JustifiedStage::Rules,
                "storage.used_within_space",
                "the stock includes archives",
                "organiser",
            )
            .await
            .unwrap();
        assert_eq!(recorded.candidate_hash, a.content_hash);
        let on_a = justifications
            .justified(&a, JustifiedStage::Rules)
            .await
            .unwrap();
        assert_eq!(
            on_a,
            BTreeSet::from(["storage.used_within_space".to_string()])
        );
        assert!(
            justifications
                .justified(&a, JustifiedStage::Benchmarks)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            justifications
                .justified(&b, JustifiedStage::Rules)
                .await
                .unwrap()
                .is_empty(),
            "a new candidate's findings are judged afresh"
        );
        let entries = audit::list(&conn, 0, 100).await.unwrap();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "justification.recorded")
                .count(),
            1
        );
        audit::verify_chain(&entries).expect("the chain is intact");
    }

    /// A round is opened once per candidate; concurrent votes of one expert on one target store
    /// one vote (the unique key decides), the quorum of distinct experts passes the round, and a
    /// closed round takes no more votes.
    pub async fn a_review_round_counts_each_experts_vote_once(db: &TestDatabase) {
        use ndrs_aggregator::review::{Review, Verdict};
        let (conn, candidates) = aggregator(db).await;
        let review = Review::new(conn, candidates.clone());
        let c = candidate(&candidates, "r", &[("P01", 1.0)]).await;
        let round = review.open(&c.candidate_id, 2, "organiser").await.unwrap();
        assert_eq!(round.number, 1);
        assert_eq!(round.state, pb::RoundState::Open as i32);
        assert!(matches!(
            review.open(&c.candidate_id, 2, "organiser").await,
            Err(Error::FailedPrecondition(_))
        ));

        let votes = (0..4).map(|_| {
            let review = review.clone();
            let (round_id, hash) = (round.round_id.clone(), c.content_hash.clone());
            tokio::spawn(async move {
                review
                    .vote(&round_id, &hash, "", Some(Verdict::Approve), "", "expert a")
                    .await
            })
        });
        let mut recorded = 0;
        for handle in votes {
            match handle.await.unwrap() {
                Ok(_) => recorded += 1,
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("a vote failed otherwise: {e}"),
            }
        }
        assert_eq!(recorded, 1, "one vote per expert and target");
        let open = review.get(&round.round_id).await.unwrap();
        assert_eq!(open.votes.len(), 1);
        assert_eq!(open.state, pb::RoundState::Open as i32, "quorum is 2");

        let passed = review
            .vote(
                &round.round_id,
                &c.content_hash,
                "",
                Some(Verdict::ApproveWithComments),
                "checked against last year",
                "expert b",
            )
            .await
            .unwrap();
        assert_eq!(passed.state, pb::RoundState::Passed as i32);
        assert!(matches!(
            review
                .vote(
                    &round.round_id,
                    &c.content_hash,
                    "",
                    Some(Verdict::Approve),
                    "",
                    "expert c"
                )
                .await,
            Err(Error::FailedPrecondition(_))
        ));
        let (outcome, rounds) = review.stage_outcome(&c).await.unwrap();
        assert!(outcome.passed, "{:?}", outcome.reasons);
        assert_eq!(rounds.len(), 1);
        assert_eq!(rounds[0].votes.len(), 2);
    }

    /// A published version is stored once and read back byte for byte (from the database, not
    /// only the cache); a revision is the next version with a note and a diff, and concurrent
    /// revisions cannot both take the number.
    pub async fn a_published_release_never_changes(db: &TestDatabase) {
        use ndrs_aggregator::disclosure::DisclosureRule;
        use ndrs_aggregator::release::{Document, Format, Lineage, Releases, Software, VersionRef};
        use ndrs_aggregator::release_cache::ReleaseCache;
        use sha2::{Digest, Sha256};
        let (conn, candidates) = aggregator(db).await;
        let releases = Releases::new(conn.clone(), ReleaseCache::in_process());
        let lineage = |c: &pb::Candidate| Lineage {
            candidate_id: c.candidate_id.clone(),
            candidate_sequence: c.sequence,
            candidate_hash: c.content_hash.clone(),
            stage_hashes: Default::default(),
            rule_set: VersionRef {
                version: 1,
                content_hash: "rules".into(),
            },
            benchmark_registry: VersionRef {
                version: 1,
                content_hash: "benchmarks".into(),
            },
            review_rounds: Vec::new(),
            disclosure: DisclosureRule {
                min_reporters: 3,
                max_share: 0.85,
            },
            software: Software {
                name: "ndrs".into(),
                version: "storage suite".into(),
            },
        };
        let first = candidate(&candidates, "p1", &[("P01", 1.0e22), ("P03", 2.0e21)]).await;
        let v1 = releases
            .publish(&first, lineage(&first), None, "", "publisher")
            .await
            .unwrap();
        assert_eq!(v1.version, 1);
        let json = releases.get(2023, 1, Format::Json, false).await.unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(&json.content)),
            v1.document_sha256
        );
        assert!(matches!(
            releases
                .publish(&first, lineage(&first), None, "", "publisher")
                .await,
            Err(Error::FailedPrecondition(_))
        ));

        let second = candidate(&candidates, "p2", &[("P01", 1.5e22), ("P03", 2.0e21)]).await;
        assert!(matches!(
            releases
                .publish(&second, lineage(&second), None, "", "publisher")
                .await,
            Err(Error::InvalidArgument(_))
        ));
        let attempts = (0..3).map(|_| {
            let (releases, second, lineage) = (releases.clone(), second.clone(), lineage(&second));
            tokio::spawn(async move {
                releases
                    .publish(&second, lineage, None, "P01 revised", "publisher")
                    .await
            })
        });
        let mut published = 0;
        for handle in attempts {
            match handle.await.unwrap() {
                Ok(summary) => {
                    assert_eq!(summary.version, 2);
                    published += 1;
                }
                // Lost the race for version 2, or read it as already published.
                Err(Error::Conflict(_) | Error::FailedPrecondition(_)) => {}
                Err(e) => panic!("a publication failed otherwise: {e}"),
            }
        }
        assert_eq!(published, 1);
        let versions: Vec<u32> = releases
            .list(2023, false)
            .await
            .unwrap()
            .iter()
            .map(|r| r.version)
            .collect();
        assert_eq!(versions, [1, 2]);

        // A reader with an empty cache gets the stored bytes of version 1, unchanged.
        let uncached = Releases::new(conn, ReleaseCache::in_process());
        let stored = uncached.get(2023, 1, Format::Json, false).await.unwrap();
        assert_eq!(stored.content, json.content);
        let revision = uncached.get(2023, 0, Format::Json, false).await.unwrap();
        let revision: Document = serde_json::from_slice(&revision.content).unwrap();
        assert_eq!((revision.version, revision.previous_version), (2, Some(1)));
        assert!(
            revision
                .changes
                .iter()
                .any(|c| c.key == "P01" && c.change == "revised"),
            "{:?}",
            revision.changes
        );
    }
}

async fn futures_join(
    handles: impl Iterator<
        Item = tokio::task::JoinHandle<ndrs_core::Result<ndrs_platform::returns::StoredReceipt>>,
    >,
) -> Vec<ndrs_platform::returns::StoredReceipt> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_each_committed_event_to_the_bus() {
    let env = TestEnv::new().await;
    let store = store(&env).await;
    let bus = ndrs_platform::bus::from_settings(&env.settings)
        .await
        .unwrap();
    let mut subscription = bus
        .subscribe(INPUTS_CHANGED_TOPIC, "suite", "suite-1")
        .await
        .unwrap();
    let receipt = store.submit(submission("u9", "k", 9, None)).await.unwrap();
    let published =
        ndrs_platform::returns::relay::publish_pending(store.connection(), bus.as_ref(), 100)
            .await
            .unwrap();
    assert_eq!(published, 1);
    // Published events are stamped, so a second pass publishes nothing.
    let again =
        ndrs_platform::returns::relay::publish_pending(store.connection(), bus.as_ref(), 100)
            .await
            .unwrap();
    assert_eq!(again, 0);
    // A new Redis consumer group first reports that earlier events are not in it.
    let delivery = loop {
        let next = tokio::time::timeout(Duration::from_secs(10), subscription.next())
            .await
            .expect("event delivered within 10 s")
            .expect("bus open");
        match next {
            BusEvent::Message(delivery) => break delivery,
            BusEvent::Gap { .. } => continue,
        }
    };
    let event: InputsChanged = serde_json::from_str(&delivery.payload).unwrap();
    assert_eq!(event.return_id, receipt.return_id);
    assert_eq!(event.cycle_year, 2023);
    assert_eq!(event.stage, "storage_suite");
    delivery.ack();
}

#[tokio::test]
#[should_panic(expected = "PostgreSQL is unreachable")]
async fn a_configured_but_unreachable_database_fails_instead_of_skipping() {
    ndrs_testkit::env::fresh_postgres_database("postgres://postgres@127.0.0.1:1/postgres").await;
}

#[tokio::test]
#[should_panic(expected = "Redis is unreachable")]
async fn a_configured_but_unreachable_redis_fails_instead_of_skipping() {
    ndrs_testkit::env::require_redis("redis://127.0.0.1:1").await;
}

/// A connection lost in the middle of a query (here: terminated by an administrator, as a
/// PostgreSQL restart or failover does) is UNAVAILABLE, which clients may retry, not INTERNAL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_mid_query_is_unavailable() {
    let env = TestEnv::new().await;
    if !env.backend.starts_with("postgres") {
        eprintln!("skipped on {}: needs PostgreSQL", env.backend);
        return;
    }
    use sea_orm::ConnectionTrait;
    let store = store(&env).await;
    let db = store.connection().clone();
    let sleeper = {
        let db = db.clone();
        tokio::spawn(async move {
            // Runs on some pooled connection; the terminate below hits the one it runs on.
            db.execute_unprepared("SELECT pg_sleep(10)").await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let admin = sea_orm::Database::connect(env.settings.database.url.clone())
        .await
        .unwrap();
    admin
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE query LIKE 'SELECT pg_sleep(10)%' AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
    let lost = sleeper
        .await
        .unwrap()
        .expect_err("the query's connection was terminated");
    assert!(
        matches!(ndrs_platform::db::db_error(lost), Error::Unavailable(_)),
        "a terminated connection must map to UNAVAILABLE"
    );
    let _ = admin.close().await;
}
