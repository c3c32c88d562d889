//! SDMX data messages of published figures: SDMX-ML 2.1 structure-specific and generic data,
//! and SDMX-CSV 1.0, all keyed by the dimensions of [`Structure`].
//!
//! The input is a list of data sets, each one release version with the figures chosen from it.
//! As one data set (`vintages = false`) the series run across the cycles, one observation a
//! year; as vintages, every version is its own data set with its `setID` and `validFromDate`
//! (its publication time): the figures as they were disseminated.

use std::collections::HashMap;

use ndrs_core::{Error, Result};

use super::structure::{AGENCY, DATAFLOW, OBSERVATION_COMPONENTS, Structure, VERSION};
use super::xml::escape;
use crate::release::{Document, Figure};

/// One release version and the figures of it an answer carries.
pub type Selected<'a> = (&'a Document, Vec<&'a Figure>);

fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "NaN".into()
    }
}

/// The observation-level attributes of a figure: (id, value), in OBSERVATION_COMPONENTS order.
fn observation_attributes(f: &Figure) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if f.value.is_some() {
        out.push(("OBS_STATUS", "A".to_string()));
        out.push(("CONF_STATUS", "F".to_string()));
    } else {
        out.push(("OBS_STATUS", "O".to_string()));
        let why = f.suppression.as_deref().unwrap_or_default().to_lowercase();
        // The disclosure rule's reasons (aggregator `disclosure` and `release::suppression`).
        let conf = if why.starts_with("fewer than") {
            "A"
        } else if why.starts_with("one reporter contributes") {
            "O"
        } else if why.starts_with("complementary suppression") {
            "D"
        } else {
            "C"
        };
        out.push(("CONF_STATUS", conf.to_string()));
    }
    if let Some(i) = &f.interval {
        out.push(("LOWER_BOUND", number(i.lower)));
        out.push(("UPPER_BOUND", number(i.upper)));
    }
    out
}

/// The id SDMX-ML data messages give the structure they refer to.
const STRUCTURE_ID: &str = "NDRS_DF_NDRS_1_0";

/// One data set of a message: the release version when it is a vintage, and its series.
struct DataSet<'a> {
    vintage: Option<&'a Document>,
    series: Vec<Series<'a>>,
}

/// A series: its key, its unit and its observations (cycle year, figure).
type Series<'a> = (Vec<String>, &'a str, Vec<(i32, &'a Figure)>);

fn data_sets<'a>(sets: &[Selected<'a>], structure: &Structure, vintages: bool) -> Vec<DataSet<'a>> {
    let mut out: Vec<DataSet<'a>> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    for (document, figures) in sets {
        if vintages || out.is_empty() {
            out.push(DataSet {
                vintage: vintages.then_some(*document),
                series: Vec::new(),
            });
            index.clear();
        }
        let set = out.last_mut().expect("a data set was pushed");
        for f in figures {
            let key = structure.series_key(f);
            let at = *index.entry(key.clone()).or_insert_with(|| {
                set.series.push((key, f.unit.as_str(), Vec::new()));
                set.series.len() - 1
            });
            set.series[at].2.push((document.cycle_year, f));
        }
    }
    out
}

/// A vintage's data set attributes, `prefix` the namespace prefix they need (`ss:` in
/// structure-specific data, none in generic data).
fn vintage_attributes(prefix: &str, document: &Document) -> String {
    format!(
        " {prefix}setID=\"NDRS_{}_V{}\" {prefix}validFromDate=\"{}\"",
        document.cycle_year,
        document.version,
        escape(&document.published_at)
    )
}

fn header(x: &mut String, id: &str, prepared: &str, namespace: Option<&str>) {
    let namespace = namespace.map_or(String::new(), |n| format!(" namespace=\"{n}\""));
    x.push_str(&format!(
        "  <message:Header>\n    <message:ID>{}</message:ID>\n    <message:Test>false</message:Test>\n    <message:Prepared>{}</message:Prepared>\n    <message:Sender id=\"{AGENCY}\"/>\n    <message:Structure structureID=\"{STRUCTURE_ID}\"{namespace} dimensionAtObservation=\"TIME_PERIOD\">\n      <common:StructureUsage><Ref agencyID=\"{AGENCY}\" id=\"{DATAFLOW}\" version=\"{VERSION}\"/></common:StructureUsage>\n    </message:Structure>\n  </message:Header>\n",
        escape(id),
        escape(prepared)
    ));
}

