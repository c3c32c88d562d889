//! `ndrs-application`: the application survey service on its own (as it runs in Kubernetes).

fn main() -> std::process::ExitCode {
    ndrs_platform::stage::service_main(
        "ndrs-application",
        |s| s.services.application.port,
        ndrs_application::startup::run,
    )
}
