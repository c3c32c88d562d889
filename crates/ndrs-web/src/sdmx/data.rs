//! Data queries (`data/{flow}/{key}`): which release versions, which series and which periods,
//! and the answer in SDMX-ML 2.1 structure-specific data or SDMX-CSV 1.0.
//!
//! Without `includeHistory`, each cycle contributes its latest visible version, so a series runs
//! across cycles with one observation a year. With `includeHistory=true`, every visible version
//! is its own data set (`validFromDate` its publication time): the vintages as they were
//! disseminated. `updatedAfter` keeps the versions published after a time.

use chrono::{DateTime, Utc};
use ndrs_aggregator::release::Figure;
use ndrs_core::{Error, Result};

use super::structure::{AGENCY, DATAFLOW, OBSERVATION_COMPONENTS, Structure, VERSION};
use super::xml::escape;
use crate::releases::Published;

/// Largest number of key parts or alternatives accepted in one key.
const MAX_KEY_CODES: usize = 2_000;

/// A parsed data query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Per dimension: the codes asked for (empty: any).
    pub key: Vec<Vec<String>>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub include_history: bool,
    pub updated_after: Option<DateTime<Utc>>,
}

/// Parses a key (`all`, or dot-separated parts, one per dimension, each empty or `A+B`).
pub fn parse_key(key: &str, structure: &Structure) -> Result<Vec<Vec<String>>> {
    let n = structure.dimensions.len();
    if key.is_empty() || key == "all" {
        return Ok(vec![Vec::new(); n]);
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() != n || key.len() > MAX_KEY_CODES * 8 {
        let names: Vec<&str> = structure.dimensions.iter().map(|d| d.id.as_str()).collect();
        return Err(Error::invalid(
            "key",
            format!(
                "has {} parts; {} has {n} dimensions: {}",
                parts.len(),
                super::structure::DSD,
                names.join(".")
            ),
        ));
    }
    Ok(parts
        .into_iter()
        .map(|p| {
            p.split('+')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect())
}

/// A period parameter's year: `2023`, `2023-12`, `2023-12-31` or `2023-A1`.
pub fn period_year(field: &str, text: &str) -> Result<i32> {
    text.get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|y| y.parse().ok())
        .filter(|_| text.len() == 4 || text.as_bytes().get(4) == Some(&b'-'))
        .ok_or_else(|| Error::invalid(field, "expected a period such as 2023 or 2023-12-31"))
}

/// The data sets a query selects: (release, its matching figures), oldest first.
pub fn select<'a>(
    releases: &'a [Published],
    structure: &Structure,
    query: &Query,
) -> Vec<(&'a Published, Vec<&'a Figure>)> {
    let mut chosen: Vec<&Published> = releases
        .iter()
        .filter(|r| {
            let year = r.summary.cycle_year;
            query.start_year.is_none_or(|s| year >= s) && query.end_year.is_none_or(|e| year <= e)
        })
        .filter(|r| {
            query.updated_after.is_none_or(|after| {
                r.summary
                    .published_at
                    .as_ref()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok())
                    .is_some_and(|t| DateTime::<Utc>::from(t) > after)
            })
        })
        .collect();
    if !query.include_history {
        // The latest version of each cycle.
        chosen.retain(|r| {
            !releases.iter().any(|o| {
                o.summary.cycle_year == r.summary.cycle_year
                    && o.summary.version > r.summary.version
            })
        });
    }
    chosen
        .into_iter()
        .map(|r| {
            let figures = r
                .document
                .figures
                .iter()
                .filter(|f| {
                    structure
                        .series_key(f)
                        .iter()
                        .zip(&query.key)
                        .all(|(code, wanted)| wanted.is_empty() || wanted.contains(code))
                })
                .collect();
            (r, figures)
        })
        .filter(|(_, figures): &(_, Vec<&Figure>)| !figures.is_empty())
        .collect()
}

fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "NaN".into()
    }
}

/// The observation-level attributes of a figure: (id, value).
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

