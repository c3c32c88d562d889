//! The web service as its users meet it, over HTTP against `ndrs serve all`'s system: the
//! organiser opens a review round from the candidate page, an expert signs in and rejects one
//! figure with a reason while approving the rest, the organiser sees the round closed by the
//! rejection, a page opened before a revision refuses to vote on the newer candidate, forms
//! without their CSRF token are refused with nothing recorded, a publisher publishes from the
//! console, and the public reads the release (files byte for byte, the report, SDMX REST) while
//! a later version under embargo stays invisible. Security headers are checked on every kind of
//! page. With `NDRS_TEST_SDMX_PYTHON` set, sdmx1 and pysdmx read the SDMX REST API
//! (`scripts/check-sdmx-rest.py`).

mod common;

use base64::Engine as _;
use common::http::{self, get, hidden, post_form, set_cookie};
use common::{Aggregator, as_organiser, review_round, token};
use ndrs_platform::auth::Role;
use ndrs_platform::client::channel;
use ndrs_proto::v1 as pb;
use ndrs_testkit::sample::CYCLE;
use sha2::{Digest, Sha256};

/// Signs in through the form as a browser does; the session cookie (`name=value`).
async fn sign_in(web: &str, token: &str) -> String {
    let form = get(web, "/console/sign-in", &[]).await;
    assert_eq!(form.status, 200);
    let form_cookie =
        set_cookie(&form, "ndrs_sign_in").expect("the sign-in form sets its CSRF cookie");
    assert!(
        form.header("set-cookie")
            .contains("HttpOnly; SameSite=Strict"),
        "{form:?}"
    );
    let csrf = hidden(&form.text(), "csrf").expect("a csrf field");
    let signed = post_form(
        web,
        "/console/sign-in",
        form_cookie,
        &[("csrf", &csrf), ("token", token)],
    )
    .await;
    assert_eq!(signed.status, 303, "{}", signed.text());
    let cookie = set_cookie(&signed, "ndrs_session")
        .expect("a session cookie")
        .to_string();
    let flags = signed.header("set-cookie");
    assert!(
        flags.contains("HttpOnly") && flags.contains("SameSite=Strict"),
        "{flags}"
    );
    assert!(
        !flags.contains(token) && !signed.text().contains(token),
        "the token leaked"
    );
    cookie
}

