//! The unit algebra of expressions: which CEL operators are arithmetic or comparisons, and what
//! dimension an arithmetic result has. Shared by the stage-1 rules and by questionnaire
//! conditions (`ndrs-content`), so that "bytes plus yuan" is refused the same way in both.

use cel::common::ast::operators;
use ndrs_core::units::Dimension;

/// CEL's arithmetic operators.
pub const ARITHMETIC: [&str; 4] = [
    operators::ADD,
    operators::SUBSTRACT,
    operators::MULTIPLY,
    operators::DIVIDE,
];

/// CEL's comparison operators.
pub const COMPARISON: [&str; 6] = [
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
    operators::EQUALS,
    operators::NOT_EQUALS,
];

/// Two quantities of different dimensions met where they must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    pub left: Dimension,
    pub right: Dimension,
}

/// The dimension of `a op b` for an arithmetic operator, `None` when it is not tracked (a
/// literal, or a product of two dimensioned quantities); a sum or difference of two different
/// dimensions is a [`Mismatch`].
pub fn arithmetic(
    op: &str,
    a: Option<Dimension>,
    b: Option<Dimension>,
) -> Result<Option<Dimension>, Mismatch> {
    let dimensionless = Some(Dimension::Dimensionless);
    Ok(match op {
        operators::ADD | operators::SUBSTRACT => match (a, b) {
            (Some(left), Some(right)) if left != right => return Err(Mismatch { left, right }),
            (Some(x), _) | (_, Some(x)) => Some(x),
            _ => None,
        },
        operators::MULTIPLY => match (a, b) {
            (x, None) | (None, x) => x,
            (x, y) if x == dimensionless => y,
            (x, y) if y == dimensionless => x,
            // A product of two dimensioned quantities is not tracked.
            _ => None,
        },
        _ => match (a, b) {
            (Some(x), Some(y)) if x == y => dimensionless,
            (x, y) if y == dimensionless || y.is_none() => x,
            _ => None,
        },
    })
}

/// Whether two quantities may be compared: only within one dimension.
pub fn comparable(a: Option<Dimension>, b: Option<Dimension>) -> Result<(), Mismatch> {
    match (a, b) {
        (Some(left), Some(right)) if left != right => Err(Mismatch { left, right }),
        _ => Ok(()),
    }
}
