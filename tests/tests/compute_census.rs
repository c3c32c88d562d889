//! The compute census over gRPC: the organiser loads the register, centres report, non-respondents
//! are imputed from the register's auxiliaries, and growth uses the previous cycle.

mod common;

use common::{
    as_organiser, as_reporter, assemble, assert_close, assert_names_fields, figure,
    publish_content_for, refused, start,
};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_testkit::sample;
use tonic::Code;

fn registered(id: &str, t: pb::CentreType, province: &str, power: f64) -> pb::RegisteredCentre {
    pb::RegisteredCentre {
        centre_id: id.into(),
        centre_type: t as i32,
        province_code: province.into(),
        operator_name: "operator".into(),
        racks: 100,
        power_capacity_kw: power,
    }
}

fn register(cycle_year: i32) -> pb::LoadCentreRegistryRequest {
    pb::LoadCentreRegistryRequest {
        cycle_year,
        centres: vec![
            registered("cc-a", pb::CentreType::Intelligent, "11", 1_000.0),
            registered("cc-b", pb::CentreType::Intelligent, "32", 3_000.0),
            registered("cc-c", pb::CentreType::Intelligent, "33", 2_000.0),
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_respondents_are_imputed_and_growth_uses_the_previous_cycle() {
    let (_env, system) = start().await;
    let e = system.endpoints.clone();
    // The compute centre questionnaire, which serves 2022 and 2023 alike.
    publish_content_for(&system, 2022).await;
    let mut organiser = ComputeCensusServiceClient::new(as_organiser(&system, &e.compute).await);

    // A register with a duplicate and an unknown province is refused whole, naming the entries.
    let mut bad = register(2023);
    bad.centres
        .push(registered("cc-a", pb::CentreType::General, "99", 1.0));
    let status = refused(
        organiser.load_centre_registry(bad).await,
        Code::InvalidArgument,
    );
    assert_names_fields(
        &status,
        &["centres[3].centre_id", "centres[3].province_code"],
    );

    for year in [2022, 2023] {
        let summary = organiser
            .load_centre_registry(register(year))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((summary.version, summary.centres), (1, 3));
    }

    // 2022: only cc-a and cc-b respond (1e15 FLOPS per kW), cc-c is imputed at 2e18.
    // 2023: all three respond, each 20% above its 2022 level.
    for (year, unit, flops) in [
        (2022, "cc-a", 1.0e18),
        (2022, "cc-b", 3.0e18),
        (2023, "cc-a", 1.2e18),
        (2023, "cc-b", 3.6e18),
        (2023, "cc-c", 2.4e18),
    ] {
        let mut reporter =
            ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, unit).await);
        let mut r = sample::centre(
            unit,
            &format!("{year}"),
            pb::CentreType::Intelligent,
            "11",
            flops,
        );
        r.header.as_mut().unwrap().cycle_year = year;
        let receipt = reporter.submit_centre_return(r).await.unwrap().into_inner();
        // cc-b and cc-c are registered in Jiangsu / Zhejiang; the return says Beijing.
        let flagged = receipt
            .findings
            .iter()
            .any(|f| f.rule_id == "compute.differs_from_register");
        assert_eq!(flagged, unit != "cc-a", "{unit}: {:?}", receipt.findings);
    }

    // A centre outside the register cannot report.
    let mut stranger =
        ComputeCensusServiceClient::new(as_reporter(&system, &e.compute, "cc-x").await);
    refused(
        stranger
            .submit_centre_return(sample::centre(
                "cc-x",
                "k",
                pb::CentreType::General,
                "11",
                1.0,
            ))
            .await,
        Code::InvalidArgument,
    );

    let prev = organiser
        .get_stage_result(pb::GetStageResultRequest { cycle_year: 2022 })
        .await
        .unwrap()
        .into_inner();
    let prev_c02 = prev.figures.iter().find(|f| f.id == "C02").unwrap();
    assert_close(prev_c02.value, 6.0e18, "C02 2022 with cc-c imputed");
    assert_close(
        prev_c02.lineage.as_ref().unwrap().imputed_share,
        2.0 / 6.0,
        "imputed share 2022",
    );

    let mut aggregator = AggregatorServiceClient::new(as_organiser(&system, &e.aggregator).await);
    let candidate = assemble(&mut aggregator, 2023).await;
    assert_close(figure(&candidate, "C01").value, 3.0, "C01");
    assert_close(figure(&candidate, "C02").value, 7.2e18, "C02");
    assert_close(
        figure(&candidate, "C02")
            .lineage
            .as_ref()
            .unwrap()
            .imputed_share,
        0.0,
        "imputed share 2023",
    );
    assert_close(figure(&candidate, "C03").value, 0.2, "C03");
    assert_close(
        figure(&candidate, "compute.capacity_growth_matched_panel").value,
        0.2,
        "panel growth",
    );
    // The register places cc-b and cc-c in the Yangtze delta and cc-a in Jing-Jin-Ji.
    assert_close(figure(&candidate, "C05").value, 1.0, "C05");
    system.stop().await.unwrap();
}
