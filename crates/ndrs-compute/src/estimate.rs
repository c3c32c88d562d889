//! Compute figures: the census over the register, with non-respondents imputed.
//!
//! Every registered centre is a census unit. A centre that returned its figures contributes them;
//! a non-respondent is imputed by ratio imputation within its imputation class (centre type x
//! macro-region): each quantity y is estimated as `R x aux`, with `R = sum(y) / sum(aux)` over the
//! class's respondents and `aux` the centre's registered power capacity (racks when no respondent
//! of the class has power recorded). Classes without usable respondents fall back to the centre
//! type over all regions, then to all centres. Imputed units are flagged, and every aggregate
//! reports the share of it that is imputed (`Lineage.imputed_share`).
//!
//! Without a register (none loaded yet for the cycle) the figures are tabulations of the
//! respondents, with nothing imputed.

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::Result;
use ndrs_core::classification::{CentreType, Cluster, MacroRegion, province};
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{StageCore, StageFigures, figure, lineage_of, ratio};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};

use crate::domain::CentreReturn;
use crate::registry::{Registry, RegistryStore};

pub const METHOD: &str = "census of registered centres, capacity on the FP32-equivalent basis; non-respondents ratio-imputed within centre type x macro-region from registered power capacity (racks as fallback)";
pub const RESPONDENTS_METHOD: &str =
    "tabulation of responding centres (no register loaded), capacity on the FP32-equivalent basis";

/// The quantities a census unit contributes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quantities {
    pub fp32_flops: f64,
    pub storage_capacity_bytes: f64,
    pub storage_used_bytes: f64,
    pub cloud_storage_bytes: f64,
}

impl Quantities {
    fn of(r: &CentreReturn) -> Self {
        Self {
            fp32_flops: r.fp32_equivalent_flops(),
            storage_capacity_bytes: r.storage_capacity_bytes as f64,
            storage_used_bytes: r.storage_used_bytes as f64,
            cloud_storage_bytes: r.cloud_storage_bytes as f64,
        }
    }

    fn scaled(self, factor: f64) -> Self {
        Self {
            fp32_flops: self.fp32_flops * factor,
            storage_capacity_bytes: self.storage_capacity_bytes * factor,
            storage_used_bytes: self.storage_used_bytes * factor,
            cloud_storage_bytes: self.cloud_storage_bytes * factor,
        }
    }

    fn add(&mut self, other: Self) {
        self.fp32_flops += other.fp32_flops;
        self.storage_capacity_bytes += other.storage_capacity_bytes;
        self.storage_used_bytes += other.storage_used_bytes;
        self.cloud_storage_bytes += other.cloud_storage_bytes;
    }
}

/// One centre of the census, observed or imputed.
#[derive(Debug, Clone, PartialEq)]
pub struct CensusUnit {
    pub centre_id: String,
    pub centre_type: CentreType,
    pub province_code: String,
    pub values: Quantities,
    pub imputed: bool,
    /// `<return_id>@<version>` for respondents.
    pub source: Option<String>,
}

impl CensusUnit {
    fn macro_region(&self) -> Option<MacroRegion> {
        province(&self.province_code).map(|p| p.macro_region)
    }
}

/// Sums of respondents' quantities and auxiliaries within one imputation class.
#[derive(Default, Clone, Copy)]
struct ClassTotals {
    values_with_power: Quantities,
    power: f64,
    values_with_racks: Quantities,
    racks: f64,
}

impl ClassTotals {
    /// The imputed quantities of a centre with these auxiliaries, if the class can impute it.
    fn impute(&self, power: f64, racks: f64) -> Option<Quantities> {
        if self.power > 0.0 && power > 0.0 {
            Some(self.values_with_power.scaled(power / self.power))
        } else if self.racks > 0.0 && racks > 0.0 {
            Some(self.values_with_racks.scaled(racks / self.racks))
        } else {
            None
        }
    }
}

