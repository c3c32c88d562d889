//! Benchmark: how long each stage service takes to answer `GetStageResult` for 2023 on the full
//! demo dataset (every reporting unit of the 2023 sample, 8,166 returns), the figures the demo
//! and the aggregator ask for on every assembly.
//!
//! Run: `cargo bench -p ndrs-e2e --bench stage_results --profile dev` (the debug build `ndrs
//! demo` runs in; drop `--profile dev` for a release build). `NDRS_BENCH_RUNS` (default 5) sets
//! how many times each stage is asked; the minimum and the median are printed, per stage.
//!
//! Not timed: generating the dataset, starting the in-process system (SQLite unless
//! `NDRS_TEST_DATABASE_URL` says otherwise), loading frames, submitting every return and the
//! model runs. Each stage is asked once before the timed runs, so that caches of compiled
//! content are warm as they are in a running system.

use std::time::{Duration, Instant};

use ndrs_cli::system;
use ndrs_demo::MAX_RESPONSE_BYTES;
use ndrs_demo::dataset;
use ndrs_demo::demo_data::{self, DemoOptions};
use ndrs_platform::auth::Role;
use ndrs_platform::client::channel;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::circulation_survey_service_client::CirculationSurveyServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_testkit::env::TestEnv;

const SEED: u64 = 20_231_231;

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "min {:.3} s, median {:.3} s",
        times[0].as_secs_f64(),
        times[times.len() / 2].as_secs_f64()
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::var("NDRS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let data = demo_data::generate(SEED, &DemoOptions::default());
    let mut env = TestEnv::new().await;
    // No automatic re-assembly competing with the timed calls.
    env.settings.aggregator.revalidate_debounce_ms = 600_000;
    let system = system::start(env.settings.clone())
        .await
        .unwrap_or_else(|e| panic!("system did not start on {}: {e}", env.backend));
    let target = ndrs_demo::Target::from(&system);
    dataset::load_frames(&target, &data).await.expect("frames");
    let submitted = dataset::submit_all(&target, &data, |_, _| {})
        .await
        .expect("submission");
    assert!(submitted.refused.is_empty(), "{:?}", submitted.refused);
    dataset::run_models(&target, &data)
        .await
        .expect("model runs");
    let token = system
        .runtime
        .identity
        .issue("bench organiser", Role::Organiser, None)
        .await
        .expect("token")
        .token;
    let e = system.endpoints.clone();
    let connect = |endpoint: &str| channel(endpoint, Some(&token)).expect("channel");
    let mut production = ProductionStorageServiceClient::new(connect(&e.production))
        .max_decoding_message_size(MAX_RESPONSE_BYTES);
    let mut compute = ComputeCensusServiceClient::new(connect(&e.compute))
        .max_decoding_message_size(MAX_RESPONSE_BYTES);
    let mut circulation = CirculationSurveyServiceClient::new(connect(&e.circulation))
        .max_decoding_message_size(MAX_RESPONSE_BYTES);
    let mut application = ApplicationSurveyServiceClient::new(connect(&e.application))
        .max_decoding_message_size(MAX_RESPONSE_BYTES);
    let request = || pb::GetStageResultRequest { cycle_year: 2023 };
    println!(
        "stage results for 2023 over {} returns from {} units, {runs} run(s) each:",
        submitted.returns, submitted.units
    );
    let mut total = Duration::ZERO;
    for stage in ["production", "compute", "circulation", "application"] {
        let mut times = Vec::with_capacity(runs);
        let mut figures = 0;
        for run in 0..=runs {
            let started = Instant::now();
            let result = match stage {
                "production" => production.get_stage_result(request()).await,
                "compute" => compute.get_stage_result(request()).await,
                "circulation" => circulation.get_stage_result(request()).await,
                _ => application.get_stage_result(request()).await,
            }
            .unwrap_or_else(|s| panic!("{stage}: {s}"))
            .into_inner();
            // The first call warms what a running service has warm.
            if run > 0 {
                times.push(started.elapsed());
            }
            figures = result.figures.len();
        }
        total += *times.iter().min().expect("a run");
        println!("  {stage:<12} {figures:>4} figures: {}", summary(times));
    }
    println!("  all stages (sum of minima): {:.3} s", total.as_secs_f64());
    system.stop().await.expect("clean shutdown");
}
