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
//! What is estimated is the cycle's indicator document (`content/2023/application_indicators.toml`
//! and its successors, published over `IndicatorService`): each figure defined once, with its
//! domain and measure as CEL, so the stage result, `GetEstimates` and a dry run of a draft cannot
//! drift apart. The expressions are evaluated once per return; the replicates re-weight columns.
//!
//! - [`cells`]: the cells estimation runs over and the breakdowns it offers.
//! - [`reported`]: the figures of a census of reporters (the sharing hub), computed exactly.
//! - [`sample`]: the units estimation runs over, with or without a design.
//! - [`adapter`]: the conversion to and from `ndrs_stats`.
//! - [`runner`]: the stage's figures and `GetEstimates`.
//! - [`weights`]: the weights estimation uses, out as CSV for R `survey` or svy.

use ndrs_platform::returns::StoredReturn;

use crate::domain::Questionnaire;

mod adapter;
mod cells;
mod reported;
mod runner;
mod sample;
mod weights;

pub use cells::BREAKDOWNS;
pub use reported::{ReportedReturn, reported_figures};
pub use runner::{
    IndicatorEstimates, estimates, export_weights as export_weights_rpc, figures, get_estimates,
    hub_figures, questionnaire_figures, stage_figures,
};
pub use weights::{MAX_EXPORTED_INDICATORS, MAX_EXPORTED_WEIGHTS, WeightsExport, export_weights};

/// The auxiliary figure of the valid sample: responding units counted, not estimated.
pub const VALID_SAMPLE: &str = "application.valid_sample";

/// The kind of the stage's indicator documents over the application questionnaire.
pub const INDICATOR_KIND: &str = "application_indicators";

/// The kind of the indicator documents over the sharing hub's return.
pub const HUB_INDICATOR_KIND: &str = "sharing_hub_indicators";

pub const INTERIM_METHOD: &str = "interim, unweighted: no sample design loaded for the cycle; every respondent counts once and standard errors treat the respondents as a simple random sample";

const DESIGN_METHOD: &str = "design-based (ndrs-stats)";

type Row = (StoredReturn, Questionnaire);

#[cfg(test)]
mod tests;
