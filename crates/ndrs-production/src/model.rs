//! Consolidation of sources and the full-volume model at the parameters' central values.
//!
//! Consolidation: when several sources report the same parameter (same device type, or same medium
//! and holder), the consolidated value is the unweighted mean of their central values, and the
//! disagreement between them (max / min) is published as a check figure for the aggregator.
//! The formula itself is [`crate::formula`]'s, which the Monte Carlo of [`crate::uncertainty`]
//! evaluates too; here every figure is the central estimate.

use std::collections::BTreeMap;

use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{figure, lineage_of, ratio};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};

use crate::domain::{DeviceParameters, SourceCategory, StorageMediumFigures};
use crate::formula::{DeviceValues, MediumValues, Totals};

pub const PRODUCTION_METHOD: &str = "full-volume model: sum over device types of installed base x active share x annual data per active unit (created + captured + replicated + consumed); sources consolidated by their mean";
pub const PUBLIC_ACQUISITION_METHOD: &str = "public data acquisition: sum over device types of installed base x active share x public share x captured data per active unit, over the device types whose sources report a public share; P15 = its IoT sensing part / the whole";
pub const STORAGE_METHOD: &str =
    "sum over storage media and holders; sources consolidated by their mean";

fn spread(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    if v.len() < 2 {
        return None;
    }
    let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    ratio(max, min)
}

/// One device type's parameters at its sources' central values.
fn device_values(sources: &[&DeviceParameters]) -> DeviceValues {
    DeviceValues::consolidate(
        sources,
        |d, field| field.of(d).value,
        sources
            .iter()
            .filter_map(|d| d.public_share.map(|p| p.value)),
    )
}

/// One medium and holder's figures at its sources' central values.
fn medium_values(sources: &[&StorageMediumFigures]) -> MediumValues {
    MediumValues::consolidate(sources, |m, field| field.of(m).value)
}

/// Groups returns' values by `key`, in the key's order, each group in the order of the returns.
fn grouped<'a, T, K: Ord>(
    returns: &'a [(StoredReturn, T)],
    key: impl Fn(&'a T) -> K,
) -> BTreeMap<K, Vec<&'a T>> {
    let mut groups: BTreeMap<K, Vec<&T>> = BTreeMap::new();
    for (_, value) in returns {
        groups.entry(key(value)).or_default().push(value);
    }
    groups
}

pub fn figures(
    devices: &[(StoredReturn, DeviceParameters)],
    media: &[(StoredReturn, StorageMediumFigures)],
) -> Vec<pb::Figure> {
    let mut out = Vec::new();
    let production_lineage = lineage_of(devices.iter().map(|(s, _)| s), PRODUCTION_METHOD);
    let by_device = grouped(devices, |d| (d.category, d.device_type.as_str()));
    let mut device_types = Vec::with_capacity(by_device.len());
    for ((category, device_type), sources) in &by_device {
        device_types.push((*category, device_values(sources)));
        if let Some(s) = spread(sources.iter().map(|d| d.installed_base.value)) {
            out.push(figure(
                "check.production.installed_base_source_spread",
                FigureKind::Check,
                s,
                Unit::Times,
                production_lineage.clone(),
                &[("device_type", device_type)],
            ));
        }
    }
    let by_medium = grouped(media, |m| (m.medium, m.holder.as_str()));
    let totals = Totals::new(
        device_types,
        by_medium
            .iter()
            .map(|((medium, _), sources)| (*medium, medium_values(sources))),
    );
    if !devices.is_empty() {
        out.push(figure(
            "P01",
            FigureKind::Estimate,
            totals.produced,
            Unit::Bytes,
            production_lineage.clone(),
            &[],
        ));
        for (category, bytes) in &totals.by_category {
            out.push(figure(
                "production.bytes",
                FigureKind::Auxiliary,
                *bytes,
                Unit::Bytes,
                production_lineage.clone(),
                &[("category", category.code())],
            ));
        }
        out.extend(public_acquisition_figures(devices, &totals));
    }
    if media.is_empty() {
        return out;
    }
    let storage_lineage = lineage_of(media.iter().map(|(s, _)| s), STORAGE_METHOD);
    let storage_figure = |id: &str, value: f64, unit: Unit| {
        figure(
            id,
            FigureKind::Estimate,
            value,
            unit,
            storage_lineage.clone(),
            &[],
        )
    };
    out.push(storage_figure("P03", totals.stock, Unit::Bytes));
    out.push(storage_figure("P04", totals.new, Unit::Bytes));
    out.push(storage_figure("P06", totals.space, Unit::Bytes));
    if let Some(r) = totals.utilisation() {
        out.push(storage_figure("P07", r, Unit::Ratio));
    }
    if !devices.is_empty()
        && let Some(r) = totals.conversion_rate()
    {
        let mut lineage = storage_lineage.clone();
        lineage
            .returns
            .extend(production_lineage.returns.iter().cloned());
        lineage.inputs_hash =
            ndrs_platform::stage::inputs_hash(lineage.returns.iter().map(String::as_str));
        lineage.method = "P04 / P01".into();
        out.push(figure(
            "P05",
            FigureKind::Estimate,
            r,
            Unit::Ratio,
            lineage,
            &[],
        ));
    }
    out.push(figure(
        "check.production.cloud_medium_used_bytes",
        FigureKind::Check,
        totals.cloud,
        Unit::Bytes,
        storage_lineage,
        &[],
    ));
    out
}

