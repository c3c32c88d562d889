//! Pieces of the walk-through `ndrs demo` performs (the flow itself is in [`crate::walkthrough`]):
//! where it runs ([`Target`]), assembling a cycle's candidate, printing one, and the small
//! hand-checkable set of sample returns (`ndrs_testkit::sample`) that end-to-end tests submit.

use std::fmt::Write as _;

use ndrs_core::catalogue::Catalogue;
use ndrs_core::units::{Unit, present};
use ndrs_core::{Error, Result};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;
use ndrs_proto::v1::application_survey_service_client::ApplicationSurveyServiceClient;
use ndrs_proto::v1::circulation_survey_service_client::CirculationSurveyServiceClient;
use ndrs_proto::v1::compute_census_service_client::ComputeCensusServiceClient;
use ndrs_proto::v1::production_storage_service_client::ProductionStorageServiceClient;
use ndrs_testkit::sample;

use ndrs_platform::auth::IdentityStore;

use crate::system::SystemEndpoints;

/// Responses of census size (stage results, candidates) exceed gRPC's default 4 MiB.
pub const MAX_RESPONSE_BYTES: usize = ndrs_aggregator::stages::MAX_STAGE_RESULT_BYTES;

/// Where the walk-through runs: the services' endpoints and the identity store that issues its
/// tokens (an in-process system, or separately started services sharing one identity database).
pub struct Target<'a> {
    pub endpoints: &'a SystemEndpoints,
    pub identity: &'a IdentityStore,
}

impl<'a> From<&'a crate::system::RunningSystem> for Target<'a> {
    fn from(system: &'a crate::system::RunningSystem) -> Self {
        Target {
            endpoints: &system.endpoints,
            identity: &system.runtime.identity,
        }
    }
}

fn rpc(what: &str) -> impl FnOnce(tonic::Status) -> Error + '_ {
    ndrs_platform::grpc_status::from_status_in(what)
}

/// Issues a reporter token for `unit` and returns a channel to `endpoint` carrying it.
async fn reporter(system: &Target<'_>, endpoint: &str, unit: &str) -> Result<AuthedChannel> {
    let issued = system
        .identity
        .issue(&format!("demo reporter {unit}"), Role::Reporter, Some(unit))
        .await?;
    channel(endpoint, Some(&issued.token))
}

/// Submits the sample returns of every stage, each with its own unit's token; returns how many.
pub async fn submit_sample_returns(system: &Target<'_>) -> Result<usize> {
    let e = system.endpoints;
    let mut n = 0;
    for (unit, base, source) in [
        ("vendor-phones", 1.0e9, "vendor shipments and activations"),
        ("association-ict", 1.2e9, "association membership survey"),
    ] {
        let mut c =
            ProductionStorageServiceClient::new(reporter(system, &e.production, unit).await?);
        c.submit_device_parameters(sample::smartphones(unit, "2023-phones", base, source))
            .await
            .map_err(rpc("submit device parameters"))?;
        n += 1;
    }
    let mut storage = ProductionStorageServiceClient::new(
        reporter(system, &e.production, "vendor-storage").await?,
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
        storage
            .submit_storage_medium(sample::medium("vendor-storage", key, medium, holder, bytes))
            .await
            .map_err(rpc("submit storage medium"))?;
        n += 1;
    }
    for (unit, kind, province, flops) in [
        ("cc-bj-01", pb::CentreType::Intelligent, "11", 3.0e18),
        ("cc-gz-01", pb::CentreType::General, "52", 5.0e18),
        ("cc-sh-01", pb::CentreType::Supercomputing, "31", 2.0e18),
    ] {
        let mut c = ComputeCensusServiceClient::new(reporter(system, &e.compute, unit).await?);
        c.submit_centre_return(sample::centre(unit, "2023", kind, province, flops))
            .await
            .map_err(rpc("submit centre return"))?;
        n += 1;
    }
    let mut carrier =
        CirculationSurveyServiceClient::new(reporter(system, &e.circulation, "carrier-1").await?);
    carrier
        .submit_carrier_return(sample::carrier(
            "carrier-1",
            "2023",
            1_076_000_000_000_000_000,
            1_000_000_000_000_000_000,
        ))
        .await
        .map_err(rpc("submit carrier return"))?;
    let mut exchange =
        CirculationSurveyServiceClient::new(reporter(system, &e.circulation, "exchange-sh").await?);
    exchange
        .submit_exchange_return(sample::exchange("exchange-sh", "2023", "31"))
        .await
        .map_err(rpc("submit exchange return"))?;
    n += 2;
    for (unit, applies, stored, cloud) in
        [("kie-1", true, 1_000, 200), ("kie-2", false, 3_000, 800)]
    {
        let mut c =
            ApplicationSurveyServiceClient::new(reporter(system, &e.application, unit).await?);
        c.submit_questionnaire(sample::key_industry_enterprise(
            unit, "2023", applies, stored, cloud,
        ))
        .await
        .map_err(rpc("submit questionnaire"))?;
        n += 1;
    }
    Ok(n)
}

/// Assembles a cycle's candidate as an organiser.
pub async fn assemble(system: &Target<'_>, cycle_year: i32) -> Result<pb::Candidate> {
    let organiser = system
        .identity
        .issue("demo organiser", Role::Organiser, None)
        .await?;
    let mut aggregator = AggregatorServiceClient::new(channel(
        &system.endpoints.aggregator,
        Some(&organiser.token),
    )?)
    .max_decoding_message_size(MAX_RESPONSE_BYTES);
    Ok(aggregator
        .assemble_candidate(pb::AssembleCandidateRequest { cycle_year })
        .await
        .map_err(rpc("assemble candidate"))?
        .into_inner())
}

/// A table of a candidate's published-indicator figures, in presentation units.
pub fn render(candidate: &pb::Candidate, base: ndrs_core::units::ZettabyteBase) -> String {
    let catalogue = Catalogue::embedded();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "candidate {} (cycle {}, #{}), content hash {}",
        candidate.candidate_id, candidate.cycle_year, candidate.sequence, candidate.content_hash
    );
    let _ = writeln!(
        out,
        "{:<5} {:<48} {:>14}  {:<22} {:<27} inputs",
        "id", "indicator", "value", "unit", "95% interval"
    );
    for stage in &candidate.stages {
        for f in stage
            .figures
            .iter()
            .filter(|f| f.kind == pb::FigureKind::Estimate as i32)
        {
            let name = catalogue
                .get(&f.id)
                .map_or("(not in catalogue)", |i| i.name_en.as_str());
            let Some(unit) = Unit::from_i32(f.unit) else {
                continue;
            };
            let p = present(f.value, unit, base);
            let inputs = f.lineage.as_ref().map_or(0, |l| l.returns.len());
            let interval = f.interval.as_ref().map_or(String::new(), |i| {
                let scale = if f.value == 0.0 {
                    1.0
                } else {
                    p.value / f.value
                };
                format!("[{:.6}, {:.6}]", i.lower * scale, i.upper * scale)
            });
            let _ = writeln!(
                out,
                "{:<5} {:<48} {:>14.6}  {:<22} {:<27} {} returns",
                f.id, name, p.value, p.unit_label, interval, inputs
            );
        }
    }
    out
}
