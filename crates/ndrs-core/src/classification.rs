//! Classifications that returns are stratified by and that figures are broken down by.
//!
//! Weighting cells, calibration margins and published breakdowns must all use the same codes, so
//! they are defined once here: regions and provinces for the compute census, subject types for the
//! sampling frame, and the industry, size and centre-type classes the questionnaires ask for.
//! Enums that travel over gRPC have the protobuf numbers as discriminants so conversion is a lookup,
//! not a second table that could drift.

use serde::Serialize;

code_list! {
    /// The four macro-regions of the National Bureau of Statistics (东部、中部、西部、东北),
    /// used to report compute capacity and utilisation by region.
    pub enum MacroRegion {
        East = "east", "东部", "East";
        Central = "central", "中部", "Central";
        /// Includes 新疆生产建设兵团 (XPCC), which the survey counts with Xinjiang.
        West = "west", "西部", "West";
        NorthEast = "north_east", "东北", "North-east";
    }
}

impl MacroRegion {
    /// Provinces in this region, in code order.
    pub fn provinces(self) -> impl Iterator<Item = &'static Province> {
        PROVINCES.iter().filter(move |p| p.macro_region == self)
    }
}

code_list! {
    /// The three city clusters the report singles out for compute concentration (indicator C05).
    ///
    /// Returns are located to a province, not a city, so each cluster is the set of its provinces.
    /// For the Pearl River Delta that set is Guangdong as a whole: the nine delta cities cannot be
    /// told apart from the rest of the province at this granularity.
    pub enum Cluster {
        /// Beijing, Tianjin, Hebei (11, 12, 13).
        JingJinJi = "jing_jin_ji", "京津冀", "Beijing-Tianjin-Hebei";
        /// Shanghai, Jiangsu, Zhejiang, Anhui (31, 32, 33, 34).
        YangtzeDelta = "yangtze_delta", "长三角", "Yangtze River Delta";
        /// Guangdong (44); see the type documentation for why the whole province.
        PearlDelta = "pearl_delta", "珠三角", "Pearl River Delta";
    }
}

impl Cluster {
    /// Provinces in this cluster, in code order.
    pub fn provinces(self) -> impl Iterator<Item = &'static Province> {
        PROVINCES.iter().filter(move |p| p.cluster == Some(self))
    }
}

/// A provincial-level division, the finest geography the survey reports.
///
/// Fields are `&'static str` because provinces only come from [`PROVINCES`]; there is deliberately
/// no way to construct one from input, so an unknown code has to be handled where it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Province {
    /// Two-digit GB/T 2260 code, e.g. `"11"` for Beijing; `"66"` for XPCC (see [`PROVINCES`]).
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub macro_region: MacroRegion,
    pub cluster: Option<Cluster>,
}

const fn prov(
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    macro_region: MacroRegion,
    cluster: Option<Cluster>,
) -> Province {
    Province {
        code,
        name_zh,
        name_en,
        macro_region,
        cluster,
    }
}

use Cluster::{JingJinJi, PearlDelta, YangtzeDelta};
use MacroRegion::{Central, East, NorthEast, West};

