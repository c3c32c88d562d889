//! What the report names and groups as the 2023 report does: the findings' three groups, the
//! charts (figures 3.1-3.4, appendix figures 1-2) and the Chinese names of breakdown levels.

/// The findings in the report's three groups (section 一): id, Chinese and English titles, and
/// the indicators each group cites.
pub const HEADLINE: [(&str, &str, &str, &[&str]); 3] = [
    (
        "figures",
        "一组数据：数据“产-存-算”规模优势基本形成",
        "A set of figures: the scale of production, storage and compute",
        &["P01", "P02", "P03", "P07", "C02", "C03", "C04"],
    ),
    (
        "achievements",
        "一批成效：数据“供给-流通-应用”主体逐渐丰富",
        "Achievements: more actors supplying, trading and applying data",
        &["A01", "A02", "A03", "A04", "A07", "A08", "A09", "A10"],
    ),
    (
        "problems",
        "一些问题：海量数据和丰富场景优势潜力仍待释放",
        "Problems: the potential of the data and its scenarios is still to be released",
        &["P05", "P14", "F07", "F06", "A14", "A15"],
    ),
];

/// Every indicator the findings cite, in order.
pub fn headline_ids() -> impl Iterator<Item = &'static str> {
    HEADLINE
        .iter()
        .flat_map(|(_, _, _, ids)| ids.iter().copied())
}

/// Breakdowns drawn as bar charts, numbered as in the report: figure id, dimension, Chinese and
/// English titles.
pub const CHARTS: [(&str, &str, &str, &str); 9] = [
    (
        "production.bytes",
        "category",
        "图3.1 数据来源分布情况",
        "Figure 3.1 Data production by source",
    ),
    (
        "production.public_acquisition_bytes",
        "category",
        "图3.1（续）公共数据获取来源分布",
        "Figure 3.1 (cont.) Public data acquisition by source (P15: IoT sensing share)",
    ),
    (
        "circulation.turnover_share",
        "industry",
        "图3.2 场内数据交易额行业分布情况",
        "Figure 3.2 Exchange turnover by industry",
    ),
    (
        "application.open_data_use_share",
        "subject_type",
        "图3.3 政府开放数据应用（按企业类型）",
        "Figure 3.3 Use of government open data by enterprise group",
    ),
    (
        "application.scenario_share",
        "scenario",
        "图3.4 数据应用场景分布",
        "Figure 3.4 Data application scenarios of key industry enterprises",
    ),
    (
        "compute.capacity_share",
        "macro_region",
        "算力规模占比（按区域）",
        "Compute capacity share by region",
    ),
    (
        "compute.capacity_share",
        "province",
        "算力规模占比（按省份）",
        "Compute capacity share by province",
    ),
    (
        "application.valid_sample",
        "province",
        "附图1 企业区域分布图",
        "Appendix figure 1 Responding enterprises by province",
    ),
    (
        "application.valid_sample",
        "industry",
        "附图2 企业行业分布图",
        "Appendix figure 2 Responding key industry enterprises by industry",
    ),
];

/// The data source categories of the report's table 2.2, under 人 (people), 物 (things) and 机
/// (machines): class, code, Chinese and English names. They live in the production service, not
/// in ndrs-core.
pub(crate) const SOURCE_CATEGORIES: [(&str, &str, &str, &str); 6] = [
    ("人", "daily_life", "生产生活", "Daily life"),
    ("人", "transport", "交通运输", "Transport"),
    ("物", "iot_sensing", "物联感知", "IoT sensing"),
    ("物", "manufacturing", "生产制造", "Manufacturing"),
    ("机", "storage_compute", "存储计算", "Storage and compute"),
    ("机", "software", "软件系统", "Software systems"),
];

/// Application scenarios of figure 3.4 by code (they live in the application service).
const SCENARIOS: [(&str, &str); 6] = [
    ("operations_management", "运营管理"),
    ("production", "生产制造"),
    ("marketing", "营销"),
    ("research_development", "研发设计"),
    ("customer_service", "客户服务"),
    ("supply_chain", "供应链"),
];

/// A breakdown level as a reader knows it: by its Chinese name where the classification has one
/// (provinces keep their code in front, which orders them as the report does), otherwise by code.
pub(crate) fn level_label(dimension: &str, level: &str) -> String {
    use ndrs_core::classification::{IndustryGroup, MacroRegion, SubjectType};
    let name = match dimension {
        "province" => {
            return ndrs_core::classification::province(level)
                .map_or(level.to_string(), |p| format!("{level} {}", p.name_zh));
        }
        "industry" => IndustryGroup::from_code(level).map(|i| i.name_zh()),
        "macro_region" => MacroRegion::from_code(level).map(|r| r.name_zh()),
        "subject_type" => SubjectType::from_code(level).map(|t| t.name_zh()),
        "category" => SOURCE_CATEGORIES
            .iter()
            .find(|(_, code, _, _)| *code == level)
            .map(|(_, _, name, _)| *name),
        "scenario" => SCENARIOS
            .iter()
            .find(|(code, _)| *code == level)
            .map(|(_, name)| *name),
        _ => None,
    };
    name.map_or(level.to_string(), str::to_string)
}

/// A breakdown level in both languages, as the charts label it ("北京 · Beijing"); the code where
/// the classification has no name.
pub(crate) fn level_label_bilingual(dimension: &str, level: &str) -> String {
    use ndrs_core::classification::{IndustryGroup, MacroRegion, SubjectType};
    let names: Option<(&str, &str)> = match dimension {
        "province" => ndrs_core::classification::province(level).map(|p| (p.name_zh, p.name_en)),
        "industry" => IndustryGroup::from_code(level).map(|i| (i.name_zh(), i.name_en())),
        "macro_region" => MacroRegion::from_code(level).map(|r| (r.name_zh(), r.name_en())),
        "subject_type" => SubjectType::from_code(level).map(|t| (t.name_zh(), t.name_en())),
        "category" => SOURCE_CATEGORIES
            .iter()
            .find(|(_, code, _, _)| *code == level)
            .map(|(_, _, zh, en)| (*zh, *en)),
        "scenario" => {
            // The report's own Chinese names of the scenarios, the classification's English.
            return match ndrs_core::classification::Scenario::from_code(level) {
                Some(s) => format!("{} · {}", level_label(dimension, level), s.name_en()),
                None => level.to_string(),
            };
        }
        _ => None,
    };
    names.map_or(level.to_string(), |(zh, en)| format!("{zh} · {en}"))
}
