//! The errors of the uncertainty propagation. Each names what is wrong (the parameter, the
//! output, the draw), so a model run that cannot be made says why to the organiser who asked.

use std::fmt;

/// Errors of the module; every one names what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum UncertaintyError {
    /// A parameter's value or stated uncertainty cannot describe a distribution.
    InvalidParameter { parameter: String, reason: String },
    /// Two parameters (or two outputs) share a name; names identify draw streams and results.
    DuplicateName { kind: &'static str, name: String },
    /// Two distinct parameter names hash to the same stream (astronomically unlikely; rename one).
    StreamCollision { first: String, second: String },
    /// Percentiles and a standard deviation need at least two draws.
    TooFewDraws(usize),
    /// The model returned a different number of values than there are outputs.
    OutputCountMismatch { expected: usize, got: usize },
    /// The model returned NaN or an infinity (e.g. a ratio whose denominator drew zero).
    /// `draw` is `None` at the central values.
    NonFiniteOutput { output: String, draw: Option<usize> },
    /// [`super::FullVolumeModel::evaluate`] was given the wrong number of parameter values.
    ParameterCountMismatch { expected: usize, got: usize },
}

impl fmt::Display for UncertaintyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameter { parameter, reason } => {
                write!(f, "parameter {parameter}: {reason}")
            }
            Self::DuplicateName { kind, name } => write!(f, "duplicate {kind} name {name:?}"),
            Self::StreamCollision { first, second } => write!(
                f,
                "parameter names {first:?} and {second:?} map to the same random stream; rename one"
            ),
            Self::TooFewDraws(n) => write!(f, "at least 2 draws are needed, got {n}"),
            Self::OutputCountMismatch { expected, got } => {
                write!(f, "model returned {got} values for {expected} outputs")
            }
            Self::NonFiniteOutput { output, draw } => match draw {
                Some(d) => write!(f, "output {output} is not finite at draw {d}"),
                None => write!(f, "output {output} is not finite at the central values"),
            },
            Self::ParameterCountMismatch { expected, got } => {
                write!(f, "expected {expected} parameter values, got {got}")
            }
        }
    }
}

impl std::error::Error for UncertaintyError {}

/// Why a distribution cannot be built; [`UncertaintyError::InvalidParameter`] adds the name.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidDistribution(pub String);

impl fmt::Display for InvalidDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidDistribution {}

impl InvalidDistribution {
    pub(super) fn named(self, parameter: &str) -> UncertaintyError {
        UncertaintyError::InvalidParameter {
            parameter: parameter.to_string(),
            reason: self.0,
        }
    }
}