/// The security headers every response carries.
fn assert_secure_headers(r: &http::Response, what: &str) {
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe"),
        "{what}: {csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "{what}: scripts are not allowed at all: {csp}"
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(r.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(r.header("referrer-policy"), "no-referrer", "{what}");
}

/// The system and the people signed in to it, shared by the phases of the scenario.
struct World {
    system: ndrs_cli::system::RunningSystem,
    web: String,
    agg: Aggregator,
    organiser: String,
    expert: String,
    as_expert: Aggregator,
}

/// The scenario in phases, each its own (boxed) future, on a thread with room for them
/// ([`common::run_scenario`]).
#[test]
fn organisers_experts_and_readers_do_their_part_on_the_web() {
    common::run_scenario(scenario);
}

async fn scenario() {
    let (_env, system) = common::start().await;
    let web = system.web.clone();
    let mut agg = Aggregator::new(as_organiser(&system, &system.endpoints.aggregator).await);
    common::load_rules(&mut agg, CYCLE, Vec::new(), true)
        .await
        .unwrap();
    common::submit_samples(&system).await;
    let c1 = common::assemble(&mut agg, CYCLE).await;
    common::pass_stages_1_and_2(&mut agg, &c1).await;
    let organiser = sign_in(&web, &token(&system, Role::Organiser, None).await).await;
    let expert_token = token(&system, Role::Expert, None).await;
    let expert = sign_in(&web, &expert_token).await;
    let as_expert =
        Aggregator::new(channel(&system.endpoints.aggregator, Some(&expert_token)).unwrap());

    let mut w = World {
        system,
        web,
        agg,
        organiser,
        expert,
        as_expert,
    };
    Box::pin(review_with_a_rejection(&mut w, c1)).await;
    let c3 = Box::pin(a_stale_page_cannot_vote(&mut w)).await;
    Box::pin(publication_from_the_console(&mut w, c3)).await;
    Box::pin(embargo(&mut w)).await;
    Box::pin(sdmx_rest(&mut w)).await;
    w.system.stop().await.unwrap();
}

async fn review_with_a_rejection(w: &mut World, c1: pb::Candidate) {
    let World {
        web,
        agg,
        organiser,
        expert,
        ..
    } = w;
    // A wrong token is refused on the sign-in page, naming why, without a session.
    let form = get(web, "/console/sign-in", &[]).await;
    let refused = post_form(
        web,
        "/console/sign-in",
        set_cookie(&form, "ndrs_sign_in").unwrap(),
        &[
            ("csrf", &hidden(&form.text(), "csrf").unwrap()),
            ("token", "ndrs_not-a-token"),
        ],
    )
    .await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    assert!(set_cookie(&refused, "ndrs_session").is_none());
    // A console page without a session goes to the sign-in page.
    let anonymous = get(web, "/console", &[]).await;
    assert_eq!(
        (anonymous.status, anonymous.header("location")),
        (303, "/console/sign-in")
    );

    // The organiser's candidate page: the three stages, and the actions behind confirmations.
    let page = get(
        web,
        &format!("/console/candidates/{}", c1.candidate_id),
        &[("Cookie", organiser)],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_secure_headers(&page, "candidate page");
    assert_eq!(page.header("cache-control"), "no-store");
    let text = page.text();
    assert!(
        text.contains("1 · cross-entity rules") && text.contains("3 · expert review"),
        "{text}"
    );
    assert!(
        text.contains("no review round has been opened"),
        "stage 3's reason is shown"
    );
    let csrf = hidden(&text, "csrf").unwrap();
    let open_path = format!("/console/candidates/{}/review", c1.candidate_id);
    let no_csrf = post_form(
        web,
        &open_path,
        organiser,
        &[("quorum", "1"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.text());
    let no_confirm = post_form(
        web,
        &open_path,
        organiser,
        &[("csrf", &csrf), ("quorum", "1")],
    )
    .await;
    assert_eq!(no_confirm.status, 400);
    let rounds = |agg: &mut Aggregator| {
        let mut agg = agg.clone();
        async move {
            agg.list_review_rounds(pb::ListReviewRoundsRequest { cycle_year: CYCLE })
                .await
                .unwrap()
                .into_inner()
                .rounds
        }
    };
    assert!(rounds(agg).await.is_empty(), "refused forms opened nothing");
    let opened = post_form(
        web,
        &open_path,
        organiser,
        &[("csrf", &csrf), ("quorum", "1"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let round1_id = opened
        .header("location")
        .trim_start_matches("/console/rounds/")
        .to_string();
    let round1 = review_round(agg, &round1_id).await;
    assert_eq!(round1.candidate_hash, c1.content_hash);

    // The expert's review page: every frozen figure with its value, and the vote bound to the hash.
    let review = get(
        web,
        &format!("/console/rounds/{round1_id}"),
        &[("Cookie", expert)],
    )
    .await;
    assert_eq!(review.status, 200, "{}", review.text());
    let text = review.text();
    assert_eq!(
        hidden(&text, "candidate_hash").as_deref(),
        Some(c1.content_hash.as_str())
    );
    for f in &round1.figures {
        assert!(
            text.contains(&format!(
                "data-figure=\"{}\"",
                f.figure_id.replace('"', "&quot;")
            )),
            "{} not on the page",
            f.figure_id
        );
    }
    let csrf = hidden(&text, "csrf").unwrap();
    assert_ne!(
        csrf,
        hidden(
            &get(web, "/console", &[("Cookie", organiser)]).await.text(),
            "csrf"
        )
        .unwrap(),
        "each session has its own CSRF token"
    );
    let rejected = round1.figures[0].figure_id.clone();
    let vote_path = format!("/console/rounds/{round1_id}/vote");
    let verdict_field = format!("verdict.{rejected}");
    let reason_field = format!("reason.{rejected}");
    let reason = "the interval is implausibly narrow for 12 reporters";
    let forged = post_form(
        web,
        &vote_path,
        expert,
        &[
            ("candidate_hash", &c1.content_hash),
            (&verdict_field, "reject"),
            (&reason_field, reason),
            ("whole", "approve_rest"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let wrong_csrf = post_form(
        web,
        &vote_path,
        expert,
        &[
            ("csrf", &"0".repeat(64)),
            ("candidate_hash", &c1.content_hash),
            ("whole", "approve"),
        ],
    )
    .await;
    assert_eq!(wrong_csrf.status, 403);
    assert!(
        review_round(agg, &round1_id).await.votes.is_empty(),
        "a refused form recorded a vote"
    );
    let no_reason = post_form(
        web,
        &vote_path,
        expert,
        &[
            ("csrf", &csrf),
            ("candidate_hash", &c1.content_hash),
            (&verdict_field, "reject"),
            ("whole", "approve_rest"),
        ],
    )
    .await;
    assert_eq!(no_reason.status, 400, "a rejection needs a reason");
    let voted = post_form(
        web,
        &vote_path,
        expert,
        &[
            ("csrf", &csrf),
            ("candidate_hash", &c1.content_hash),
            (&verdict_field, "reject"),
            (&reason_field, reason),
            ("whole", "approve_rest"),
        ],
    )
    .await;
    assert_eq!(voted.status, 303, "{}", voted.text());
    let closed = review_round(agg, &round1_id).await;
    assert_eq!(closed.state, pb::RoundState::Rejected as i32);
    let rejection: Vec<&pb::Vote> = closed
        .votes
        .iter()
        .filter(|v| v.verdict == pb::Verdict::Reject as i32)
        .collect();
    assert_eq!(rejection.len(), 1);
    assert_eq!(
        (
            rejection[0].figure_id.as_str(),
            rejection[0].reason.as_str()
        ),
        (rejected.as_str(), reason)
    );
    let approvals = closed
        .votes
        .iter()
        .filter(|v| v.verdict == pb::Verdict::Approve as i32)
        .count();
    assert_eq!(
        approvals,
        round1.figures.len() - 1,
        "every other figure approved"
    );
    // The organiser sees the round closed by the rejection.
    let cycle_page = get(
        web,
        &format!("/console/cycles/{CYCLE}"),
        &[("Cookie", organiser)],
    )
    .await;
    assert_eq!(cycle_page.status, 200, "{}", cycle_page.text());
    let text = cycle_page.text();
    assert!(
        text.contains(&format!("/console/rounds/{round1_id}")) && text.contains("rejected"),
        "{text}"
    );
    assert!(
        text.contains("id=\"progress\""),
        "the organiser sees the cycle's progress"
    );
}

async fn a_stale_page_cannot_vote(w: &mut World) -> pb::Candidate {
    let World {
        system,
        web,
        agg,
        expert,
        as_expert,
        ..
    } = w;
    // A page opened before a revision: round 2 on the revised candidate, its page loaded, then the
    // inputs change again and round 3 supersedes it. The old page's vote is refused.
    let (c2, round2) = common::revise_for_review(system, agg, "web-revision-1").await;
    let stale_page = get(
        web,
        &format!("/console/rounds/{}", round2.round_id),
        &[("Cookie", expert)],
    )
    .await
    .text();
    let (c3, round3) = common::revise_for_review(system, agg, "web-revision-2").await;
    assert_ne!(
        c3.content_hash, c2.content_hash,
        "the revision is new content"
    );
    let stale = post_form(
        web,
        &format!("/console/rounds/{}/vote", round2.round_id),
        expert,
        &[
            ("csrf", &hidden(&stale_page, "csrf").unwrap()),
            (
                "candidate_hash",
                &hidden(&stale_page, "candidate_hash").unwrap(),
            ),
            ("whole", "approve"),
        ],
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.text());
    assert!(
        review_round(agg, &round3.round_id).await.votes.is_empty(),
        "the stale page voted on the newer candidate"
    );
    // The current page votes on the current candidate.
    let page3 = get(
        web,
        &format!("/console/rounds/{}", round3.round_id),
        &[("Cookie", expert)],
    )
    .await
    .text();
    assert_eq!(
        hidden(&page3, "candidate_hash").as_deref(),
        Some(c3.content_hash.as_str())
    );
    let approved = post_form(
        web,
        &format!("/console/rounds/{}/vote", round3.round_id),
        expert,
        &[
            ("csrf", &hidden(&page3, "csrf").unwrap()),
            ("candidate_hash", &c3.content_hash),
            ("whole", "approve"),
        ],
    )
    .await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    assert_eq!(
        review_round(as_expert, &round3.round_id).await.state,
        pb::RoundState::Passed as i32
    );

    c3
}

async fn publication_from_the_console(w: &mut World, c3: pb::Candidate) {
    let World { system, web, .. } = w;
    // The publisher publishes from the console.
    let publisher = sign_in(web, &token(system, Role::Publisher, None).await).await;
    let page = get(
        web,
        &format!("/console/candidates/{}", c3.candidate_id),
        &[("Cookie", &publisher)],
    )
    .await
    .text();
    assert!(page.contains("Publishable"), "{page}");
    let published = post_form(
        web,
        &format!("/console/candidates/{}/publish", c3.candidate_id),
        &publisher,
        &[
            ("csrf", &hidden(&page, "csrf").unwrap()),
            ("embargo_until", ""),
            ("note", ""),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.text());

    // The public pages: the release, its files byte for byte as published, the report under the CSP.
    let index = get(web, "/", &[]).await;
    assert_eq!(index.status, 200);
    assert_secure_headers(&index, "index");
    assert!(
        index.text().contains(&format!("/releases/{CYCLE}/1")),
        "{}",
        index.text()
    );
    let mut reader = Aggregator::new(
        channel(
            &system.endpoints.aggregator,
            Some(&token(system, Role::Reader, None).await),
        )
        .unwrap(),
    );
    for (file, format) in [
        ("release.json", pb::ReleaseFormat::Json),
        ("release.csv", pb::ReleaseFormat::Csv),
        ("release.xml", pb::ReleaseFormat::Sdmx),
    ] {
        let served = get(web, &format!("/releases/{CYCLE}/1/{file}"), &[]).await;
        assert_eq!(served.status, 200, "{file}");
        let published = reader
            .get_release(pb::GetReleaseRequest {
                cycle_year: CYCLE,
                version: 1,
                format: format as i32,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            served.body, published.content,
            "{file} is not byte for byte as published"
        );
        assert_eq!(served.header("content-type"), published.media_type);
        if format == pb::ReleaseFormat::Json {
            assert_eq!(
                hex::encode(Sha256::digest(&served.body)),
                published.summary.unwrap().document_sha256
            );
        }
    }
    let report = get(web, &format!("/releases/{CYCLE}/1"), &[]).await;
    assert_eq!(report.status, 200);
    let html = report.text();
    let style = html
        .split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next())
        .expect("the report's stylesheet");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()));
    assert!(
        report
            .header("content-security-policy")
            .contains(&format!("'sha256-{hash}'")),
        "the CSP does not allow the report's own stylesheet"
    );
}

async fn embargo(w: &mut World) {
    let World {
        system,
        web,
        agg,
        organiser,
        as_expert,
        ..
    } = w;
    // A later version under embargo: invisible to the public, listed to the organiser.
    let (c4, round4) = common::revise_for_review(system, agg, "web-revision-3").await;
    let v2 = common::approve_and_publish_under_embargo(
        system,
        as_expert,
        &c4,
        &round4,
        "three late compute-centre returns added",
    )
    .await;
    assert_eq!(v2.version, 2);
    for path in [
        format!("/releases/{CYCLE}/2"),
        format!("/releases/{CYCLE}/2/release.json"),
    ] {
        let hidden_page = get(web, &path, &[]).await;
        assert_eq!(
            hidden_page.status,
            404,
            "{path} under embargo: {}",
            hidden_page.text()
        );
        assert!(
            !hidden_page.text().contains("embargo"),
            "the page must not say a release is waiting"
        );
        assert_secure_headers(&hidden_page, "error page");
    }
    let cycle = get(web, &format!("/releases/{CYCLE}"), &[]).await.text();
    assert!(
        cycle.contains(&format!("/releases/{CYCLE}/1"))
            && !cycle.contains(&format!("/releases/{CYCLE}/2")),
        "{cycle}"
    );
    let latest = get(web, &format!("/releases/{CYCLE}/latest/release.json"), &[]).await;
    let latest: serde_json::Value = serde_json::from_slice(&latest.body).unwrap();
    assert_eq!(latest["version"], 1, "the latest a reader sees is v1");
    let console_cycle = get(
        web,
        &format!("/console/cycles/{CYCLE}"),
        &[("Cookie", organiser)],
    )
    .await
    .text();
    assert!(
        console_cycle.contains(&format!("/releases/{CYCLE}/2")),
        "the organiser sees the embargoed v2 listed"
    );
}

async fn sdmx_rest(w: &mut World) {
    let World { web, .. } = w;
    // SDMX REST: the structure, the data, its vintages, and the errors clients expect.
    let flow = get(
        web,
        "/sdmx/dataflow/NDRS/DF_NDRS/latest?references=all",
        &[],
    )
    .await;
    assert_eq!(flow.status, 200, "{}", flow.text());
    assert_secure_headers(&flow, "SDMX structure");
    let structure = flow.text();
    for needle in [
        "<structure:Dataflow id=\"DF_NDRS\"",
        "<structure:DataStructure id=\"DSD_NDRS\"",
        "<structure:Dimension id=\"PROVINCE\"",
        "id=\"CL_OBS_STATUS\" agencyID=\"SDMX\"",
        "<structure:TimeDimension id=\"TIME_PERIOD\"",
    ] {
        assert!(structure.contains(needle), "no {needle} in the structure");
    }
    let data = get(web, "/sdmx/data/DF_NDRS/all?includeHistory=true", &[]).await;
    assert_eq!(data.status, 200, "{}", data.text());
    let text = data.text();
    assert!(
        text.contains(&format!("ss:setID=\"NDRS_{CYCLE}_V1\"")) && !text.contains("_V2\""),
        "the embargoed vintage leaked into SDMX"
    );
    let csv = get(
        web,
        "/sdmx/data/DF_NDRS/all",
        &[("Accept", "application/vnd.sdmx.data+csv;version=1.0.0")],
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.text().starts_with("DATAFLOW,FREQ,INDICATOR,"),
        "{}",
        csv.text()
    );
    assert_eq!(
        get(
            web,
            "/sdmx/data/DF_NDRS/all",
            &[("Accept", "application/json")]
        )
        .await
        .status,
        406
    );
    assert_eq!(
        get(web, "/sdmx/data/DF_NDRS/A.P01", &[]).await.status,
        400,
        "a key with too few parts"
    );
    assert_eq!(get(web, "/sdmx/data/DF_OTHER/all", &[]).await.status, 404);
    assert_eq!(
        get(
            web,
            &format!("/sdmx/data/DF_NDRS/all?startPeriod={}", CYCLE + 1),
            &[]
        )
        .await
        .status,
        404,
        "no results"
    );
    assert_eq!(
        get(web, "/sdmx/data/DF_NDRS/all?startPeriod=soon", &[])
            .await
            .status,
        400
    );

    if let Ok(python) = std::env::var("NDRS_TEST_SDMX_PYTHON") {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/check-sdmx-rest.py");
        let out = std::process::Command::new(python)
            .arg(script)
            .arg(format!("{web}/sdmx"))
            .arg(format!("{web}/releases/{CYCLE}/latest/release.json"))
            .output()
            .expect("run the SDMX REST check");
        assert!(
            out.status.success(),
            "sdmx1/pysdmx could not read the SDMX REST API:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