/// The 31 provincial-level divisions of the mainland plus 新疆生产建设兵团 (XPCC), in code order.
///
/// XPCC reports separately from Xinjiang in the survey but has no GB/T 2260 code of its own; the
/// survey uses `"66"` for it and counts it in the west.
pub const PROVINCES: [Province; 32] = [
    prov("11", "北京", "Beijing", East, Some(JingJinJi)),
    prov("12", "天津", "Tianjin", East, Some(JingJinJi)),
    prov("13", "河北", "Hebei", East, Some(JingJinJi)),
    prov("14", "山西", "Shanxi", Central, None),
    prov("15", "内蒙古", "Inner Mongolia", West, None),
    prov("21", "辽宁", "Liaoning", NorthEast, None),
    prov("22", "吉林", "Jilin", NorthEast, None),
    prov("23", "黑龙江", "Heilongjiang", NorthEast, None),
    prov("31", "上海", "Shanghai", East, Some(YangtzeDelta)),
    prov("32", "江苏", "Jiangsu", East, Some(YangtzeDelta)),
    prov("33", "浙江", "Zhejiang", East, Some(YangtzeDelta)),
    prov("34", "安徽", "Anhui", Central, Some(YangtzeDelta)),
    prov("35", "福建", "Fujian", East, None),
    prov("36", "江西", "Jiangxi", Central, None),
    prov("37", "山东", "Shandong", East, None),
    prov("41", "河南", "Henan", Central, None),
    prov("42", "湖北", "Hubei", Central, None),
    prov("43", "湖南", "Hunan", Central, None),
    prov("44", "广东", "Guangdong", East, Some(PearlDelta)),
    prov("45", "广西", "Guangxi", West, None),
    prov("46", "海南", "Hainan", East, None),
    prov("50", "重庆", "Chongqing", West, None),
    prov("51", "四川", "Sichuan", West, None),
    prov("52", "贵州", "Guizhou", West, None),
    prov("53", "云南", "Yunnan", West, None),
    prov("54", "西藏", "Xizang (Tibet)", West, None),
    prov("61", "陕西", "Shaanxi", West, None),
    prov("62", "甘肃", "Gansu", West, None),
    prov("63", "青海", "Qinghai", West, None),
    prov("64", "宁夏", "Ningxia", West, None),
    prov("65", "新疆", "Xinjiang", West, None),
    prov(
        "66",
        "新疆生产建设兵团",
        "Xinjiang Production and Construction Corps",
        West,
        None,
    ),
];

/// The province with this two-digit code, as carried in `province_code` on the wire.
pub fn province(code: &str) -> Option<&'static Province> {
    PROVINCES.iter().find(|p| p.code == code)
}

code_list! {
    /// Broad kinds of respondent, the top level of the sampling frame (the group column of the
    /// 2023 sample table). Each stage of the survey draws on different groups.
    pub enum SubjectGroup {
        Government = "government", "政府部门", "Government";
        Research = "research", "科研机构", "Research";
        Compute = "compute", "算力中心", "Compute";
        Circulation = "circulation", "数据流通", "Circulation";
        /// Sources of the full-volume production and storage model.
        ProductionStorage = "production_storage", "数据生产存储", "Production and storage";
        Enterprise = "enterprise", "企业", "Enterprise";
        /// Device and storage vendors, parameter sources for the full-volume model; they are not
        /// in the 2023 sample table, which lists only the associations that recommended them.
        Vendor = "vendor", "厂商", "Vendor";
    }
}

code_list! {
    /// The kind of reporting unit. Mirrors `ndrs.v1.SubjectType`; strata and design weights are
    /// defined per subject type, so a respondent has exactly one.
    pub enum SubjectType {
        NationalDepartment = 1 => "national_department", "国家部门", "National department";
        ProvincialDataBureau = 2 =>
            "provincial_data_bureau", "省级数据管理部门", "Provincial data bureau";
        /// Data bureaus of the five cities with independent planning status (计划单列市).
        PlannedCityDataBureau = 3 =>
            "planned_city_data_bureau", "计划单列市数据管理部门", "Planned city data bureau";
        University = 4 => "university", "高校", "University";
        NationalScienceDataCentre = 5 =>
            "national_science_data_centre", "国家科学数据中心", "National science data centre";
        NationalLaboratory = 6 => "national_laboratory", "国家实验室", "National laboratory";
        ComputeCentre = 7 => "compute_centre", "算力中心", "Compute centre";
        TelecomCarrier = 8 => "telecom_carrier", "电信运营商", "Telecom carrier";
        IndustryAssociation = 9 => "industry_association", "行业协会", "Industry association";
        DataExchange = 10 => "data_exchange", "数据交易机构", "Data exchange";
        CentralSoe = 11 => "central_soe", "中央企业", "Central SOE";
        PlatformDataServiceProvider = 12 =>
            "platform_data_service_provider", "平台类数据服务商", "Platform data service provider";
        NonPlatformDataServiceProvider = 13 =>
            "non_platform_data_service_provider", "非平台类数据服务商",
            "Non-platform data service provider";
        KeyIndustryEnterprise = 14 =>
            "key_industry_enterprise", "行业重点企业", "Key industry enterprise";
        DeviceVendor = 15 => "device_vendor", "设备厂商", "Device vendor";
        StorageVendor = 16 => "storage_vendor", "存储厂商", "Storage vendor";
    }
}

