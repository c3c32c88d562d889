//! A round's calendar and its progress report over gRPC, on whichever backend the test
//! environment names (SQLite, or PostgreSQL + Redis in CI's second run): returns are refused
//! before the cycle opens and after it closes, taken but flagged late between the deadline and
//! the close, and the progress report counts them as a person would by hand.

mod common;

use std::time::Duration;

use chrono::Utc;
use ndrs_cli::system;
use ndrs_client::returns::Return;
use ndrs_client::{Session, cycles};
use ndrs_core::Error;
use ndrs_platform::auth::Role;
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;
use ndrs_testkit::env::TestEnv;

fn at(t: chrono::DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

async fn reporter(system: &system::RunningSystem, session: &Session, unit: &str) -> Session {
    session.as_caller(common::token(system, Role::Reporter, Some(unit)).await)
}

fn unit(id: &str, kind: &str, province: &str) -> pb::FrameUnit {
    pb::FrameUnit {
        reporting_unit_id: id.into(),
        name: id.into(),
        subject_type: pb::SubjectType::ComputeCentre as i32,
        province_code: province.into(),
        expected_kinds: vec![kind.into()],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_admits_returns_and_progress_counts_them() {
    // A system whose cycles nobody has opened yet.
    let env = TestEnv::new().await;
    let system = system::start(env.settings.clone()).await.unwrap();
    let e = system.endpoints.clone();
    let organiser = Session::new(
        e.clone(),
        common::token(&system, Role::Organiser, None).await,
    )
    .unwrap();
    ndrs_platform::client::publish_shipped_content(
        &e,
        &common::token(&system, Role::Organiser, None).await,
        2023,
    )
    .await
    .unwrap();
    let sample = ndrs_testkit::submit::sample_returns(2023);
    let centre = |unit: &str| {
        sample
            .iter()
            .find(|r| r.reporting_unit_id() == unit)
            .cloned()
            .unwrap()
    };

    // Before the cycle opens: refused, saying why, and nothing stored.
    let early = centre("cc-bj-01")
        .send(&reporter(&system, &organiser, "cc-bj-01").await)
        .await
        .unwrap_err();
    assert!(
        matches!(&early, Error::FailedPrecondition(m) if m.contains("not open")),
        "{early:?}"
    );

    let deadline = Utc::now() + chrono::Duration::seconds(4);
    cycles::open(&organiser, 2023, "", None, at(deadline))
        .await
        .unwrap();
    let frame = pb::LoadFrameRequest {
        cycle_year: 2023,
        units: vec![
            unit("cc-bj-01", "compute_centre", "11"),
            unit("cc-gz-01", "compute_centre", "52"),
            unit("cc-sh-01", "compute_centre", "31"),
            unit("cc-xx-01", "compute_centre", "31"),
            unit("carrier-1", "carrier_traffic", "11"),
        ],
    };
    assert_eq!(
        cycles::load_frame(&organiser, frame)
            .await
            .unwrap()
            .expected_returns,
        5
    );

    // On time: two centres and the carrier. Then a refused one from cc-xx-01 (its province
    // code does not exist).
    let mut receipts = Vec::new();
    for unit in ["cc-bj-01", "cc-gz-01", "carrier-1"] {
        let receipt = centre(unit)
            .send(&reporter(&system, &organiser, unit).await)
            .await
            .unwrap();
        assert!(!receipt.late);
        receipts.push(receipt);
    }
    let mut bad =
        ndrs_testkit::sample::centre("cc-xx-01", "bad", pb::CentreType::General, "99", 1.0e18);
    bad.header.as_mut().unwrap().cycle_year = 2023;
    let refusal = Return::Centre(bad)
        .send(&reporter(&system, &organiser, "cc-xx-01").await)
        .await
        .unwrap_err();
    assert!(matches!(refusal, Error::InvalidArgument(_)), "{refusal:?}");

    // After the deadline: taken, flagged late; a revision of an on-time return is not late.
    tokio::time::sleep(
        (deadline - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(300),
    )
    .await;
    let late = centre("cc-sh-01")
        .send(&reporter(&system, &organiser, "cc-sh-01").await)
        .await
        .unwrap();
    assert!(late.late, "{late:?}");
    let mut revision = centre("cc-bj-01").revising(&receipts[0].return_id);
    if let Return::Centre(m) = &mut revision {
        m.racks += 1;
    }
    let revised = revision
        .send(&reporter(&system, &organiser, "cc-bj-01").await)
        .await
        .unwrap();
    assert_eq!(revised.version, 2);

    // By hand: 5 expected; 4 received (cc-sh-01 late, cc-bj-01 revised); cc-xx-01 refused and
    // outstanding.
    let progress = cycles::progress(&organiser, 2023).await.unwrap();
    let t = progress.total.unwrap();
    assert_eq!(
        (
            t.expected,
            t.received,
            t.late,
            t.revised,
            t.refused,
            t.outstanding
        ),
        (5, 4, 1, 1, 1, 1),
        "{t:?} on {}",
        env.backend
    );
    assert_eq!(t.response_rate, 0.8);
    let shanghai = progress
        .cells
        .iter()
        .find(|c| c.dimension == "province" && c.value == "31")
        .unwrap()
        .counts
        .unwrap();
    assert_eq!(
        (
            shanghai.expected,
            shanghai.received,
            shanghai.late,
            shanghai.refused
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(progress.outstanding.len(), 1);
    assert_eq!(progress.outstanding[0].reporting_unit_id, "cc-xx-01");
    assert!(progress.outstanding[0].last_activity.is_some());
    // Returns of units the frame does not list are reported apart, not counted.
    let stranger = centre("cc-gz-01");
    let mut stranger = match stranger {
        Return::Centre(mut m) => {
            m.header.as_mut().unwrap().reporting_unit_id = "cc-zz-09".into();
            m.header.as_mut().unwrap().idempotency_key = "zz".into();
            Return::Centre(m)
        }
        other => other,
    };
    stranger.header_mut().cycle_year = 2023;
    let _ = stranger
        .send(&reporter(&system, &organiser, "cc-zz-09").await)
        .await;
    let progress = cycles::progress(&organiser, 2023).await.unwrap();
    assert_eq!(progress.total.unwrap().expected, 5);

    // Closed: nothing more is taken, and the calendar says so; the audit log has every step.
    let closed = cycles::close(&organiser, 2023).await.unwrap();
    assert_eq!(closed.state, pb::CycleState::Closed as i32);
    let after = centre("cc-sh-01")
        .send(&reporter(&system, &organiser, "cc-sh-01").await)
        .await
        .unwrap_err();
    assert!(
        matches!(&after, Error::FailedPrecondition(m) if m.contains("closed")),
        "{after:?}"
    );
    assert!(matches!(
        cycles::extend(
            &organiser,
            2023,
            at(Utc::now() + chrono::Duration::days(3)),
            "late"
        )
        .await,
        Err(Error::FailedPrecondition(_))
    ));
    let reporter_session = reporter(&system, &organiser, "cc-bj-01").await;
    assert!(matches!(
        cycles::progress(&reporter_session, 2023).await,
        Err(Error::PermissionDenied(_))
    ));
    let entries = ndrs_cli::audit::fetch_all(organiser.aggregator_channel().unwrap())
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for action in ["cycle.opened", "frame.loaded", "cycle.closed"] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
    system.stop().await.unwrap();
}
