//! The compute census: the centre register of each cycle and the centres' returns.
//!
//! Model. Each of the 2,200 registered centres (count from `sample-2023.csv`) has a type (70%
//! general, 24% intelligent, 6% supercomputing), a province drawn from weights that follow where
//! data centres are built (Guangdong, Beijing, Jiangsu, Shanghai, Zhejiang, the western hubs),
//! a power capacity (log-normal, median by type) and racks (power over a log-normal kW per rack;
//! 3% of the register lacks power and is imputed from racks). True FP32-equivalent capacity is
//! power x a type-specific FLOPS per kW x log-normal noise; 10% of the 2023 centres (20% of the
//! intelligent ones) are new in 2023 and absent from the 2022 register. About 7% of centres do not
//! respond (12% of those under 800 kW), drawn independently per cycle.
//!
//! Calibration. The service imputes non-respondents by ratio to power within type x macro-region,
//! so the generator runs the same census (a replica of the published method) over its returns and
//! scales the true capacities by four factors (in/out of the three clusters, intelligent or not)
//! until C04 and C05 hit their targets, then by one factor for C02. The 2022 capacities are the
//! 2023 ones over a per-centre growth (log-normal around a type median), scaled once so that C03
//! lands on its target. Storage is scaled so that the centres' stored data is a stated share of the
//! national stock, and cloud storage so that it is 42% of the stock (P08 says "over 40%"; no
//! service computes P08 yet); the production model's `compute_centre` holder is then set from
//! this census.

use std::collections::BTreeMap;

use ndrs_core::classification::province;
use ndrs_proto::v1 as pb;

use super::rng::Rng;
use super::targets;
use super::{DemoOptions, header};

/// Province weights for siting compute centres (relative; every province has some).
const PROVINCE_WEIGHTS: [(&str, f64); 32] = [
    ("11", 10.0),
    ("12", 3.0),
    ("13", 7.0),
    ("14", 3.0),
    ("15", 6.0),
    ("21", 3.0),
    ("22", 1.5),
    ("23", 1.5),
    ("31", 8.0),
    ("32", 10.0),
    ("33", 8.0),
    ("34", 4.0),
    ("35", 3.0),
    ("36", 2.0),
    ("37", 6.0),
    ("41", 4.0),
    ("42", 4.0),
    ("43", 3.0),
    ("44", 14.0),
    ("45", 2.0),
    ("46", 1.0),
    ("50", 3.0),
    ("51", 4.0),
    ("52", 4.0),
    ("53", 1.5),
    ("54", 0.3),
    ("61", 3.0),
    ("62", 2.0),
    ("63", 0.5),
    ("64", 2.0),
    ("65", 1.5),
    ("66", 0.3),
];

/// Share of the national data stock (P03) held in compute centres; of it, cloud storage is what
/// the report's P08 ("over 40%") counts.
pub const CENTRE_SHARE_OF_STOCK: f64 = 0.46;

#[derive(Debug, Clone)]
struct Centre {
    id: String,
    kind: pb::CentreType,
    province: &'static str,
    power_kw: f64,
    racks: u32,
    new_in_2023: bool,
    /// FP32-equivalent FLOPS per cycle (index 0 = 2022, 1 = 2023).
    flops: [f64; 2],
    /// Storage capacity, used, cloud (bytes) per cycle.
    storage: [[f64; 3]; 2],
    utilisation: [f64; 2],
    responds: [bool; 2],
    fp32_reported: bool,
}

impl Centre {
    fn registered(&self, y: usize) -> bool {
        y == 1 || !self.new_in_2023
    }
    fn responds_in(&self, y: usize) -> bool {
        self.registered(y) && self.responds[y]
    }
    fn in_cluster(&self) -> bool {
        province(self.province).is_some_and(|p| p.cluster.is_some())
    }
}

/// Census totals as the compute service computes them (FP32 FLOPS, storage bytes).
#[derive(Debug, Clone, Copy, Default)]
pub struct CensusTotals {
    pub flops: f64,
    pub intelligent: f64,
    pub clustered: f64,
    pub storage_capacity: f64,
    pub storage_used: f64,
    pub cloud: f64,
}

#[derive(Default, Clone, Copy)]
struct ClassTotals {
    with_power: [f64; 4],
    power: f64,
    with_racks: [f64; 4],
    racks: f64,
}

impl ClassTotals {
    fn add(&mut self, c: &Centre, q: [f64; 4]) {
        if c.power_kw > 0.0 {
            (0..4).for_each(|k| self.with_power[k] += q[k]);
            self.power += c.power_kw;
        }
        if c.racks > 0 {
            (0..4).for_each(|k| self.with_racks[k] += q[k]);
            self.racks += f64::from(c.racks);
        }
    }
    fn impute(&self, c: &Centre) -> Option<[f64; 4]> {
        if self.power > 0.0 && c.power_kw > 0.0 {
            Some(self.with_power.map(|v| v * c.power_kw / self.power))
        } else if self.racks > 0.0 && c.racks > 0 {
            Some(self.with_racks.map(|v| v * f64::from(c.racks) / self.racks))
        } else {
            None
        }
    }
}

