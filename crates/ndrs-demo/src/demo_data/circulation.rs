//! Circulation returns: the telecom carriers' traffic and the data exchanges' listings.
//!
//! Model. Four carriers with traffic shares 48/27/22/3% and their own growth (6-40%), each split
//! over mobile internet, fixed broadband, IoT and dedicated lines. Twenty-seven exchanges seated in
//! nineteen provinces (three in Guangdong, two in Shanghai, Beijing, Sichuan, Zhejiang, Jiangsu
//! and Guizhou); each lists consumer products and a random subset of the other six industries,
//! with log-normal listings, sellers around 40% of listings and turnover by industry (finance and
//! industry largest).
//!
//! Calibration. Carrier growth is scaled so total traffic grows by F01 exactly (after rounding to
//! bytes, the largest carrier takes the remainder). Exchange counts are integers, so products
//! transacted, SaaS products and buyers are set as totals (F06, F09, F04, F07, F08 times the
//! listed products or sellers, rounded) and split over lines in proportion to random weights,
//! never above a line's listings. F05 follows from the seats.
//!
//! Scale. `CarrierReturn.traffic_bytes` is a `uint64`, which holds at most 18.4 EB; a real carrier
//! carries hundreds of EB a year. Traffic is therefore generated at a stated scale of
//! [`TRAFFIC_SCALE`] of plausible real volumes; F01 is a growth rate and does not depend on it.

use ndrs_proto::v1 as pb;

use super::calib;
use super::rng::Rng;
use super::targets;
use super::{DemoOptions, header};

/// Fraction of real traffic volumes the carriers report (see the module documentation).
pub const TRAFFIC_SCALE: f64 = 0.02;

/// Seats of the 27 exchanges: (province code, exchanges there).
const SEATS: [(&str, usize); 19] = [
    ("44", 3),
    ("31", 2),
    ("11", 2),
    ("51", 2),
    ("33", 2),
    ("32", 2),
    ("52", 2),
    ("12", 1),
    ("13", 1),
    ("34", 1),
    ("35", 1),
    ("37", 1),
    ("42", 1),
    ("43", 1),
    ("50", 1),
    ("61", 1),
    ("45", 1),
    ("65", 1),
    ("23", 1),
];

const CARRIERS: [(&str, f64, f64); 4] = [
    ("carrier-china-mobile", 0.48, 1.060),
    ("carrier-china-telecom", 0.27, 1.090),
    ("carrier-china-unicom", 0.22, 1.085),
    ("carrier-china-broadnet", 0.03, 1.400),
];

/// (industry, probability an exchange lists it, median listings, median turnover per listing).
const INDUSTRIES: [(pb::IndustryGroup, f64, f64, f64); 7] = [
    (pb::IndustryGroup::Consumer, 1.0, 220.0, 1.5e5),
    (pb::IndustryGroup::Finance, 0.9, 260.0, 8.0e5),
    (pb::IndustryGroup::Industry, 0.8, 180.0, 5.0e5),
    (pb::IndustryGroup::TransportLogistics, 0.6, 90.0, 3.0e5),
    (pb::IndustryGroup::PublicService, 0.7, 120.0, 2.0e5),
    (
        pb::IndustryGroup::ScienceEducationCultureHealth,
        0.5,
        70.0,
        2.0e5,
    ),
    (pb::IndustryGroup::Agriculture, 0.4, 40.0, 1.0e5),
];

/// One industry line of one exchange: (exchange, industry index, listed, sellers, turnover).
type Line = (usize, usize, u64, u64, f64);

pub struct CirculationData {
    pub carriers: [Vec<pb::CarrierReturn>; 2],
    pub exchanges: [Vec<pb::ExchangeReturn>; 2],
    /// Total turnover of the exchanges per cycle, yuan (what enterprises' purchases are kept
    /// consistent with).
    pub turnover: [f64; 2],
}

/// National traffic of 2022 in bytes before [`TRAFFIC_SCALE`] (mobile internet alone carried
/// about 2.6e20 bytes in 2022; fixed broadband and dedicated lines carry more).
const TRAFFIC_2022: f64 = 7.4e20;

