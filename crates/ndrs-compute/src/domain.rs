//! A compute centre's annual return, validated, and what the platform's submit path runs for it
//! ([`StageReturn`]).

use std::collections::BTreeMap;

use ndrs_core::Violations;
use ndrs_core::classification::CentreType;
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnHeader};
use ndrs_platform::stage::{StageReturn, TypedReturn, check_province};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

/// Precisions a capacity can be measured at, in the order they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Fp64,
    Fp32,
    Fp16,
    Bf16,
    Int8,
}

impl Precision {
    /// The name reporters know the precision by.
    pub fn label(self) -> &'static str {
        match self {
            Precision::Fp64 => "FP64",
            Precision::Fp32 => "FP32",
            Precision::Fp16 => "FP16",
            Precision::Bf16 => "BF16",
            Precision::Int8 => "INT8",
        }
    }

    fn from_proto(value: i32) -> Option<Self> {
        match pb::Precision::try_from(value).ok()? {
            pb::Precision::Fp64 => Some(Precision::Fp64),
            pb::Precision::Fp32 => Some(Precision::Fp32),
            pb::Precision::Fp16 => Some(Precision::Fp16),
            pb::Precision::Bf16 => Some(Precision::Bf16),
            pb::Precision::Int8 => Some(Precision::Int8),
            pb::Precision::Unspecified => None,
        }
    }

    /// Factor that converts a capacity at this precision to the FP32-equivalent basis.
    ///
    /// The survey publishes compute on one basis, FP32 (single precision), as the national compute
    /// statistics do. A centre that reports FP32 is taken at its word; otherwise its capacity is
    /// converted with the customary throughput ratios of current accelerators: one FP64 operation
    /// costs about two FP32 ones, FP16/BF16 run at about twice and INT8 at about four times the
    /// FP32 rate. The raw precisions are kept in the return.
    pub fn fp32_factor(self) -> f64 {
        match self {
            Precision::Fp64 => 2.0,
            Precision::Fp32 => 1.0,
            Precision::Fp16 | Precision::Bf16 => 0.5,
            Precision::Int8 => 0.25,
        }
    }
}

/// What one centre reports for a cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CentreReturn {
    pub centre_type: CentreType,
    pub province_code: String,
    pub capacity_flops: BTreeMap<Precision, f64>,
    pub storage_capacity_bytes: u64,
    pub storage_used_bytes: u64,
    pub cloud_storage_bytes: u64,
    pub average_utilisation: f64,
    pub racks: u32,
    pub power_capacity_kw: f64,
}

impl CentreReturn {
    /// Capacity on the FP32-equivalent basis: the FP32 figure when reported, else the largest
    /// converted figure among the precisions reported.
    pub fn fp32_equivalent_flops(&self) -> f64 {
        if let Some(fp32) = self.capacity_flops.get(&Precision::Fp32) {
            return *fp32;
        }
        self.capacity_flops
            .iter()
            .map(|(p, f)| f * p.fp32_factor())
            .fold(0.0, f64::max)
    }
}

