//! The sample returns ([`crate::sample`]) submitted over gRPC, each with its own unit's reporter
//! token, as end-to-end tests need them in the services.

use ndrs_client::Session;
use ndrs_client::returns::Return;
use ndrs_core::Result;
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_platform::client::SystemEndpoints;
use ndrs_proto::v1 as pb;

use crate::sample;

/// Opens, as an organiser, the collection window of `cycle_year` from now for a year, as a round
/// starts: a return for a cycle that is not open is refused. A cycle opened before stays as it is.
pub async fn open_cycle(
    e: &SystemEndpoints,
    identity: &IdentityStore,
    cycle_year: i32,
) -> Result<()> {
    let organiser = identity
        .issue("test organiser", Role::Organiser, None)
        .await?;
    let session = Session::new(e.clone(), organiser.token)?;
    let deadline = ndrs_proto::prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() + 365 * 86_400,
        nanos: 0,
    };
    match ndrs_client::cycles::open(&session, cycle_year, "", None, deadline).await {
        Ok(_) => Ok(()),
        Err(ndrs_core::Error::FailedPrecondition(m)) if m.contains("opened before") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens the cycle ([`open_cycle`]) and publishes, as an organiser, the shipped questionnaires
/// and indicator documents for `cycle_year` (and so for the later cycles that publish none):
/// returns are not taken before the questionnaire they answer is published, and a stage has no
/// figures before its indicators.
pub async fn publish_content(
    e: &SystemEndpoints,
    identity: &IdentityStore,
    cycle_year: i32,
) -> Result<()> {
    open_cycle(e, identity, cycle_year).await?;
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
/// round): two device-parameter returns, two storage media, three centres, a carrier, an
/// exchange and two key industry enterprises.
pub fn sample_returns(cycle_year: i32) -> Vec<Return> {
    let year = cycle_year.to_string();
    let mut returns = Vec::new();
    for (unit, base, source) in [
        ("vendor-phones", 1.0e9, "vendor shipments and activations"),
        ("association-ict", 1.2e9, "association membership survey"),
    ] {
        let key = format!("{cycle_year}-phones");
        returns.push(Return::DeviceParameters(sample::smartphones(
            unit, &key, base, source,
        )));
    }
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
        returns.push(Return::StorageMedium(sample::medium(
            "vendor-storage",
            &key,
            medium,
            holder,
            bytes,
        )));
    }
    for (unit, kind, province, flops) in [
        ("cc-bj-01", pb::CentreType::Intelligent, "11", 3.0e18),
        ("cc-gz-01", pb::CentreType::General, "52", 5.0e18),
        ("cc-sh-01", pb::CentreType::Supercomputing, "31", 2.0e18),
    ] {
        returns.push(Return::Centre(sample::centre(
            unit, &year, kind, province, flops,
        )));
    }
    returns.push(Return::Carrier(sample::carrier(
        "carrier-1",
        &year,
        1_076_000_000_000_000_000,
        1_000_000_000_000_000_000,
    )));
    returns.push(Return::Exchange(sample::exchange(
        "exchange-sh",
        &year,
        "31",
    )));
    for (unit, applies, stored, cloud) in
        [("kie-1", true, 1_000, 200), ("kie-2", false, 3_000, 800)]
    {
        returns.push(Return::Questionnaire(sample::key_industry_enterprise(
            unit, &year, applies, stored, cloud,
        )));
    }
    for r in &mut returns {
        r.header_mut().cycle_year = cycle_year;
    }
    returns
}

/// Submits [`sample_returns`] for `cycle_year`, each with its own unit's reporter token; the
/// cycle's content must already be in force. Returns how many.
pub async fn submit_sample_returns_for(
    e: &SystemEndpoints,
    identity: &IdentityStore,
    cycle_year: i32,
) -> Result<usize> {
    let session = Session::new(e.clone(), "")?;
    let returns = sample_returns(cycle_year);
    let n = returns.len();
    for r in returns {
        let unit = r.reporting_unit_id().to_string();
        let issued = identity
            .issue(
                &format!("demo reporter {unit}"),
                Role::Reporter,
                Some(&unit),
            )
            .await?;
        r.send(&session.as_caller(issued.token)).await?;
    }
    Ok(n)
}
