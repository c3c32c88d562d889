//! `ndrs-web`: the web console and public pages on their own (as they run in Kubernetes).

use ndrs_core::Error;
use ndrs_platform::settings::Settings;
use tokio_util::sync::CancellationToken;

fn main() -> std::process::ExitCode {
    let run = async {
        let settings = Settings::load().map_err(|e| Error::FailedPrecondition(e.to_string()))?;
        let telemetry = ndrs_platform::telemetry::init(&settings.telemetry, "ndrs-web")
            .map_err(Error::FailedPrecondition)?;
        let metrics = CancellationToken::new();
        let _metrics = metrics.clone().drop_guard();
        telemetry
            .serve_metrics(&settings.server.host, metrics)
            .await?;
        ndrs_web::run(&settings, ndrs_platform::stage::cancel_on_signal()).await
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ndrs-web: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ndrs-web: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
