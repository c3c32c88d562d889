//! The application survey: the sample design of each cycle and the questionnaires.
//!
//! Frame and design. Every government body and research institution of the sample is its own
//! take-all (certainty) stratum by subject type, as are the central SOEs; platform and
//! non-platform data service providers are stratified by size class (large take-all or nearly,
//! medium and small sampled with design weights 3-12); key industry enterprises by industry x
//! size class (weights 3, 12 and 40 for large, medium and small). A stratum's population is its
//! sample count x the nominal weight, rounded, and the design weight is population / sample. The
//! weighting specification is non-response adjustment within strata and raking to the subject
//! type and size class margins (the strata's populations, so raking leaves the adjusted weights
//! unchanged); variance by 100 seeded Rao-Wu bootstrap replicates.
//!
//! Non-response. One national department, one unit of each research type with ten or more units,
//! two central SOEs, 6% of data service providers and 5% of key industry enterprises in strata of
//! at least ten (so that every stratum keeps respondents in every bootstrap replicate), drawn
//! independently per cycle. Non-respondents are in the design and send no questionnaire.
//!
//! Calibration (2023). The generator computes each respondent's final weight as the service will
//! (design weight x stratum weight / stratum respondent weight), then:
//! - shares (A07, A08, A11-A18): the units that carry the attribute are chosen, with realistic
//!   propensities (large firms more often, industrial firms for production scenarios...), so that
//!   the weighted share lands within a quarter of the report's rounding of the target;
//! - ratios of totals (P09, P11-P14, A05, A06): one quantity of the domain is scaled (respecting
//!   stored <= capacity, cloud and unused <= stored) until the weighted ratio hits the target;
//! - F02, F03: platform providers' and central SOEs' interactions are scaled to the target
//!   multiple of key industry enterprises' weighted mean;
//! - purchases on exchanges total 40% of the exchanges' turnover (weighted).
//!
//! The 2022 questionnaires are the 2023 answers moved back a year (volumes lower, public data
//! opened equal to the 2023 return's previous-year figure) and are not calibrated.

use std::collections::BTreeMap;

use ndrs_core::classification::{PROVINCES, SizeClass, SubjectType};
use ndrs_proto::v1 as pb;

use super::calib;
use super::rng::Rng;
use super::targets::{self, Published};
use super::{DemoOptions, header};

type St = pb::SubjectType;
type Sz = pb::SizeClass;
type Ig = pb::IndustryGroup;

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

#[derive(Debug, Clone)]
struct Unit {
    id: String,
    subject: St,
    size: Option<Sz>,
    province: &'static str,
    industry: Option<Ig>,
    stratum: String,
    design_weight: f64,
    responds: [bool; 2],
}

impl Unit {
    fn enterprise(&self) -> bool {
        matches!(
            self.subject,
            St::CentralSoe
                | St::PlatformDataServiceProvider
                | St::NonPlatformDataServiceProvider
                | St::KeyIndustryEnterprise
        )
    }
    fn government(&self) -> bool {
        matches!(
            self.subject,
            St::NationalDepartment | St::ProvincialDataBureau | St::PlannedCityDataBureau
        )
    }
    fn large(&self) -> bool {
        self.enterprise() && self.size == Some(Sz::Large)
    }
    fn kie(&self) -> bool {
        self.subject == St::KeyIndustryEnterprise
    }
    fn dsp(&self) -> bool {
        matches!(
            self.subject,
            St::PlatformDataServiceProvider | St::NonPlatformDataServiceProvider
        )
    }
}

#[derive(Debug, Clone, Default)]
struct Answers {
    has_dms: bool,
    applies: bool,
    scenarios: Vec<pb::Scenario>,
    reuse: bool,
    in_dt: bool,
    capacity: f64,
    stored: f64,
    cloud: f64,
    unused: f64,
    investment: f64,
    open_data: bool,
    interaction: f64,
    inflow_share: f64,
    collaboration: bool,
    risk: bool,
    opened: f64,
    opened_before: f64,
    purchased: f64,
}

