//! The release's HTML report in a real browser: headless Chromium renders the report that
//! `ndrs demo`'s walk-through writes, the findings the release holds are in the rendered page,
//! every chart is drawn, and the charts' bars are painted (counted in a screenshot, not just
//! present in markup).
//!
//! Chromium comes from Debian's `chromium` package; `.ci/run` installs it and sets
//! `NDRS_TEST_CHROMIUM`, which makes its absence a failure. Without the variable the test looks
//! for a browser on PATH and is skipped, saying so, on a machine without one.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndrs_cli::system;
use ndrs_demo::demo_data::DemoOptions;
use ndrs_demo::walkthrough;
use ndrs_report as report;
use ndrs_testkit::env::TestEnv;

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

/// The demo's walk-through on the scaled demo dataset (both cycles to publication, about 40 s in
/// a debug build), then the 2023 report in the browser: every finding the release publishes has
/// its card with its value, tables 2.1-2.3 are there, every chart of the 2023 report's figures 3.1-3.4
/// and appendix figures 1-2 is drawn with one bar per published cell, and the bars are painted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_renders_its_findings_and_every_figure() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no Chromium on PATH (set {CHROMIUM_VAR} to require it, as CI does)");
        return;
    };
    let mut env = TestEnv::new().await;
    // The walk-through assembles itself; automatic re-assembly after every burst is wasted work.
    env.settings.aggregator.revalidate_debounce_ms = 3_000;
    let system = system::start(env.settings.clone()).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        scale: 0.25,
        ..DemoOptions::default()
    };
    walkthrough::walk_through(&(&system).into(), &options, out.path())
        .await
        .unwrap();
    let dir = out.path().join("release-2023");
    let url = format!("file://{}", dir.join("report.html").display());

    let release: ndrs_aggregator::release::Document =
        serde_json::from_slice(&std::fs::read(dir.join("release.json")).unwrap()).unwrap();
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
    let cited = report::headline_ids().count();
    assert_eq!(headline, cited, "{headline} of {cited} findings rendered");
    for table in ["表2.1", "表2.2", "表2.3"] {
        assert!(dom.contains(table), "no {table} in the rendered page");
    }

    // Each chart has one bar per cell the release publishes (suppressed cells have no bar).
    let mut bars = 0;
    for (id, dimension, title_zh, _) in report::CHARTS {
        let cells = release
            .figures
            .iter()
            .filter(|f| f.id == id && f.dimensions.len() == 1 && f.value.is_some())
            .filter(|f| f.dimensions.contains_key(dimension))
            .count();
        assert!(cells > 0, "the release has no {id} by {dimension}");
        let chart = dom
            .split(&format!("<figcaption>{title_zh}"))
            .nth(1)
            .unwrap_or_else(|| panic!("no chart {title_zh} in the rendered page"));
        let chart = &chart[..chart.find("</figure>").unwrap_or(chart.len())];
        assert_eq!(
            chart.matches("class=\"bar\"").count(),
            cells,
            "chart {title_zh}"
        );
        bars += cells;
    }

    // The bars are painted: the screenshot holds a good number of pixels of their colour.
    let shot = out.path().join("report.png");
    headless(
        &browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,12000",
            &url,
        ],
    );
    let painted = bar_pixels(&shot);
    assert!(
        painted > 100 * bars,
        "{painted} bar-coloured pixels for {bars} bars"
    );
    system.stop().await.unwrap();
}
