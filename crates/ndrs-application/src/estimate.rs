//! Design-based figures from the questionnaires, computed with `ndrs_stats`.
//!
//! With a sample design loaded for the cycle, every sampled unit takes part (non-respondents
//! too: they hand their weight to the respondents of their weighting class), the weights are
//! calibrated as the design's specification says, and the variance comes from replicates that
//! repeat the whole weighting. Domains (key industry enterprises, large enterprises in digital
//! transformation...) are estimated over the full design, never by dropping rows.
//!
//! Without a design the figures are interim: every respondent counts once, the standard error
//! treats the respondents as a simple random sample, and the lineage says so.
//!
//! Each figure is defined once in [`indicators`], with its domain and measure, so the stage
//! result and `GetEstimates` cannot drift apart.
//!
//! - [`indicators`]: the indicator table and the cells estimation runs over.
//! - [`sample`]: the units estimation runs over, with or without a design.
//! - [`adapter`]: the conversion to and from `ndrs_stats`.
//! - [`runner`]: the stage's figures and `GetEstimates`.

use ndrs_platform::returns::StoredReturn;

use crate::domain::Questionnaire;

mod adapter;
mod indicators;
mod runner;
mod sample;

pub use indicators::{
    BREAKDOWNS, Indicator, OPEN_DATA_USE_SHARE, SCENARIO_SHARE, VALID_SAMPLE, indicators,
};
pub use runner::{IndicatorEstimates, estimates, figures, get_estimates, stage_figures};

pub const INTERIM_METHOD: &str = "interim, unweighted: no sample design loaded for the cycle; every respondent counts once and standard errors treat the respondents as a simple random sample";

const DESIGN_METHOD: &str = "design-based (ndrs-stats)";

type Row = (StoredReturn, Questionnaire);

#[cfg(test)]
mod tests;