pub struct ApplicationData {
    pub designs: [pb::LoadSampleDesignRequest; 2],
    pub returns: [Vec<pb::ApplicationReturn>; 2],
}

/// A sampled unit before strata are known: id, subject type, size class, province, industry.
type Member = (String, St, Option<Sz>, &'static str, Option<Ig>);

struct Stratum {
    name: String,
    population: f64,
    certainty: bool,
}

fn code(t: St) -> &'static str {
    SubjectType::from_i32(t as i32).map_or("", |s| s.code())
}

fn size_code(s: Option<Sz>) -> &'static str {
    s.and_then(|s| SizeClass::from_i32(s as i32))
        .map_or("", |s| s.code())
}

/// Builds the frame: every sampled unit with stratum and design weight, and the strata.
fn frame(rng: &mut Rng, options: &DemoOptions) -> (Vec<Unit>, Vec<Stratum>) {
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

/// Final weights of the respondents of cycle `y`, as the service computes them: non-response
/// adjustment within strata (raking to the strata's own margins changes nothing).
fn final_weights(units: &[Unit], y: usize) -> Vec<f64> {
    let mut all: BTreeMap<&str, f64> = BTreeMap::new();
    let mut resp: BTreeMap<&str, f64> = BTreeMap::new();
    for u in units {
        *all.entry(&u.stratum).or_default() += u.design_weight;
        if u.responds[y] {
            *resp.entry(&u.stratum).or_default() += u.design_weight;
        }
    }
    units
        .iter()
        .map(|u| {
            if u.responds[y] {
                u.design_weight * all[u.stratum.as_str()] / resp[u.stratum.as_str()]
            } else {
                0.0
            }
        })
        .collect()
}

/// Typical stored data (bytes) of a unit, before calibration.
fn stored_median(u: &Unit) -> f64 {
    match (u.subject, u.size) {
        (St::NationalDepartment, _) => 2e14,
        (St::ProvincialDataBureau, _) => 5e14,
        (St::PlannedCityDataBureau, _) => 2e14,
        (St::University, _) => 5e14,
        (St::NationalScienceDataCentre, _) => 2e15,
        (St::NationalLaboratory, _) => 1e15,
        (St::CentralSoe, _) => 5e15,
        (St::PlatformDataServiceProvider, Some(Sz::Large)) => 5e16,
        (St::PlatformDataServiceProvider, Some(Sz::Medium)) => 5e15,
        (St::PlatformDataServiceProvider, _) => 5e14,
        (St::NonPlatformDataServiceProvider, Some(Sz::Large)) => 5e15,
        (St::NonPlatformDataServiceProvider, Some(Sz::Medium)) => 1e15,
        (St::NonPlatformDataServiceProvider, _) => 1e14,
        (_, Some(Sz::Large)) => 2e15,
        (_, Some(Sz::Medium)) => 2e14,
        _ => 3e13,
    }
}

fn size_rank(u: &Unit) -> f64 {
    match u.size {
        Some(Sz::Large) => 3.0,
        Some(Sz::Medium) => 2.0,
        _ => 1.0,
    }
}

/// Draws every unit's answers before calibration.
fn draw(rng: &mut Rng, u: &Unit) -> Answers {
    let stored = rng.lognormal(stored_median(u), 0.8);
    let util = if u.dsp() {
        rng.range(0.2, 0.5)
    } else {
        rng.range(0.55, 0.85)
    };
    let cloud_share = match u.subject {
        St::PlatformDataServiceProvider => rng.range(0.5, 0.9),
        St::KeyIndustryEnterprise => rng.range(0.05, 0.45),
        _ => rng.range(0.1, 0.5),
    };
    let interaction = match (u.subject, u.size) {
        (St::KeyIndustryEnterprise, Some(Sz::Large)) => rng.lognormal(4e13, 1.0),
        (St::KeyIndustryEnterprise, Some(Sz::Medium)) => rng.lognormal(8e12, 1.0),
        (St::KeyIndustryEnterprise, _) => rng.lognormal(2e12, 1.0),
        (St::CentralSoe, _) => rng.lognormal(4e14, 0.8),
        (St::PlatformDataServiceProvider, Some(Sz::Large)) => rng.lognormal(5e15, 0.8),
        (St::PlatformDataServiceProvider, Some(Sz::Medium)) => rng.lognormal(1e15, 0.8),
        (St::PlatformDataServiceProvider, _) => rng.lognormal(2e14, 0.8),
        (St::NonPlatformDataServiceProvider, _) => rng.lognormal(5e13, 1.0),
        _ => rng.lognormal(1e13, 1.0),
    };
    let applies = rng.chance(if u.enterprise() { 0.9 } else { 0.8 });
    let (opened_before, opened) = if u.government() {
        let before = rng.lognormal(
            if u.subject == St::ProvincialDataBureau {
                2e13
            } else {
                5e12
            },
            1.0,
        );
        (before, before * rng.lognormal(1.17, 0.1))
    } else {
        (0.0, 0.0)
    };
    let invest_median = match u.size {
        Some(Sz::Large) => 5e7,
        Some(Sz::Medium) => 5e6,
        Some(_) => 5e5,
        None => 2e7,
    };
    Answers {
        has_dms: rng.chance(if u.enterprise() { 0.6 } else { 0.7 }),
        applies,
        scenarios: Vec::new(),
        reuse: false,
        in_dt: rng.chance(if u.large() { 0.75 } else { 0.5 }),
        capacity: stored / util,
        stored,
        cloud: stored * cloud_share,
        unused: stored * rng.range(0.2, 0.6),
        investment: if rng.chance(0.92) {
            rng.lognormal(invest_median, 0.7)
        } else {
            0.0
        },
        open_data: rng.chance(if u.government() { 0.5 } else { 0.3 }),
        interaction,
        inflow_share: rng.range(0.4, 0.6),
        collaboration: false,
        risk: false,
        opened,
        opened_before,
        purchased: if u.enterprise() && rng.chance(0.35) {
            rng.lognormal(invest_median / 50.0, 0.8)
        } else {
            0.0
        },
    }
}

/// Sets a boolean on the chosen units of `eligible` so that its weighted share over `domain`
/// lands on `target`.
#[allow(clippy::too_many_arguments)]
fn calibrate_share(
    rng: &mut Rng,
    units: &[Unit],
    answers: &mut [Answers],
    w: &[f64],
    target: &Published,
    margin: f64,
    domain: impl Fn(&Unit, &Answers) -> bool,
    eligible: impl Fn(&Unit, &Answers) -> bool,
    propensity: impl Fn(&Unit) -> f64,
    set: impl Fn(&mut Answers, bool),
) {
    let in_domain: Vec<usize> = (0..units.len())
        .filter(|&i| w[i] > 0.0 && domain(&units[i], &answers[i]))
        .collect();
    let total: f64 = in_domain.iter().map(|&i| w[i]).sum();
    let pick: Vec<usize> = in_domain
        .iter()
        .copied()
        .filter(|&i| eligible(&units[i], &answers[i]))
        .collect();
    let goal = target.aim(margin) * total;
    // Within a quarter of the report's rounding (in ratio units) for eq figures, 0.5% otherwise.
    let tolerance = match target.comparator {
        targets::Comparator::Eq => target.half_unit() / target.report_factor() * 0.5,
        _ => 0.005,
    } * total;
    let weights: Vec<f64> = pick.iter().map(|&i| w[i]).collect();
    let props: Vec<f64> = pick.iter().map(|&i| propensity(&units[i])).collect();
    let chosen = calib::choose(&weights, &props, goal, tolerance, rng);
    for &i in &in_domain {
        set(&mut answers[i], false);
    }
    for (k, &i) in pick.iter().enumerate() {
        set(&mut answers[i], chosen[k]);
    }
}

pub fn generate(
    seed: u64,
    options: &DemoOptions,
    years: [i32; 2],
    exchange_turnover: [f64; 2],
) -> ApplicationData {
    let mut rng = Rng::new(seed, "application");
    let (units, strata) = frame(&mut rng, options);
    let mut answers: Vec<Answers> = units.iter().map(|u| draw(&mut rng, u)).collect();
    let w = final_weights(&units, 1);
    let t = targets::get;

    // Shares.
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A11"),
        0.0,
        |u, _| u.kie(),
        |_, _| true,
        size_rank,
        |a, v| a.applies = v,
    );
    for a in answers.iter_mut() {
        a.scenarios.clear();
    }
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A12"),
        5.0,
        |u, _| u.kie(),
        |_, a| a.applies,
        size_rank,
        |a, v| set_scenario(a, pb::Scenario::OperationsManagement, v),
    );
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A13"),
        0.0,
        |u, _| u.kie(),
        |_, a| a.applies,
        |u| {
            if u.industry == Some(Ig::Industry) {
                3.0
            } else if u.industry == Some(Ig::Agriculture) {
                2.0
            } else {
                1.0
            }
        },
        |a, v| set_scenario(a, pb::Scenario::Production, v),
    );
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A14"),
        0.0,
        |u, _| u.large(),
        |_, _| true,
        |u| match u.subject {
            St::KeyIndustryEnterprise => 1.5,
            St::NonPlatformDataServiceProvider => 1.2,
            St::PlatformDataServiceProvider => 0.5,
            _ => 0.8,
        },
        |a, v| a.has_dms = !v,
    );
    // A15's domain is large enterprises in digital transformation; who is in it is decided first.
    for (i, u) in units.iter().enumerate() {
        let a = &mut answers[i];
        a.reuse = u.enterprise() && !u.large() && a.applies && rng.chance(0.05);
    }
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A15"),
        0.0,
        |u, a| u.large() && a.in_dt,
        |_, a| a.applies && a.in_dt,
        size_rank,
        |a, v| a.reuse = v,
    );
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A16"),
        3.5,
        |u, _| u.enterprise(),
        |_, _| true,
        |u| match u.subject {
            St::CentralSoe => 3.0,
            St::KeyIndustryEnterprise if u.industry == Some(Ig::Industry) => 3.0,
            St::KeyIndustryEnterprise => 2.0,
            _ => 1.0,
        },
        |a, v| a.collaboration = v,
    );
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A17"),
        0.0,
        |u, _| u.enterprise(),
        |_, a| a.collaboration,
        size_rank,
        |a, v| a.risk = v,
    );
    let invest: Vec<f64> = answers.iter().map(|a| a.investment.max(1e5)).collect();
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A18"),
        8.0,
        |u, _| u.kie(),
        |_, _| true,
        size_rank,
        |a, v| a.investment = if v { a.investment.max(1.0) } else { 0.0 },
    );
    for (i, a) in answers.iter_mut().enumerate() {
        if units[i].kie() && a.investment > 0.0 && a.investment < 1e5 {
            a.investment = invest[i];
        }
    }
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A07"),
        0.0,
        |u, _| u.subject == St::PlatformDataServiceProvider,
        |_, _| true,
        |_| 1.0,
        |a, v| a.open_data = v,
    );
    calibrate_share(
        &mut rng,
        &units,
        &mut answers,
        &w,
        &t("A08"),
        0.0,
        |u, _| u.subject == St::CentralSoe,
        |_, _| true,
        |_| 1.0,
        |a, v| a.open_data = v,
    );
    // Other scenarios: every unit applying data names at least one.
    for (i, a) in answers.iter_mut().enumerate() {
        if !a.applies {
            a.scenarios.clear();
            continue;
        }
        if !units[i].kie() {
            if rng.chance(0.7) {
                a.scenarios.push(pb::Scenario::OperationsManagement);
            }
            if rng.chance(0.3) {
                a.scenarios.push(pb::Scenario::Production);
            }
        }
        for (s, p) in [
            (pb::Scenario::Marketing, 0.5),
            (pb::Scenario::ResearchDevelopment, 0.3),
            (pb::Scenario::CustomerService, 0.4),
            (pb::Scenario::SupplyChain, 0.3),
        ] {
            if rng.chance(p) {
                a.scenarios.push(s);
            }
        }
        if a.scenarios.is_empty() {
            a.scenarios.push(pb::Scenario::Marketing);
        }
    }

    // Ratios of totals.
    let ratio =
        |answers: &mut [Answers], id: &str, domain: &dyn Fn(&Unit) -> bool, which: Quantity| {
            let idx: Vec<usize> = (0..units.len())
                .filter(|&i| w[i] > 0.0 && domain(&units[i]))
                .collect();
            let ww: Vec<f64> = idx.iter().map(|&i| w[i]).collect();
            let target = t(id).aim(0.0);
            let stored: Vec<f64> = idx.iter().map(|&i| answers[i].stored).collect();
            match which {
                Quantity::Cloud | Quantity::Unused => {
                    let mut num: Vec<f64> = idx
                        .iter()
                        .map(|&i| {
                            if which == Quantity::Cloud {
                                answers[i].cloud
                            } else {
                                answers[i].unused
                            }
                        })
                        .collect();
                    calib::scale_numerator(&mut num, &stored, &stored, &ww, target);
                    for (k, &i) in idx.iter().enumerate() {
                        if which == Quantity::Cloud {
                            answers[i].cloud = num[k];
                        } else {
                            answers[i].unused = num[k];
                        }
                    }
                }
                Quantity::Capacity => {
                    let mut den: Vec<f64> = idx.iter().map(|&i| answers[i].capacity).collect();
                    calib::scale_denominator(&stored, &mut den, &stored, &ww, target);
                    for (k, &i) in idx.iter().enumerate() {
                        answers[i].capacity = den[k];
                    }
                }
            }
        };
    ratio(&mut answers, "P09", &Unit::kie, Quantity::Cloud);
    ratio(&mut answers, "P11", &Unit::government, Quantity::Capacity);
    ratio(&mut answers, "P12", &Unit::kie, Quantity::Capacity);
    ratio(&mut answers, "P13", &Unit::dsp, Quantity::Capacity);
    ratio(&mut answers, "P14", &Unit::enterprise, Quantity::Unused);
    // Public data opened: growth of national departments (A05) and provincial bureaus (A06).
    for (id, subject) in [
        ("A05", St::NationalDepartment),
        ("A06", St::ProvincialDataBureau),
    ] {
        let idx: Vec<usize> = (0..units.len())
            .filter(|&i| w[i] > 0.0 && units[i].subject == subject)
            .collect();
        let ww: Vec<f64> = idx.iter().map(|&i| w[i]).collect();
        let before: Vec<f64> = idx.iter().map(|&i| answers[i].opened_before).collect();
        let mut now: Vec<f64> = idx.iter().map(|&i| answers[i].opened).collect();
        calib::scale_numerator(
            &mut now,
            &before,
            &vec![f64::INFINITY; idx.len()],
            &ww,
            1.0 + t(id).aim(0.0),
        );
        for (k, &i) in idx.iter().enumerate() {
            answers[i].opened = now[k];
        }
    }
    // F02, F03: interaction multiples of key industry enterprises' weighted mean.
    let mean = |answers: &[Answers], d: &dyn Fn(&Unit) -> bool| {
        let (s, n) = (0..units.len())
            .filter(|&i| w[i] > 0.0 && d(&units[i]))
            .fold((0.0, 0.0), |(s, n), i| {
                (s + w[i] * answers[i].interaction, n + w[i])
            });
        s / n
    };
    let kie_mean = mean(&answers, &Unit::kie);
    for (id, subject) in [
        ("F02", St::PlatformDataServiceProvider),
        ("F03", St::CentralSoe),
    ] {
        let d = move |u: &Unit| u.subject == subject;
        let k = t(id).aim(0.0) * kie_mean / mean(&answers, &d);
        for (i, u) in units.iter().enumerate() {
            if d(u) {
                answers[i].interaction *= k;
            }
        }
    }
    // Purchases on exchanges: enterprises together bought 40% of the exchanges' turnover (the
    // rest is bought by government, research and buyers outside the survey). Planted: 300%.
    let share = if options.plant_inconsistencies {
        3.0
    } else {
        0.4
    };
    let bought: f64 = (0..units.len()).map(|i| w[i] * answers[i].purchased).sum();
    if bought > 0.0 {
        let k = share * exchange_turnover[1] / bought;
        answers.iter_mut().for_each(|a| a.purchased *= k);
    }

    // A09, A10: the first responding national departments and provincial bureaus pilot
    // authorised operation of public data, as many as make the weighted count (respondents carry
    // their stratum's non-respondents' weight) the published one; a fifth fewer in 2022.
    let pilots = |y: usize, subject: St, id: &str| -> std::collections::BTreeSet<String> {
        let members: Vec<&Unit> = units.iter().filter(|u| u.subject == subject).collect();
        let responding: Vec<&&Unit> = members.iter().filter(|u| u.responds[y]).collect();
        let weight = members.len() as f64 / responding.len().max(1) as f64;
        let target = targets::get(id).value * if y == 1 { 1.0 } else { 0.8 };
        let n = (target / weight).round() as usize;
        responding.iter().take(n).map(|u| u.id.clone()).collect()
    };
    let piloting = [0, 1].map(|y| {
        let mut ids = pilots(y, St::NationalDepartment, "A09");
        ids.extend(pilots(y, St::ProvincialDataBureau, "A10"));
        ids
    });

    // Designs and questionnaires.
    let designs = [0, 1].map(|y| design(&units, &strata, years[y], seed));
    let mut returns: [Vec<pb::ApplicationReturn>; 2] = [Vec::new(), Vec::new()];
    for (i, u) in units.iter().enumerate() {
        let a23 = &answers[i];
        if u.responds[1] {
            let pilot = piloting[1].contains(&u.id);
            returns[1].push(questionnaire(u, a23, years[1], pilot));
        }
        if u.responds[0] {
            let a22 = year_before(&mut rng, a23);
            let pilot = piloting[0].contains(&u.id);
            returns[0].push(questionnaire(u, &a22, years[0], pilot));
        }
    }
    ApplicationData { designs, returns }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Cloud,
    Unused,
    Capacity,
}

