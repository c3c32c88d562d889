//! The frames a cycle's estimates stand on, loaded from files by the organiser: the application
//! survey's sample design and the compute census's centre register. Each load is a new version;
//! figures cite the version they used.

use ndrs_core::Result;
use ndrs_proto::v1 as pb;

use crate::session::{Session, Stage};

/// Loads a sample design as the cycle's next version.
pub async fn load_design(
    session: &Session,
    request: pb::LoadSampleDesignRequest,
) -> Result<pb::SampleDesignSummary> {
    Ok(session
        .application()?
        .load_sample_design(request)
        .await
        .map_err(session.at_stage(Stage::Application, "load the sample design"))?
        .into_inner())
}

/// A cycle's sample design (`version` 0: the latest).
pub async fn design(session: &Session, cycle_year: i32, version: u32) -> Result<pb::SampleDesign> {
    let request = pb::GetSampleDesignRequest {
        cycle_year,
        version,
    };
    Ok(session
        .application()?
        .get_sample_design(request)
        .await
        .map_err(session.at_stage(Stage::Application, "get the sample design"))?
        .into_inner())
}

/// Loads a centre register as the cycle's next version.
pub async fn load_register(
    session: &Session,
    request: pb::LoadCentreRegistryRequest,
) -> Result<pb::CentreRegistrySummary> {
    Ok(session
        .compute()?
        .load_centre_registry(request)
        .await
        .map_err(session.at_stage(Stage::Compute, "load the centre register"))?
        .into_inner())
}

/// A cycle's centre register (`version` 0: the latest).
pub async fn register(
    session: &Session,
    cycle_year: i32,
    version: u32,
) -> Result<pb::CentreRegistry> {
    let request = pb::GetCentreRegistryRequest {
        cycle_year,
        version,
    };
    Ok(session
        .compute()?
        .get_centre_registry(request)
        .await
        .map_err(session.at_stage(Stage::Compute, "get the centre register"))?
        .into_inner())
}