/// Builds the census units of a cycle: respondents and, with a register, imputed non-respondents.
pub fn census_units(
    registry: Option<&Registry>,
    returns: &[(StoredReturn, CentreReturn)],
) -> Vec<CensusUnit> {
    let by_unit: BTreeMap<&str, &(StoredReturn, CentreReturn)> = returns
        .iter()
        .map(|r| (r.0.reporting_unit_id.as_str(), r))
        .collect();
    let Some(registry) = registry else {
        return returns
            .iter()
            .map(|(s, r)| CensusUnit {
                centre_id: s.reporting_unit_id.clone(),
                centre_type: r.centre_type,
                province_code: r.province_code.clone(),
                values: Quantities::of(r),
                imputed: false,
                source: Some(ndrs_platform::stage::lineage_ref(s)),
            })
            .collect();
    };
    // Respondents' totals per class (type x macro-region), per type, and overall.
    let mut by_class: BTreeMap<(CentreType, Option<MacroRegion>), ClassTotals> = BTreeMap::new();
    let mut by_type: BTreeMap<CentreType, ClassTotals> = BTreeMap::new();
    let mut overall = ClassTotals::default();
    for centre in &registry.centres {
        if let Some((_, r)) = by_unit.get(centre.centre_id.as_str()) {
            let q = Quantities::of(r);
            let region = province(&centre.province_code).map(|p| p.macro_region);
            for totals in [
                by_class.entry((centre.centre_type, region)).or_default(),
                by_type.entry(centre.centre_type).or_default(),
                &mut overall,
            ] {
                if centre.power_capacity_kw > 0.0 {
                    totals.values_with_power.add(q);
                    totals.power += centre.power_capacity_kw;
                }
                if centre.racks > 0 {
                    totals.values_with_racks.add(q);
                    totals.racks += f64::from(centre.racks);
                }
            }
        }
    }
    let mut units = Vec::with_capacity(registry.centres.len());
    for centre in &registry.centres {
        let region = province(&centre.province_code).map(|p| p.macro_region);
        let (values, imputed, source) = match by_unit.get(centre.centre_id.as_str()) {
            Some((s, r)) => (
                Quantities::of(r),
                false,
                Some(ndrs_platform::stage::lineage_ref(s)),
            ),
            None => {
                let (power, racks) = (centre.power_capacity_kw, f64::from(centre.racks));
                let values = by_class
                    .get(&(centre.centre_type, region))
                    .and_then(|t| t.impute(power, racks))
                    .or_else(|| {
                        by_type
                            .get(&centre.centre_type)
                            .and_then(|t| t.impute(power, racks))
                    })
                    .or_else(|| overall.impute(power, racks))
                    .unwrap_or_default();
                (values, true, None)
            }
        };
        units.push(CensusUnit {
            centre_id: centre.centre_id.clone(),
            centre_type: centre.centre_type,
            province_code: centre.province_code.clone(),
            values,
            imputed,
            source,
        });
    }
    // Respondents outside the register (it was loaded after they reported) still count: dropping
    // data silently would be worse than a frame that misses them.
    let registered: BTreeSet<&str> = registry
        .centres
        .iter()
        .map(|c| c.centre_id.as_str())
        .collect();
    for (s, r) in returns
        .iter()
        .filter(|(s, _)| !registered.contains(s.reporting_unit_id.as_str()))
    {
        units.push(CensusUnit {
            centre_id: s.reporting_unit_id.clone(),
            centre_type: r.centre_type,
            province_code: r.province_code.clone(),
            values: Quantities::of(r),
            imputed: false,
            source: Some(ndrs_platform::stage::lineage_ref(s)),
        });
    }
    units
}

/// Disclosure facts of a breakdown cell: how many respondents report into it, and the share of
/// the cell's total that the largest of them contributes. Imputed centres are not reporters: their
/// values are model output, not anyone's confidential return.
fn contributors(
    units: &[CensusUnit],
    keep: impl Fn(&CensusUnit) -> bool,
    q: fn(&Quantities) -> f64,
) -> (u32, f64) {
    let cell: Vec<&CensusUnit> = units.iter().filter(|u| keep(u)).collect();
    let all: f64 = cell.iter().map(|u| q(&u.values)).sum();
    let respondents: Vec<f64> = cell
        .iter()
        .filter(|u| !u.imputed)
        .map(|u| q(&u.values))
        .collect();
    let largest = respondents.iter().copied().fold(0.0, f64::max);
    (respondents.len() as u32, ratio(largest, all).unwrap_or(0.0))
}

fn with_contributors(
    mut lineage: pb::Lineage,
    (reporters, largest_share): (u32, f64),
) -> pb::Lineage {
    lineage.reporters = reporters;
    lineage.largest_share = largest_share;
    lineage
}

/// Sum of a quantity over units matching `keep`, and the part of it that is imputed.
fn total(
    units: &[CensusUnit],
    keep: impl Fn(&CensusUnit) -> bool,
    q: fn(&Quantities) -> f64,
) -> (f64, f64) {
    units
        .iter()
        .filter(|u| keep(u))
        .fold((0.0, 0.0), |(all, imputed), u| {
            let v = q(&u.values);
            (all + v, imputed + if u.imputed { v } else { 0.0 })
        })
}

