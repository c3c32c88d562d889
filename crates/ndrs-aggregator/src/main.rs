//! `ndrs-aggregator`: the aggregator on its own (as it runs in Kubernetes).

fn main() -> std::process::ExitCode {
    ndrs_platform::stage::service_main(
        "ndrs-aggregator",
        |s| s.services.aggregator.port,
        |runtime, listener, shutdown| async move {
            let endpoints = ndrs_aggregator::startup::endpoints_from_settings(&runtime.settings);
            ndrs_aggregator::startup::run(runtime, listener, endpoints, shutdown).await
        },
    )
}
