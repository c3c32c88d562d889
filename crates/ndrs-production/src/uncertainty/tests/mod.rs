//! Tests of the uncertainty propagation, one file per part, and the helpers and fixtures they
//! share: small distributions, and a full-volume input with two sources for smartphones (one of
//! them twice) and for enterprise HDDs, with mixed uncertainties.

use super::*;
use crate::domain::{
    DeviceParameters, Medium, Parameter, SourceCategory, StorageMediumFigures, Uncertainty,
};
use ndrs_platform::returns::StoredReturn;

mod distribution;
mod engine;
mod full_volume;

const N: usize = 100_000;

fn normal(mean: f64, sd: f64) -> Distribution {
    Distribution::truncated_normal(mean, sd, Bounds::NON_NEGATIVE).unwrap()
}

fn named(pairs: Vec<(&str, Distribution)>) -> Vec<(String, Distribution)> {
    pairs.into_iter().map(|(n, d)| (n.to_string(), d)).collect()
}

fn outs(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

/// Every number in a result, as bits, for bit-for-bit comparison.
fn bits(r: &SimulationResult) -> Vec<u64> {
    r.outputs
        .iter()
        .flat_map(|o| {
            let mut v = vec![
                o.central,
                o.mean,
                o.standard_deviation,
                o.p5,
                o.p50,
                o.p95,
                o.linear_r_squared.unwrap_or(-1.0),
            ];
            v.extend(
                o.sensitivity
                    .iter()
                    .flat_map(|c| [c.correlation, c.variance_share]),
            );
            v
        })
        .map(f64::to_bits)
        .collect()
}

// Full-volume fixtures: two sources for smartphones (one of them twice) and for enterprise
// HDDs, mixed uncertainties.
fn param(value: f64, uncertainty: Uncertainty) -> Parameter {
    Parameter { value, uncertainty }
}

fn sd(value: f64, s: f64) -> Parameter {
    param(
        value,
        Uncertainty::Normal {
            standard_deviation: s,
        },
    )
}

fn range(low: f64, value: f64, high: f64) -> Parameter {
    param(value, Uncertainty::Range { low, high })
}

fn exact(value: f64) -> Parameter {
    param(value, Uncertainty::Exact)
}

fn device(
    category: SourceCategory,
    device_type: &str,
    source: &str,
    base: Parameter,
    share: Parameter,
    created: f64,
) -> DeviceParameters {
    DeviceParameters {
        category,
        device_type: device_type.into(),
        installed_base: base,
        active_share: share,
        created_bytes: sd(created, created * 0.1),
        captured_bytes: range(created * 0.5, created, created * 3.0),
        replicated_bytes: exact(created * 0.3),
        consumed_bytes: sd(created * 2.0, created * 0.2),
        source: source.into(),
        vintage: 2023,
        public_share: None,
    }
}

fn devices() -> Vec<DeviceParameters> {
    use SourceCategory::*;
    vec![
        device(
            DailyLife,
            "smartphone",
            "vendor-a",
            sd(1.1e9, 5e7),
            sd(0.9, 0.05),
            2e10,
        ),
        device(
            DailyLife,
            "smartphone",
            "assoc-b",
            range(0.9e9, 1.0e9, 1.3e9),
            range(0.8, 0.85, 0.95),
            2.2e10,
        ),
        device(
            DailyLife,
            "smartphone",
            "vendor-a",
            exact(1.2e9),
            exact(0.88),
            1.9e10,
        ),
        device(
            DailyLife,
            "pc",
            "vendor-a",
            sd(3e8, 3e7),
            sd(0.7, 0.1),
            5e10,
        ),
        device(
            IotSensing,
            "camera",
            "assoc-c",
            range(1e8, 5e8, 2e9),
            sd(0.95, 0.2),
            3e12,
        ),
    ]
}

fn medium(
    medium: Medium,
    holder: &str,
    source: &str,
    capacity: f64,
    used: f64,
) -> StorageMediumFigures {
    StorageMediumFigures {
        medium,
        holder: holder.into(),
        installed_capacity_bytes: sd(capacity, capacity * 0.05),
        used_bytes: range(used * 0.8, used, used * 1.1),
        newly_added_bytes: sd(used * 0.4, used * 0.05),
        overwritten_bytes: exact(used * 0.1),
        source: source.into(),
        vintage: 2023,
    }
}

fn media() -> Vec<StorageMediumFigures> {
    vec![
        medium(Medium::Hdd, "enterprise", "vendor-x", 1e21, 6e20),
        medium(Medium::Hdd, "enterprise", "assoc-y", 1.2e21, 6.5e20),
        medium(Medium::Cloud, "compute_centre", "vendor-z", 8e20, 5e20),
    ]
}

fn stored(n: i64) -> StoredReturn {
    StoredReturn {
        id: n,
        return_id: format!("r-{n}"),
        version: 1,
        return_kind: "device_parameters".into(),
        cycle_year: 2023,
        reporting_unit_id: format!("u-{n}"),
        idempotency_key: format!("k-{n}"),
        content_hash: "h".into(),
        payload_json: "{}".into(),
        findings_json: "[]".into(),
        submitted_by: "t".into(),
        received_at: "2024-01-01T00:00:00Z".into(),
    }
}
