//! The data structure the published figures fit: one dataflow (`NDRS:DF_NDRS(1.0)`), its DSD
//! (`NDRS:DSD_NDRS(1.0)`) and the code lists they use, built from what was published.
//!
//! Dimensions, in order: FREQ (annual), INDICATOR (one code per published figure id), then one
//! dimension per breakdown variable the releases use (PROVINCE, SUBJECT_TYPE, ...; `_T` where a
//! figure is not broken down by it), then TIME_PERIOD (the cycle's reference year). A breakdown
//! whose variable is one of the survey's classifications takes its code list from it (every
//! province with its Chinese and English name, every subject type, ...); any other takes the
//! values published. Concepts, FREQ, OBS_STATUS and CONF_STATUS are SDMX's cross-domain ones
//! (`SDMX:CROSS_DOMAIN_CONCEPTS(2.0)`, `SDMX:CL_FREQ(2.1)`, `SDMX:CL_OBS_STATUS(2.2)`,
//! `SDMX:CL_CONF_STATUS(1.3)`, the codes used here); UNIT_MEASURE, the cross-domain concept,
//! is coded by the survey's units (`NDRS:CL_UNIT_MEASURE`), since SDMX has no global unit list.
//!
//! The structure is computed from every visible release, so a later cycle that adds a
//! breakdown variable adds a dimension; the structure stays at version 1.0 while only code lists
//! grow (docs/decisions.md, "SDMX structure").

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::catalogue::{Catalogue, figure_families};
use ndrs_core::classification as cls;
use ndrs_core::units::Unit;

use super::xml::{escape, sdmx_id};
use crate::release::{Document, Figure};

pub const AGENCY: &str = "NDRS";
pub const DATAFLOW: &str = "DF_NDRS";
pub const DSD: &str = "DSD_NDRS";
pub const VERSION: &str = "1.0";
/// The code of a figure not broken down by a dimension (SDMX's convention for a total).
pub const TOTAL: &str = "_T";

/// A code with its names.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub id: String,
    pub name_en: String,
    pub name_zh: Option<String>,
}

/// A code list as the structure message lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Codelist {
    pub agency: &'static str,
    pub id: String,
    pub version: &'static str,
    pub name_en: String,
    /// Only the codes used here of a list maintained by someone else.
    pub partial: bool,
    pub codes: Vec<Code>,
}

/// A dimension: its id, the breakdown variable it carries (`None` for FREQ and INDICATOR) and
/// its code list.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub id: String,
    pub breakdown: Option<String>,
    pub codelist: (&'static str, String, &'static str),
}

/// The whole structure, and the codes of what the releases hold.
#[derive(Debug, Clone)]
pub struct Structure {
    pub dimensions: Vec<Dimension>,
    pub codelists: Vec<Codelist>,
    indicator_codes: BTreeMap<String, String>,
    value_codes: BTreeMap<(String, String), String>,
}

fn code(id: &str, en: &str, zh: Option<&str>) -> Code {
    Code {
        id: id.to_string(),
        name_en: en.to_string(),
        name_zh: zh.map(str::to_string),
    }
}

/// The survey's own code list for a breakdown variable, when it is one of its classifications.
fn classification(variable: &str) -> Option<Vec<Code>> {
    macro_rules! listed {
        ($list:ty) => {
            <$list>::ALL
                .iter()
                .map(|c| code(c.code(), c.name_en(), Some(c.name_zh())))
                .collect()
        };
    }
    Some(match variable {
        "province" => cls::PROVINCES
            .iter()
            .map(|p| code(p.code, p.name_en, Some(p.name_zh)))
            .collect(),
        "macro_region" => listed!(cls::MacroRegion),
        "cluster" => listed!(cls::Cluster),
        "subject_type" => listed!(cls::SubjectType),
        "subject_group" => listed!(cls::SubjectGroup),
        "industry" => listed!(cls::IndustryGroup),
        "size_class" => listed!(cls::SizeClass),
        "scenario" => listed!(cls::Scenario),
        "centre_type" => listed!(cls::CentreType),
        _ => return None,
    })
}

