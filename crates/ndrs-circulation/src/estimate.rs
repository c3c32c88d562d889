//! Circulation figures. Carriers and exchanges are both censuses (take-all strata), so the figures
//! are totals and ratios of totals over the respondents, with no sampling error.

use std::collections::BTreeSet;

use ndrs_core::Result;
use ndrs_core::classification::IndustryGroup;
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{StageCore, StageFigures, figure, lineage_of, ratio};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};

use crate::domain::{CarrierReturn, ExchangeLine, ExchangeReturn, TrafficCategory};

/// The stage's figures for a cycle, from both panels' latest usable returns.
pub async fn stage_figures(core: &StageCore, cycle_year: i32) -> Result<StageFigures> {
    let (carriers, mut set_aside) = core.load_usable::<CarrierReturn>(cycle_year).await?;
    let (exchanges, exchanges_set_aside) = core.load_usable::<ExchangeReturn>(cycle_year).await?;
    set_aside.extend(exchanges_set_aside);
    Ok(StageFigures {
        figures: figures(&carriers, &exchanges),
        returns_used: (carriers.len() + exchanges.len()) as u64,
        notes: Vec::new(),
        set_aside,
    })
}

/// The circulation figures over the respondents of both panels.
pub fn figures(
    carriers: &[(StoredReturn, CarrierReturn)],
    exchanges: &[(StoredReturn, ExchangeReturn)],
) -> Vec<pb::Figure> {
    let mut out = Vec::new();
    if !carriers.is_empty() {
        let lineage = lineage_of(
            carriers.iter().map(|(s, _)| s),
            "census of carriers: total traffic over total restated previous-year traffic, minus one",
        );
        let now: f64 = carriers.iter().map(|(_, c)| c.traffic_bytes as f64).sum();
        let before: f64 = carriers
            .iter()
            .map(|(_, c)| c.previous_year_traffic_bytes as f64)
            .sum();
        if let Some(r) = ratio(now, before) {
            out.push(figure(
                "F01",
                FigureKind::Estimate,
                r - 1.0,
                Unit::Ratio,
                lineage.clone(),
                &[],
            ));
        }
        // Growth by traffic category, where carriers split their traffic.
        for category in TrafficCategory::ALL {
            let lines = || {
                carriers
                    .iter()
                    .flat_map(|(_, c)| c.categories.iter())
                    .filter(|l| l.category == category)
            };
            let now: f64 = lines().map(|l| l.traffic_bytes as f64).sum();
            let before: f64 = lines().map(|l| l.previous_year_traffic_bytes as f64).sum();
            if let Some(r) = ratio(now, before) {
                out.push(figure(
                    "circulation.traffic_growth",
                    FigureKind::Auxiliary,
                    r - 1.0,
                    Unit::Ratio,
                    lineage.clone(),
                    &[("category", category.code())],
                ));
            }
        }
        out.push(figure(
            "check.circulation.carrier_traffic_bytes",
            FigureKind::Check,
            now,
            Unit::Bytes,
            lineage,
            &[],
        ));
    }
    if exchanges.is_empty() {
        return out;
    }
    let lineage = lineage_of(
        exchanges.iter().map(|(s, _)| s),
        "census of data exchanges: ratios of totals",
    );
    let lines = || exchanges.iter().flat_map(|(_, e)| e.lines.iter());
    let consumer = || lines().filter(|l| l.industry == IndustryGroup::Consumer);
    let total = |it: &mut dyn Iterator<Item = &ExchangeLine>, f: fn(&ExchangeLine) -> f64| {
        it.map(f).sum::<f64>()
    };
    let listed = total(&mut lines(), |l| l.products_listed as f64);
    let transacted = total(&mut lines(), |l| l.products_transacted as f64);
    let buyers = total(&mut lines(), |l| l.buyers as f64);
    let sellers = total(&mut lines(), |l| l.sellers as f64);
    let turnover = total(&mut lines(), |l| l.turnover_yuan);
    let saas = total(&mut lines(), |l| l.saas_products as f64);
    let provinces: BTreeSet<&str> = exchanges
        .iter()
        .map(|(_, e)| e.province_code.as_str())
        .collect();
    out.push(figure(
        "F05",
        FigureKind::Estimate,
        provinces.len() as f64,
        Unit::Count,
        lineage.clone(),
        &[],
    ));
    // SaaS share of listed data products: the report's "over half of platform data products are
    // SaaS"; exchanges are where platform products are listed, so their listings are the frame.
    if let Some(r) = ratio(saas, listed) {
        out.push(figure(
            "F04",
            FigureKind::Estimate,
            r,
            Unit::Ratio,
            lineage.clone(),
            &[],
        ));
    }
    if let Some(r) = ratio(transacted, listed) {
        out.push(figure(
            "F06",
            FigureKind::Estimate,
            r,
            Unit::Ratio,
            lineage.clone(),
            &[],
        ));
    }
    if let Some(r) = ratio(buyers, sellers) {
        out.push(figure(
            "F07",
            FigureKind::Estimate,
            r,
            Unit::Times,
            lineage.clone(),
            &[],
        ));
    }
    let c_buyers = total(&mut consumer(), |l| l.buyers as f64);
    let c_sellers = total(&mut consumer(), |l| l.sellers as f64);
    let c_listed = total(&mut consumer(), |l| l.products_listed as f64);
    let c_transacted = total(&mut consumer(), |l| l.products_transacted as f64);
    if let Some(r) = ratio(c_buyers, c_sellers) {
        out.push(figure(
            "F08",
            FigureKind::Estimate,
            r,
            Unit::Times,
            lineage.clone(),
            &[],
        ));
    }
    if let Some(r) = ratio(c_transacted, c_listed) {
        out.push(figure(
            "F09",
            FigureKind::Estimate,
            r,
            Unit::Ratio,
            lineage.clone(),
            &[],
        ));
    }
    // Turnover by industry (the report's figure 3.2) as breakdown cells. Each cell says how many
    // exchanges trade in it and how much of it the largest one holds, for disclosure control.
    for industry in IndustryGroup::ALL {
        let by_exchange: Vec<f64> = exchanges
            .iter()
            .map(|(_, e)| {
                e.lines
                    .iter()
                    .filter(|l| l.industry == industry)
                    .map(|l| l.turnover_yuan)
                    .sum::<f64>()
            })
            .filter(|t| *t > 0.0)
            .collect();
        let t: f64 = by_exchange.iter().sum();
        if let Some(share) = ratio(t, turnover) {
            let mut cell_lineage = lineage.clone();
            cell_lineage.reporters = by_exchange.len() as u32;
            cell_lineage.largest_share =
                ratio(by_exchange.iter().copied().fold(0.0, f64::max), t).unwrap_or(0.0);
            out.push(figure(
                "circulation.turnover_share",
                FigureKind::Auxiliary,
                share,
                Unit::Ratio,
                cell_lineage,
                &[("industry", industry.code())],
            ));
        }
    }
    out.push(figure(
        "check.circulation.exchange_turnover_yuan",
        FigureKind::Check,
        turnover,
        Unit::Yuan,
        lineage,
        &[],
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{carrier_return_from_proto, exchange_return_from_proto};
    use ndrs_testkit::sample;

    fn stored(unit: &str) -> StoredReturn {
        StoredReturn {
            id: 1,
            return_id: format!("r-{unit}"),
            version: 1,
            return_kind: "k".into(),
            cycle_year: 2023,
            reporting_unit_id: unit.into(),
            idempotency_key: "k".into(),
            content_hash: "h".into(),
            payload_json: "{}".into(),
            findings_json: "[]".into(),
            submitted_by: "t".into(),
            received_at: "t".into(),
        }
    }

    fn value(figures: &[pb::Figure], id: &str) -> f64 {
        figures
            .iter()
            .find(|f| f.id == id && f.dimensions.is_empty())
            .unwrap_or_else(|| panic!("no {id}"))
            .value
    }

    #[test]
    fn census_ratios_of_totals() {
        let (_, c) = carrier_return_from_proto(sample::carrier("c1", "k", 1_076, 1_000)).unwrap();
        let (_, e1) = exchange_return_from_proto(sample::exchange("e1", "k", "31")).unwrap();
        let (_, e2) = exchange_return_from_proto(sample::exchange("e2", "k", "44")).unwrap();
        let figs = figures(
            &[(stored("c1"), c)],
            &[(stored("e1"), e1), (stored("e2"), e2)],
        );
        assert!((value(&figs, "F01") - 0.076).abs() < 1e-12);
        assert_eq!(value(&figs, "F05"), 2.0);
        assert!((value(&figs, "F04") - 420.0 / 1000.0).abs() < 1e-12);
        assert!((value(&figs, "F06") - 0.18).abs() < 1e-12);
        assert!((value(&figs, "F07") - 1.75).abs() < 1e-12);
        assert!((value(&figs, "F08") - 2.4).abs() < 1e-12);
        assert!((value(&figs, "F09") - 0.1).abs() < 1e-12);
        let shares: f64 = figs
            .iter()
            .filter(|f| f.id == "circulation.turnover_share")
            .map(|f| f.value)
            .sum();
        assert!(
            (shares - 1.0).abs() < 1e-12,
            "turnover shares sum to {shares}"
        );
        // The two identical exchanges trade in the same industries: every non-empty cell has
        // two reporters, each holding half of it.
        for cell in figs
            .iter()
            .filter(|f| f.id == "circulation.turnover_share" && f.value > 0.0)
        {
            let lineage = cell.lineage.as_ref().unwrap();
            assert_eq!((lineage.reporters, lineage.largest_share), (2, 0.5));
        }
        let mobile = figs
            .iter()
            .find(|f| {
                f.id == "circulation.traffic_growth"
                    && f.dimensions.get("category").map(String::as_str) == Some("mobile_internet")
            })
            .unwrap();
        assert!((mobile.value - 0.076).abs() < 1e-12);
    }

    #[test]
    fn bad_returns_name_their_fields() {
        let mut c = sample::carrier("c1", "k", 1_076, 1_000);
        c.categories[0].traffic_bytes += 1;
        let err = carrier_return_from_proto(c).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "categories");
        let mut e = sample::exchange("e1", "k", "31");
        e.lines[0].products_transacted = e.lines[0].products_listed + 1;
        e.lines[1].industry = e.lines[0].industry;
        e.lines[1].turnover_yuan = f64::NAN;
        let err = exchange_return_from_proto(e).unwrap_err();
        let fields: Vec<_> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "lines[0].products_transacted",
                "lines[1].industry",
                "lines[1].turnover_yuan"
            ]
        );
    }
}