fn flops(q: &Quantities) -> f64 {
    q.fp32_flops
}

/// Inputs of one cycle.
pub struct CycleInputs<'a> {
    pub registry: Option<&'a Registry>,
    pub returns: &'a [(StoredReturn, CentreReturn)],
}

/// The stage's figures for a cycle: the census over the cycle's register and usable returns,
/// with growth against the previous cycle when it has a register or returns.
pub async fn stage_figures(
    core: &StageCore,
    registers: &RegistryStore,
    cycle_year: i32,
) -> Result<StageFigures> {
    let load = |year| async move {
        let registry = registers.latest(year).await?;
        let (returns, set_aside) = core.load_usable::<CentreReturn>(year).await?;
        Ok::<_, ndrs_core::Error>((registry, returns, set_aside))
    };
    let (registry, returns, set_aside) = load(cycle_year).await?;
    let (prev_registry, prev_returns, _) = load(cycle_year - 1).await?;
    let previous = (prev_registry.is_some() || !prev_returns.is_empty()).then_some(CycleInputs {
        registry: prev_registry.as_ref(),
        returns: &prev_returns,
    });
    let figures = figures(
        CycleInputs {
            registry: registry.as_ref(),
            returns: &returns,
        },
        previous,
    );
    Ok(StageFigures {
        figures,
        returns_used: returns.len() as u64,
        notes: Vec::new(),
        set_aside,
    })
}

