//! Parameter returns of the full-volume model: device vendors and industry associations for
//! device types, storage vendors and associations for storage media.
//!
//! Model. Production is split over the report's six source categories (daily life 38%, transport
//! 9%, IoT sensing 21%, manufacturing 13%, storage and compute 11%, software 8% of 2023), and
//! within a category over device types by fixed shares with +-10% jitter. A device type's annual
//! data per active unit is its volume over installed base x active share, split into created /
//! captured / replicated / consumed (25/35/25/15% with jitter). Every device type has two or three
//! sources (its association and one or two vendors) whose figures scatter +-6% around the
//! consolidated value; the last source's figure makes the mean (the service's consolidation)
//! exact, so the model's central values reproduce P01. Each source states its uncertainty
//! (installed base as a +-8% range, active share +-0.05, per-unit data a 15% standard deviation).
//!
//! Public data acquisition (P15). Each device type has a share of its active units operated by
//! public bodies (`PUBLIC_SHARES`: city cameras, utility meters and environmental monitoring far
//! above phones or robots); the association and the first vendor report it (+-5% scatter, a
//! +-0.05 range), a second vendor does not. The shares outside IoT sensing are scaled by one factor
//! per cycle so that IoT sensing is 45% of the data publicly operated units capture (the report:
//! "over 40%"); the model computes P15 from these returns alone.
//!
//! Calibration. P01 and P02 fix 2023 and 2022 production; P16 and P17 fix the 2022 volumes of the
//! transport and manufacturing categories; the other categories share the rest of 2022 in their
//! 2023 proportions. Storage cells (medium x holder) add up to P03 (stock), P06 (space) and P04
//! (newly added plus overwritten); the compute-centre holder is set from the compute census
//! (cloud media = the centres' cloud storage x 0.98, other media the rest of what centres hold),
//! and government, enterprise and personal holders share the remainder.

use ndrs_proto::v1 as pb;

use super::calib;
use super::compute::CensusTotals;
use super::rng::Rng;
use super::targets;
use super::{DemoOptions, header};

type Category = pb::DataSourceCategory;

/// (category, share of 2023 production).
const CATEGORIES: [(Category, f64); 6] = [
    (Category::DailyLife, 0.38),
    (Category::Transport, 0.09),
    (Category::IotSensing, 0.21),
    (Category::Manufacturing, 0.13),
    (Category::StorageCompute, 0.11),
    (Category::Software, 0.08),
];

/// (category, device type, share within category, installed base 2023, active share,
/// installed-base growth 2022->2023).
const DEVICES: [(Category, &str, f64, f64, f64, f64); 16] = [
    (Category::DailyLife, "smartphone", 0.45, 1.1e9, 0.92, 1.02),
    (
        Category::DailyLife,
        "personal_computer",
        0.20,
        4.5e8,
        0.75,
        1.01,
    ),
    (
        Category::DailyLife,
        "smart_home_device",
        0.20,
        2.6e9,
        0.60,
        1.12,
    ),
    (Category::DailyLife, "wearable", 0.15, 3.0e8, 0.70, 1.08),
    (
        Category::Transport,
        "connected_vehicle",
        0.70,
        6.0e7,
        0.85,
        1.35,
    ),
    (Category::Transport, "rail_vehicle", 0.12, 1.2e5, 0.95, 1.03),
    (
        Category::Transport,
        "civil_aircraft",
        0.08,
        4.3e3,
        0.90,
        1.03,
    ),
    (Category::Transport, "ship", 0.10, 1.3e5, 0.80, 1.02),
    (
        Category::IotSensing,
        "surveillance_camera",
        0.55,
        6.0e8,
        0.90,
        1.08,
    ),
    (Category::IotSensing, "smart_meter", 0.20, 7.0e8, 0.95, 1.05),
    (
        Category::IotSensing,
        "environmental_sensor",
        0.25,
        1.5e9,
        0.80,
        1.15,
    ),
    (
        Category::Manufacturing,
        "industrial_robot",
        0.30,
        1.8e6,
        0.85,
        1.12,
    ),
    (
        Category::Manufacturing,
        "cnc_machine",
        0.25,
        4.0e6,
        0.80,
        1.05,
    ),
    (
        Category::Manufacturing,
        "edge_gateway",
        0.45,
        8.0e7,
        0.80,
        1.15,
    ),
    (Category::StorageCompute, "server", 0.70, 2.5e7, 0.90, 1.10),
    (
        Category::StorageCompute,
        "storage_system",
        0.30,
        6.0e6,
        0.90,
        1.10,
    ),
];