/// The components after the dimensions, in the order SDMX-CSV lists them: the time dimension,
/// the measure and the attributes.
pub const OBSERVATION_COMPONENTS: [&str; 7] = [
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "OBS_STATUS",
    "CONF_STATUS",
    "LOWER_BOUND",
    "UPPER_BOUND",
];

/// The dimension id of a breakdown variable: its name in capitals, prefixed `BD_` where it
/// would be a fixed component's.
fn dimension_id(variable: &str) -> String {
    let id = sdmx_id(variable).to_uppercase();
    if id == "FREQ" || id == "INDICATOR" || OBSERVATION_COMPONENTS.contains(&id.as_str()) {
        format!("BD_{id}")
    } else {
        id
    }
}

/// Gives each distinct source text a distinct SDMX id (a suffix where two would clash).
fn unique_ids(texts: impl IntoIterator<Item = String>) -> BTreeMap<String, String> {
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for text in texts {
        if out.contains_key(&text) {
            continue;
        }
        let base = sdmx_id(&text);
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        out.insert(text, id);
    }
    out
}

impl Structure {
    /// The structure of `documents`: every visible version when the REST API answers, the one
    /// being published when its export is written.
    pub fn of<'a>(documents: impl IntoIterator<Item = &'a Document>) -> Self {
        let catalogue = Catalogue::embedded();
        let families = figure_families();
        let mut variables: BTreeSet<String> = families
            .iter()
            .flat_map(|f| f.dimension_list().map(str::to_string))
            .collect();
        let mut figure_ids: BTreeMap<String, String> = BTreeMap::new();
        let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in documents.into_iter().flat_map(|d| &d.figures) {
            figure_ids
                .entry(f.id.clone())
                .or_insert_with(|| f.label.clone());
            for (k, v) in &f.dimensions {
                variables.insert(k.clone());
                values.entry(k.clone()).or_default().insert(v.clone());
            }
        }
        let mut codelists = vec![
            Codelist {
                agency: "SDMX",
                id: "CL_FREQ".into(),
                version: "2.1",
                name_en: "Frequency".into(),
                partial: true,
                codes: vec![code("A", "Annual", Some("年度"))],
            },
            Codelist {
                agency: "SDMX",
                id: "CL_OBS_STATUS".into(),
                version: "2.2",
                name_en: "Observation status".into(),
                partial: true,
                codes: vec![
                    code("A", "Normal value", Some("正常值")),
                    code("O", "Missing value", Some("缺失值")),
                ],
            },
            Codelist {
                agency: "SDMX",
                id: "CL_CONF_STATUS".into(),
                version: "1.3",
                name_en: "Confidentiality status".into(),
                partial: true,
                codes: vec![
                    code("F", "Free", Some("公开")),
                    code(
                        "C",
                        "Confidential statistical information",
                        Some("保密统计信息"),
                    ),
                    code(
                        "A",
                        "Primary confidentiality due to small counts",
                        Some("因样本过少而保密"),
                    ),
                    code(
                        "O",
                        "Primary confidentiality due to dominance by one unit",
                        Some("因单一单位占比过高而保密"),
                    ),
                    code(
                        "D",
                        "Secondary confidentiality set by the sender, not for publication",
                        Some("发送方设定的次级保密"),
                    ),
                ],
            },
            Codelist {
                agency: AGENCY,
                id: "CL_UNIT_MEASURE".into(),
                version: VERSION,
                name_en: "Unit of measure".into(),
                partial: false,
                codes: Unit::ALL
                    .iter()
                    .map(|u| code(&u.code().to_uppercase(), u.name_en(), Some(u.name_zh())))
                    .collect(),
            },
        ];
        // Indicators: the catalogue's names, else the figure family's description, else the label.
        let indicator_codes = unique_ids(figure_ids.keys().cloned());
        codelists.push(Codelist {
            agency: AGENCY,
            id: "CL_INDICATOR".into(),
            version: VERSION,
            name_en: "Indicator".into(),
            partial: false,
            codes: figure_ids
                .iter()
                .map(|(id, label)| match catalogue.get(id) {
                    Some(i) => code(&indicator_codes[id], &i.name_en, Some(&i.name_zh)),
                    None => {
                        let description = families
                            .iter()
                            .find(|f| &f.id == id)
                            .map_or(label.as_str(), |f| f.description.as_str());
                        code(&indicator_codes[id], description, None)
                    }
                })
                .collect(),
        });
        let mut dimensions = vec![
            Dimension {
                id: "FREQ".into(),
                breakdown: None,
                codelist: ("SDMX", "CL_FREQ".into(), "2.1"),
            },
            Dimension {
                id: "INDICATOR".into(),
                breakdown: None,
                codelist: (AGENCY, "CL_INDICATOR".into(), VERSION),
            },
        ];
        let mut value_codes = BTreeMap::new();
        let dimension_ids = unique_ids(variables.iter().map(|v| dimension_id(v)));
        for variable in &variables {
            let id = dimension_ids[&dimension_id(variable)].clone();
            let mut codes = vec![code(TOTAL, "Total", Some("合计"))];
            let listed = classification(variable).unwrap_or_default();
            let published = values.get(variable).cloned().unwrap_or_default();
            let mut texts: Vec<String> = listed.iter().map(|c| c.id.clone()).collect();
            texts.extend(
                published
                    .iter()
                    .filter(|v| !listed.iter().any(|c| &c.id == *v))
                    .cloned(),
            );
            let ids = unique_ids(std::iter::once(TOTAL.to_string()).chain(texts.iter().cloned()));
            for c in &listed {
                codes.push(Code {
                    id: ids[&c.id].clone(),
                    ..c.clone()
                });
            }
            for v in published
                .iter()
                .filter(|v| !listed.iter().any(|c| &c.id == *v))
            {
                codes.push(code(&ids[v], v, None));
            }
            for v in &texts {
                value_codes.insert((variable.clone(), v.clone()), ids[v].clone());
            }
            let list_id = format!("CL_{id}");
            codelists.push(Codelist {
                agency: AGENCY,
                id: list_id.clone(),
                version: VERSION,
                name_en: variable.replace('_', " "),
                partial: false,
                codes,
            });
            dimensions.push(Dimension {
                id,
                breakdown: Some(variable.clone()),
                codelist: (AGENCY, list_id, VERSION),
            });
        }
        Structure {
            dimensions,
            codelists,
            indicator_codes,
            value_codes,
        }
    }

    /// The series key of a figure: one code per dimension, in order.
    pub fn series_key(&self, figure: &Figure) -> Vec<String> {
        self.dimensions
            .iter()
            .map(|d| match &d.breakdown {
                None if d.id == "FREQ" => "A".to_string(),
                None => self
                    .indicator_codes
                    .get(&figure.id)
                    .cloned()
                    .unwrap_or_else(|| sdmx_id(&figure.id)),
                Some(variable) => match figure.dimensions.get(variable) {
                    None => TOTAL.to_string(),
                    Some(value) => self
                        .value_codes
                        .get(&(variable.clone(), value.clone()))
                        .cloned()
                        .unwrap_or_else(|| sdmx_id(value)),
                },
            })
            .collect()
    }

    pub fn codelist(&self, agency: &str, id: &str) -> Option<&Codelist> {
        self.codelists
            .iter()
            .find(|c| c.agency == agency && c.id == id)
    }
}

