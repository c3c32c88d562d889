//! The console in a real browser that clicks: headless Chromium driven through WebDriver
//! (Debian's `chromium` and `chromium-driver`). An expert signs in, opens the round from the
//! cycle page, rejects one figure with a reason and approves the rest; the organiser sees the
//! round closed by the rejection; a review page opened before a revision refuses to vote on the
//! newer candidate; a form whose CSRF token was removed is refused; a reader sees nothing of a
//! release under embargo. Screenshots of the dashboard, the candidate page and the review page
//! are written under `target/tmp/web-screenshots/`.
//!
//! `.ci/run` installs both packages and sets `NDRS_TEST_CHROMIUM`, which makes their absence a
//! failure; without it the test looks for a browser on PATH and is skipped, saying so.

mod common;

use std::path::PathBuf;

use common::webdriver::Driver;
use common::{Aggregator, as_organiser, review_round, token};
use ndrs_platform::auth::Role;
use ndrs_platform::client::channel;
use ndrs_proto::v1 as pb;
use ndrs_testkit::sample::CYCLE;

const CHROMIUM_VAR: &str = "NDRS_TEST_CHROMIUM";

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CHROMIUM_VAR) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    let on_path = |b: &str| {
        std::env::split_paths(&path)
            .map(|d| d.join(b))
            .find(|p| p.is_file())
    };
    on_path("chromedriver")?;
    on_path("chromium")
}

async fn sign_in(browser: &Driver, web: &str, token: &str) {
    browser.goto(&format!("{web}/console")).await;
    assert!(
        browser.url().await.ends_with("/console/sign-in"),
        "an anonymous console visit signs in first"
    );
    browser.type_into("input[name=token]", token).await;
    browser.click("form.action button[type=submit]").await;
    browser.wait_for_url("/console").await;
}

async fn sign_out(browser: &Driver, web: &str) {
    browser.goto(&format!("{web}/console")).await;
    browser.click("header form button[type=submit]").await;
    browser.wait_for_url(&format!("{web}/")).await;
    browser.goto(&format!("{web}/console")).await;
    let url = browser.url().await;
    assert!(
        url.ends_with("/console/sign-in"),
        "not signed out: {url} {}",
        browser.source().await
    );
}

/// The system, the browser and the tokens the phases of the scenario share.
struct Browsing {
    system: ndrs_cli::system::RunningSystem,
    web: String,
    agg: Aggregator,
    browser: Driver,
    shots: PathBuf,
    expert_token: String,
    organiser_token: String,
}

/// The scenario in phases, each its own (boxed) future, on a thread with room for them
/// ([`common::run_scenario`]).
#[test]
fn an_expert_reviews_and_an_organiser_follows_in_a_browser() {
    common::run_scenario(scenario);
}

async fn scenario() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "skipped: no chromium and chromedriver on PATH (set {CHROMIUM_VAR} to require them, as CI does)"
        );
        return;
    };
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    let (_env, system) = common::start().await;
    let web = system.web.clone();
    let mut agg = Aggregator::new(as_organiser(&system, &system.endpoints.aggregator).await);
    common::load_rules(&mut agg, CYCLE, Vec::new(), true)
        .await
        .unwrap();
    common::submit_samples(&system).await;
    let c1 = common::assemble(&mut agg, CYCLE).await;
    common::pass_stages_1_and_2(&mut agg, &c1).await;
    let round1 = common::open_round(&mut agg, &c1, 1).await;
    let expert_token = token(&system, Role::Expert, None).await;
    let organiser_token = token(&system, Role::Organiser, None).await;
    let browser = Driver::start(&chromium).await;

    let mut b = Browsing {
        system,
        web,
        agg,
        browser,
        shots,
        expert_token,
        organiser_token,
    };
    Box::pin(an_expert_rejects_one_figure(&mut b, &c1, &round1)).await;
    let (c3, round3) = Box::pin(stale_pages_and_forged_forms_are_refused(&mut b)).await;
    Box::pin(the_organiser_follows(&mut b, &round1, &c3)).await;
    Box::pin(a_reader_sees_nothing_under_embargo(&mut b, &c3, &round3)).await;
    let Browsing {
        system,
        browser,
        shots,
        ..
    } = b;
    browser.quit().await;
    println!("screenshots in {}", shots.display());
    system.stop().await.unwrap();
}