/// (device type, share of active units operated by public bodies, before calibration).
const PUBLIC_SHARES: [(&str, f64); 17] = [
    ("smartphone", 0.02),
    ("personal_computer", 0.15),
    ("smart_home_device", 0.0),
    ("wearable", 0.0),
    ("connected_vehicle", 0.03),
    ("rail_vehicle", 0.30),
    ("civil_aircraft", 0.05),
    ("ship", 0.15),
    ("surveillance_camera", 0.35),
    ("smart_meter", 0.40),
    ("environmental_sensor", 0.30),
    ("industrial_robot", 0.0),
    ("cnc_machine", 0.0),
    ("edge_gateway", 0.10),
    ("server", 0.20),
    ("storage_system", 0.20),
    ("enterprise_software_system", 0.20),
];

/// One device type's part in public data acquisition, for calibrating P15: the consolidated
/// data captured by all its active units, its public share, and the returns that carry it.
struct PublicAcquisition {
    iot_sensing: bool,
    captured: f64,
    public_share: f64,
    returns: std::ops::Range<usize>,
}

pub struct ProductionData {
    pub devices: [Vec<pb::DeviceParameterReturn>; 2],
    pub media: [Vec<pb::StorageMediumReturn>; 2],
}

fn ranged(value: f64, low: f64, high: f64) -> Option<pb::Parameter> {
    Some(pb::Parameter {
        value,
        uncertainty: Some(pb::parameter::Uncertainty::Range(pb::Range { low, high })),
        unit: String::new(),
    })
}

fn with_sd(value: f64, sd: f64) -> Option<pb::Parameter> {
    Some(pb::Parameter {
        value,
        uncertainty: Some(pb::parameter::Uncertainty::StandardDeviation(sd)),
        unit: String::new(),
    })
}

pub fn association_id(i: usize) -> String {
    format!("association-{:02}", i + 1)
}