fn set_scenario(a: &mut Answers, s: pb::Scenario, on: bool) {
    a.scenarios.retain(|x| *x != s);
    if on {
        a.scenarios.push(s);
    }
}

/// The previous year's answers of a unit: smaller volumes, public data opened as the 2023
/// return restates it, practices slightly less widespread.
fn year_before(rng: &mut Rng, a: &Answers) -> Answers {
    let mut b = a.clone();
    let k = rng.range(0.75, 0.9);
    b.stored *= k;
    b.cloud *= k;
    b.unused *= k;
    b.capacity *= rng.range(0.85, 0.95);
    b.capacity = b.capacity.max(b.stored);
    b.interaction *= rng.range(0.8, 0.9);
    b.purchased *= rng.range(0.6, 0.8);
    b.investment *= rng.range(0.8, 0.95);
    b.opened = a.opened_before;
    b.opened_before = a.opened_before / rng.lognormal(1.15, 0.05);
    if b.applies && rng.chance(0.03) {
        b.applies = false;
        b.scenarios.clear();
        b.reuse = false;
    }
    b
}

/// The return a unit sends: only the questions its questionnaire asks are answered (government
/// bodies and research institutions are asked about data management, storage and data flows,
/// government bodies also about public data opened; enterprises everything else).
fn questionnaire(u: &Unit, a: &Answers, year: i32, pilot: bool) -> pb::ApplicationReturn {
    let ent = u.enterprise();
    let stored = a.stored.round() as u64;
    let capacity = (a.capacity.round() as u64).max(stored);
    let cloud = (a.cloud.round() as u64).min(stored);
    let unused = (a.unused.round() as u64).min(stored);
    let interaction = a.interaction.round() as u64;
    let inflow = (a.interaction * a.inflow_share).round() as u64;
    pb::ApplicationReturn {
        header: header(year, &u.id, "questionnaire"),
        subject_type: u.subject as i32,
        province_code: u.province.to_string(),
        industry: u
            .industry
            .and_then(|g| ndrs_core::classification::IndustryGroup::from_i32(g as i32))
            .map_or(String::new(), |g| g.code().to_string()),
        size_class: u.size.map_or(0, |s| s as i32),
        has_data_management_system: a.has_dms,
        applies_data_in_scenarios: ent && a.applies,
        scenarios: if ent && a.applies {
            a.scenarios.iter().map(|s| *s as i32).collect()
        } else {
            Vec::new()
        },
        achieves_data_reuse_value_add: ent && a.reuse,
        in_digital_transformation: ent && a.in_dt,
        storage: Some(pb::StorageAnswers {
            capacity_bytes: capacity,
            stored_bytes: stored,
            cloud_stored_bytes: cloud,
            unused_for_a_year_bytes: unused,
        }),
        digital_investment_yuan: if ent { a.investment.round() } else { 0.0 },
        uses_government_open_data: ent && a.open_data,
        data_inflow_bytes: inflow.min(interaction),
        data_outflow_bytes: interaction - inflow.min(interaction),
        industrial_chain_collaboration: ent && a.collaboration,
        industrial_chain_risk_prediction: ent && a.risk,
        public_data_opened_bytes: if u.government() {
            a.opened.round() as u64
        } else {
            0
        },
        public_data_opened_previous_year_bytes: if u.government() {
            a.opened_before.round() as u64
        } else {
            0
        },
        data_purchased_on_exchanges_yuan: if ent { a.purchased.round() } else { 0.0 },
        pilots_authorised_operation: u.government() && pilot,
    }
}