/// Converts and validates a request, naming every offending field.
pub fn centre_return_from_proto(
    request: pb::ComputeCentreReturn,
) -> ndrs_core::Result<(ReturnHeader, CentreReturn)> {
    let pb::ComputeCentreReturn {
        header,
        centre_type,
        province_code,
        capacity,
        storage_capacity_bytes,
        storage_used_bytes,
        cloud_storage_bytes,
        average_utilisation,
        racks,
        power_capacity_kw,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    let centre_type = CentreType::from_i32(centre_type);
    v.check(
        centre_type.is_some(),
        "centre_type",
        "must be general, intelligent or supercomputing",
    );
    check_province("province_code", &province_code, &mut v);
    let mut capacity_flops = BTreeMap::new();
    v.check(
        !capacity.is_empty(),
        "capacity",
        "at least one precision must be reported",
    );
    for (i, pb::PrecisionCapacity { precision, flops }) in capacity.into_iter().enumerate() {
        v.non_negative(format!("capacity[{i}].flops"), flops);
        match Precision::from_proto(precision) {
            None => v.push(format!("capacity[{i}].precision"), "unknown precision"),
            Some(p) => {
                if capacity_flops.insert(p, flops).is_some() {
                    v.push(
                        format!("capacity[{i}].precision"),
                        "precision reported twice",
                    );
                }
            }
        }
    }
    v.share("average_utilisation", average_utilisation);
    v.non_negative("power_capacity_kw", power_capacity_kw);
    // Impossible combinations are refused outright, not flagged.
    v.check(
        storage_used_bytes <= storage_capacity_bytes,
        "storage_used_bytes",
        "stored data cannot exceed storage capacity",
    );
    v.check(
        cloud_storage_bytes <= storage_used_bytes,
        "cloud_storage_bytes",
        "cloud-held data cannot exceed stored data",
    );
    let value = CentreReturn {
        centre_type: centre_type.unwrap_or(CentreType::General),
        province_code,
        capacity_flops,
        storage_capacity_bytes,
        storage_used_bytes,
        cloud_storage_bytes,
        average_utilisation,
        racks,
        power_capacity_kw,
    };
    v.finish((header, value))
}

/// Every number a centre return reports, with its field and what it measures (for the
/// plausibility bounds). Capacities are named by their precision (`capacity[FP32].flops`): the
/// stored return keeps one capacity per precision, not the request's order.
pub fn centre_quantities(r: &CentreReturn) -> Vec<Reported> {
    let mut out: Vec<Reported> = r
        .capacity_flops
        .iter()
        .map(|(precision, flops)| {
            (
                Quantity::CentreFlops,
                format!("capacity[{}].flops", precision.label()),
                *flops,
            )
        })
        .collect();
    out.extend([
        (
            Quantity::CentreBytes,
            "storage_capacity_bytes".to_string(),
            r.storage_capacity_bytes as f64,
        ),
        (
            Quantity::CentreBytes,
            "storage_used_bytes".to_string(),
            r.storage_used_bytes as f64,
        ),
        (
            Quantity::CentreBytes,
            "cloud_storage_bytes".to_string(),
            r.cloud_storage_bytes as f64,
        ),
        (
            Quantity::CentreRacks,
            "racks".to_string(),
            f64::from(r.racks),
        ),
        (
            Quantity::CentrePowerKw,
            "power_capacity_kw".to_string(),
            r.power_capacity_kw,
        ),
    ]);
    out
}

/// Edit rules that accept the return but ask for a look.
pub fn edit_findings(r: &CentreReturn) -> Vec<EditFinding> {
    let mut findings = Vec::new();
    let total: f64 = r.capacity_flops.values().sum();
    if total > 0.0 && r.average_utilisation == 0.0 {
        findings.push(EditFinding {
            rule_id: "compute.utilisation_zero".into(),
            severity: FindingSeverity::Warning,
            message: "capacity reported but average utilisation is zero".into(),
            fields: vec!["average_utilisation".into()],
        });
    }
    if total == 0.0 {
        findings.push(EditFinding {
            rule_id: "compute.capacity_zero".into(),
            severity: FindingSeverity::Warning,
            message: "every reported capacity is zero".into(),
            fields: vec!["capacity".into()],
        });
    }
    if r.racks == 0 {
        findings.push(EditFinding {
            rule_id: "compute.racks_missing".into(),
            severity: FindingSeverity::Info,
            message: "racks not reported; imputation for later cycles will lack this auxiliary"
                .into(),
            fields: vec!["racks".into()],
        });
    }
    findings
}

impl StageReturn for CentreReturn {
    const KIND: &'static str = "compute_centre";
    fn edit_findings(&self) -> Vec<EditFinding> {
        edit_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        centre_quantities(self)
    }
}

impl TypedReturn for CentreReturn {
    type Proto = pb::ComputeCentreReturn;
    fn from_proto(message: pb::ComputeCentreReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        centre_return_from_proto(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> pb::ComputeCentreReturn {
        pb::ComputeCentreReturn {
            header: Some(pb::ReturnHeader {
                cycle_year: 2023,
                reporting_unit_id: "cc-0001".into(),
                idempotency_key: "k1".into(),
                return_id: String::new(),
            }),
            centre_type: pb::CentreType::Intelligent as i32,
            province_code: "32".into(),
            capacity: vec![pb::PrecisionCapacity {
                precision: pb::Precision::Fp16 as i32,
                flops: 4.0e18,
            }],
            storage_capacity_bytes: 100,
            storage_used_bytes: 60,
            cloud_storage_bytes: 30,
            average_utilisation: 0.5,
            racks: 300,
            power_capacity_kw: 5000.0,
        }
    }

    #[test]
    fn a_valid_return_converts_and_normalises() {
        let (_, r) = centre_return_from_proto(valid()).unwrap();
        assert_eq!(r.fp32_equivalent_flops(), 2.0e18);
        assert!(edit_findings(&r).is_empty());
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = valid();
        bad.province_code = "99".into();
        bad.storage_used_bytes = 200;
        bad.average_utilisation = 1.2;
        bad.capacity[0].flops = f64::INFINITY;
        let err = centre_return_from_proto(bad).unwrap_err();
        let fields: Vec<_> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        for expected in [
            "province_code",
            "storage_used_bytes",
            "average_utilisation",
            "capacity[0].flops",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }
}