/// SDMX-ML 2.1 structure-specific data: what SDMX REST clients ask for by default.
pub fn structure_specific(
    sets: &[Selected],
    structure: &Structure,
    vintages: bool,
    prepared: &str,
) -> String {
    let namespace = format!(
        "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{DATAFLOW}({VERSION}):ObsLevelDim:TIME_PERIOD"
    );
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<message:StructureSpecificData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:ss=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific\" xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:ns1=\"{namespace}\">\n"
    ));
    header(&mut x, "NDRS_DATA", prepared, Some(&namespace));
    for set in data_sets(sets, structure, vintages) {
        x.push_str(&format!(
            "  <message:DataSet ss:structureRef=\"{STRUCTURE_ID}\" xsi:type=\"ns1:DataSetType\" ss:dataScope=\"DataStructure\" ss:action=\"Information\""
        ));
        if let Some(document) = set.vintage {
            x.push_str(&vintage_attributes("ss:", document));
        }
        x.push_str(">\n");
        for (key, unit, observations) in &set.series {
            x.push_str("    <Series");
            for (d, code) in structure.dimensions.iter().zip(key) {
                x.push_str(&format!(" {}=\"{}\"", d.id, escape(code)));
            }
            x.push_str(&format!(
                " UNIT_MEASURE=\"{}\">\n",
                escape(&unit.to_uppercase())
            ));
            for (year, f) in observations {
                x.push_str(&format!(
                    "      <Obs TIME_PERIOD=\"{year}\" OBS_VALUE=\"{}\"",
                    f.value.map_or_else(|| "NaN".into(), number)
                ));
                for (id, value) in observation_attributes(f) {
                    x.push_str(&format!(" {id}=\"{}\"", escape(&value)));
                }
                x.push_str("/>\n");
            }
            x.push_str("    </Series>\n");
        }
        x.push_str("  </message:DataSet>\n");
    }
    x.push_str("</message:StructureSpecificData>\n");
    x
}

fn generic_values(x: &mut String, indent: &str, values: &[(&str, String)]) {
    for (id, value) in values {
        x.push_str(&format!(
            "{indent}<generic:Value id=\"{id}\" value=\"{}\"/>\n",
            escape(value)
        ));
    }
}

/// SDMX-ML 2.1 generic data: each value names its component, so a reader needs no structure
/// message to read it (the published export is this form, readable on its own).
pub fn generic(
    sets: &[Selected],
    structure: &Structure,
    vintages: bool,
    id: &str,
    prepared: &str,
) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<message:GenericData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" xmlns:generic=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic\" xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n");
    header(&mut x, id, prepared, None);
    for set in data_sets(sets, structure, vintages) {
        x.push_str(&format!(
            "  <message:DataSet structureRef=\"{STRUCTURE_ID}\" action=\"Information\""
        ));
        if let Some(document) = set.vintage {
            x.push_str(&vintage_attributes("", document));
        }
        x.push_str(">\n");
        for (key, unit, observations) in &set.series {
            x.push_str("    <generic:Series>\n      <generic:SeriesKey>\n");
            let key: Vec<(&str, String)> = structure
                .dimensions
                .iter()
                .map(|d| d.id.as_str())
                .zip(key.iter().cloned())
                .collect();
            generic_values(&mut x, "        ", &key);
            x.push_str("      </generic:SeriesKey>\n      <generic:Attributes>\n");
            generic_values(&mut x, "        ", &[("UNIT_MEASURE", unit.to_uppercase())]);
            x.push_str("      </generic:Attributes>\n");
            for (year, f) in observations {
                x.push_str(&format!(
                    "      <generic:Obs>\n        <generic:ObsDimension value=\"{year}\"/>\n        <generic:ObsValue value=\"{}\"/>\n        <generic:Attributes>\n",
                    f.value.map_or_else(|| "NaN".into(), number)
                ));
                generic_values(&mut x, "          ", &observation_attributes(f));
                x.push_str("        </generic:Attributes>\n      </generic:Obs>\n");
            }
            x.push_str("    </generic:Series>\n");
        }
        x.push_str("  </message:DataSet>\n");
    }
    x.push_str("</message:GenericData>\n");
    x
}

/// SDMX-CSV 1.0: one row per observation, the dataflow first, then the dimensions, the time
/// period, the value and the attributes.
pub fn csv(sets: &[Selected], structure: &Structure) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let internal = |e: ::csv::Error| Error::Internal(format!("SDMX-CSV: {e}"));
    let mut header = vec!["DATAFLOW".to_string()];
    header.extend(structure.dimensions.iter().map(|d| d.id.clone()));
    header.extend(OBSERVATION_COMPONENTS.map(str::to_string));
    w.write_record(&header).map_err(internal)?;
    let flow = format!("{AGENCY}:{DATAFLOW}({VERSION})");
    for (document, figures) in sets {
        for f in figures {
            let mut row = vec![flow.clone()];
            row.extend(structure.series_key(f));
            row.push(document.cycle_year.to_string());
            row.push(f.value.map(number).unwrap_or_default());
            row.push(f.unit.to_uppercase());
            let attributes = observation_attributes(f);
            for id in ["OBS_STATUS", "CONF_STATUS", "LOWER_BOUND", "UPPER_BOUND"] {
                row.push(
                    attributes
                        .iter()
                        .find(|(a, _)| *a == id)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                );
            }
            w.write_record(&row).map_err(internal)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("SDMX-CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("SDMX-CSV: {e}")))
}