/// Replica of the census method (see `ndrs-compute`'s estimate module): respondents as
/// reported, non-respondents ratio-imputed within type x macro-region from power, racks as
/// fallback, then type, then all centres.
fn census(centres: &[Centre], y: usize) -> CensusTotals {
    let q = |c: &Centre| {
        [
            c.flops[y],
            c.storage[y][0].round(),
            c.storage[y][1].round(),
            c.storage[y][2].round(),
        ]
    };
    let region = |c: &Centre| province(c.province).map(|p| p.macro_region.code());
    let mut by_class: BTreeMap<(i32, Option<&str>), ClassTotals> = BTreeMap::new();
    let mut by_type: BTreeMap<i32, ClassTotals> = BTreeMap::new();
    let mut overall = ClassTotals::default();
    for c in centres.iter().filter(|c| c.responds_in(y)) {
        let v = q(c);
        by_class
            .entry((c.kind as i32, region(c)))
            .or_default()
            .add(c, v);
        by_type.entry(c.kind as i32).or_default().add(c, v);
        overall.add(c, v);
    }
    let mut t = CensusTotals::default();
    for c in centres.iter().filter(|c| c.registered(y)) {
        let v = if c.responds_in(y) {
            q(c)
        } else {
            by_class
                .get(&(c.kind as i32, region(c)))
                .and_then(|t| t.impute(c))
                .or_else(|| by_type.get(&(c.kind as i32)).and_then(|t| t.impute(c)))
                .or_else(|| overall.impute(c))
                .unwrap_or_default()
        };
        t.flops += v[0];
        if c.kind == pb::CentreType::Intelligent {
            t.intelligent += v[0];
        }
        if c.in_cluster() {
            t.clustered += v[0];
        }
        t.storage_capacity += v[1];
        t.storage_used += v[2];
        t.cloud += v[3];
    }
    t
}

pub struct ComputeData {
    pub registers: [pb::LoadCentreRegistryRequest; 2],
    pub returns: [Vec<pb::ComputeCentreReturn>; 2],
    /// Census totals of the returns as generated before any planted inconsistency, per cycle:
    /// what storage vendors' figures for the compute-centre holder are made consistent with.
    pub census: [CensusTotals; 2],
}