async fn an_expert_rejects_one_figure(
    b: &mut Browsing,
    c1: &pb::Candidate,
    round1: &pb::ReviewRound,
) {
    let Browsing {
        web,
        agg,
        browser,
        shots,
        expert_token,
        ..
    } = b;
    // The expert signs in, finds the round on the cycle page and opens it.
    sign_in(browser, web, expert_token).await;
    browser
        .click(&format!("a[href='/console/cycles/{CYCLE}']"))
        .await;
    browser
        .wait_for_url(&format!("/console/cycles/{CYCLE}"))
        .await;
    browser
        .click(&format!("a[href='/console/rounds/{}']", round1.round_id))
        .await;
    browser
        .wait_for_url(&format!("/console/rounds/{}", round1.round_id))
        .await;
    let page = browser.source().await;
    assert!(
        page.contains(&c1.content_hash),
        "the review page shows the frozen hash"
    );
    browser.screenshot(&shots.join("review.png")).await;
    let rejected = round1.figures[0].figure_id.clone();
    let reason = "the interval is implausibly narrow for so few reporters";
    browser
        .click(&format!(
            "select[name=\"verdict.{rejected}\"] option[value=reject]"
        ))
        .await;
    browser
        .type_into(&format!("input[name=\"reason.{rejected}\"]"), reason)
        .await;
    browser
        .click("select[name=whole] option[value=approve_rest]")
        .await;
    browser.click("#vote button[type=submit]").await;
    let after = browser.wait_for_text("This round is rejected").await;
    assert!(
        after.contains("rejected") && after.contains(reason),
        "{after}"
    );
    let round = review_round(agg, &round1.round_id).await;
    assert_eq!(round.state, pb::RoundState::Rejected as i32);
    assert_eq!(
        round
            .votes
            .iter()
            .filter(|v| v.verdict == pb::Verdict::Approve as i32)
            .count(),
        round1.figures.len() - 1
    );
    let rejection = round
        .votes
        .iter()
        .find(|v| v.verdict == pb::Verdict::Reject as i32)
        .expect("the rejection");
    assert_eq!(
        (rejection.figure_id.as_str(), rejection.reason.as_str()),
        (rejected.as_str(), reason)
    );
}

async fn stale_pages_and_forged_forms_are_refused(
    b: &mut Browsing,
) -> (pb::Candidate, pb::ReviewRound) {
    let Browsing {
        system,
        web,
        agg,
        browser,
        ..
    } = b;
    // A page opened before a revision: round 2's page is open when round 3 supersedes it.
    let (c2, round2) = common::revise_for_review(system, agg, "browser-revision-1").await;
    browser
        .goto(&format!("{web}/console/rounds/{}", round2.round_id))
        .await;
    let (c3, round3) = common::revise_for_review(system, agg, "browser-revision-2").await;
    assert_ne!(
        c3.content_hash, c2.content_hash,
        "the revision is new content"
    );
    browser
        .click("select[name=whole] option[value=approve]")
        .await;
    browser.click("#vote button[type=submit]").await;
    let refused = browser.source().await;
    assert!(
        refused.contains("409"),
        "the stale page's vote was not refused: {refused}"
    );
    let round3_now = review_round(agg, &round3.round_id).await;
    assert!(
        round3_now.votes.is_empty(),
        "the stale page voted on the newer candidate"
    );

    // A form whose CSRF token was taken out is refused, and records nothing.
    browser
        .goto(&format!("{web}/console/rounds/{}", round3.round_id))
        .await;
    browser
        .run("document.querySelector('#vote input[name=csrf]').remove()")
        .await;
    browser
        .click("select[name=whole] option[value=approve]")
        .await;
    browser.click("#vote button[type=submit]").await;
    browser.wait_for_text("403").await;
    let round3_now = review_round(agg, &round3.round_id).await;
    assert!(round3_now.votes.is_empty());

    (c3, round3)
}

async fn the_organiser_follows(b: &mut Browsing, round1: &pb::ReviewRound, c3: &pb::Candidate) {
    let Browsing {
        web,
        browser,
        shots,
        organiser_token,
        ..
    } = b;
    // The organiser sees round 1 closed by the rejection, and the cycle's progress.
    sign_out(browser, web).await;
    sign_in(browser, web, organiser_token).await;
    browser
        .click(&format!("a[href='/console/cycles/{CYCLE}']"))
        .await;
    browser
        .wait_for_url(&format!("/console/cycles/{CYCLE}"))
        .await;
    let cycle = browser.source().await;
    let row = cycle
        .split(&format!("/console/rounds/{}", round1.round_id))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("round 1 on the cycle page");
    assert!(row.contains("rejected"), "{row}");
    assert!(
        cycle.contains("id=\"progress\""),
        "the dashboard shows the progress"
    );
    browser.screenshot(&shots.join("dashboard.png")).await;
    browser
        .goto(&format!("{web}/console/candidates/{}", c3.candidate_id))
        .await;
    assert!(browser.source().await.contains("3 · expert review"));
    browser.screenshot(&shots.join("candidate.png")).await;
}

async fn a_reader_sees_nothing_under_embargo(
    b: &mut Browsing,
    c3: &pb::Candidate,
    round3: &pb::ReviewRound,
) {
    let Browsing {
        system,
        web,
        browser,
        expert_token,
        ..
    } = b;
    // A release under embargo: a reader sees nothing of it.
    let mut expert =
        Aggregator::new(channel(&system.endpoints.aggregator, Some(expert_token)).unwrap());
    common::approve_and_publish_under_embargo(system, &mut expert, c3, round3, "").await;
    sign_out(browser, web).await;
    for path in [
        "/".to_string(),
        format!("/releases/{CYCLE}"),
        format!("/releases/{CYCLE}/1"),
    ] {
        browser.goto(&format!("{web}{path}")).await;
        let page = browser.source().await;
        assert!(
            !page.contains(&format!("/releases/{CYCLE}/1/release.json")),
            "{path} shows the embargoed release: {page}"
        );
    }
    browser.goto(&format!("{web}/releases/{CYCLE}/1")).await;
    assert!(browser.source().await.contains("404"));
}
