//! The release's HTML report in a real browser: headless Chromium renders the report that the
//! demo's publication path writes, the headline figures the release holds are in the rendered
//! page, and the charts' bars are painted (counted in a screenshot, not just present in markup).
//!
//! Chromium comes from Debian's `chromium` package; `.ci/run` installs it and sets
//! `NDRS_TEST_CHROMIUM`, which makes its absence a failure. Without the variable the test looks
//! for a browser on PATH and is skipped, saying so, on a machine without one.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::start;
use ndrs_cli::{demo, publication, report};
use ndrs_testkit::sample;

const CHROMIUM_VAR: &str = "NDRS_TEST_CHROMIUM";

/// The bar colour of the report's charts (`.bar{fill:#d9762b}`), used by nothing else on the page.
const BAR_RGB: [u8; 3] = [0xd9, 0x76, 0x2b];

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CHROMIUM_VAR) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{CHROMIUM_VAR} is set but {} is not a file",
            path.display()
        );
        return Some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|b| dir.join(b)))
        .find(|p| p.is_file())
}

fn headless(browser: &Path, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().expect("browser profile");
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.path().display()),
        ])
        .args(args)
        .output()
        .expect("run chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Pixels of a screenshot whose colour is the bars' (within antialiasing).
fn bar_pixels(png_path: &Path) -> usize {
    let file = std::fs::File::open(png_path).expect("screenshot");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("png header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buffer).expect("png frame");
    let channels = info.color_type.samples();
    buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .filter(|px| channels >= 3 && px[..3].iter().zip(BAR_RGB).all(|(a, b)| a.abs_diff(b) <= 6))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_renders_its_headline_figures_and_charts() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no Chromium on PATH (set {CHROMIUM_VAR} to require it, as CI does)");
        return;
    };
    let (_env, system) = start().await;
    let target = demo::Target::from(&system);
    let rules = publication::load_default_rules(&target, sample::CYCLE)
        .await
        .unwrap();
    demo::submit_sample_returns(&target).await.unwrap();
    let candidate = demo::assemble(&target, sample::CYCLE).await.unwrap();
    let trail = publication::validate_review_publish(&target, &candidate, rules)
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    publication::write_release(&target, &trail, out.path())
        .await
        .unwrap();
    let html = out.path().join("report.html");
    let url = format!("file://{}", html.display());

    // The rendered page holds every headline figure the release publishes, with its value.
    let release: ndrs_aggregator::release::Document =
        serde_json::from_slice(&std::fs::read(out.path().join("release.json")).unwrap()).unwrap();
    let dom = String::from_utf8(headless(&browser, &["--dump-dom", &url]).stdout).unwrap();
    let mut headline = 0;
    for id in report::headline_ids() {
        let Some(value) = release
            .figures
            .iter()
            .find(|f| f.id == id && f.dimensions.is_empty())
            .and_then(|f| f.value.map(|v| report::shown(v, &f.unit).0))
        else {
            continue;
        };
        let card = dom
            .split(&format!("data-id=\"{id}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no headline card for {id} in the rendered page"));
        let card = &card[..card.find("</div></div>").unwrap_or(card.len())];
        assert!(card.contains(&value), "card {id} lacks {value}: {card}");
        headline += 1;
    }
    assert!(headline >= 5, "only {headline} headline figures rendered");
    let bars = dom.matches("class=\"bar\"").count();
    assert!(bars > 0, "no chart bars in the rendered page");

    // The bars are painted: the screenshot holds a good number of pixels of their colour.
    let shot = out.path().join("report.png");
    headless(
        &browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,6000",
            &url,
        ],
    );
    let painted = bar_pixels(&shot);
    assert!(
        painted > 200 * bars,
        "{painted} bar-coloured pixels for {bars} bars"
    );
    system.stop().await.unwrap();
}