fn names(out: &mut String, indent: &str, en: &str, zh: Option<&str>) {
    out.push_str(&format!(
        "{indent}<common:Name xml:lang=\"en\">{}</common:Name>\n",
        escape(en)
    ));
    if let Some(zh) = zh {
        out.push_str(&format!(
            "{indent}<common:Name xml:lang=\"zh\">{}</common:Name>\n",
            escape(zh)
        ));
    }
}

fn codelist_xml(out: &mut String, c: &Codelist) {
    out.push_str(&format!(
        "      <structure:Codelist id=\"{id}\" agencyID=\"{agency}\" version=\"{version}\" isFinal=\"false\" isPartial=\"{partial}\" urn=\"urn:sdmx:org.sdmx.infomodel.codelist.Codelist={agency}:{id}({version})\">\n",
        id = c.id,
        agency = c.agency,
        version = c.version,
        partial = c.partial
    ));
    names(out, "        ", &c.name_en, None);
    for code in &c.codes {
        out.push_str(&format!(
            "        <structure:Code id=\"{id}\" urn=\"urn:sdmx:org.sdmx.infomodel.codelist.Code={agency}:{list}({version}).{id}\">\n",
            id = escape(&code.id),
            agency = c.agency,
            list = c.id,
            version = c.version
        ));
        names(out, "          ", &code.name_en, code.name_zh.as_deref());
        out.push_str("        </structure:Code>\n");
    }
    out.push_str("      </structure:Codelist>\n");
}

