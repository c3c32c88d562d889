//! One error type for the whole crate.
//!
//! Every variant names the offending field, row, stratum or category so that a service can turn it
//! into a field violation without parsing the message. Messages are lowercase (workspace style).
//! Nothing in this crate panics on bad input: every check below is reachable from public data.

use thiserror::Error;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, StatsError>;

/// What went wrong, with the field, row, stratum or category at fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// The design has no units at all.
    #[error("design has no units")]
    EmptyDesign,

    /// A design weight is NaN, infinite or negative.
    #[error("invalid design weight {value} at row {row}: weights must be finite and >= 0")]
    InvalidWeight { row: usize, value: f64 },

    /// A stratum or PSU identifier is empty.
    #[error("empty {field} identifier at row {row}")]
    EmptyIdentifier { field: &'static str, row: usize },

    /// A stratum referred to by a setting does not occur in the sample.
    #[error("unknown stratum {stratum:?} in {field}")]
    UnknownStratum {
        stratum: String,
        field: &'static str,
    },

    /// A stratum's population size is not a finite number at least as large as its sample PSUs.
    #[error(
        "invalid population size {value} for stratum {stratum:?}: must be finite and >= the {sampled} sampled psus"
    )]
    InvalidPopulationSize {
        stratum: String,
        value: f64,
        sampled: usize,
    },

    /// A stratum whose design weights are all zero.
    #[error("stratum {stratum:?} has no unit with a positive design weight")]
    EmptyStratum { stratum: String },

    /// A data column's length differs from the number of units in the design.
    #[error("column {column:?} has {actual} values, the design has {expected} units")]
    LengthMismatch {
        column: String,
        expected: usize,
        actual: usize,
    },

    /// A column is referred to but does not exist (or has the wrong kind).
    #[error("unknown {kind} column {column:?}")]
    UnknownColumn { column: String, kind: &'static str },

    /// The same column name was added twice.
    #[error("duplicate column {column:?}")]
    DuplicateColumn { column: String },

    /// A value needed by an estimator or weighting step is NaN or infinite.
    #[error("non-finite value {value} in column {column:?} at row {row}")]
    NonFiniteValue {
        column: String,
        row: usize,
        value: f64,
    },

    /// A value that must be 0 or 1 (proportions, domain indicators, response status) is not.
    #[error("column {column:?} must be 0 or 1, found {value} at row {row}")]
    NotBinary {
        column: String,
        row: usize,
        value: f64,
    },

    /// A weighting class holds units but none of them responded.
    #[error(
        "weighting class {class:?} of column {column:?} has no respondent with positive weight"
    )]
    NoRespondents { column: String, class: String },

    /// A raking margin category has a target but no sample weight to rake.
    #[error("raking margin {variable:?} category {category:?} has no sample (zero weight)")]
    EmptyMarginCategory { variable: String, category: String },

    /// Sample units fall in a category the raking targets do not mention.
    #[error("raking margin {variable:?} has no target for sample category {category:?}")]
    MissingMarginTarget { variable: String, category: String },

    /// A raking target is not a positive finite number.
    #[error("raking margin {variable:?} category {category:?} has invalid target {value}")]
    InvalidMarginTarget {
        variable: String,
        category: String,
        value: f64,
    },

    /// Raking did not reach the tolerance within the iteration limit.
    #[error(
        "raking did not converge: {iterations} iterations, max relative margin error {max_relative_error:e} > tolerance {tolerance:e}"
    )]
    RakingNotConverged {
        iterations: usize,
        max_relative_error: f64,
        tolerance: f64,
    },

    /// Raking converged but a weight adjustment factor left the configured bounds.
    #[error("raking adjustment factor {factor} at row {row} is outside bounds [{lower}, {upper}]")]
    RakingOutOfBounds {
        row: usize,
        factor: f64,
        lower: f64,
        upper: f64,
    },

    /// Trimming cannot reach the cap (too few units to carry the total) or did not settle.
    #[error("weight trimming failed: {reason}")]
    TrimmingFailed { reason: String },

    /// A setting of a weighting step, estimator or variance method is invalid.
    #[error("invalid setting {field}: {reason}")]
    InvalidSetting { field: &'static str, reason: String },

    /// A stratum has a single PSU and the lonely-PSU policy is `Fail`.
    #[error("stratum {stratum:?} has a single psu (lonely psu); choose a LonelyPsu policy")]
    LonelyPsu { stratum: String },

    /// A weighting step failed on one replicate (e.g. a jackknife replicate deleted the only
    /// respondents of a weighting class). The full-sample weighting succeeded.
    #[error("replicate {replicate}: {source}")]
    Replicate {
        replicate: String,
        source: Box<StatsError>,
    },

    /// The estimate is undefined, e.g. a mean over a domain with zero weight.
    #[error("estimate undefined: {reason}")]
    Undefined { reason: String },
}