pub fn exchange_ids() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for (code, n) in SEATS {
        for k in 0..n {
            out.push((format!("exchange-{code}-{}", k + 1), code));
        }
    }
    out
}

pub fn generate(seed: u64, _options: &DemoOptions, years: [i32; 2]) -> CirculationData {
    let mut rng = Rng::new(seed, "circulation");
    let f01 = targets::get("F01").aim(0.0);
    // Traffic: previous years and growth per carrier; 2023 scaled to F01.
    let t22 = TRAFFIC_2022 * TRAFFIC_SCALE;
    let before: Vec<f64> = CARRIERS.iter().map(|c| t22 * c.1).collect();
    let g: Vec<f64> = CARRIERS
        .iter()
        .map(|c| c.2 * rng.range(0.99, 1.01))
        .collect();
    let raw: f64 = before.iter().zip(&g).map(|(b, g)| b * g).sum();
    let k = (1.0 + f01) * before.iter().sum::<f64>() / raw;
    let before_u: Vec<u64> = before.iter().map(|b| b.round() as u64).collect();
    let mut now_u: Vec<u64> = before
        .iter()
        .zip(&g)
        .map(|(b, g)| (b * g * k).round() as u64)
        .collect();
    let want = ((1.0 + f01) * before_u.iter().sum::<u64>() as f64).round() as u64;
    let have: u64 = now_u.iter().sum();
    if have > want {
        now_u[0] -= have - want;
    } else {
        now_u[0] += want - have;
    }
    // 2021 traffic, for the 2022 returns' restated previous year.
    let before21: Vec<u64> = before_u
        .iter()
        .map(|b| (*b as f64 / rng.range(1.07, 1.10)).round() as u64)
        .collect();
    let carriers = [0, 1].map(|y| {
        CARRIERS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (now, prev) = if y == 1 {
                    (now_u[i], before_u[i])
                } else {
                    (before_u[i], before21[i])
                };
                carrier_return(&mut rng, years[y], c.0, now, prev)
            })
            .collect()
    });

    let f04 = targets::get("F04").aim(6.0);
    let f06 = targets::get("F06").aim(0.0);
    let f07 = targets::get("F07").aim(0.0);
    let f08 = targets::get("F08").aim(0.0);
    let f09 = targets::get("F09").aim(1.5);
    let mut exchanges: [Vec<pb::ExchangeReturn>; 2] = [Vec::new(), Vec::new()];
    let mut turnover = [0.0; 2];
    for y in 0..2 {
        // Lines: (exchange index, industry index, listed, sellers, turnover).
        let mut lines: Vec<Line> = Vec::new();
        let growth = if y == 1 { 1.0 } else { 0.75 };
        for (e, _) in exchange_ids().iter().enumerate() {
            let size = rng.lognormal(1.0, 0.6);
            for (i, ind) in INDUSTRIES.iter().enumerate() {
                if !rng.chance(ind.1) {
                    continue;
                }
                let listed = (ind.2 * size * growth * rng.lognormal(1.0, 0.5))
                    .round()
                    .max(5.0);
                let sellers = (listed * rng.range(0.3, 0.5)).round().max(2.0);
                let turnover = listed * ind.3 * rng.lognormal(1.0, 0.4);
                lines.push((e, i, listed as u64, sellers as u64, turnover));
            }
        }
        let consumer = |l: &Line| l.1 == 0;
        let sum = |f: &dyn Fn(&Line) -> bool, g: fn(&Line) -> u64| {
            lines.iter().filter(|l| f(l)).map(g).sum::<u64>()
        };
        let listed_all = sum(&|_| true, |l| l.2);
        let listed_c = sum(&consumer, |l| l.2);
        let sellers_all = sum(&|_| true, |l| l.3);
        let sellers_c = sum(&consumer, |l| l.3);
        let transacted_c = (f09 * listed_c as f64).round() as u64;
        let transacted_o = (f06 * listed_all as f64).round() as u64 - transacted_c;
        let buyers_c = (f08 * sellers_c as f64).round() as u64;
        let buyers_o = (f07 * sellers_all as f64).round() as u64 - buyers_c;
        let saas_all = (f04 * listed_all as f64).round() as u64;
        let split = |rng: &mut Rng,
                     total: u64,
                     pick: &dyn Fn(&Line) -> bool,
                     cap: &dyn Fn(&Line) -> u64,
                     base: &dyn Fn(&Line) -> f64| {
            let idx: Vec<usize> = (0..lines.len()).filter(|&i| pick(&lines[i])).collect();
            let shares: Vec<f64> = idx
                .iter()
                .map(|&i| base(&lines[i]) * rng.range(0.5, 1.5))
                .collect();
            let caps: Vec<u64> = idx.iter().map(|&i| cap(&lines[i])).collect();
            let parts = calib::distribute(total, &shares, &caps);
            let mut out = vec![0u64; lines.len()];
            for (k, &i) in idx.iter().enumerate() {
                out[i] = parts[k];
            }
            out
        };
        let not_c = |l: &Line| l.1 != 0;
        let tc = split(&mut rng, transacted_c, &consumer, &|l| l.2, &|l| l.2 as f64);
        let to = split(&mut rng, transacted_o, &not_c, &|l| l.2, &|l| l.2 as f64);
        let bc = split(&mut rng, buyers_c, &consumer, &|_| u64::MAX / 64, &|l| {
            l.3 as f64
        });
        let bo = split(&mut rng, buyers_o, &not_c, &|_| u64::MAX / 64, &|l| {
            l.3 as f64
        });
        let saas = split(&mut rng, saas_all, &|_| true, &|l| l.2, &|l| l.2 as f64);
        turnover[y] = lines.iter().map(|l| l.4).sum();
        for (e, (id, code)) in exchange_ids().into_iter().enumerate() {
            let mine: Vec<pb::ExchangeIndustryLine> = (0..lines.len())
                .filter(|&i| lines[i].0 == e)
                .map(|i| {
                    let l = &lines[i];
                    pb::ExchangeIndustryLine {
                        industry: INDUSTRIES[l.1].0 as i32,
                        products_listed: l.2,
                        products_transacted: tc[i] + to[i],
                        buyers: bc[i] + bo[i],
                        sellers: l.3,
                        turnover_yuan: l.4.round(),
                        saas_products: saas[i],
                    }
                })
                .collect();
            exchanges[y].push(pb::ExchangeReturn {
                header: header(years[y], &id, "exchange"),
                province_code: code.to_string(),
                lines: mine,
            });
        }
    }
    CirculationData {
        carriers,
        exchanges,
        turnover,
    }
}