impl SubjectType {
    /// The frame group this subject type belongs to.
    pub const fn group(self) -> SubjectGroup {
        use SubjectType::*;
        match self {
            NationalDepartment | ProvincialDataBureau | PlannedCityDataBureau => {
                SubjectGroup::Government
            }
            University | NationalScienceDataCentre | NationalLaboratory => SubjectGroup::Research,
            ComputeCentre => SubjectGroup::Compute,
            TelecomCarrier | DataExchange => SubjectGroup::Circulation,
            IndustryAssociation => SubjectGroup::ProductionStorage,
            CentralSoe
            | PlatformDataServiceProvider
            | NonPlatformDataServiceProvider
            | KeyIndustryEnterprise => SubjectGroup::Enterprise,
            DeviceVendor | StorageVendor => SubjectGroup::Vendor,
        }
    }
}

code_list! {
    /// Industry groups of key industry enterprises and of exchange products, as the report groups
    /// them. Mirrors `ndrs.v1.IndustryGroup`.
    pub enum IndustryGroup {
        /// Agriculture, forestry, animal husbandry and fishery (农林牧渔业).
        Agriculture = 1 => "agriculture", "农业", "Agriculture";
        Industry = 2 => "industry", "工业", "Industry";
        Finance = 3 => "finance", "金融", "Finance";
        TransportLogistics = 4 => "transport_logistics", "交通物流", "Transport and logistics";
        Consumer = 5 => "consumer", "消费民生", "Consumer and livelihood";
        ScienceEducationCultureHealth = 6 =>
            "science_education_culture_health", "科教文卫",
            "Science, education, culture and health";
        PublicService = 7 => "public_service", "公共服务", "Public service";
    }
}

code_list! {
    /// Enterprise size class under the NBS statistical classification of large, medium, small and
    /// micro enterprises (统计上大中小微型企业划分办法, thresholds per GB/T 4754 industry). The
    /// report's "large enterprises" are the `Large` class. Mirrors `ndrs.v1.SizeClass`.
    pub enum SizeClass {
        Large = 1 => "large", "大型", "Large";
        Medium = 2 => "medium", "中型", "Medium";
        Small = 3 => "small", "小型", "Small";
        Micro = 4 => "micro", "微型", "Micro";
    }
}

code_list! {
    /// Business scenarios in which an enterprise applies data (the application questionnaire's
    /// `scenario` code list). Mirrors `ndrs.v1.Scenario`.
    pub enum Scenario {
        OperationsManagement = 1 => "operations_management", "经营管理", "Operations management";
        Production = 2 => "production", "生产制造", "Production";
        Marketing = 3 => "marketing", "市场营销", "Marketing";
        ResearchDevelopment = 4 => "research_development", "研发设计", "Research and development";
        CustomerService = 5 => "customer_service", "客户服务", "Customer service";
        SupplyChain = 6 => "supply_chain", "供应链管理", "Supply chain";
    }
}

