//! The sample returns ([`crate::sample`]) submitted over gRPC, each with its own unit's reporter
//! token, as end-to-end tests need them in the services.

use ndrs_core::{Error, Result};
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_platform::client::{AuthedChannel, SystemEndpoints, channel};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::circulation_survey_service_client::CirculationSurveyServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;

use crate::sample;

fn rpc(what: &str) -> impl FnOnce(tonic::Status) -> Error + '_ {
    ndrs_platform::grpc_status::from_status_in(what)
}

/// Issues a reporter token for `unit` and returns a channel to `endpoint` carrying it.
async fn reporter(identity: &IdentityStore, endpoint: &str, unit: &str) -> Result<AuthedChannel> {
    let issued = identity
        .issue(&format!("demo reporter {unit}"), Role::Reporter, Some(unit))
        .await?;
    channel(endpoint, Some(&issued.token))
}

/// Publishes, as an organiser, the shipped questionnaires and indicator documents for
/// `cycle_year` (and so for the later cycles that publish none): returns are not taken before
/// the questionnaire they answer is published, and a stage has no figures before its indicators.
pub async fn publish_content(
    e: &SystemEndpoints,
    identity: &IdentityStore,
    cycle_year: i32,
) -> Result<()> {
    let organiser = identity
        .issue("test organiser", Role::Organiser, None)
        .await?;
    ndrs_platform::client::publish_shipped_content(e, &organiser.token, cycle_year)
        .await
        .map(drop)
}

/// Submits the sample returns of every stage, each with its own unit's token, after publishing
/// their questionnaires and indicators ([`publish_content`]); returns how many.
pub async fn submit_sample_returns(e: &SystemEndpoints, identity: &IdentityStore) -> Result<usize> {
    publish_content(e, identity, sample::CYCLE).await?;
    submit_sample_returns_for(e, identity, sample::CYCLE).await
}

/// The sample returns of every stage as returns for `cycle_year` (the same figures, another
/// round), each with its own unit's token; the cycle's content must already be in force.
pub async fn submit_sample_returns_for(
    e: &SystemEndpoints,
    identity: &IdentityStore,
    cycle_year: i32,
) -> Result<usize> {
    fn cycle(header: &mut Option<pb::ReturnHeader>, cycle_year: i32) {
        if let Some(h) = header {
            h.cycle_year = cycle_year;
        }
    }
    let mut n = 0;
    for (unit, base, source) in [
        ("vendor-phones", 1.0e9, "vendor shipments and activations"),
        ("association-ict", 1.2e9, "association membership survey"),
    ] {
        let mut c =
            ProductionStorageServiceClient::new(reporter(identity, &e.production, unit).await?);
        let mut m = sample::smartphones(unit, &format!("{cycle_year}-phones"), base, source);
        cycle(&mut m.header, cycle_year);
        c.submit_device_parameters(m)
            .await
            .map_err(rpc("submit device parameters"))?;
        n += 1;
    }
    let mut storage = ProductionStorageServiceClient::new(
        reporter(identity, &e.production, "vendor-storage").await?,
    );
    for (key, medium, holder, bytes) in [
        (
            "hdd",
            pb::StorageMedium::Hdd,
            "enterprise",
            [1.0e19, 6.0e18, 5.0e16, 2.0e16],
        ),
        (
            "cloud",
            pb::StorageMedium::Cloud,
            "compute_centre",
            [5.0e18, 3.0e18, 2.0e16, 0.0],
        ),
    ] {
        // The 2023 keys are the bare medium names, as they always were.
        let key = if cycle_year == sample::CYCLE {
            key.to_string()
        } else {
            format!("{cycle_year}-{key}")
        };
        let mut m = sample::medium("vendor-storage", &key, medium, holder, bytes);
        cycle(&mut m.header, cycle_year);
        storage
            .submit_storage_medium(m)
            .await
            .map_err(rpc("submit storage medium"))?;
        n += 1;
    }
    for (unit, kind, province, flops) in [
        ("cc-bj-01", pb::CentreType::Intelligent, "11", 3.0e18),
        ("cc-gz-01", pb::CentreType::General, "52", 5.0e18),
        ("cc-sh-01", pb::CentreType::Supercomputing, "31", 2.0e18),
    ] {
        let mut c = ComputeCensusServiceClient::new(reporter(identity, &e.compute, unit).await?);
        let mut m = sample::centre(unit, &cycle_year.to_string(), kind, province, flops);
        cycle(&mut m.header, cycle_year);
        c.submit_centre_return(m)
            .await
            .map_err(rpc("submit centre return"))?;
        n += 1;
    }
    let mut carrier =
        CirculationSurveyServiceClient::new(reporter(identity, &e.circulation, "carrier-1").await?);
    let mut m = sample::carrier(
        "carrier-1",
        &cycle_year.to_string(),
        1_076_000_000_000_000_000,
        1_000_000_000_000_000_000,
    );
    cycle(&mut m.header, cycle_year);
    carrier
        .submit_carrier_return(m)
        .await
        .map_err(rpc("submit carrier return"))?;
    let mut exchange = CirculationSurveyServiceClient::new(
        reporter(identity, &e.circulation, "exchange-sh").await?,
    );
    let mut m = sample::exchange("exchange-sh", &cycle_year.to_string(), "31");
    cycle(&mut m.header, cycle_year);
    exchange
        .submit_exchange_return(m)
        .await
        .map_err(rpc("submit exchange return"))?;
    n += 2;
    for (unit, applies, stored, cloud) in
        [("kie-1", true, 1_000, 200), ("kie-2", false, 3_000, 800)]
    {
        let mut c =
            ApplicationSurveyServiceClient::new(reporter(identity, &e.application, unit).await?);
        let mut m =
            sample::key_industry_enterprise(unit, &cycle_year.to_string(), applies, stored, cloud);
        cycle(&mut m.header, cycle_year);
        c.submit_questionnaire(m)
            .await
            .map_err(rpc("submit questionnaire"))?;
        n += 1;
    }
    Ok(n)
}
