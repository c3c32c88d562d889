//! `ndrs-circulation`: the circulation survey service on its own (as it runs in Kubernetes).

fn main() -> std::process::ExitCode {
    ndrs_platform::stage::service_main(
        "ndrs-circulation",
        |s| s.services.circulation.port,
        ndrs_circulation::startup::run,
    )
}
