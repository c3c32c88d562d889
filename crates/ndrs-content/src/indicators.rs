//! The indicator document as a working group writes it: every figure a stage estimates from its
//! returns, defined as data (TOML from a file, JSON over the API).
//!
//! An indicator says what is estimated (`estimator`, with CEL expressions for the measure or the
//! numerator and denominator over the answers `a.<question id>`), over whom (`domain`, a CEL
//! condition over the answers and the unit's frame classification `unit.<attribute>`), in which
//! unit, under which breakdowns it may be asked for, and whether its breakdown cells are judged
//! by the release's disclosure rule. The estimation engine stays code; what it estimates is this
//! document. Which fields an estimator needs is checked when the document is compiled
//! ([`crate::estimands`]), where the error can name the indicator and the field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ContentError;
use crate::questionnaire::Label;

/// The indicators of one stage for one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDocument {
    /// The document kind: `application_indicators`, as the stage that estimates them names it.
    pub kind: String,
    /// The organiser's name of this version (`2024.1`); the stored document also gets a version
    /// number and a content hash when it is published.
    pub version: String,
    pub title: Label,
    /// The return kind whose answers the measures read (`application_questionnaire`): its
    /// questionnaire in force for the cycle says which `a.<id>` exist and what they hold.
    pub questionnaire: String,
    /// The figures, in the order the stage reports them.
    #[serde(rename = "indicator")]
    pub indicators: Vec<IndicatorDefinition>,
}

/// What a figure is for in the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A published indicator.
    #[default]
    Estimate,
    /// A breakdown cell or a figure the report's charts use, published beside the indicators.
    Auxiliary,
    /// A figure stage-1 validation compares with another stage's (not published).
    Check,
}

/// How a figure is estimated from the (weighted) sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// The share of the domain's units for which `measure` (a condition) holds.
    Share,
    /// The population total of `measure` over the domain (a condition counts the units for
    /// which it holds).
    Total,
    /// The number of units in the domain in the population.
    Count,
    /// The sum of `measure` over the domain's returns as reported: a census of reporters (an
    /// administrative return), with no weights and no sampling error.
    Sum,
    /// The mean of `measure` over the domain.
    Mean,
    /// The ratio of the totals of `numerator` and `denominator` over the domain.
    Ratio,
    /// The mean of `measure` over the domain divided by its mean over `denominator_domain`
    /// (platform enterprises' data interaction as a multiple of key industry enterprises').
    MeanRatio,
}

impl Estimator {
    pub fn code(self) -> &'static str {
        match self {
            Estimator::Share => "share",
            Estimator::Total => "total",
            Estimator::Count => "count",
            Estimator::Sum => "sum",
            Estimator::Mean => "mean",
            Estimator::Ratio => "ratio",
            Estimator::MeanRatio => "mean_ratio",
        }
    }
}

/// Whether the release's disclosure rule judges the figure's breakdown cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// A design-based estimate from a sample: no cell reveals a unit's return, so the rule
    /// does not judge it.
    #[default]
    Sampled,
    /// Each cell reports how many units contribute and the largest one's share, so that the
    /// release suppresses cells of too few reporters or dominated by one (totals over a census).
    Reporters,
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDefinition {
    /// The figure id the release, the stage-1 rules and the report use (`A14`,
    /// `application.scenario_share`). Several definitions may share an id when their
    /// `dimensions` differ: they are the cells of one breakdown.
    pub id: String,
    pub name: Label,
    #[serde(default)]
    pub role: Role,
    /// A unit code: `ratio`, `times`, `count`, `bytes`, `yuan`, `flops`, `bytes_per_year`.
    pub unit: String,
    pub estimator: Estimator,
    /// Who the figure is about: a CEL condition; absent, every unit of the return kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// What is measured (`share`, `total`, `mean`, `mean_ratio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// A ratio's numerator and denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// A `mean_ratio`'s other domain, whose mean divides the domain's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator_domain: Option<String>,
    /// Published as a growth rate: the ratio minus one (this year's total over last year's).
    #[serde(default)]
    pub growth: bool,
    /// Fixed dimensions of the figure (`{ scenario = "production" }`): the cell of a breakdown
    /// it is, when the report publishes cells as figures of their own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    /// The classifications `GetEstimates` may break the figure down by; absent, every one the
    /// stage offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdowns: Option<Vec<String>>,
    /// Breakdowns published in the stage result (and so in the release) beside the national
    /// figure, each level a cell: what the report's charts show. Each must be one of
    /// `breakdowns`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publish_by: Vec<String>,
    #[serde(default)]
    pub disclosure: Disclosure,
}

impl IndicatorDocument {
    /// Reads an indicator document written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, ContentError> {
        toml::from_str(text).map_err(|e| ContentError::document(e.to_string()))
    }

    /// Reads an indicator document sent as JSON (the API's form).
    pub fn from_json(text: &str) -> Result<Self, ContentError> {
        serde_json::from_str(text).map_err(|e| ContentError::document(e.to_string()))
    }

    /// The canonical JSON of the document, the form that is stored and hashed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an indicator document always serialises")
    }
}
