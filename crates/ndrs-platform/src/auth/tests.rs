//! Tests of [`super`] (auth.rs), kept beside it so the module reads as its code.

use super::*;

fn reporter(unit: &str) -> Principal {
    Principal {
        name: "r".into(),
        role: Role::Reporter,
        reporting_unit_id: Some(unit.into()),
    }
}

#[test]
fn a_reporter_is_confined_to_its_unit() {
    let p = reporter("u1");
    assert!(p.require_reporter_for("u1").is_ok());
    assert!(matches!(
        p.require_reporter_for("u2"),
        Err(Error::PermissionDenied(_))
    ));
    assert!(p.may_read_unit("u1"));
    assert!(!p.may_read_unit("u2"));
}

#[test]
fn an_expert_cannot_submit_or_read_returns() {
    let p = Principal {
        name: "e".into(),
        role: Role::Expert,
        reporting_unit_id: None,
    };
    assert!(p.require_reporter_for("u1").is_err());
    assert!(!p.may_read_unit("u1"));
}

#[test]
fn bearer_token_parsing() {
    let mut md = MetadataMap::new();
    assert!(bearer_token(&md).is_err());
    md.insert("authorization", "Bearer abc".parse().unwrap());
    assert_eq!(bearer_token(&md).unwrap(), "abc");
    md.insert("authorization", "Basic abc".parse().unwrap());
    assert!(bearer_token(&md).is_err());
}

#[tokio::test]
async fn tokens_are_stored_hashed_and_can_be_revoked() {
    let (_dir, db) = migrated_db().await;
    let store = IdentityStore::from_connection(db.clone());
    let issued = store
        .issue("bureau-11", Role::Reporter, Some("u-11"))
        .await
        .unwrap();
    let rows = token_entity::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_sha256, issued.token);
    assert!(!rows[0].token_sha256.contains(&issued.token[5..]));
    assert_eq!(
        store.authenticate(&issued.token).await.unwrap(),
        issued.principal
    );
    store.revoke(&issued.token_id).await.unwrap();
    assert!(matches!(
        store.authenticate(&issued.token).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(store.issue("x", Role::Reporter, None).await.is_err());
    assert!(store.issue("x", Role::Expert, Some("u")).await.is_err());
}

/// A fresh identity database on SQLite in a temporary directory (kept alive by the returned
/// guard), migrated; for the tests that look at the stored rows as well as the store.
async fn migrated_db() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().unwrap();
    let target = crate::db::DatabaseTarget::Sqlite {
        url: format!("sqlite://{}/id.sqlite?mode=rwc", dir.path().display()),
    };
    let db = crate::db::connect_and_migrate(&target, &migration::IdentityMigrator)
        .await
        .unwrap();
    (dir, db)
}

async fn memory_store() -> (tempfile::TempDir, IdentityStore) {
    let (dir, db) = migrated_db().await;
    (dir, IdentityStore::from_connection(db))
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated_saying_so() {
    let (_dir, store) = memory_store().await;
    let short = store
        .issue_valid_for(
            "short",
            Role::Organiser,
            None,
            std::time::Duration::from_millis(50),
        )
        .await
        .unwrap();
    let long = store.issue("long", Role::Organiser, None).await.unwrap();
    assert!(store.authenticate(&short.token).await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    match store.authenticate(&short.token).await {
        Err(Error::Unauthenticated(why)) => assert!(why.contains("expired"), "{why}"),
        other => panic!("expected an expired token, got {other:?}"),
    }
    assert!(store.authenticate(&long.token).await.is_ok());
}

#[tokio::test]
async fn a_flooding_token_is_limited_and_others_are_not() {
    let (_dir, store) = memory_store().await;
    let rate = Rate {
        per_second: 1.0,
        burst: 5.0,
    };
    let store = IdentityStore {
        limiter: RateLimiter::in_process(rate),
        rate,
        ..store
    };
    let flood = store.issue("flood", Role::Organiser, None).await.unwrap();
    let quiet = store.issue("quiet", Role::Organiser, None).await.unwrap();
    let metadata = |token: &str| {
        let mut md = MetadataMap::new();
        md.insert("authorization", format!("Bearer {token}").parse().unwrap());
        md
    };
    let burst = store.rate.burst as usize;
    let mut limited = None;
    for _ in 0..burst + 5 {
        if let Err(e) = store.principal(&metadata(&flood.token)).await {
            limited = Some(e);
        }
    }
    assert!(
        matches!(limited, Some(Error::RateLimited { retry_after, .. }) if retry_after > std::time::Duration::ZERO),
        "{limited:?}"
    );
    assert!(store.principal(&metadata(&quiet.token)).await.is_ok());
}
