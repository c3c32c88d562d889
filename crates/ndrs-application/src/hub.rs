//! The government data sharing hub's administrative return (A01-A03): a census of one, reported
//! by the hub's operator. Its figures are the reported values, with the return as their lineage.

use ndrs_core::Violations;
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnHeader, StoredReturn};
use ndrs_platform::stage::{StageReturn, TypedReturn, figure, lineage_of};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingHub {
    pub departments_connected: u32,
    pub resources_mounted: u64,
    pub cumulative_service_calls: u64,
    pub previous_cumulative_service_calls: u64,
}

/// Validates a hub return, naming every bad field.
pub fn hub_return_from_proto(
    request: pb::SharingHubReturn,
) -> ndrs_core::Result<(ReturnHeader, SharingHub)> {
    let pb::SharingHubReturn {
        header,
        departments_connected,
        resources_mounted,
        cumulative_service_calls,
        previous_cumulative_service_calls,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    v.check(
        departments_connected > 0,
        "departments_connected",
        "a hub in operation connects at least one department",
    );
    // A cumulative count cannot fall: the hub's counter never resets.
    v.check(
        cumulative_service_calls >= previous_cumulative_service_calls,
        "cumulative_service_calls",
        "cannot be below the previous cycle's cumulative count",
    );
    v.finish((
        header,
        SharingHub {
            departments_connected,
            resources_mounted,
            cumulative_service_calls,
            previous_cumulative_service_calls,
        },
    ))
}

/// A hub with resources but no calls in the year is possible but worth a look.
/// Every number a hub return reports, with its field and what it measures.
pub fn hub_quantities(h: &SharingHub) -> Vec<Reported> {
    let q = Quantity::HubCount;
    vec![
        (
            q,
            "departments_connected".to_string(),
            f64::from(h.departments_connected),
        ),
        (
            q,
            "resources_mounted".to_string(),
            h.resources_mounted as f64,
        ),
        (
            q,
            "cumulative_service_calls".to_string(),
            h.cumulative_service_calls as f64,
        ),
        (
            q,
            "previous_cumulative_service_calls".to_string(),
            h.previous_cumulative_service_calls as f64,
        ),
    ]
}

pub fn hub_findings(h: &SharingHub) -> Vec<EditFinding> {
    if h.resources_mounted > 0 && h.cumulative_service_calls == h.previous_cumulative_service_calls
    {
        vec![EditFinding {
            rule_id: "application.hub_without_calls".into(),
            severity: FindingSeverity::Warning,
            message: "no service calls in the year although resources are mounted".into(),
            fields: vec!["cumulative_service_calls".into()],
        }]
    } else {
        Vec::new()
    }
}

pub const METHOD: &str = "administrative figures reported by the sharing hub's operator";

/// A01-A03 from the cycle's hub returns. One operator reports; should several returns exist (a
/// second operator, a misrouted return), their counts are added and the lineage lists them all.
pub fn figures(rows: &[(StoredReturn, SharingHub)]) -> Vec<pb::Figure> {
    if rows.is_empty() {
        return Vec::new();
    }
    let lineage = || lineage_of(rows.iter().map(|(r, _)| r), METHOD);
    let sum = |f: fn(&SharingHub) -> f64| rows.iter().map(|(_, h)| f(h)).sum::<f64>();
    [
        ("A01", sum(|h| f64::from(h.departments_connected))),
        ("A02", sum(|h| h.resources_mounted as f64)),
        ("A03", sum(|h| h.cumulative_service_calls as f64)),
    ]
    .into_iter()
    .map(|(id, value)| figure(id, FigureKind::Estimate, value, Unit::Count, lineage(), &[]))
    .collect()
}

impl StageReturn for SharingHub {
    const KIND: &'static str = "sharing_hub";
    fn edit_findings(&self) -> Vec<EditFinding> {
        hub_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        hub_quantities(self)
    }
}

impl TypedReturn for SharingHub {
    type Proto = pb::SharingHubReturn;
    fn from_proto(message: pb::SharingHubReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        hub_return_from_proto(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(calls: u64, previous: u64) -> pb::SharingHubReturn {
        pb::SharingHubReturn {
            header: Some(pb::ReturnHeader {
                cycle_year: 2023,
                reporting_unit_id: "nd-hub".into(),
                idempotency_key: "k".into(),
                ..Default::default()
            }),
            departments_connected: 53,
            resources_mounted: 20_600,
            cumulative_service_calls: calls,
            previous_cumulative_service_calls: previous,
        }
    }

    #[test]
    fn a_falling_cumulative_count_is_refused_by_field() {
        let err = hub_return_from_proto(hub(10, 20)).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "cumulative_service_calls");
        let (_, h) = hub_return_from_proto(hub(30, 20)).unwrap();
        assert!(hub_findings(&h).is_empty());
        let (_, idle) = hub_return_from_proto(hub(20, 20)).unwrap();
        assert_eq!(
            hub_findings(&idle)[0].rule_id,
            "application.hub_without_calls"
        );
    }
}
