//! The application survey's frame: every sampled unit with its stratum and design weight, sited
//! and classified as the 2023 sample is.

use ndrs_core::classification::{PROVINCES, SizeClass, SubjectType};

use super::super::DemoOptions;
use super::super::rng::Rng;
use super::*;

/// Relative siting of enterprises by province: all 31 provinces, most in Shandong, Jiangsu,
/// Beijing, Hubei and Zhejiang (the report's appendix figure 1), few in the west and north-east.
const ENTERPRISE_PROVINCES: [(&str, f64); 31] = [
    ("37", 12.0),
    ("32", 11.0),
    ("11", 11.0),
    ("42", 9.0),
    ("33", 9.0),
    ("44", 8.0),
    ("31", 7.0),
    ("51", 5.0),
    ("41", 5.0),
    ("35", 4.0),
    ("34", 4.0),
    ("43", 4.0),
    ("13", 3.0),
    ("61", 3.0),
    ("50", 3.0),
    ("12", 3.0),
    ("21", 2.5),
    ("36", 2.0),
    ("45", 2.0),
    ("53", 2.0),
    ("14", 1.5),
    ("15", 1.5),
    ("22", 1.5),
    ("23", 1.5),
    ("52", 1.5),
    ("65", 1.2),
    ("62", 1.0),
    ("46", 0.8),
    ("64", 0.6),
    ("63", 0.5),
    ("54", 0.4),
];

const KIE_INDUSTRIES: [(Ig, f64); 7] = [
    (Ig::Agriculture, 0.08),
    (Ig::Industry, 0.30),
    (Ig::Finance, 0.12),
    (Ig::TransportLogistics, 0.10),
    (Ig::Consumer, 0.15),
    (Ig::ScienceEducationCultureHealth, 0.13),
    (Ig::PublicService, 0.12),
];

/// A sampled unit before strata are known: id, subject type, size class, province, industry.
pub(super) type Member = (String, St, Option<Sz>, &'static str, Option<Ig>);

pub(super) struct Stratum {
    pub(super) name: String,
    pub(super) population: f64,
    pub(super) certainty: bool,
}

pub(super) fn code(t: St) -> &'static str {
    SubjectType::from_i32(t as i32).map_or("", |s| s.code())
}

pub(super) fn size_code(s: Option<Sz>) -> &'static str {
    s.and_then(|s| SizeClass::from_i32(s as i32))
        .map_or("", |s| s.code())
}