fn design(units: &[Unit], strata: &[Stratum], year: i32, seed: u64) -> pb::LoadSampleDesignRequest {
    let mut by_subject: BTreeMap<String, f64> = BTreeMap::new();
    let mut by_size: BTreeMap<String, f64> = BTreeMap::new();
    for u in units {
        *by_subject.entry(code(u.subject).to_string()).or_default() += u.design_weight;
        *by_size.entry(size_code(u.size).to_string()).or_default() += u.design_weight;
    }
    // Margins are population counts: round away the float dust of summing weights.
    let round = |m: BTreeMap<String, f64>| -> BTreeMap<String, f64> {
        m.into_iter().map(|(k, v)| (k, v.round())).collect()
    };
    pb::LoadSampleDesignRequest {
        cycle_year: year,
        units: units
            .iter()
            .map(|u| pb::SampleUnit {
                reporting_unit_id: u.id.clone(),
                stratum: u.stratum.clone(),
                psu: String::new(),
                design_weight: u.design_weight,
                subject_type: u.subject as i32,
                size_class: u.size.map_or(0, |s| s as i32),
                province_code: u.province.to_string(),
            })
            .collect(),
        strata: strata
            .iter()
            .map(|s| pb::StratumPopulation {
                stratum: s.name.clone(),
                population_psus: s.population,
                certainty: s.certainty,
            })
            .collect(),
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: "stratum".into(),
            margins: vec![
                pb::PopulationMargin {
                    variable: "subject_type".into(),
                    targets: round(by_subject),
                },
                pb::PopulationMargin {
                    variable: "size_class".into(),
                    targets: round(by_size),
                },
            ],
            raking_lower_bound: 0.0,
            raking_upper_bound: 0.0,
            trim_mean_multiple: 0.0,
        }),
        variance: Some(pb::VarianceSpecification {
            method: pb::VarianceMethod::Bootstrap as i32,
            replicates: 100,
            seed: seed ^ u64::from(year.unsigned_abs()),
            confidence_level: 0.95,
            lonely_psu: pb::LonelyPsuPolicy::Certainty as i32,
        }),
    }
}