pub fn generate(
    seed: u64,
    options: &DemoOptions,
    years: [i32; 2],
    census: [CensusTotals; 2],
) -> ProductionData {
    let mut rng = Rng::new(seed, "production");
    let associations = targets::sample_count("industry_association");
    let p01 = targets::get("P01").aim(0.0);
    let p02 = targets::get("P02").aim(0.0);
    let p16 = targets::get("P16").aim(0.0);
    let p17 = targets::get("P17").aim(0.0);
    let total = [p01 / (1.0 + p02), p01];
    // 2022 category volumes: transport and manufacturing from their growth, the rest in their
    // 2023 proportions.
    let v23: Vec<f64> = CATEGORIES.iter().map(|(_, s)| s * p01).collect();
    let fixed22 = |c: Category, v: f64| match c {
        Category::Transport => Some(v / (1.0 + p16)),
        Category::Manufacturing => Some(v / (1.0 + p17)),
        _ => None,
    };
    let fixed_sum: f64 = CATEGORIES
        .iter()
        .zip(&v23)
        .filter_map(|((c, _), v)| fixed22(*c, *v))
        .sum();
    let other23: f64 = CATEGORIES
        .iter()
        .zip(&v23)
        .filter(|((c, _), v)| fixed22(*c, **v).is_none())
        .map(|(_, v)| v)
        .sum();
    let v22: Vec<f64> = CATEGORIES
        .iter()
        .zip(&v23)
        .map(|((c, _), v)| fixed22(*c, *v).unwrap_or(v / other23 * (total[0] - fixed_sum)))
        .collect();

    let mut devices: [Vec<pb::DeviceParameterReturn>; 2] = [Vec::new(), Vec::new()];
    let mut acquisition: [Vec<PublicAcquisition>; 2] = [Vec::new(), Vec::new()];
    for (ci, (category, _)) in CATEGORIES.iter().enumerate() {
        let types: Vec<_> = DEVICES.iter().filter(|d| d.0 == *category).collect();
        // The software category is one "device type": installed enterprise systems.
        let types: Vec<(Category, &str, f64, f64, f64, f64)> = if types.is_empty() {
            vec![(
                *category,
                "enterprise_software_system",
                1.0,
                5.0e7,
                0.80,
                1.10,
            )]
        } else {
            types.into_iter().copied().collect()
        };
        for y in 0..2 {
            let jitter: Vec<f64> = types.iter().map(|t| t.2 * rng.range(0.9, 1.1)).collect();
            let jsum: f64 = jitter.iter().sum();
            let cat_volume = if y == 1 { v23[ci] } else { v22[ci] };
            for (ti, t) in types.iter().enumerate() {
                let volume = cat_volume * jitter[ti] / jsum;
                let base = if y == 1 { t.3 } else { t.3 / t.5 };
                // At most 0.93, so that the last source (which makes the mean exact) stays a share.
                let active = (t.4 * rng.range(0.97, 1.0)).min(0.93);
                let per_unit = volume / (base * active);
                let split: Vec<f64> = [0.25, 0.35, 0.25, 0.15]
                    .iter()
                    .map(|s| s * rng.range(0.85, 1.15))
                    .collect();
                let ssum: f64 = split.iter().sum();
                let parts: Vec<f64> = split.iter().map(|s| per_unit * s / ssum).collect();
                // Sources: the category's association, then one or two device vendors.
                let assoc = DEVICES
                    .iter()
                    .position(|d| d.1 == t.1)
                    .unwrap_or(DEVICES.len())
                    % associations;
                let n_sources = if ti % 2 == 0 { 3 } else { 2 };
                let mut units = vec![association_id(assoc)];
                for k in 1..n_sources {
                    units.push(format!("device-vendor-{:02}", (ci * 3 + ti + k) % 12 + 1));
                }
                acquisition[y].push(PublicAcquisition {
                    iot_sensing: *category == Category::IotSensing,
                    captured: base * active * parts[1],
                    public_share: PUBLIC_SHARES
                        .iter()
                        .find(|(d, _)| *d == t.1)
                        .map_or(0.0, |(_, share)| *share),
                    returns: devices[y].len()..devices[y].len() + n_sources,
                });
                let bases = calib::sources(base, n_sources, 0.06, &mut rng);
                let actives = calib::sources(active, n_sources, 0.02, &mut rng);
                let per: Vec<Vec<f64>> = parts
                    .iter()
                    .map(|p| calib::sources(*p, n_sources, 0.06, &mut rng))
                    .collect();
                for (s, unit) in units.iter().enumerate() {
                    let b = bases[s];
                    let a = actives[s];
                    let part = |k: usize| with_sd(per[k][s], per[k][s] * 0.15);
                    devices[y].push(pb::DeviceParameterReturn {
                        header: header(years[y], unit, &format!("device-{}", t.1)),
                        category: *category as i32,
                        device_type: t.1.to_string(),
                        installed_base: ranged(b, b * 0.92, b * 1.08),
                        active_share: ranged(a, (a - 0.05).max(0.0), (a + 0.05).min(1.0)),
                        data_per_active_unit: Some(pb::DataPerUnit {
                            created_bytes: part(0),
                            captured_bytes: part(1),
                            replicated_bytes: part(2),
                            consumed_bytes: part(3),
                        }),
                        source: if s == 0 {
                            format!("{unit} industry statistics {}", years[y])
                        } else {
                            format!("{unit} shipment and usage telemetry {}", years[y])
                        },
                        vintage: years[y],
                        public_share: None,
                    });
                }
            }
        }
    }
    let mut public_rng = Rng::new(seed, "production.public_share");
    for y in 0..2 {
        report_public_shares(&mut devices[y], &acquisition[y], &mut public_rng);
    }
    // A planted inconsistency: one vendor's installed base of smartphones is 60% above the
    // association's (rule production.associations_vs_vendors). The consolidated mean moves too,
    // so P01 no longer reproduces: planted data is for validation tests, not reproduction.
    if options.plant_inconsistencies
        && let Some(r) = devices[1].iter_mut().find(|r| {
            r.device_type == "smartphone"
                && !r
                    .header
                    .as_ref()
                    .unwrap()
                    .reporting_unit_id
                    .starts_with("association")
        })
    {
        let b = r.installed_base.as_ref().map_or(0.0, |p| p.value) * 1.6;
        r.installed_base = ranged(b, b * 0.92, b * 1.08);
    }

    let media = [0, 1].map(|y| storage_media(&mut rng, years[y], y, census[y], associations));
    ProductionData { devices, media }
}

/// Sets the public shares the association and the first vendor of each device type report,
/// scaling the shares outside IoT sensing so that IoT sensing is P15's aim of what publicly
/// operated units capture.
fn report_public_shares(
    devices: &mut [pb::DeviceParameterReturn],
    acquisition: &[PublicAcquisition],
    rng: &mut Rng,
) {
    let public = |iot: bool| -> f64 {
        acquisition
            .iter()
            .filter(|a| a.iot_sensing == iot)
            .map(|a| a.captured * a.public_share)
            .sum()
    };
    let aim = targets::get("P15").aim(5.0);
    let scale = public(true) * (1.0 - aim) / (aim * public(false));
    for a in acquisition {
        let share = if a.iot_sensing {
            a.public_share
        } else {
            a.public_share * scale
        };
        assert!(
            share <= 0.95,
            "public share {share} out of range: recalibrate PUBLIC_SHARES"
        );
        let reporting = a.returns.start..a.returns.start + 2.min(a.returns.len());
        let values = calib::sources(share, reporting.len(), 0.05, rng);
        for (r, value) in devices[reporting].iter_mut().zip(values) {
            r.public_share = ranged(value, (value - 0.05).max(0.0), (value + 0.05).min(1.0));
        }
    }
}