/// Builds the frame: every sampled unit with stratum and design weight, and the strata.
pub(super) fn frame(rng: &mut Rng, options: &DemoOptions) -> (Vec<Unit>, Vec<Stratum>) {
    let mut units = Vec::new();
    let mut strata = Vec::new();
    let ent_weights: Vec<f64> = ENTERPRISE_PROVINCES.iter().map(|p| p.1).collect();
    let ent_province = |rng: &mut Rng| ENTERPRISE_PROVINCES[rng.pick_weighted(&ent_weights)].0;
    let add_stratum = |units: &mut Vec<Unit>,
                       strata: &mut Vec<Stratum>,
                       name: String,
                       members: Vec<Member>,
                       nominal_weight: f64| {
        let n = members.len();
        if n == 0 {
            return;
        }
        let certainty = nominal_weight <= 1.0;
        let population = if certainty {
            n as f64
        } else {
            (n as f64 * nominal_weight).round()
        };
        for (id, subject, size, province, industry) in members {
            units.push(Unit {
                id,
                subject,
                size,
                province,
                industry,
                stratum: name.clone(),
                design_weight: population / n as f64,
                responds: [true, true],
            });
        }
        strata.push(Stratum {
            name,
            population,
            certainty,
        });
    };
    // Government.
    let nd = targets::sample_count("national_department");
    add_stratum(
        &mut units,
        &mut strata,
        "national_department".into(),
        (0..nd)
            .map(|i| {
                (
                    format!("nd-{:02}", i + 1),
                    St::NationalDepartment,
                    None,
                    "11",
                    None,
                )
            })
            .collect(),
        1.0,
    );
    let provinces: Vec<&'static str> = PROVINCES
        .iter()
        .map(|p| p.code)
        .filter(|c| *c != "66")
        .take(targets::sample_count("provincial_data_bureau"))
        .collect();
    add_stratum(
        &mut units,
        &mut strata,
        "provincial_data_bureau".into(),
        provinces
            .iter()
            .map(|c| (format!("pdb-{c}"), St::ProvincialDataBureau, None, *c, None))
            .collect(),
        1.0,
    );
    let cities = [
        ("dalian", "21"),
        ("qingdao", "37"),
        ("ningbo", "33"),
        ("xiamen", "35"),
        ("shenzhen", "44"),
    ];
    add_stratum(
        &mut units,
        &mut strata,
        "planned_city_data_bureau".into(),
        cities
            .iter()
            .take(targets::sample_count("planned_city_data_bureau"))
            .map(|(name, c)| {
                (
                    format!("city-{name}"),
                    St::PlannedCityDataBureau,
                    None,
                    *c,
                    None,
                )
            })
            .collect(),
        1.0,
    );
    // Research.
    for (key, prefix, subject) in [
        ("university", "univ", St::University),
        (
            "national_science_data_centre",
            "sdc",
            St::NationalScienceDataCentre,
        ),
        ("national_laboratory", "lab", St::NationalLaboratory),
    ] {
        let n = targets::sample_count(key);
        let members = (0..n)
            .map(|i| {
                let p = if rng.chance(0.4) {
                    "11"
                } else {
                    ent_province(rng)
                };
                (format!("{prefix}-{:02}", i + 1), subject, None, p, None)
            })
            .collect();
        add_stratum(&mut units, &mut strata, key.into(), members, 1.0);
    }
    // Central SOEs: all large, mostly seated in Beijing.
    // Central SOEs are never scaled: they are one take-all stratum whose respondents count
    // equally, so a share among them can only take values k / respondents, and 94 is few enough.
    let soe = targets::sample_count("central_soe");
    let members = (0..soe)
        .map(|i| {
            let p = if rng.chance(0.8) {
                "11"
            } else {
                ent_province(rng)
            };
            (
                format!("soe-{:03}", i + 1),
                St::CentralSoe,
                Some(Sz::Large),
                p,
                None,
            )
        })
        .collect();
    add_stratum(&mut units, &mut strata, "central_soe".into(), members, 1.0);
    // Data service providers by size class.
    for (key, prefix, subject, split) in [
        (
            "data_service_provider/platform",
            "platform",
            St::PlatformDataServiceProvider,
            [
                (Sz::Large, 0.30, 1.0),
                (Sz::Medium, 0.40, 3.0),
                (Sz::Small, 0.30, 7.5),
            ],
        ),
        (
            "data_service_provider/non_platform",
            "dsp",
            St::NonPlatformDataServiceProvider,
            [
                (Sz::Large, 0.20, 1.5),
                (Sz::Medium, 0.40, 5.0),
                (Sz::Small, 0.40, 12.0),
            ],
        ),
    ] {
        let n = options.scaled(targets::sample_count(key), 60) as u64;
        let counts = calib::distribute(n, &split.map(|s| s.1), &[n; 3]);
        let mut next = 1;
        for (k, (size, _, w)) in split.iter().enumerate() {
            let members = (0..counts[k])
                .map(|_| {
                    let id = format!("{prefix}-{next:03}");
                    next += 1;
                    (id, subject, Some(*size), ent_province(rng), None)
                })
                .collect();
            add_stratum(
                &mut units,
                &mut strata,
                format!("{prefix}-{}", size_code(Some(*size))),
                members,
                *w,
            );
        }
    }
    // Key industry enterprises by industry x size class.
    let n = options.scaled(targets::sample_count("key_industry_enterprise"), 250) as u64;
    let by_industry = calib::distribute(n, &KIE_INDUSTRIES.map(|i| i.1), &[n; 7]);
    let mut next = 1;
    for (k, (industry, _)) in KIE_INDUSTRIES.iter().enumerate() {
        let sizes = [
            (Sz::Large, 0.45, 3.0),
            (Sz::Medium, 0.35, 12.0),
            (Sz::Small, 0.20, 40.0),
        ];
        let counts = calib::distribute(by_industry[k], &sizes.map(|s| s.1), &[n; 3]);
        let ind_code = ndrs_core::classification::IndustryGroup::from_i32(*industry as i32)
            .map_or("", |g| g.code());
        for (j, (size, _, w)) in sizes.iter().enumerate() {
            let members = (0..counts[j])
                .map(|_| {
                    let id = format!("kie-{next:04}");
                    next += 1;
                    (
                        id,
                        St::KeyIndustryEnterprise,
                        Some(*size),
                        ent_province(rng),
                        Some(*industry),
                    )
                })
                .collect();
            add_stratum(
                &mut units,
                &mut strata,
                format!("kie-{ind_code}-{}", size_code(Some(*size))),
                members,
                *w,
            );
        }
    }
    // Non-response per cycle, within strata.
    for y in 0..2 {
        let mut by_stratum: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, u) in units.iter().enumerate() {
            by_stratum.entry(u.stratum.clone()).or_default().push(i);
        }
        for mut members in by_stratum.into_values() {
            let n = members.len();
            let subject = units[members[0]].subject;
            let missing = match subject {
                St::NationalDepartment => 1,
                St::ProvincialDataBureau | St::PlannedCityDataBureau => 0,
                St::CentralSoe => 2,
                _ if n < 10 => 0,
                St::University | St::NationalScienceDataCentre | St::NationalLaboratory => 1,
                St::KeyIndustryEnterprise => (n as f64 * 0.05).round() as usize,
                _ => (n as f64 * 0.06).round() as usize,
            };
            rng.shuffle(&mut members);
            for &i in members.iter().take(missing.min(n.saturating_sub(2))) {
                units[i].responds[y] = false;
            }
        }
    }
    (units, strata)
}
