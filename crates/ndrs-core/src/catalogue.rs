//! The indicator catalogue: what each published figure is, its unit and its definition.
//!
//! The catalogue is data (`data/indicators.csv`) so that adding or rewording an indicator is a
//! reviewed edit of one table, and it is compiled in so that every service and every release agrees
//! on it without reading files at run time. It deliberately holds no target values or comparators:
//! the pipeline must estimate figures without knowing what the 2023 report said. Those live only in
//! the reference table that acceptance checks compare against.
//!
//! Units are the canonical units the system computes in (bytes, FLOPS, ratio); the report's
//! presentation unit is kept alongside for the edge that renders figures.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::Unit;

code_list! {
    /// Stage of the data life cycle that the report groups indicators by; each stage is owned by
    /// one service.
    pub enum IndicatorStage {
        Production = "production", "数据生产", "Production";
        Storage = "storage", "数据存储", "Storage";
        Compute = "compute", "数据算力", "Compute";
        Circulation = "circulation", "数据流通", "Circulation";
        Application = "application", "数据应用", "Application";
    }
}

/// One indicator as defined in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable id such as `P01`, used in rules, releases and lineage.
    pub id: String,
    pub stage: IndicatorStage,
    pub name_zh: String,
    pub name_en: String,
    /// Unit the figure is computed and stored in.
    pub unit: Unit,
    /// Unit the report presents the figure in (`ZB`, `ZFLOPS`, `%`, `x`, `count`).
    pub presentation: String,
    /// May be empty where the name is the definition.
    pub definition: String,
    /// Where in the 2023 report the indicator appears.
    pub section: String,
}

/// The set of indicators, in file order, with lookup by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    indicators: Vec<Indicator>,
    by_id: HashMap<String, usize>,
}

const EMBEDDED: &str = include_str!("../data/indicators.csv");

impl Catalogue {
    /// The catalogue compiled into this build, parsed on first use.
    ///
    /// # Panics
    ///
    /// If `data/indicators.csv` is invalid. That is a build defect, not a run-time condition: the
    /// file is fixed at compile time and a unit test parses it, so a bad edit fails `cargo test`
    /// before it can ship.
    pub fn embedded() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            Catalogue::parse(EMBEDDED).unwrap_or_else(|e| {
                panic!("embedded indicator catalogue data/indicators.csv is invalid: {e}")
            })
        })
    }

    /// Parses a catalogue in the format of `data/indicators.csv`.
    ///
    /// Refuses duplicate ids and empty ids or names, since an ambiguous or anonymous indicator
    /// could not be referred to by rules and releases.
    pub fn parse(text: &str) -> Result<Catalogue> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut indicators = Vec::new();
        let mut by_id = HashMap::new();
        for row in reader.deserialize::<Indicator>() {
            let indicator = row.map_err(|e| Error::invalid("catalogue", e.to_string()))?;
            // Header is line 1, so the n-th indicator is on line n + 1.
            let line = indicators.len() + 2;
            if indicator.id.is_empty() {
                return Err(Error::invalid(
                    "catalogue",
                    format!("line {line}: empty indicator id"),
                ));
            }
            if indicator.name_zh.is_empty() || indicator.name_en.is_empty() {
                return Err(Error::invalid(
                    "catalogue",
                    format!("line {line}: indicator {} has an empty name", indicator.id),
                ));
            }
            if by_id
                .insert(indicator.id.clone(), indicators.len())
                .is_some()
            {
                return Err(Error::invalid(
                    "catalogue",
                    format!("line {line}: duplicate indicator id {}", indicator.id),
                ));
            }
            indicators.push(indicator);
        }
        Ok(Catalogue { indicators, by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Indicator> {
        self.by_id.get(id).map(|&i| &self.indicators[i])
    }

    /// Indicators in file order, which is the report's order.
    pub fn iter(&self) -> std::slice::Iter<'_, Indicator> {
        self.indicators.iter()
    }

    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}

impl<'a> IntoIterator for &'a Catalogue {
    type Item = &'a Indicator;
    type IntoIter = std::slice::Iter<'a, Indicator>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,stage,name_zh,name_en,unit,presentation,definition,section\n";