const STRUCTURE_ID: &str = "NDRS_DF_NDRS_1_0";

/// One data set of the answer: its id and publication time when it is one release version (a
/// vintage), and its series, each with its observations by year.
struct DataSet<'a> {
    vintage: Option<&'a Published>,
    series: Vec<Series<'a>>,
}

/// A series: its key, its unit and its observations (cycle year, figure).
type Series<'a> = (Vec<String>, &'a str, Vec<(i32, &'a Figure)>);

/// Without history, one data set whose series run across the cycles; with history, one data set
/// per release version.
fn data_sets<'a>(
    sets: &[(&'a Published, Vec<&'a Figure>)],
    structure: &Structure,
    history: bool,
) -> Vec<DataSet<'a>> {
    let mut out: Vec<DataSet<'a>> = Vec::new();
    let mut index: std::collections::HashMap<Vec<String>, usize> = Default::default();
    for (release, figures) in sets {
        if history || out.is_empty() {
            out.push(DataSet {
                vintage: history.then_some(*release),
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
            set.series[at].2.push((release.summary.cycle_year, f));
        }
    }
    out
}

/// SDMX-ML 2.1 structure-specific data.
pub fn structure_specific(
    sets: &[(&Published, Vec<&Figure>)],
    structure: &Structure,
    history: bool,
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
    x.push_str(&format!(
        "  <message:Header>\n    <message:ID>NDRS_DATA</message:ID>\n    <message:Test>false</message:Test>\n    <message:Prepared>{}</message:Prepared>\n    <message:Sender id=\"{AGENCY}\"/>\n    <message:Structure structureID=\"{STRUCTURE_ID}\" namespace=\"{namespace}\" dimensionAtObservation=\"TIME_PERIOD\">\n      <common:StructureUsage><Ref agencyID=\"{AGENCY}\" id=\"{DATAFLOW}\" version=\"{VERSION}\"/></common:StructureUsage>\n    </message:Structure>\n  </message:Header>\n",
        escape(prepared)
    ));
    for set in data_sets(sets, structure, history) {
        x.push_str(&format!(
            "  <message:DataSet ss:structureRef=\"{STRUCTURE_ID}\" xsi:type=\"ns1:DataSetType\" ss:dataScope=\"DataStructure\" ss:action=\"Information\""
        ));
        if let Some(release) = set.vintage {
            let s = &release.summary;
            x.push_str(&format!(
                " ss:setID=\"NDRS_{}_V{}\" ss:validFromDate=\"{}\"",
                s.cycle_year,
                s.version,
                escape(&ndrs_platform::timestamp::display(s.published_at.as_ref()))
            ));
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

/// SDMX-CSV 1.0: one row per observation, the dataflow first, then the dimensions, the time
/// period, the value and the attributes.
pub fn csv(sets: &[(&Published, Vec<&Figure>)], structure: &Structure) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let internal = |e: ::csv::Error| Error::Internal(format!("SDMX-CSV: {e}"));
    let mut header = vec!["DATAFLOW".to_string()];
    header.extend(structure.dimensions.iter().map(|d| d.id.clone()));
    header.extend(OBSERVATION_COMPONENTS.map(str::to_string));
    w.write_record(&header).map_err(internal)?;
    let flow = format!("{AGENCY}:{DATAFLOW}({VERSION})");
    for (release, figures) in sets {
        for f in figures {
            let mut row = vec![flow.clone()];
            row.extend(structure.series_key(f));
            row.push(release.summary.cycle_year.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_years_in_any_sdmx_form() {
        assert_eq!(period_year("startPeriod", "2023").unwrap(), 2023);
        assert_eq!(period_year("startPeriod", "2023-12-31").unwrap(), 2023);
        assert_eq!(period_year("startPeriod", "2023-A1").unwrap(), 2023);
        for bad in ["", "20", "2023x", "abcd", "２０２３"] {
            let e = period_year("startPeriod", bad).unwrap_err();
            assert_eq!(e.field_violations()[0].field, "startPeriod", "{bad}");
        }
    }
}
