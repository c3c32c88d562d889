//! Compiling rules: parse, resolve every name against the schema, check units.

use std::collections::BTreeSet;
use std::fmt;

use cel::Program;
use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use ndrs_core::units::Dimension;
use serde::{Deserialize, Serialize};

use crate::schema::FigureSchema;

/// Error blocks publication; a warning needs a written justification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// A rule as organisers write it (TOML or over the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub description: String,
    pub expression: String,
    pub severity: Severity,
    /// Bound to `tolerance` while the rule runs; 0 when the rule needs none.
    #[serde(default)]
    pub tolerance: f64,
}

/// Why a rule was refused at load time. `column` is 1-based within the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("rule {rule_id}: column {column}: {message}")]
    Syntax {
        rule_id: String,
        column: u32,
        message: String,
    },
    #[error("rule {rule_id}: column {column}: unknown figure {name}")]
    UnknownFigure {
        rule_id: String,
        column: u32,
        name: String,
    },
    #[error("rule {rule_id}: column {column}: {operator} of {left:?} and {right:?} mixes units")]
    UnitMismatch {
        rule_id: String,
        column: u32,
        operator: String,
        left: Dimension,
        right: Dimension,
    },
    #[error(
        "rule {rule_id}: column {column}: write integer literals as decimals (1.0, not 1): CEL does not mix integers and figures in arithmetic"
    )]
    IntegerArithmetic { rule_id: String, column: u32 },
    #[error("rule {rule_id}: the expression must be a condition (true or false)")]
    NotACondition { rule_id: String },
    #[error("rule {rule_id}: {message}")]
    Invalid { rule_id: String, message: String },
}

impl RuleError {
    pub fn rule_id(&self) -> &str {
        match self {
            RuleError::Syntax { rule_id, .. }
            | RuleError::UnknownFigure { rule_id, .. }
            | RuleError::UnitMismatch { rule_id, .. }
            | RuleError::IntegerArithmetic { rule_id, .. }
            | RuleError::NotACondition { rule_id }
            | RuleError::Invalid { rule_id, .. } => rule_id,
        }
    }
}

/// A rule ready to run, with the figure names it reads.
pub struct CompiledRule {
    pub def: RuleDef,
    pub(crate) program: Program,
    pub references: BTreeSet<String>,
}

impl fmt::Debug for CompiledRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledRule")
            .field("def", &self.def)
            .field("references", &self.references)
            .finish()
    }
}

/// A compiled, checked set of rules.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<CompiledRule>,
}

/// Variables every rule may use besides figures.
pub const TOLERANCE: &str = "tolerance";
/// Functions offered to rules: `abs(x)` and `within(a, b, rel)` (|a - b| <= rel x |b|).
pub const FUNCTIONS: [&str; 2] = ["abs", "within"];

/// Compiles every rule, collecting every error rather than stopping at the first.
pub fn compile_rules(defs: Vec<RuleDef>, schema: &FigureSchema) -> Result<RuleSet, Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    let mut ids = BTreeSet::new();
    for def in defs {
        if def.id.trim().is_empty() || !ids.insert(def.id.clone()) {
            errors.push(RuleError::Invalid {
                rule_id: def.id.clone(),
                message: "rule ids must be present and unique".into(),
            });
            continue;
        }
        if !def.tolerance.is_finite() || def.tolerance < 0.0 {
            errors.push(RuleError::Invalid {
                rule_id: def.id.clone(),
                message: "tolerance must be a finite, non-negative number".into(),
            });
            continue;
        }
        match compile_one(def, schema) {
            Ok(rule) => rules.push(rule),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(RuleSet { rules })
    } else {
        Err(errors)
    }
}

