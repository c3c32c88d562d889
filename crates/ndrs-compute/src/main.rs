//! `ndrs-compute`: the compute census service on its own (as it runs in Kubernetes).

fn main() -> std::process::ExitCode {
    ndrs_platform::stage::service_main(
        "ndrs-compute",
        |s| s.services.compute.port,
        ndrs_compute::startup::run,
    )
}