/// Concepts: (scheme agency, scheme id, scheme version, concept id, English name).
fn concept_of(id: &str) -> (&'static str, &'static str, &'static str) {
    match id {
        "FREQ" | "TIME_PERIOD" | "OBS_VALUE" | "UNIT_MEASURE" | "OBS_STATUS" | "CONF_STATUS" => {
            ("SDMX", "CROSS_DOMAIN_CONCEPTS", "2.0")
        }
        _ => (AGENCY, "CS_NDRS", VERSION),
    }
}

fn concept_ref(id: &str) -> String {
    let (agency, scheme, version) = concept_of(id);
    format!(
        "<structure:ConceptIdentity><Ref id=\"{id}\" maintainableParentID=\"{scheme}\" maintainableParentVersion=\"{version}\" agencyID=\"{agency}\" package=\"conceptscheme\" class=\"Concept\"/></structure:ConceptIdentity>"
    )
}

fn enumeration((agency, id, version): (&str, &str, &str)) -> String {
    format!(
        "<structure:LocalRepresentation><structure:Enumeration><Ref id=\"{id}\" version=\"{version}\" agencyID=\"{agency}\" package=\"codelist\" class=\"Codelist\"/></structure:Enumeration></structure:LocalRepresentation>"
    )
}

/// What a structure query asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub dataflow: bool,
    pub datastructure: bool,
    pub concepts: bool,
    /// `None`: every code list; `Some(i)`: only `codelists[i]`.
    pub codelists: Option<Option<usize>>,
}