/// Public data acquisition by category and P15, the IoT sensing share of it (report figure 3.1:
/// "公共数据获取范围不断扩大, 设施物联传感数据占比超40%"). Nothing when no source splits any device
/// type's installed base, or when the split leaves no public acquisition to take a share of.
fn public_acquisition_figures(
    devices: &[(StoredReturn, DeviceParameters)],
    totals: &Totals,
) -> Vec<pb::Figure> {
    let mut out = Vec::new();
    let Some(share) = totals.iot_share_of_public_acquisition() else {
        return out;
    };
    // The domain's inputs: every return of a device type some source splits.
    let split: std::collections::BTreeSet<&str> = devices
        .iter()
        .filter(|(_, d)| d.public_share.is_some())
        .map(|(_, d)| d.device_type.as_str())
        .collect();
    let lineage = lineage_of(
        devices
            .iter()
            .filter(|(_, d)| split.contains(d.device_type.as_str()))
            .map(|(s, _)| s),
        PUBLIC_ACQUISITION_METHOD,
    );
    for (category, bytes) in &totals.public_by_category {
        out.push(figure(
            "production.public_acquisition_bytes",
            FigureKind::Auxiliary,
            *bytes,
            Unit::Bytes,
            lineage.clone(),
            &[("category", category.code())],
        ));
    }
    out.push(figure(
        "P15",
        FigureKind::Estimate,
        share,
        Unit::Ratio,
        lineage,
        &[],
    ));
    out
}

/// Growth against the previous cycle: P02 (total production), P16 (transport, i.e. connected
/// vehicles and other means of transport) and P17 (manufacturing), from both cycles' figures.
pub fn growth_figures(current: &[pb::Figure], previous: &[pb::Figure]) -> Vec<pb::Figure> {
    let find = |figures: &[pb::Figure], id: &str, category: Option<&str>| {
        figures
            .iter()
            .find(|f| f.id == id && f.dimensions.get("category").map(String::as_str) == category)
            .cloned()
    };
    let mut out = Vec::new();
    for (growth_id, id, category) in [
        ("P02", "P01", None),
        (
            "P16",
            "production.bytes",
            Some(SourceCategory::Transport.code()),
        ),
        (
            "P17",
            "production.bytes",
            Some(SourceCategory::Manufacturing.code()),
        ),
    ] {
        let (Some(now), Some(before)) = (find(current, id, category), find(previous, id, category))
        else {
            continue;
        };
        let Some(r) = ratio(now.value, before.value) else {
            continue;
        };
        let mut lineage = now.lineage.clone().unwrap_or_default();
        let before_lineage = before.lineage.unwrap_or_default();
        lineage.returns.extend(before_lineage.returns);
        lineage.inputs_hash =
            ndrs_platform::stage::inputs_hash(lineage.returns.iter().map(String::as_str));
        lineage.method = format!("{id}(year) / {id}(year-1) - 1, central values of the model");
        out.push(figure(
            growth_id,
            FigureKind::Estimate,
            r - 1.0,
            Unit::Ratio,
            lineage,
            &[],
        ));
    }
    out
}