fn compile_one(def: RuleDef, schema: &FigureSchema) -> Result<CompiledRule, Vec<RuleError>> {
    let program = Program::compile(&def.expression).map_err(|e| {
        e.errors
            .iter()
            .map(|p| RuleError::Syntax {
                rule_id: def.id.clone(),
                column: p.pos.1.max(1) as u32,
                message: p.msg.clone(),
            })
            .collect::<Vec<_>>()
    })?;
    let mut checker = Checker {
        rule_id: &def.id,
        schema,
        program: &program,
        errors: Vec::new(),
        references: BTreeSet::new(),
    };
    let kind = checker.kind(program.expression());
    let mut errors = checker.errors;
    let references = checker.references;
    if errors.is_empty() && !matches!(kind, Kind::Bool) {
        errors.push(RuleError::NotACondition {
            rule_id: def.id.clone(),
        });
    }
    if errors.is_empty() {
        Ok(CompiledRule {
            def,
            program,
            references,
        })
    } else {
        Err(errors)
    }
}

/// What an expression evaluates to, as far as unit checking cares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A number; `None` when it carries no unit (a decimal literal, the tolerance, or a derived
    /// product whose unit the checker does not track).
    Number(Option<Dimension>),
    IntegerLiteral,
    Bool,
    Other,
}

struct Checker<'a> {
    rule_id: &'a str,
    schema: &'a FigureSchema,
    program: &'a Program,
    errors: Vec<RuleError>,
    references: BTreeSet<String>,
}