impl Structure {
    /// An SDMX-ML 2.1 structure message with the selected artefacts.
    pub fn to_xml(&self, selection: Selection, prepared: &str) -> String {
        let mut x = String::new();
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.push_str("<message:Structure xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:structure=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\" xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\" xmlns:xml=\"http://www.w3.org/XML/1998/namespace\">\n");
        x.push_str(&format!(
            "  <message:Header>\n    <message:ID>NDRS_STRUCTURE</message:ID>\n    <message:Test>false</message:Test>\n    <message:Prepared>{}</message:Prepared>\n    <message:Sender id=\"{AGENCY}\"/>\n  </message:Header>\n  <message:Structures>\n",
            escape(prepared)
        ));
        if selection.dataflow {
            x.push_str(&format!(
                "    <structure:Dataflows>\n      <structure:Dataflow id=\"{DATAFLOW}\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"false\" urn=\"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{DATAFLOW}({VERSION})\">\n"
            ));
            names(
                &mut x,
                "        ",
                "National data resource survey: published figures",
                Some("全国数据资源调查：发布数据"),
            );
            x.push_str(&format!(
                "        <structure:Structure><Ref id=\"{DSD}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"datastructure\" class=\"DataStructure\"/></structure:Structure>\n      </structure:Dataflow>\n    </structure:Dataflows>\n"
            ));
        }
        let lists: Vec<&Codelist> = match selection.codelists {
            None => Vec::new(),
            Some(None) => self.codelists.iter().collect(),
            Some(Some(i)) => self.codelists.get(i).into_iter().collect(),
        };
        if !lists.is_empty() {
            x.push_str("    <structure:Codelists>\n");
            for c in lists {
                codelist_xml(&mut x, c);
            }
            x.push_str("    </structure:Codelists>\n");
        }
        if selection.concepts {
            x.push_str("    <structure:Concepts>\n");
            x.push_str("      <structure:ConceptScheme id=\"CROSS_DOMAIN_CONCEPTS\" agencyID=\"SDMX\" version=\"2.0\" isFinal=\"false\" isPartial=\"true\" urn=\"urn:sdmx:org.sdmx.infomodel.conceptscheme.ConceptScheme=SDMX:CROSS_DOMAIN_CONCEPTS(2.0)\">\n");
            names(&mut x, "        ", "SDMX cross-domain concepts", None);
            for (id, name) in [
                ("FREQ", "Frequency"),
                ("TIME_PERIOD", "Time period"),
                ("OBS_VALUE", "Observation value"),
                ("UNIT_MEASURE", "Unit of measure"),
                ("OBS_STATUS", "Observation status"),
                ("CONF_STATUS", "Confidentiality status"),
            ] {
                x.push_str(&format!("        <structure:Concept id=\"{id}\" urn=\"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=SDMX:CROSS_DOMAIN_CONCEPTS(2.0).{id}\">\n"));
                names(&mut x, "          ", name, None);
                x.push_str("        </structure:Concept>\n");
            }
            x.push_str("      </structure:ConceptScheme>\n");
            x.push_str(&format!("      <structure:ConceptScheme id=\"CS_NDRS\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"false\" urn=\"urn:sdmx:org.sdmx.infomodel.conceptscheme.ConceptScheme={AGENCY}:CS_NDRS({VERSION})\">\n"));
            names(
                &mut x,
                "        ",
                "National data resource survey concepts",
                Some("全国数据资源调查概念"),
            );
            let own: Vec<(String, String)> = self
                .dimensions
                .iter()
                .filter(|d| concept_of(&d.id).0 == AGENCY)
                .map(|d| {
                    (
                        d.id.clone(),
                        d.breakdown
                            .clone()
                            .unwrap_or_else(|| "indicator".into())
                            .replace('_', " "),
                    )
                })
                .chain([
                    (
                        "LOWER_BOUND".to_string(),
                        "lower bound of the confidence interval".to_string(),
                    ),
                    (
                        "UPPER_BOUND".to_string(),
                        "upper bound of the confidence interval".to_string(),
                    ),
                ])
                .collect();
            for (id, name) in own {
                x.push_str(&format!("        <structure:Concept id=\"{id}\" urn=\"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:CS_NDRS({VERSION}).{id}\">\n"));
                names(&mut x, "          ", &name, None);
                x.push_str("        </structure:Concept>\n");
            }
            x.push_str("      </structure:ConceptScheme>\n    </structure:Concepts>\n");
        }
        if selection.datastructure {
            self.dsd_xml(&mut x);
        }
        x.push_str("  </message:Structures>\n</message:Structure>\n");
        x
    }