/// Computes the compute stage's figures for a cycle, with growth when the previous cycle is given.
pub fn figures(current: CycleInputs<'_>, previous: Option<CycleInputs<'_>>) -> Vec<pb::Figure> {
    let units = census_units(current.registry, current.returns);
    if units.is_empty() {
        return Vec::new();
    }
    let method = if current.registry.is_some() {
        METHOD
    } else {
        RESPONDENTS_METHOD
    };
    let mut base = lineage_of(current.returns.iter().map(|(s, _)| s), method);
    if let Some(r) = current.registry {
        base.parameters.push(r.lineage_ref());
    }
    let lineage = |imputed: f64, all: f64| {
        let mut l = base.clone();
        l.imputed_share = ratio(imputed, all).unwrap_or(0.0);
        l
    };
    let mut out = Vec::new();
    let imputed_count = units.iter().filter(|u| u.imputed).count() as f64;
    out.push(figure(
        "C01",
        FigureKind::Estimate,
        units.len() as f64,
        Unit::Count,
        lineage(imputed_count, units.len() as f64),
        &[],
    ));
    let (cap, cap_imp) = total(&units, |_| true, flops);
    out.push(flops_figure("C02", cap, lineage(cap_imp, cap), &[]));
    // The share of all capacity held by the centres matching `keep`, with the lineage of that
    // part (how much of it is imputed); the headline shares and every breakdown are these.
    let share_of_capacity = |keep: &dyn Fn(&CensusUnit) -> bool| {
        let (part, part_imp) = total(&units, keep, flops);
        ratio(part, cap).map(|share| (share, lineage(part_imp, part)))
    };
    let intelligent = |u: &CensusUnit| u.centre_type == CentreType::Intelligent;
    if let Some((share, l)) = share_of_capacity(&intelligent) {
        out.push(figure(
            "C04",
            FigureKind::Estimate,
            share,
            Unit::Ratio,
            l,
            &[],
        ));
    }
    let in_some_cluster =
        |u: &CensusUnit| province(&u.province_code).is_some_and(|p| p.cluster.is_some());
    if let Some((share, l)) = share_of_capacity(&in_some_cluster) {
        out.push(figure(
            "C05",
            FigureKind::Estimate,
            share,
            Unit::Ratio,
            l,
            &[],
        ));
    }
    if let Some(prev) = previous {
        let prev_units = census_units(prev.registry, prev.returns);
        let (prev_cap, _) = total(&prev_units, |_| true, flops);
        if let Some(r) = ratio(cap, prev_cap) {
            let mut l = lineage(cap_imp, cap);
            l.returns.extend(
                prev.returns
                    .iter()
                    .map(|(s, _)| ndrs_platform::stage::lineage_ref(s)),
            );
            l.method =
                "C02(year) / C02(year-1) - 1, both over the full population with imputation".into();
            out.push(figure(
                "C03",
                FigureKind::Estimate,
                r - 1.0,
                Unit::Ratio,
                l,
                &[],
            ));
        }
        // The matched panel: centres that responded in both years, free of imputation effects.
        let responded_before: BTreeMap<&str, f64> = prev_units
            .iter()
            .filter(|u| !u.imputed)
            .map(|u| (u.centre_id.as_str(), u.values.fp32_flops))
            .collect();
        let (now, before) = units
            .iter()
            .filter(|u| !u.imputed)
            .filter_map(|u| {
                responded_before
                    .get(u.centre_id.as_str())
                    .map(|b| (u.values.fp32_flops, *b))
            })
            .fold((0.0, 0.0), |(n, b), (x, y)| (n + x, b + y));
        if let Some(r) = ratio(now, before) {
            let mut l = lineage(0.0, 1.0);
            l.method = "capacity growth over centres that responded in both cycles".into();
            out.push(figure(
                "compute.capacity_growth_matched_panel",
                FigureKind::Auxiliary,
                r - 1.0,
                Unit::Ratio,
                l,
                &[],
            ));
        }
    }
    // Breakdowns: shares by cluster, macro-region and province.
    for cluster in Cluster::ALL {
        let in_cluster =
            |u: &CensusUnit| province(&u.province_code).and_then(|p| p.cluster) == Some(cluster);
        if let Some((share, l)) = share_of_capacity(&in_cluster) {
            out.push(capacity_share(share, l, ("cluster", cluster.code())));
        }
    }
    for region in MacroRegion::ALL {
        let in_region = |u: &CensusUnit| u.macro_region() == Some(region);
        if let Some((share, l)) = share_of_capacity(&in_region) {
            let l = with_contributors(l, contributors(&units, in_region, flops));
            out.push(capacity_share(share, l, ("macro_region", region.code())));
        }
        // Storage utilisation by region (the report compares east and west).
        let (used, used_imp) = total(&units, in_region, |q| q.storage_used_bytes);
        let (space, _) = total(&units, in_region, |q| q.storage_capacity_bytes);
        if let Some(u) = ratio(used, space) {
            out.push(figure(
                "compute.storage_utilisation",
                FigureKind::Auxiliary,
                u,
                Unit::Ratio,
                with_contributors(
                    lineage(used_imp, used),
                    contributors(&units, in_region, |q| q.storage_used_bytes),
                ),
                &[("macro_region", region.code())],
            ));
        }
    }
    let provinces: BTreeSet<&str> = units.iter().map(|u| u.province_code.as_str()).collect();
    for code in provinces {
        let in_province = |u: &CensusUnit| u.province_code == code;
        if let Some((share, l)) = share_of_capacity(&in_province) {
            let l = with_contributors(l, contributors(&units, in_province, flops));
            out.push(capacity_share(share, l, ("province", code)));
        }
    }
    // Check figures: the storage compute centres hold, against the production and storage model
    // (P03, P06) and the cloud share (P08).
    for (id, q) in [
        (
            "check.compute.storage_capacity_bytes",
            (|q: &Quantities| q.storage_capacity_bytes) as fn(&Quantities) -> f64,
        ),
        ("check.compute.storage_used_bytes", |q: &Quantities| {
            q.storage_used_bytes
        }),
        ("check.compute.cloud_storage_bytes", |q: &Quantities| {
            q.cloud_storage_bytes
        }),
    ] {
        let (v, v_imp) = total(&units, |_| true, q);
        out.push(figure(
            id,
            FigureKind::Check,
            v,
            Unit::Bytes,
            lineage(v_imp, v),
            &[],
        ));
    }
    out
}

/// One cell of the capacity breakdowns: the share of all capacity in the cell named by `dimension`.
fn capacity_share(share: f64, lineage: pb::Lineage, dimension: (&str, &str)) -> pb::Figure {
    figure(
        "compute.capacity_share",
        FigureKind::Auxiliary,
        share,
        Unit::Ratio,
        lineage,
        &[dimension],
    )
}

fn flops_figure(
    id: &str,
    value: f64,
    lineage: pb::Lineage,
    dimensions: &[(&str, &str)],
) -> pb::Figure {
    let mut f = figure(
        id,
        FigureKind::Estimate,
        value,
        Unit::Flops,
        lineage,
        dimensions,
    );
    f.precision = pb::Precision::Fp32 as i32;
    f
}

#[cfg(test)]
mod tests;
