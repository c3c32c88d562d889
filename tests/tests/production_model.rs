//! The full-volume model over gRPC: parameter returns in, central figures with Monte Carlo
//! intervals and growth out; model runs reproducible from their seed.

mod common;

use common::{as_organiser, as_reporter, assert_close, refused, start, violated_fields};
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
    // Two stage results asked for at the same moment, before any model run exists (the
    // aggregator's watcher and an organiser assembling): both compute the default run, and both
    // must cite the same one, or the cycle's content would change with nothing new reported.
    let mut other = organiser.clone();
    let request = || pb::GetStageResultRequest { cycle_year: 2023 };
    let (first, second) = tokio::join!(
        organiser.get_stage_result(request()),
        other.get_stage_result(request())
    );
    let (first, second) = (first.unwrap().into_inner(), second.unwrap().into_inner());
    assert_eq!(first.content_hash, second.content_hash);
    let result = organiser
        .get_stage_result(request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(result.content_hash, first.content_hash);
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
            run: Some(pb::get_model_run_request::Run::RunId(a.run_id.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.outputs, a.outputs);

    let status = refused(
        organiser
            .run_model(pb::RunModelRequest {
                cycle_year: 2023,
                seed: 1,
                draws: 5_000_000,
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        ndrs_platform::grpc_status::field_violations(&status)[0].0,
        "draws"
    );
    system.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organiser_extends_the_device_taxonomy_per_cycle() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    let mut organiser =
        ProductionStorageServiceClient::new(as_organiser(&system, &e.production).await);
    let mut vendor =
        ProductionStorageServiceClient::new(as_reporter(&system, &e.production, "vendor-vr").await);
    let get = pb::GetDeviceTaxonomyRequest {
        cycle_year: sample::CYCLE,
        version: 0,
    };

    // Before any load: the built-in taxonomy (table 2.2's examples), and no check on returns.
    let built_in = vendor.get_device_taxonomy(get).await.unwrap().into_inner();
    assert_eq!(built_in.summary.as_ref().unwrap().version, 0);
    assert!(
        built_in
            .device_types
            .iter()
            .any(|d| d.device_type == "smartphone")
    );
    let mut headset = sample::smartphones("vendor-vr", "vr-1", 1.0e6, "vendor shipments");
    headset.device_type = "vr_headset".into();
    vendor
        .submit_device_parameters(headset.clone())
        .await
        .unwrap();

    // The organiser loads the cycle's own taxonomy: the built-in one plus VR headsets. A bad load
    // names its entries; a reporter may not load one.
    let mut entries = built_in.device_types.clone();
    entries.push(pb::DeviceTypeEntry {
        device_type: "vr_headset".into(),
        category: pb::DataSourceCategory::DailyLife as i32,
        name_zh: "虚拟现实头显".into(),
        name_en: "VR headsets".into(),
    });
    let mut bad = entries.clone();
    bad.push(pb::DeviceTypeEntry {
        device_type: "smartphone".into(),
        category: 0,
        name_zh: String::new(),
        name_en: "Phones again".into(),
    });
    let load = |device_types| pb::LoadDeviceTaxonomyRequest {
        cycle_year: sample::CYCLE,
        device_types,
    };
    let status = refused(
        organiser.load_device_taxonomy(load(bad)).await,
        Code::InvalidArgument,
    );
    let n = entries.len();
    assert_eq!(
        violated_fields(&status),
        [
            format!("device_types[{n}].device_type"),
            format!("device_types[{n}].category")
        ]
    );
    refused(
        vendor.load_device_taxonomy(load(entries.clone())).await,
        Code::PermissionDenied,
    );
    let summary = organiser
        .load_device_taxonomy(load(entries.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.version, summary.device_types), (1, n as u32));
    let loaded = vendor.get_device_taxonomy(get).await.unwrap().into_inner();
    assert_eq!(loaded.device_types.len(), n);

    // From now on returns must name a device type of the taxonomy, in its category.
    headset.header.as_mut().unwrap().idempotency_key = "vr-2".into();
    vendor
        .submit_device_parameters(headset.clone())
        .await
        .unwrap();
    let mut unknown = headset.clone();
    unknown.header.as_mut().unwrap().idempotency_key = "vr-3".into();
    unknown.device_type = "hologram".into();
    let status = refused(
        vendor.submit_device_parameters(unknown).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        ndrs_platform::grpc_status::field_violations(&status)[0].0,
        "device_type"
    );
    let mut miscategorised = headset;
    miscategorised.header.as_mut().unwrap().idempotency_key = "vr-4".into();
    miscategorised.category = pb::DataSourceCategory::IotSensing as i32;
    let status = vendor
        .submit_device_parameters(miscategorised)
        .await
        .unwrap_err();
    assert_eq!(
        ndrs_platform::grpc_status::field_violations(&status)[0].0,
        "category"
    );
    system.stop().await.unwrap();
}
