//! `ndrs-production`: the production and storage service on its own (as it runs in Kubernetes).

fn main() -> std::process::ExitCode {
    ndrs_platform::stage::service_main(
        "ndrs-production",
        |s| s.services.production.port,
        ndrs_production::startup::run,
    )
}
