//! The frames a cycle's estimates stand on, loaded from files by the organiser: the application
//! survey's sample design and the compute census's centre register. Each load is a new version;
//! figures cite the version they used.
//!
//! The reporting frame is the one list of the cycle's units: once one is loaded, a design or a
//! register naming a unit the frame does not list is refused here, naming every such unit, so the
//! weights, the register and the response monitoring all speak of the same units.

use std::collections::BTreeSet;

use ndrs_core::{Error, FieldViolation, Result};
use ndrs_proto::v1 as pb;

use crate::session::{Session, Stage};

/// Refuses `ids` (field name, unit id) the cycle's latest reporting frame does not list; a cycle
/// without a frame checks nothing.
async fn check_in_frame<'a>(
    session: &Session,
    cycle_year: i32,
    ids: impl Iterator<Item = (String, &'a str)>,
) -> Result<()> {
    let frame = match crate::cycles::frame(session, cycle_year, 0).await {
        Ok(frame) => frame,
        Err(Error::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let version = frame.summary.map_or(0, |s| s.version);
    let listed: BTreeSet<&str> = frame
        .units
        .iter()
        .map(|u| u.reporting_unit_id.as_str())
        .collect();
    let missing: Vec<FieldViolation> = ids
        .filter(|(_, id)| !listed.contains(id))
        .map(|(field, id)| {
            FieldViolation::new(
                field,
                format!(
                    "{} is not in the cycle's reporting frame (v{version})",
                    ndrs_core::error::bounded(id, 128)
                ),
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(missing))
    }
}

/// Loads a sample design as the cycle's next version, after checking its units against the
/// cycle's reporting frame.
pub async fn load_design(
    session: &Session,
    request: pb::LoadSampleDesignRequest,
) -> Result<pb::SampleDesignSummary> {
    check_in_frame(
        session,
        request.cycle_year,
        request.units.iter().enumerate().map(|(i, u)| {
            (
                format!("units[{i}].reporting_unit_id"),
                u.reporting_unit_id.as_str(),
            )
        }),
    )
    .await?;
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

/// Loads a centre register as the cycle's next version, after checking its centres against the
/// cycle's reporting frame.
pub async fn load_register(
    session: &Session,
    request: pb::LoadCentreRegistryRequest,
) -> Result<pb::CentreRegistrySummary> {
    check_in_frame(
        session,
        request.cycle_year,
        request
            .centres
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("centres[{i}].centre_id"), c.centre_id.as_str())),
    )
    .await?;
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
