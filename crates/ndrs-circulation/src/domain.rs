//! Carrier and exchange returns, validated, and what the platform's submit path runs for each kind
//! ([`StageReturn`]).

use std::collections::BTreeSet;

use ndrs_core::Violations;
use ndrs_core::classification::IndustryGroup;
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnHeader};
use ndrs_platform::stage::{StageReturn, TypedReturn, check_province};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

/// A carrier's traffic for the cycle and its restatement of the previous cycle's traffic (growth is
/// measured on the carrier's own consistent definition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierReturn {
    pub traffic_bytes: u64,
    pub previous_year_traffic_bytes: u64,
    #[serde(default)]
    pub categories: Vec<TrafficLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficCategory {
    MobileInternet,
    FixedBroadband,
    Iot,
    DedicatedLine,
}

impl TrafficCategory {
    pub const ALL: [TrafficCategory; 4] = [
        TrafficCategory::MobileInternet,
        TrafficCategory::FixedBroadband,
        TrafficCategory::Iot,
        TrafficCategory::DedicatedLine,
    ];

    fn from_proto(value: i32) -> Option<Self> {
        use pb::TrafficCategory as T;
        Some(match T::try_from(value).ok()? {
            T::MobileInternet => TrafficCategory::MobileInternet,
            T::FixedBroadband => TrafficCategory::FixedBroadband,
            T::Iot => TrafficCategory::Iot,
            T::DedicatedLine => TrafficCategory::DedicatedLine,
            T::Unspecified => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            TrafficCategory::MobileInternet => "mobile_internet",
            TrafficCategory::FixedBroadband => "fixed_broadband",
            TrafficCategory::Iot => "iot",
            TrafficCategory::DedicatedLine => "dedicated_line",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficLine {
    pub category: TrafficCategory,
    pub traffic_bytes: u64,
    pub previous_year_traffic_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeLine {
    pub industry: IndustryGroup,
    pub products_listed: u64,
    pub products_transacted: u64,
    pub buyers: u64,
    pub sellers: u64,
    pub turnover_yuan: f64,
    pub saas_products: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeReturn {
    pub province_code: String,
    pub lines: Vec<ExchangeLine>,
}

pub fn carrier_return_from_proto(
    request: pb::CarrierReturn,
) -> ndrs_core::Result<(ReturnHeader, CarrierReturn)> {
    let pb::CarrierReturn {
        header,
        traffic_bytes,
        previous_year_traffic_bytes,
        categories,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    v.check(
        traffic_bytes > 0,
        "traffic_bytes",
        "a carrier's traffic cannot be zero",
    );
    v.check(
        previous_year_traffic_bytes > 0,
        "previous_year_traffic_bytes",
        "the previous year's traffic is needed for growth and cannot be zero",
    );
    let mut lines: Vec<TrafficLine> = Vec::with_capacity(categories.len());
    for (i, line) in categories.into_iter().enumerate() {
        let pb::TrafficCategoryLine {
            category,
            traffic_bytes,
            previous_year_traffic_bytes,
        } = line;
        match TrafficCategory::from_proto(category) {
            None => v.push(
                format!("categories[{i}].category"),
                "unknown traffic category",
            ),
            Some(c) if lines.iter().any(|l| l.category == c) => v.push(
                format!("categories[{i}].category"),
                "category reported twice",
            ),
            Some(category) => lines.push(TrafficLine {
                category,
                traffic_bytes,
                previous_year_traffic_bytes,
            }),
        }
    }
    if !lines.is_empty() {
        let sum = |f: fn(&TrafficLine) -> u64| lines.iter().map(f).map(u128::from).sum::<u128>();
        v.check(
            sum(|l| l.traffic_bytes) == u128::from(traffic_bytes),
            "categories",
            "category traffic must add up to traffic_bytes",
        );
        v.check(
            sum(|l| l.previous_year_traffic_bytes) == u128::from(previous_year_traffic_bytes),
            "categories",
            "category previous-year traffic must add up to previous_year_traffic_bytes",
        );
    }
    lines.sort_by_key(|l| l.category);
    v.finish((
        header,
        CarrierReturn {
            traffic_bytes,
            previous_year_traffic_bytes,
            categories: lines,
        },
    ))
}

pub fn exchange_return_from_proto(
    request: pb::ExchangeReturn,
) -> ndrs_core::Result<(ReturnHeader, ExchangeReturn)> {
    let pb::ExchangeReturn {
        header,
        province_code,
        lines,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    check_province("province_code", &province_code, &mut v);
    v.check(
        !lines.is_empty(),
        "lines",
        "at least one industry line is required",
    );
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let pb::ExchangeIndustryLine {
            industry,
            products_listed,
            products_transacted,
            buyers,
            sellers,
            turnover_yuan,
            saas_products,
        } = line;
        let industry = IndustryGroup::from_i32(industry);
        match industry {
            None => v.push(format!("lines[{i}].industry"), "unknown industry group"),
            Some(g) if !seen.insert(g) => {
                v.push(format!("lines[{i}].industry"), "industry reported twice")
            }
            Some(_) => {}
        }
        v.check(
            products_transacted <= products_listed,
            format!("lines[{i}].products_transacted"),
            "cannot exceed products listed",
        );
        v.check(
            saas_products <= products_listed,
            format!("lines[{i}].saas_products"),
            "cannot exceed products listed",
        );
        v.non_negative(format!("lines[{i}].turnover_yuan"), turnover_yuan);
        if let Some(industry) = industry {
            out.push(ExchangeLine {
                industry,
                products_listed,
                products_transacted,
                buyers,
                sellers,
                turnover_yuan,
                saas_products,
            });
        }
    }
    v.finish((
        header,
        ExchangeReturn {
            province_code,
            lines: out,
        },
    ))
}

/// Every number a carrier return reports, with its field and what it measures (for the
/// plausibility bounds). Categories are named by their code: the stored return keeps them sorted.
pub fn carrier_quantities(r: &CarrierReturn) -> Vec<Reported> {
    let q = Quantity::CarrierTrafficBytes;
    let mut out = vec![
        (q, "traffic_bytes".to_string(), r.traffic_bytes as f64),
        (
            q,
            "previous_year_traffic_bytes".to_string(),
            r.previous_year_traffic_bytes as f64,
        ),
    ];
    for line in &r.categories {
        let code = line.category.code();
        out.push((
            q,
            format!("categories[{code}].traffic_bytes"),
            line.traffic_bytes as f64,
        ));
        out.push((
            q,
            format!("categories[{code}].previous_year_traffic_bytes"),
            line.previous_year_traffic_bytes as f64,
        ));
    }
    out
}

/// Every number an exchange return reports (see [`carrier_quantities`]); lines keep the
/// request's order.
pub fn exchange_quantities(r: &ExchangeReturn) -> Vec<Reported> {
    let mut out = Vec::new();
    for (i, line) in r.lines.iter().enumerate() {
        for (name, value) in [
            ("products_listed", line.products_listed),
            ("products_transacted", line.products_transacted),
            ("buyers", line.buyers),
            ("sellers", line.sellers),
            ("saas_products", line.saas_products),
        ] {
            out.push((
                Quantity::ExchangeCount,
                format!("lines[{i}].{name}"),
                value as f64,
            ));
        }
        out.push((
            Quantity::ExchangeYuan,
            format!("lines[{i}].turnover_yuan"),
            line.turnover_yuan,
        ));
    }
    out
}

pub fn carrier_findings(r: &CarrierReturn) -> Vec<EditFinding> {
    let growth = r.traffic_bytes as f64 / r.previous_year_traffic_bytes as f64 - 1.0;
    if !(-0.5..=1.0).contains(&growth) {
        vec![EditFinding {
            rule_id: "circulation.carrier_growth_implausible".into(),
            severity: FindingSeverity::Warning,
            message: format!(
                "traffic growth of {:.1}% is outside -50%..+100%",
                growth * 100.0
            ),
            fields: vec!["traffic_bytes".into(), "previous_year_traffic_bytes".into()],
        }]
    } else {
        Vec::new()
    }
}

pub fn exchange_findings(r: &ExchangeReturn) -> Vec<EditFinding> {
    let mut findings = Vec::new();
    for (i, line) in r.lines.iter().enumerate() {
        if line.products_transacted > 0 && line.turnover_yuan == 0.0 {
            findings.push(EditFinding {
                rule_id: "circulation.transactions_without_turnover".into(),
                severity: FindingSeverity::Warning,
                message: "products were transacted but no turnover is reported".into(),
                fields: vec![format!("lines[{i}].turnover_yuan")],
            });
        }
        if line.products_transacted > 0 && (line.buyers == 0 || line.sellers == 0) {
            findings.push(EditFinding {
                rule_id: "circulation.transactions_without_parties".into(),
                severity: FindingSeverity::Warning,
                message: "products were transacted but buyers or sellers are zero".into(),
                fields: vec![format!("lines[{i}].buyers"), format!("lines[{i}].sellers")],
            });
        }
    }
    findings
}

impl StageReturn for CarrierReturn {
    const KIND: &'static str = "carrier_traffic";
    fn edit_findings(&self) -> Vec<EditFinding> {
        carrier_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        carrier_quantities(self)
    }
}

impl TypedReturn for CarrierReturn {
    type Proto = pb::CarrierReturn;
    fn from_proto(message: pb::CarrierReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        carrier_return_from_proto(message)
    }
}

impl StageReturn for ExchangeReturn {
    const KIND: &'static str = "exchange_activity";
    fn edit_findings(&self) -> Vec<EditFinding> {
        exchange_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        exchange_quantities(self)
    }
}

impl TypedReturn for ExchangeReturn {
    type Proto = pb::ExchangeReturn;
    fn from_proto(message: pb::ExchangeReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        exchange_return_from_proto(message)
    }
}