impl Checker<'_> {
    fn column(&self, e: &IdedExpr) -> u32 {
        self.program
            .source_info()
            .offset_for(e.id)
            .map_or(1, |(start, _)| start + 1)
    }

    fn kind(&mut self, e: &IdedExpr) -> Kind {
        match &e.expr {
            Expr::Ident(name) if name == TOLERANCE => Kind::Number(None),
            Expr::Ident(name) => match self.schema.dimension(name) {
                Some(d) => {
                    self.references.insert(name.clone());
                    Kind::Number(Some(d))
                }
                None => {
                    self.errors.push(RuleError::UnknownFigure {
                        rule_id: self.rule_id.to_string(),
                        column: self.column(e),
                        name: name.clone(),
                    });
                    Kind::Other
                }
            },
            Expr::Literal(LiteralValue::Double(_)) => Kind::Number(None),
            Expr::Literal(LiteralValue::Int(_) | LiteralValue::UInt(_)) => Kind::IntegerLiteral,
            Expr::Literal(LiteralValue::Boolean(_)) => Kind::Bool,
            Expr::Call(call) => {
                let args: Vec<Kind> = call.args.iter().map(|a| self.kind(a)).collect();
                self.call(e, &call.func_name, &args)
            }
            _ => Kind::Other,
        }
    }

    fn mismatch(&mut self, e: &IdedExpr, operator: &str, left: Dimension, right: Dimension) {
        self.errors.push(RuleError::UnitMismatch {
            rule_id: self.rule_id.to_string(),
            column: self.column(e),
            operator: operator.to_string(),
            left,
            right,
        });
    }

    fn call(&mut self, e: &IdedExpr, name: &str, args: &[Kind]) -> Kind {
        use Kind::*;
        let arithmetic = [
            operators::ADD,
            operators::SUBSTRACT,
            operators::MULTIPLY,
            operators::DIVIDE,
        ];
        let comparison = [
            operators::LESS,
            operators::LESS_EQUALS,
            operators::GREATER,
            operators::GREATER_EQUALS,
            operators::EQUALS,
            operators::NOT_EQUALS,
        ];
        match (name, args) {
            (op, [l, r]) if arithmetic.contains(&op) => match (l, r) {
                (Number(a), Number(b)) => Number(self.arithmetic(e, op, *a, *b)),
                (IntegerLiteral, Number(_)) | (Number(_), IntegerLiteral) => {
                    self.errors.push(RuleError::IntegerArithmetic {
                        rule_id: self.rule_id.to_string(),
                        column: self.column(e),
                    });
                    Number(None)
                }
                (IntegerLiteral, IntegerLiteral) => IntegerLiteral,
                _ => Other,
            },
            (op, [l, r]) if comparison.contains(&op) => {
                if let (Number(Some(a)), Number(Some(b))) = (l, r)
                    && a != b
                {
                    self.mismatch(e, op, *a, *b);
                }
                Bool
            }
            (operators::NEGATE, [x]) => *x,
            ("abs", [x]) => *x,
            ("within", [a, b, _]) => {
                if let (Number(Some(x)), Number(Some(y))) = (a, b)
                    && x != y
                {
                    self.mismatch(e, "within", *x, *y);
                }
                Bool
            }
            (operators::LOGICAL_AND | operators::LOGICAL_OR | operators::LOGICAL_NOT, _) => Bool,
            (operators::CONDITIONAL, [_, a, _]) => *a,
            _ => Other,
        }
    }

    fn arithmetic(
        &mut self,
        e: &IdedExpr,
        op: &str,
        a: Option<Dimension>,
        b: Option<Dimension>,
    ) -> Option<Dimension> {
        let dimensionless = Some(Dimension::Dimensionless);
        match op {
            operators::ADD | operators::SUBSTRACT => match (a, b) {
                (Some(x), Some(y)) if x != y => {
                    self.mismatch(e, op, x, y);
                    None
                }
                (Some(x), _) | (_, Some(x)) => Some(x),
                _ => None,
            },
            operators::MULTIPLY => match (a, b) {
                (x, None) | (None, x) => x,
                (x, y) if x == dimensionless => y,
                (x, y) if y == dimensionless => x,
                // A product of two dimensioned figures is not tracked.
                _ => None,
            },
            _ => match (a, b) {
                (Some(x), Some(y)) if x == y => dimensionless,
                (x, y) if y == dimensionless || y.is_none() => x,
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndrs_core::units::Unit;

    fn schema() -> FigureSchema {
        let mut s = FigureSchema::new();
        s.declare_figure("P01", Unit::Bytes)
            .declare_figure("P04", Unit::Bytes)
            .declare_figure("P05", Unit::Ratio)
            .declare_figure("C02", Unit::Flops);
        s
    }

    fn rule(id: &str, expression: &str) -> RuleDef {
        RuleDef {
            id: id.into(),
            description: "test".into(),
            expression: expression.into(),
            severity: Severity::Error,
            tolerance: 0.01,
        }
    }

    #[test]
    fn consistent_rules_compile() {
        let set = compile_rules(
            vec![
                rule("new_le_production", "P04 <= P01"),
                rule("conversion", "abs(P05 - P04 / P01) <= tolerance"),
                rule("growth", "within(P01, prev_P01 * 1.2, tolerance)"),
            ],
            &schema(),
        )
        .unwrap();
        assert_eq!(set.rules.len(), 3);
        assert!(set.rules[1].references.contains("P04"));
    }

    #[test]
    fn unknown_figures_and_mixed_units_are_refused_with_positions() {
        let errors = compile_rules(
            vec![
                rule("a", "P04 <= P99"),
                rule("b", "P01 <= C02"),
                rule("c", "P01 + C02 > 0.0"),
                rule("d", "P04 <="),
                rule("e", "P05 + 1 > 0.0"),
                rule("f", "P01 + P04"),
            ],
            &schema(),
        )
        .unwrap_err();
        assert!(
            matches!(&errors[0], RuleError::UnknownFigure { rule_id, column: 8, name } if rule_id == "a" && name == "P99"),
            "{errors:?}"
        );
        assert!(
            matches!(&errors[1], RuleError::UnitMismatch { rule_id, left: Dimension::Volume, right: Dimension::Compute, .. } if rule_id == "b"),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.rule_id() == "c" && matches!(e, RuleError::UnitMismatch { .. }))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.rule_id() == "d" && matches!(e, RuleError::Syntax { .. }))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.rule_id() == "e" && matches!(e, RuleError::IntegerArithmetic { .. }))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.rule_id() == "f" && matches!(e, RuleError::NotACondition { .. }))
        );
    }

    #[test]
    fn duplicate_ids_and_bad_tolerances_are_refused() {
        let mut bad = rule("x", "P04 <= P01");
        bad.tolerance = f64::NAN;
        let errors = compile_rules(
            vec![rule("a", "P04 <= P01"), rule("a", "P04 <= P01"), bad],
            &schema(),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
    }
}