pub fn generate(seed: u64, options: &DemoOptions, years: [i32; 2]) -> ComputeData {
    let mut rng = Rng::new(seed, "compute");
    let n = options.scaled(targets::sample_count("compute_centre"), 50);
    let weights: Vec<f64> = PROVINCE_WEIGHTS.iter().map(|(_, w)| *w).collect();
    let mut centres: Vec<Centre> = (0..n)
        .map(|i| {
            let kind = match rng.pick_weighted(&[0.70, 0.24, 0.06]) {
                0 => pb::CentreType::General,
                1 => pb::CentreType::Intelligent,
                _ => pb::CentreType::Supercomputing,
            };
            let (median_kw, flops_per_kw, growth, cloud_share) = match kind {
                pb::CentreType::General => (1_500.0, 1.0e13, 1.12, 0.93),
                pb::CentreType::Intelligent => (4_000.0, 4.0e13, 1.50, 0.88),
                _ => (6_000.0, 2.0e13, 1.05, 0.55),
            };
            let power = rng.lognormal(median_kw, 0.8).clamp(100.0, 40_000.0);
            let racks = (power / rng.lognormal(6.0, 0.2)).round().max(1.0) as u32;
            let new_in_2023 = rng.chance(if kind == pb::CentreType::Intelligent {
                0.20
            } else {
                0.08
            });
            let f23 = power * flops_per_kw * rng.lognormal(1.0, 0.35);
            let f22 = f23 / rng.lognormal(growth, 0.08);
            let cap = power * rng.lognormal(1.0, 0.5);
            let util_s = rng.range(0.55, 0.75);
            let cloud = cloud_share * rng.range(0.92, 1.04);
            let s23 = [cap, cap * util_s, cap * util_s * cloud.min(0.98)];
            let s22 = s23.map(|v| v * rng.range(0.75, 0.85));
            let small = power < 800.0;
            let p_respond = if small { 0.88 } else { 0.93 };
            let util = |r: &mut Rng| r.range(0.35, 0.85);
            Centre {
                id: format!("cc-{:04}", i + 1),
                kind,
                province: PROVINCE_WEIGHTS[rng.pick_weighted(&weights)].0,
                power_kw: if rng.chance(0.03) { 0.0 } else { power.round() },
                racks,
                new_in_2023,
                flops: [f22, f23],
                storage: [s22, s23],
                utilisation: [util(&mut rng), util(&mut rng)],
                responds: [rng.chance(p_respond), rng.chance(p_respond)],
                fp32_reported: kind == pb::CentreType::General && rng.chance(0.6),
            }
        })
        .collect();

    // C04 and C05 by odds updates on four factors, then C02 by one factor (2023).
    let c02 = targets::get("C02").aim(0.0);
    let c04 = targets::get("C04").aim(0.0);
    let c05 = targets::get("C05").aim(0.0);
    let odds = |p: f64| p / (1.0 - p);
    for _ in 0..200 {
        let t = census(&centres, 1);
        let (s4, s5) = (t.intelligent / t.flops, t.clustered / t.flops);
        let (k4, k5) = ((odds(c04) / odds(s4)).sqrt(), (odds(c05) / odds(s5)).sqrt());
        let k2 = c02 / t.flops;
        if (s4 - c04).abs() < 1e-13 && (s5 - c05).abs() < 1e-13 && (k2 - 1.0).abs() < 1e-13 {
            break;
        }
        for c in &mut centres {
            let mut k = k2;
            k *= if c.kind == pb::CentreType::Intelligent {
                k4
            } else {
                1.0 / k4
            };
            k *= if c.in_cluster() { k5 } else { 1.0 / k5 };
            c.flops[1] *= k;
            c.flops[0] *= k;
        }
    }
    // C03: one factor on 2022.
    let c03 = targets::get("C03").aim(0.0);
    for _ in 0..3 {
        let k = c02 / (1.0 + c03) / census(&centres, 0).flops;
        centres.iter_mut().for_each(|c| c.flops[0] *= k);
    }
    // Storage: the centres hold CENTRE_SHARE_OF_STOCK of the national stock in 2023.
    let stock = targets::get("P03").aim(0.0);
    for _ in 0..3 {
        let k = CENTRE_SHARE_OF_STOCK * stock / census(&centres, 1).storage_used;
        for c in &mut centres {
            for y in 0..2 {
                c.storage[y] = c.storage[y].map(|v| v * k);
            }
        }
    }
    // Cloud storage: P08 ("over 40%" of the national stock) is not computed by any service yet,
    // but the microdata support it: the centres' cloud storage is aimed 2 points above the bound
    // (per centre at most what it stores).
    let cloud = targets::get("P08").aim(2.0) * stock;
    for _ in 0..20 {
        let k = cloud / census(&centres, 1).cloud;
        if (k - 1.0).abs() < 1e-9 {
            break;
        }
        for c in &mut centres {
            for y in 0..2 {
                c.storage[y][2] = (c.storage[y][2] * k).min(c.storage[y][1]);
            }
        }
    }
    let census_totals = [census(&centres, 0), census(&centres, 1)];

    let registers = [0, 1].map(|y| pb::LoadCentreRegistryRequest {
        cycle_year: years[y],
        centres: centres
            .iter()
            .filter(|c| c.registered(y))
            .map(|c| pb::RegisteredCentre {
                centre_id: c.id.clone(),
                centre_type: c.kind as i32,
                province_code: c.province.to_string(),
                operator_name: format!(
                    "{} compute operator {}",
                    province(c.province).map_or("", |p| p.name_en),
                    &c.id[3..]
                ),
                racks: c.racks,
                power_capacity_kw: c.power_kw,
            })
            .collect(),
    });
    let plant = options.plant_inconsistencies;
    let returns = [0, 1].map(|y| {
        centres
            .iter()
            .filter(|c| c.responds_in(y))
            .map(|c| centre_return(c, y, years[y], plant))
            .collect()
    });
    ComputeData {
        registers,
        returns,
        census: census_totals,
    }
}

fn centre_return(c: &Centre, y: usize, year: i32, plant: bool) -> pb::ComputeCentreReturn {
    let x = c.flops[y];
    let cap = |precision: pb::Precision, flops: f64| pb::PrecisionCapacity {
        precision: precision as i32,
        flops,
    };
    // Each type reports the precisions it is measured at; converted to FP32 by the service's
    // ratios (FP64 x 2, FP16 x 0.5, INT8 x 0.25), the largest conversion is `x` exactly.
    let capacity = match c.kind {
        pb::CentreType::General if c.fp32_reported => {
            vec![
                cap(pb::Precision::Fp64, x * 0.45),
                cap(pb::Precision::Fp32, x),
            ]
        }
        pb::CentreType::General => vec![cap(pb::Precision::Fp32, x)],
        pb::CentreType::Intelligent => vec![
            cap(pb::Precision::Fp16, x * 2.0),
            cap(pb::Precision::Int8, x * 4.0 * 0.9),
        ],
        _ => vec![cap(pb::Precision::Fp64, x / 2.0)],
    };
    // A planted inconsistency: every centre triples its storage, so that the centres together
    // hold more than the national stock (rule compute.centre_storage_within_national_stock).
    let k = if plant { 3.0 } else { 1.0 };
    let [s_cap, s_used, s_cloud] = c.storage[y].map(|v| v * k);
    let capacity_bytes = s_cap.round().min(u64::MAX as f64) as u64;
    let used = (s_used.round() as u64).min(capacity_bytes);
    let cloud = (s_cloud.round() as u64).min(used);
    pb::ComputeCentreReturn {
        header: header(year, &c.id, "centre"),
        centre_type: c.kind as i32,
        province_code: c.province.to_string(),
        capacity,
        storage_capacity_bytes: capacity_bytes,
        storage_used_bytes: used,
        cloud_storage_bytes: cloud,
        average_utilisation: c.utilisation[y],
        racks: c.racks,
        power_capacity_kw: c.power_kw,
    }
}