/// (medium, holder, share of the holder's non-cloud stock).
const CELLS: [(pb::StorageMedium, &str, f64); 11] = [
    (pb::StorageMedium::Hdd, "compute_centre", 0.55),
    (pb::StorageMedium::Ssd, "compute_centre", 0.30),
    (pb::StorageMedium::Tape, "compute_centre", 0.15),
    (pb::StorageMedium::Hdd, "government", 0.65),
    (pb::StorageMedium::Ssd, "government", 0.35),
    (pb::StorageMedium::Hdd, "enterprise", 0.55),
    (pb::StorageMedium::Ssd, "enterprise", 0.30),
    (pb::StorageMedium::Tape, "enterprise", 0.10),
    (pb::StorageMedium::Optical, "enterprise", 0.05),
    (pb::StorageMedium::TerminalFlash, "personal", 0.80),
    (pb::StorageMedium::Hdd, "personal", 0.20),
];

fn storage_media(
    rng: &mut Rng,
    year: i32,
    y: usize,
    census: CensusTotals,
    associations: usize,
) -> Vec<pb::StorageMediumReturn> {
    // 2023 national totals; 2022 is the 2023 picture scaled back (stock grew ~20%).
    let back = if y == 1 { 1.0 } else { 1.0 / 1.2 };
    let stock = targets::get("P03").aim(0.0) * back;
    let space = targets::get("P06").aim(0.0) * back;
    let new = targets::get("P04").aim(0.0) * back;
    // Holder stock and space: compute centres from their census, the rest shared out.
    let cloud = census.cloud * 0.98;
    let cc_used = census.storage_used;
    let cc_space = census.storage_capacity;
    let rest_used = stock - cc_used;
    let rest_space = space - cc_space;
    let holder = |h: &str| -> (f64, f64) {
        // (share of the non-centre stock, utilisation relative to the non-centre average)
        match h {
            "government" => (0.065, 1.20),
            "enterprise" => (0.56, 1.08),
            _ => (0.375, 0.0),
        }
    };
    let avg_util = rest_used / rest_space;
    let gov = holder("government");
    let ent = holder("enterprise");
    let used_of = |h: &str| rest_used * holder(h).0;
    let space_of = |h: &str| match h {
        "government" => used_of(h) / (avg_util * gov.1),
        "enterprise" => used_of(h) / (avg_util * ent.1),
        _ => {
            rest_space
                - used_of("government") / (avg_util * gov.1)
                - used_of("enterprise") / (avg_util * ent.1)
        }
    };
    let mut cells: Vec<(pb::StorageMedium, &str, f64, f64)> = vec![(
        pb::StorageMedium::Cloud,
        "compute_centre",
        cloud,
        cloud / (cc_used / cc_space),
    )];
    for (medium, h, share) in CELLS {
        let (used, cap) = if h == "compute_centre" {
            (
                (cc_used - cloud) * share,
                (cc_space - cloud / (cc_used / cc_space)) * share,
            )
        } else {
            (used_of(h) * share, space_of(h) * share)
        };
        cells.push((medium, h, used, cap));
    }
    // New storage in proportion to stock with +-20% jitter, 60% newly added, 40% overwritten.
    let jitter: Vec<f64> = cells.iter().map(|c| c.2 * rng.range(0.8, 1.2)).collect();
    let jsum: f64 = jitter.iter().sum();
    let mut out = Vec::new();
    for (i, (medium, h, used, cap)) in cells.iter().enumerate() {
        let new_total = new * jitter[i] / jsum;
        let added = new_total * 0.6;
        let overwritten = new_total - added;
        let n = 2;
        let useds = calib::sources(*used, n, 0.04, rng);
        let caps = calib::sources(*cap, n, 0.02, rng);
        let addeds = calib::sources(added, n, 0.05, rng);
        let overs = calib::sources(overwritten, n, 0.05, rng);
        let units = [
            association_id((16 + i) % associations),
            format!("storage-vendor-{:02}", i % 8 + 1),
        ];
        for (s, unit) in units.iter().enumerate() {
            out.push(pb::StorageMediumReturn {
                header: header(year, unit, &format!("medium-{}-{h}", medium.as_str_name())),
                medium: *medium as i32,
                holder: h.to_string(),
                installed_capacity_bytes: ranged(caps[s], caps[s] * 0.9, caps[s] * 1.1),
                used_bytes: ranged(useds[s], useds[s] * 0.9, useds[s] * 1.1),
                newly_added_bytes: with_sd(addeds[s], addeds[s] * 0.08),
                overwritten_bytes: with_sd(overs[s], overs[s] * 0.08),
                source: format!("{unit} storage shipment and installed-capacity survey {year}"),
                vintage: year,
            });
        }
    }
    out
}