code_list! {
    /// Kind of compute centre in the census; intelligent capacity is reported as its own share
    /// (indicator C04). Mirrors `ndrs.v1.CentreType`.
    pub enum CentreType {
        General = 1 => "general", "通用计算中心", "General-purpose computing centre";
        Intelligent = 2 => "intelligent", "智能计算中心", "Intelligent computing centre";
        Supercomputing = 3 => "supercomputing", "超算中心", "Supercomputing centre";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn subject_types_mirror_the_protobuf_numbers() {
        assert_eq!(SubjectType::ALL.len(), 16);
        for (i, t) in SubjectType::ALL.iter().enumerate() {
            assert_eq!(t.as_i32(), i as i32 + 1);
            assert_eq!(SubjectType::from_i32(t.as_i32()), Some(*t));
            assert_eq!(SubjectType::from_code(t.code()), Some(*t));
        }
        assert_eq!(SubjectType::StorageVendor.as_i32(), 16);
        assert_eq!(SubjectType::from_i32(0), None);
        assert_eq!(SubjectType::from_i32(17), None);
        assert_eq!(
            IndustryGroup::from_i32(7),
            Some(IndustryGroup::PublicService)
        );
        assert_eq!(IndustryGroup::from_i32(8), None);
        assert_eq!(SizeClass::from_i32(4), Some(SizeClass::Micro));
        assert_eq!(CentreType::from_i32(2), Some(CentreType::Intelligent));
        assert_eq!(CentreType::from_i32(0), None);
    }

    #[test]
    fn serde_form_is_the_code() {
        for t in SubjectType::ALL {
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.code())
            );
            let back: SubjectType = serde_json::from_str(&format!("\"{}\"", t.code())).unwrap();
            assert_eq!(back, t);
        }
        for r in MacroRegion::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
        assert_eq!(MacroRegion::NorthEast.code(), "north_east");
        assert_eq!(Cluster::JingJinJi.to_string(), "jing_jin_ji");
    }

    #[test]
    fn provinces_are_complete_and_unique() {
        assert_eq!(PROVINCES.len(), 32);
        let codes: HashSet<_> = PROVINCES.iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), 32);
        let names: HashSet<_> = PROVINCES.iter().map(|p| p.name_zh).collect();
        assert_eq!(names.len(), 32);
        for p in &PROVINCES {
            assert_eq!(p.code.len(), 2);
            assert!(p.code.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(province(p.code), Some(p));
        }
        assert!(PROVINCES.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(province("66").unwrap().name_zh, "新疆生产建设兵团");
        assert_eq!(province("66").unwrap().macro_region, MacroRegion::West);
        assert_eq!(province("00"), None);
        assert_eq!(province("1"), None);
    }

    #[test]
    fn macro_regions_follow_nbs() {
        let names = |r: MacroRegion| r.provinces().map(|p| p.name_zh).collect::<Vec<_>>();
        for r in MacroRegion::ALL {
            assert!(r.provinces().next().is_some(), "{r} is empty");
        }
        let mut east = names(MacroRegion::East);
        east.sort_unstable();
        let mut expected = vec![
            "北京", "天津", "河北", "上海", "江苏", "浙江", "福建", "山东", "广东", "海南",
        ];
        expected.sort_unstable();
        assert_eq!(east, expected);
        assert_eq!(
            names(MacroRegion::Central),
            ["山西", "安徽", "江西", "河南", "湖北", "湖南"]
        );
        assert_eq!(names(MacroRegion::NorthEast), ["辽宁", "吉林", "黑龙江"]);
        assert_eq!(MacroRegion::West.provinces().count(), 13);
    }

    #[test]
    fn clusters_are_as_stated() {
        let codes = |c: Cluster| c.provinces().map(|p| p.code).collect::<Vec<_>>();
        assert_eq!(codes(Cluster::JingJinJi), ["11", "12", "13"]);
        assert_eq!(codes(Cluster::YangtzeDelta), ["31", "32", "33", "34"]);
        assert_eq!(codes(Cluster::PearlDelta), ["44"]);
        assert_eq!(PROVINCES.iter().filter(|p| p.cluster.is_some()).count(), 8);
    }
}