    #[test]
    fn embedded_catalogue_parses() {
        let parsed = Catalogue::parse(EMBEDDED).expect("data/indicators.csv must parse");
        assert_eq!(parsed.len(), 49);
        let c = Catalogue::embedded();
        assert_eq!(c, &parsed);
        let p01 = c.get("P01").unwrap();
        assert_eq!(p01.stage, IndicatorStage::Production);
        assert_eq!(p01.unit, Unit::Bytes);
        assert_eq!(p01.presentation, "ZB");
        assert_eq!(c.get("C02").unwrap().unit, Unit::Flops);
        assert!(c.get("Z99").is_none());
        assert_eq!(c.iter().next().unwrap().id, "P01");
    }

    #[test]
    fn catalogue_holds_no_target_values() {
        assert!(!EMBEDDED.contains("value_2023") && !EMBEDDED.contains("comparator"));
        for i in Catalogue::embedded() {
            let d = i.definition.to_lowercase();
            assert!(
                !d.contains("reported") && !d.contains('万') && !d.contains('亿'),
                "{}: definition states a reported value: {}",
                i.id,
                i.definition
            );
        }
    }

    #[test]
    fn duplicate_id_is_refused_by_name() {
        let text = format!(
            "{HEADER}X01,production,甲,A,bytes,ZB,,s\nX02,storage,乙,B,ratio,%,,s\n\
             X01,compute,丙,C,flops,ZFLOPS,,s\n"
        );
        let err = Catalogue::parse(&text).unwrap_err();
        assert!(
            err.to_string().contains("duplicate indicator id X01"),
            "{err}"
        );
        assert!(err.to_string().contains("line 4"), "{err}");
    }

    #[test]
    fn bad_rows_are_refused() {
        let unknown_unit = format!("{HEADER}X01,production,甲,A,furlongs,ZB,,s\n");
        assert!(Catalogue::parse(&unknown_unit).is_err());
        let unknown_stage = format!("{HEADER}X01,mining,甲,A,bytes,ZB,,s\n");
        assert!(Catalogue::parse(&unknown_stage).is_err());
        let missing_column = format!("{HEADER}X01,production,甲,A,bytes\n");
        assert!(Catalogue::parse(&missing_column).is_err());
        let empty_id = format!("{HEADER},production,甲,A,bytes,ZB,,s\n");
        assert!(
            Catalogue::parse(&empty_id)
                .unwrap_err()
                .to_string()
                .contains("empty indicator id")
        );
        let empty = Catalogue::parse(HEADER).unwrap();
        assert!(empty.is_empty());
    }
}

/// A figure the system publishes besides the catalogue's indicators: check figures (the same
/// quantity as another kind of reporter sees it) and auxiliary breakdowns. Rules may name them, so
/// they are declared here with their units and breakdown dimensions, as data like the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureFamily {
    pub id: String,
    /// `check` or `auxiliary`.
    pub kind: String,
    pub unit: Unit,
    /// Breakdown dimensions the family is published by, `|`-separated; empty for a single figure.
    pub dimensions: String,
    pub produced_by: String,
    pub description: String,
}

impl FigureFamily {
    pub fn dimension_list(&self) -> impl Iterator<Item = &str> {
        self.dimensions.split('|').filter(|d| !d.is_empty())
    }
}

const EMBEDDED_FIGURES: &str = include_str!("../data/figures.csv");

/// Every check and auxiliary figure family, parsed once from `data/figures.csv`.
pub fn figure_families() -> &'static [FigureFamily] {
    static FAMILIES: OnceLock<Vec<FigureFamily>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        csv::Reader::from_reader(EMBEDDED_FIGURES.as_bytes())
            .deserialize()
            .collect::<std::result::Result<Vec<FigureFamily>, _>>()
            .unwrap_or_else(|e| panic!("embedded data/figures.csv is malformed: {e}"))
    })
}

#[cfg(test)]
mod figure_family_tests {
    use super::*;

    #[test]
    fn the_embedded_figure_families_parse_and_do_not_clash_with_indicators() {
        let families = figure_families();
        assert!(families.len() >= 10);
        for f in families {
            assert!(
                Catalogue::embedded().get(&f.id).is_none(),
                "{} clashes",
                f.id
            );
            assert!(
                matches!(f.kind.as_str(), "check" | "auxiliary"),
                "{}",
                f.kind
            );
        }
    }
}
