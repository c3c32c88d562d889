use chrono::TimeZone;

use super::*;

async fn calendar() -> (tempfile::TempDir, Calendar) {
    let dir = tempfile::tempdir().unwrap();
    let target = crate::db::DatabaseTarget::Sqlite {
        url: format!("sqlite://{}/id.sqlite?mode=rwc", dir.path().display()),
    };
    let db = crate::db::connect_and_migrate(&target, &crate::auth::migration::IdentityMigrator)
        .await
        .unwrap();
    (dir, Calendar::new(db))
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, 12, 0, 0).unwrap()
}

fn opening(opens: u32, deadline: u32) -> Opening {
    Opening {
        cycle_year: 2024,
        reference_date: None,
        opens_at: Some(at(opens)),
        deadline: at(deadline),
    }
}

fn refused_because(outcome: Result<Admission>, words: &str) {
    match outcome {
        Err(Error::FailedPrecondition(m)) => assert!(m.contains(words), "{m}"),
        other => panic!("expected a refusal saying {words:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_return_is_taken_only_while_its_cycle_is_open_and_flagged_late_after_the_deadline() {
    let (_d, calendar) = calendar().await;
    refused_because(calendar.admit(2024, at(5)).await, "has not opened it");
    let cycle = calendar
        .open(opening(2, 10), "organiser", at(1))
        .await
        .unwrap();
    assert_eq!(cycle.reference_date.to_string(), "2024-12-31");
    refused_because(calendar.admit(2024, at(1)).await, "opens at");
    assert!(!calendar.admit(2024, at(5)).await.unwrap().late);
    assert!(calendar.admit(2024, at(11)).await.unwrap().late);
    calendar.close(2024, "organiser", at(12)).await.unwrap();
    refused_because(calendar.admit(2024, at(13)).await, "closed");
}

#[tokio::test]
async fn an_extension_moves_the_deadline_later_only_and_lateness_is_judged_at_the_time() {
    let (_d, calendar) = calendar().await;
    calendar
        .open(opening(2, 10), "organiser", at(1))
        .await
        .unwrap();
    let earlier = calendar
        .extend(2024, at(9), "sooner", "organiser", at(4))
        .await
        .unwrap_err();
    assert_eq!(earlier.field_violations()[0].field, "deadline");
    let no_reason = calendar
        .extend(2024, at(20), "  ", "organiser", at(4))
        .await
        .unwrap_err();
    assert_eq!(no_reason.field_violations()[0].field, "reason");
    let cycle = calendar
        .extend(2024, at(20), "two provinces asked", "organiser", at(12))
        .await
        .unwrap();
    assert_eq!(cycle.deadline, at(20));
    assert_eq!(
        cycle
            .events
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["open", "extend"]
    );
    // A return on day 11 came after the deadline then in force (day 10); one on day 15, after
    // the extension, did not.
    assert!(cycle.is_late(at(11)));
    assert!(!cycle.is_late(at(15)));
    assert!(!calendar.admit(2024, at(15)).await.unwrap().late);
    assert!(calendar.admit(2024, at(21)).await.unwrap().late);
}

#[tokio::test]
async fn a_cycle_opens_once_and_a_closed_one_is_neither_extended_nor_closed_again() {
    let (_d, calendar) = calendar().await;
    let bad = calendar
        .open(opening(10, 2), "organiser", at(1))
        .await
        .unwrap_err();
    assert_eq!(bad.field_violations()[0].field, "deadline");
    let mut odd_year = opening(2, 10);
    odd_year.cycle_year = 1990;
    assert!(matches!(
        calendar.open(odd_year, "organiser", at(1)).await,
        Err(Error::InvalidArgument(_))
    ));
    calendar
        .open(opening(2, 10), "organiser", at(1))
        .await
        .unwrap();
    assert!(matches!(
        calendar.open(opening(2, 10), "organiser", at(1)).await,
        Err(Error::FailedPrecondition(_))
    ));
    calendar.close(2024, "organiser", at(3)).await.unwrap();
    assert!(matches!(
        calendar.close(2024, "organiser", at(4)).await,
        Err(Error::FailedPrecondition(_))
    ));
    assert!(matches!(
        calendar
            .extend(2024, at(30), "late", "organiser", at(4))
            .await,
        Err(Error::FailedPrecondition(_))
    ));
    assert!(matches!(
        calendar.extend(2031, at(30), "x", "organiser", at(4)).await,
        Err(Error::NotFound(_))
    ));
    let listed = calendar.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, CycleState::Closed);
}
