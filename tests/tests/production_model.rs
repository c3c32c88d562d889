//! The full-volume model over gRPC: parameter returns in, central figures with Monte Carlo
//! intervals and growth out; model runs reproducible from their seed.

mod common;

use common::{as_organiser, as_reporter, assert_close, start};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

fn in_cycle<T>(mut r: T, year: i32, header: impl Fn(&mut T) -> &mut pb::ReturnHeader) -> T {
    header(&mut r).cycle_year = year;
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_figures_carry_intervals_drivers_and_growth() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    // Two sources for smartphones in each cycle (installed base stated as a ±10% range), and one
    // exact storage medium; 2022's installed bases are 10% lower.
    for (year, scale) in [(2022, 0.9), (2023, 1.0)] {
        for (unit, base) in [("vendor-a", 1.0e9), ("assoc-b", 1.2e9)] {
            let mut c = ProductionStorageServiceClient::new(
                as_reporter(&system, &e.production, unit).await,
            );
            let r = in_cycle(
                sample::smartphones(unit, &format!("{year}"), base * scale, unit),
                year,
                |r| r.header.as_mut().unwrap(),
            );
            c.submit_device_parameters(r).await.unwrap();
        }
        let mut c = ProductionStorageServiceClient::new(
            as_reporter(&system, &e.production, "storage").await,
        );
        let m = sample::medium(
            "storage",
            &format!("{year}"),
            pb::StorageMedium::Hdd,
            "enterprise",
            [1.0e19, 6.0e18, 5.0e16, 2.0e16],
        );
        c.submit_storage_medium(in_cycle(m, year, |r| r.header.as_mut().unwrap()))
            .await
            .unwrap();
    }

    let mut organiser =
        ProductionStorageServiceClient::new(as_organiser(&system, &e.production).await);
    let result = organiser
        .get_stage_result(pb::GetStageResultRequest { cycle_year: 2023 })
        .await
        .unwrap()
        .into_inner();
    let p01 = result.figures.iter().find(|f| f.id == "P01").unwrap();
    assert_close(p01.value, 1.1e9 * 0.8 * 4.0e10, "P01 central");
    let interval = p01.interval.as_ref().expect("P01 has an interval");
    assert!(
        interval.lower < p01.value && p01.value < interval.upper,
        "{interval:?}"
    );
    assert_eq!(interval.level, 0.90);
    let lineage = p01.lineage.as_ref().unwrap();
    assert!(
        lineage
            .parameters
            .iter()
            .any(|p| p.starts_with("model-run:")),
        "{lineage:?}"
    );
    assert!(
        lineage
            .parameters
            .iter()
            .any(|p| p.contains("installed_base")),
        "{lineage:?}"
    );
    // Exact storage inputs: the interval collapses to the point.
    let p03 = result.figures.iter().find(|f| f.id == "P03").unwrap();
    let i03 = p03.interval.as_ref().unwrap();
    assert_eq!((i03.lower, i03.upper), (p03.value, p03.value));
    // Growth against 2022, whose installed bases were 10% lower.
    let p02 = result.figures.iter().find(|f| f.id == "P02").expect("P02");
    assert_close(p02.value, 1.0 / 0.9 - 1.0, "P02");

    // Runs are reproducible from the seed, and the seed matters.
    let run = |seed| pb::RunModelRequest {
        cycle_year: 2023,
        seed,
        draws: 2_000,
    };
    let a = organiser.run_model(run(7)).await.unwrap().into_inner();
    let b = organiser.run_model(run(7)).await.unwrap().into_inner();
    let c = organiser.run_model(run(8)).await.unwrap().into_inner();
    assert_ne!(a.run_id, b.run_id);
    assert_eq!(a.outputs, b.outputs);
    assert_ne!(a.outputs, c.outputs);
    assert_eq!(a.inputs.len(), 3);
    let p01_run = a.outputs.iter().find(|o| o.name == "P01").unwrap();
    assert!(
        p01_run.drivers[0].parameter.ends_with("installed_base"),
        "{:?}",
        p01_run.drivers
    );
    let fetched = organiser
        .get_model_run(pb::GetModelRunRequest {
            run_id: a.run_id.clone(),
            cycle_year: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.outputs, a.outputs);

    let status = organiser
        .run_model(pb::RunModelRequest {
            cycle_year: 2023,
            seed: 1,
            draws: 5_000_000,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        ndrs_platform::grpc_status::field_violations(&status)[0].0,
        "draws"
    );
    system.stop().await.unwrap();
}
