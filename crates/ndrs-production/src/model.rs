//! Consolidation of sources and the full-volume model at the parameters' central values.
//!
//! Consolidation: when several sources report the same parameter (same device type, or same medium
//! and holder), the consolidated value is the unweighted mean of their central values, and the
//! disagreement between them (max / min) is published as a check figure for the aggregator.
//! Monte Carlo propagation of the stated uncertainties is layered on this model by the
//! full-volume model issue; here every figure is the central estimate.

use std::collections::BTreeMap;

use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{figure, lineage_of, ratio};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};

use crate::domain::{DeviceParameters, Medium, SourceCategory, StorageMediumFigures};

pub const PRODUCTION_METHOD: &str = "full-volume model: sum over device types of installed base x active share x annual data per active unit (created + captured + replicated + consumed); sources consolidated by their mean";
pub const PUBLIC_ACQUISITION_METHOD: &str = "public data acquisition: sum over device types of installed base x active share x public share x captured data per active unit, over the device types whose sources report a public share; P15 = its IoT sensing part / the whole";
pub const STORAGE_METHOD: &str =
    "sum over storage media and holders; sources consolidated by their mean";

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn spread(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    if v.len() < 2 {
        return None;
    }
    let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    ratio(max, min)
}

/// Annual data produced by one device type, from its sources' consolidated parameters.
fn device_production(sources: &[&DeviceParameters]) -> f64 {
    let m = |f: fn(&DeviceParameters) -> f64| mean(sources.iter().map(|d| f(d)));
    let per_unit = m(|d| d.created_bytes.value)
        + m(|d| d.captured_bytes.value)
        + m(|d| d.replicated_bytes.value)
        + m(|d| d.consumed_bytes.value);
    m(|d| d.installed_base.value) * m(|d| d.active_share.value) * per_unit
}

/// Data one device type's publicly operated units capture in the year (its public data
/// acquisition), or `None` when none of its sources splits the installed base. The public share
/// is consolidated over the sources that report it; the other parameters over all sources, as
/// in [`device_production`].
fn device_public_acquisition(sources: &[&DeviceParameters]) -> Option<f64> {
    let reporting: Vec<f64> = sources
        .iter()
        .filter_map(|d| d.public_share.map(|p| p.value))
        .collect();
    if reporting.is_empty() {
        return None;
    }
    let m = |f: fn(&DeviceParameters) -> f64| mean(sources.iter().map(|d| f(d)));
    Some(
        m(|d| d.installed_base.value)
            * m(|d| d.active_share.value)
            * mean(reporting.into_iter())
            * m(|d| d.captured_bytes.value),
    )
}

pub fn figures(
    devices: &[(StoredReturn, DeviceParameters)],
    media: &[(StoredReturn, StorageMediumFigures)],
) -> Vec<pb::Figure> {
    let mut out = Vec::new();
    let production_lineage = lineage_of(devices.iter().map(|(s, _)| s), PRODUCTION_METHOD);
    let mut by_device: BTreeMap<(SourceCategory, &str), Vec<&DeviceParameters>> = BTreeMap::new();
    for (_, d) in devices {
        by_device
            .entry((d.category, d.device_type.as_str()))
            .or_default()
            .push(d);
    }
    let mut by_category: BTreeMap<SourceCategory, f64> = BTreeMap::new();
    let mut public_by_category: BTreeMap<SourceCategory, f64> = BTreeMap::new();
    for ((category, device_type), sources) in &by_device {
        *by_category.entry(*category).or_default() += device_production(sources);
        if let Some(bytes) = device_public_acquisition(sources) {
            *public_by_category.entry(*category).or_default() += bytes;
        }
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
    let produced: f64 = by_category.values().sum();
    if !devices.is_empty() {
        out.push(figure(
            "P01",
            FigureKind::Estimate,
            produced,
            Unit::Bytes,
            production_lineage.clone(),
            &[],
        ));
        for (category, bytes) in &by_category {
            out.push(figure(
                "production.bytes",
                FigureKind::Auxiliary,
                *bytes,
                Unit::Bytes,
                production_lineage.clone(),
                &[("category", category.code())],
            ));
        }
        out.extend(public_acquisition_figures(devices, &public_by_category));
    }
    if media.is_empty() {
        return out;
    }
    let storage_lineage = lineage_of(media.iter().map(|(s, _)| s), STORAGE_METHOD);
    let mut by_medium: BTreeMap<(Medium, &str), Vec<&StorageMediumFigures>> = BTreeMap::new();
    for (_, m) in media {
        by_medium
            .entry((m.medium, m.holder.as_str()))
            .or_default()
            .push(m);
    }
    let (mut stock, mut space, mut new, mut cloud) = (0.0, 0.0, 0.0, 0.0);
    for ((medium, _), sources) in &by_medium {
        let m = |f: fn(&StorageMediumFigures) -> f64| mean(sources.iter().map(|s| f(s)));
        let used = m(|s| s.used_bytes.value);
        stock += used;
        space += m(|s| s.installed_capacity_bytes.value);
        new += m(|s| s.newly_added_bytes.value) + m(|s| s.overwritten_bytes.value);
        if *medium == Medium::Cloud {
            cloud += used;
        }
    }
    out.push(figure(
        "P03",
        FigureKind::Estimate,
        stock,
        Unit::Bytes,
        storage_lineage.clone(),
        &[],
    ));
    out.push(figure(
        "P04",
        FigureKind::Estimate,
        new,
        Unit::Bytes,
        storage_lineage.clone(),
        &[],
    ));
    out.push(figure(
        "P06",
        FigureKind::Estimate,
        space,
        Unit::Bytes,
        storage_lineage.clone(),
        &[],
    ));
    if let Some(r) = ratio(stock, space) {
        out.push(figure(
            "P07",
            FigureKind::Estimate,
            r,
            Unit::Ratio,
            storage_lineage.clone(),
            &[],
        ));
    }
    if !devices.is_empty()
        && let Some(r) = ratio(new, produced)
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
        cloud,
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
    by_category: &BTreeMap<SourceCategory, f64>,
) -> Vec<pb::Figure> {
    let mut out = Vec::new();
    let total: f64 = by_category.values().sum();
    let iot = by_category
        .get(&SourceCategory::IotSensing)
        .copied()
        .unwrap_or(0.0);
    let Some(share) = ratio(iot, total) else {
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
    for (category, bytes) in by_category {
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