    fn dsd_xml(&self, x: &mut String) {
        x.push_str(&format!("    <structure:DataStructures>\n      <structure:DataStructure id=\"{DSD}\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"false\" urn=\"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}({VERSION})\">\n"));
        names(
            x,
            "        ",
            "National data resource survey: published figures",
            Some("全国数据资源调查：发布数据"),
        );
        x.push_str("        <structure:DataStructureComponents>\n          <structure:DimensionList id=\"DimensionDescriptor\" urn=\"urn:sdmx:org.sdmx.infomodel.datastructure.DimensionDescriptor=NDRS:DSD_NDRS(1.0).DimensionDescriptor\">\n");
        for (i, d) in self.dimensions.iter().enumerate() {
            let (a, id, v) = &d.codelist;
            x.push_str(&format!(
                "            <structure:Dimension id=\"{}\" position=\"{}\">{}{}</structure:Dimension>\n",
                d.id,
                i + 1,
                concept_ref(&d.id),
                enumeration((a, id, v))
            ));
        }
        x.push_str(&format!(
            "            <structure:TimeDimension id=\"TIME_PERIOD\" position=\"{}\">{}<structure:LocalRepresentation><structure:TextFormat textType=\"ObservationalTimePeriod\"/></structure:LocalRepresentation></structure:TimeDimension>\n          </structure:DimensionList>\n",
            self.dimensions.len() + 1,
            concept_ref("TIME_PERIOD")
        ));
        x.push_str("          <structure:AttributeList id=\"AttributeDescriptor\" urn=\"urn:sdmx:org.sdmx.infomodel.datastructure.AttributeDescriptor=NDRS:DSD_NDRS(1.0).AttributeDescriptor\">\n");
        let series: String = self
            .dimensions
            .iter()
            .map(|d| {
                format!(
                    "<structure:Dimension><Ref id=\"{}\"/></structure:Dimension>",
                    d.id
                )
            })
            .collect();
        x.push_str(&format!(
            "            <structure:Attribute id=\"UNIT_MEASURE\" assignmentStatus=\"Mandatory\">{}{}<structure:AttributeRelationship>{series}</structure:AttributeRelationship></structure:Attribute>\n",
            concept_ref("UNIT_MEASURE"),
            enumeration((AGENCY, "CL_UNIT_MEASURE", VERSION))
        ));
        let observation = "<structure:AttributeRelationship><structure:PrimaryMeasure><Ref id=\"OBS_VALUE\"/></structure:PrimaryMeasure></structure:AttributeRelationship>";
        for (id, status, list) in [
            (
                "OBS_STATUS",
                "Mandatory",
                Some(("SDMX", "CL_OBS_STATUS", "2.2")),
            ),
            (
                "CONF_STATUS",
                "Conditional",
                Some(("SDMX", "CL_CONF_STATUS", "1.3")),
            ),
            ("LOWER_BOUND", "Conditional", None),
            ("UPPER_BOUND", "Conditional", None),
        ] {
            let representation = match list {
                Some(l) => enumeration(l),
                None => "<structure:LocalRepresentation><structure:TextFormat textType=\"Double\"/></structure:LocalRepresentation>".to_string(),
            };
            x.push_str(&format!(
                "            <structure:Attribute id=\"{id}\" assignmentStatus=\"{status}\">{}{representation}{observation}</structure:Attribute>\n",
                concept_ref(id)
            ));
        }
        x.push_str("          </structure:AttributeList>\n");
        x.push_str(&format!(
            "          <structure:MeasureList id=\"MeasureDescriptor\" urn=\"urn:sdmx:org.sdmx.infomodel.datastructure.MeasureDescriptor=NDRS:DSD_NDRS(1.0).MeasureDescriptor\">\n            <structure:PrimaryMeasure id=\"OBS_VALUE\">{}<structure:LocalRepresentation><structure:TextFormat textType=\"Double\"/></structure:LocalRepresentation></structure:PrimaryMeasure>\n          </structure:MeasureList>\n",
            concept_ref("OBS_VALUE")
        ));
        x.push_str("        </structure:DataStructureComponents>\n      </structure:DataStructure>\n    </structure:DataStructures>\n");
    }
}