/// The government data sharing hub's returns of both cycles, sent by the national department
/// that operates it (`nd-01`): 2023 at the published counts, 2022 a little lower (the hub only
/// grows). Administrative figures, reported as they are; nothing to weight.
pub fn sharing_hub(years: [i32; 2]) -> [pb::SharingHubReturn; 2] {
    let count = |id: &str| targets::get(id).value.round() as u64;
    let (departments, resources, calls) = (count("A01"), count("A02"), count("A03"));
    let return_of = |y: usize, scale: f64, previous_calls: u64| pb::SharingHubReturn {
        header: header(years[y], "nd-01", "sharing-hub"),
        departments_connected: (departments as f64 * scale).round() as u32,
        resources_mounted: (resources as f64 * scale).round() as u64,
        cumulative_service_calls: (calls as f64 * scale).round() as u64,
        previous_cumulative_service_calls: previous_calls,
    };
    let r22 = return_of(0, 0.85, (calls as f64 * 0.6).round() as u64);
    let r23 = return_of(1, 1.0, r22.cumulative_service_calls);
    [r22, r23]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weighted share of a flag among a subject type's respondents, with the service's
    /// weights (non-response adjustment within strata), from the requests as sent.
    fn share(data: &ApplicationData, subject: St, flag: fn(&pb::ApplicationReturn) -> bool) -> f64 {
        let design = &data.designs[1];
        let answered: BTreeMap<&str, &pb::ApplicationReturn> = data.returns[1]
            .iter()
            .map(|r| (r.header.as_ref().unwrap().reporting_unit_id.as_str(), r))
            .collect();
        let mut all: BTreeMap<&str, f64> = BTreeMap::new();
        let mut resp: BTreeMap<&str, f64> = BTreeMap::new();
        for u in &design.units {
            *all.entry(&u.stratum).or_default() += u.design_weight;
            if answered.contains_key(u.reporting_unit_id.as_str()) {
                *resp.entry(&u.stratum).or_default() += u.design_weight;
            }
        }
        let (mut yes, mut total) = (0.0, 0.0);
        for u in design
            .units
            .iter()
            .filter(|u| u.subject_type == subject as i32)
        {
            if let Some(r) = answered.get(u.reporting_unit_id.as_str()) {
                let w = u.design_weight * all[u.stratum.as_str()] / resp[u.stratum.as_str()];
                total += w;
                if flag(r) {
                    yes += w;
                }
            }
        }
        yes / total
    }

    #[test]
    fn shares_land_well_inside_the_reports_rounding() {
        for scale in [1.0, 0.25] {
            let options = DemoOptions {
                scale,
                ..DemoOptions::default()
            };
            let data = generate(20_231_231, &options, [2022, 2023], [1e10, 1e10]);
            let a07 = share(&data, St::PlatformDataServiceProvider, |r| {
                r.uses_government_open_data
            });
            let a08 = share(&data, St::CentralSoe, |r| r.uses_government_open_data);
            let a11 = share(&data, St::KeyIndustryEnterprise, |r| {
                r.applies_data_in_scenarios
            });
            assert!((a07 - 0.186).abs() < 0.0002, "A07 {a07} at scale {scale}");
            assert!((a08 - 0.51).abs() < 0.005, "A08 {a08} at scale {scale}");
            assert!((a11 - 0.96).abs() < 0.002, "A11 {a11} at scale {scale}");
        }
    }
}
