//! Storage over every backend in one test binary: the suite below is written once
//! (`storage_suite!`) and instantiated for SQLite in memory and, when `NDRS_TEST_DATABASE_URL` is
//! set, PostgreSQL (a fresh database per test), as quickwit does with its metastore suite. It
//! covers the return store, identity, versioned cycle documents, model runs and the aggregator's
//! audit log.
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
        }
    };
}

storage_suite!(sqlite, Some(TestDatabase::sqlite()));
storage_suite!(postgres, TestDatabase::postgres().await);

/// The suite's bodies, backend-agnostic.
mod suite {
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
