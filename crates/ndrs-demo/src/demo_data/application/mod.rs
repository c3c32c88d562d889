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
//! [`generate`] is long (this file is about 630 lines) because the calibration is one procedure
//! whose steps must run in order over the same weights; the frame and the returns units send are
//! in `frame` and `returns`.
//!
//! The 2022 questionnaires are the 2023 answers moved back a year (volumes lower, public data
//! opened equal to the 2023 return's previous-year figure) and are not calibrated.

use std::collections::BTreeMap;

use ndrs_proto::v1 as pb;

use super::DemoOptions;
use super::calib;
use super::rng::Rng;
use super::targets::{self, Published};

mod frame;
mod returns;

use frame::{Stratum, code, frame, size_code};
pub use returns::sharing_hub;
use returns::{design, questionnaire, year_before};

type St = pb::SubjectType;
type Sz = pb::SizeClass;
type Ig = pb::IndustryGroup;

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

#[cfg(test)]
mod tests;