fn carrier_return(rng: &mut Rng, year: i32, unit: &str, now: u64, prev: u64) -> pb::CarrierReturn {
    // Category split: mobile internet, fixed broadband, IoT, dedicated line; the last category
    // takes the remainder so the lines add up to the totals exactly.
    let shares = [
        0.35 * rng.range(0.9, 1.1),
        0.55 * rng.range(0.9, 1.1),
        0.03 * rng.range(0.8, 1.2),
    ];
    let drift = [
        rng.range(0.98, 1.02),
        rng.range(0.98, 1.02),
        rng.range(0.9, 1.1),
    ];
    let cats = [
        pb::TrafficCategory::MobileInternet,
        pb::TrafficCategory::FixedBroadband,
        pb::TrafficCategory::Iot,
        pb::TrafficCategory::DedicatedLine,
    ];
    let mut lines = Vec::new();
    let (mut left_now, mut left_prev) = (now, prev);
    for (i, c) in cats.iter().enumerate() {
        let (n, p) = if i < 3 {
            let n = (now as f64 * shares[i] * drift[i]).round() as u64;
            let p = (prev as f64 * shares[i]).round() as u64;
            (n.min(left_now), p.min(left_prev))
        } else {
            (left_now, left_prev)
        };
        left_now -= n;
        left_prev -= p;
        lines.push(pb::TrafficCategoryLine {
            category: *c as i32,
            traffic_bytes: n,
            previous_year_traffic_bytes: p,
        });
    }
    pb::CarrierReturn {
        header: header(year, unit, "traffic"),
        traffic_bytes: now,
        previous_year_traffic_bytes: prev,
        categories: lines,
    }
}
