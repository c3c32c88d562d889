//! Compiling rules: parse, resolve every name against the schema, check units.

use std::collections::BTreeSet;
use std::fmt;

use cel::Program;
use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use ndrs_core::units::Dimension;
use serde::{Deserialize, Serialize};

use crate::dimensions::{self, ARITHMETIC, COMPARISON};
use crate::limits;
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
    /// The expression is over a limit of [`crate::limits`] and was not parsed.
    #[error("rule {rule_id}: {message}")]
    TooComplex { rule_id: String, message: String },
    /// A field other than the expression (`field`: `id`, `description`, `tolerance`) is refused.
    #[error("rule {rule_id}: {field} {message}")]
    Invalid {
        rule_id: String,
        field: &'static str,
        message: String,
    },
}

impl RuleError {
    pub fn rule_id(&self) -> &str {
        match self {
            RuleError::Syntax { rule_id, .. }
            | RuleError::UnknownFigure { rule_id, .. }
            | RuleError::UnitMismatch { rule_id, .. }
            | RuleError::IntegerArithmetic { rule_id, .. }
            | RuleError::NotACondition { rule_id }
            | RuleError::TooComplex { rule_id, .. }
            | RuleError::Invalid { rule_id, .. } => rule_id,
        }
    }

    /// The field of the rule at fault: `expression` unless the error says otherwise.
    pub fn field(&self) -> &'static str {
        match self {
            RuleError::Invalid { field, .. } => field,
            _ => "expression",
        }
    }
}

/// One rule of a set refused: its position in the set and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub index: usize,
    pub error: RuleError,
}

impl Refusal {
    /// The request field at fault, e.g. `rules[3].tolerance`.
    pub fn field_path(&self) -> String {
        format!("rules[{}].{}", self.index, self.error.field())
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
///
/// Ids, descriptions and expressions are checked against [`crate::limits`] first; only an
/// expression within them reaches the parser, which runs on a thread with a stack sized for it.
pub fn compile_rules(defs: Vec<RuleDef>, schema: &FigureSchema) -> Result<RuleSet, Vec<Refusal>> {
    let mut refusals = Vec::new();
    if defs.len() > limits::MAX_RULES {
        refusals.push(Refusal {
            index: limits::MAX_RULES,
            error: RuleError::Invalid {
                rule_id: String::new(),
                field: "id",
                message: format!(
                    "is one rule too many: a set holds at most {} rules, this one {}",
                    limits::MAX_RULES,
                    defs.len()
                ),
            },
        });
        return Err(refusals);
    }
    let mut checked = Vec::new();
    let mut ids = BTreeSet::new();
    for (index, def) in defs.into_iter().enumerate() {
        let refuse = |field: &'static str, message: String| Refusal {
            index,
            error: RuleError::Invalid {
                rule_id: ndrs_core::error::bounded(&def.id, limits::MAX_ID_CHARS).into_owned(),
                field,
                message,
            },
        };
        let before = refusals.len();
        if let Some(message) = limits::id_limit(&def.id) {
            refusals.push(refuse("id", message));
        } else if !ids.insert(def.id.clone()) {
            refusals.push(refuse("id", "must be unique within the set".into()));
        }
        if let Some(message) = limits::description_limit(&def.description) {
            refusals.push(refuse("description", message));
        }
        if !def.tolerance.is_finite() || def.tolerance < 0.0 {
            refusals.push(refuse(
                "tolerance",
                "must be a finite, non-negative number".into(),
            ));
        }
        if let Some(message) = limits::expression_limit(&def.expression) {
            refusals.push(Refusal {
                index,
                error: RuleError::TooComplex {
                    rule_id: ndrs_core::error::bounded(&def.id, limits::MAX_ID_CHARS).into_owned(),
                    message,
                },
            });
        }
        if refusals.len() == before {
            checked.push((index, def));
        }
    }
    let compiled = limits::on_rule_stack(|| {
        checked
            .into_iter()
            .map(|(index, def)| {
                compile_one(def, schema).map_err(|errors| {
                    errors
                        .into_iter()
                        .map(|error| Refusal { index, error })
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
    });
    let mut rules = Vec::new();
    for result in compiled {
        match result {
            Ok(rule) => rules.push(rule),
            Err(mut e) => refusals.append(&mut e),
        }
    }
    refusals.sort_by_key(|r| r.index);
    if refusals.is_empty() {
        Ok(RuleSet { rules })
    } else {
        Err(refusals)
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

/// The 1-based column of `e` in `program`'s source, for errors that point at it.
pub fn column(program: &Program, e: &IdedExpr) -> u32 {
    program
        .source_info()
        .offset_for(e.id)
        .map_or(1, |(start, _)| start + 1)
}

impl Checker<'_> {
    fn column(&self, e: &IdedExpr) -> u32 {
        column(self.program, e)
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
        match (name, args) {
            (op, [l, r]) if ARITHMETIC.contains(&op) => match (l, r) {
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
            (op, [l, r]) if COMPARISON.contains(&op) => {
                if let (Number(a), Number(b)) = (l, r) {
                    self.check(e, op, dimensions::comparable(*a, *b));
                }
                Bool
            }
            (operators::NEGATE, [x]) => *x,
            ("abs", [x]) => *x,
            ("within", [a, b, _]) => {
                if let (Number(x), Number(y)) = (a, b) {
                    self.check(e, "within", dimensions::comparable(*x, *y));
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
        dimensions::arithmetic(op, a, b).unwrap_or_else(|m| {
            self.mismatch(e, op, m.left, m.right);
            None
        })
    }

    fn check(&mut self, e: &IdedExpr, op: &str, outcome: Result<(), dimensions::Mismatch>) {
        if let Err(m) = outcome {
            self.mismatch(e, op, m.left, m.right);
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
        let errors: Vec<RuleError> = errors.into_iter().map(|r| r.error).collect();
        assert!(
            matches!(&errors[0], RuleError::UnknownFigure { rule_id, column: 8, name } if rule_id == "a" && name == "P99"),
            "{errors:?}"
        );
        assert!(
            matches!(&errors[1], RuleError::UnitMismatch { rule_id, left: Dimension::Volume, right: Dimension::Compute, .. } if rule_id == "b"),
            "{errors:?}"
        );
        // Whether rule `id` was refused with an error of the kind `kind` matches; the order of
        // the later errors is not part of the contract.
        let refused = |id: &str, kind: fn(&RuleError) -> bool| {
            errors.iter().any(|e| e.rule_id() == id && kind(e))
        };
        assert!(refused("c", |e| matches!(
            e,
            RuleError::UnitMismatch { .. }
        )));
        assert!(refused("d", |e| matches!(e, RuleError::Syntax { .. })));
        assert!(refused("e", |e| matches!(
            e,
            RuleError::IntegerArithmetic { .. }
        )));
        assert!(refused("f", |e| matches!(
            e,
            RuleError::NotACondition { .. }
        )));
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
        assert_eq!(errors[0].field_path(), "rules[1].id");
        assert_eq!(errors[1].field_path(), "rules[2].tolerance");
    }

    #[test]
    fn ids_and_descriptions_have_limits_and_each_names_its_field() {
        let mut long = rule(&"x".repeat(1_000_000), "P04 <= P01");
        long.description = "line one\nline two\0".into();
        let errors = compile_rules(vec![rule("fine", "P04 <= P01"), long], &schema()).unwrap_err();
        let fields: Vec<String> = errors.iter().map(Refusal::field_path).collect();
        assert_eq!(fields, ["rules[1].id", "rules[1].description"]);
        // The refused id is echoed bounded.
        assert!(errors[0].error.to_string().len() < 400);
    }

    /// The expressions that aborted the process (issue 12): refused by the limits, or, when just
    /// within them, parsed and run without exhausting any stack. This runs on the test's own
    /// thread (2 MiB), as a request handler would.
    #[test]
    fn expressions_that_overflowed_the_stack_are_refused_or_safe() {
        let over = [
            vec!["P01"; 5_400].join(" + ") + " > 0.0",
            vec!["P01"; 1_600].join("+") + ">0.0",
            format!("{}P01{} > 0.0", "(".repeat(13_000), ")".repeat(13_000)),
            format!("{}P01{} > 0.0", "(".repeat(20), ")".repeat(20)),
            format!("{}P01{} > 0.0", "abs(".repeat(20), ")".repeat(20)),
            format!("{}P01 > 0.0", "-".repeat(200)),
        ];
        for expression in over {
            let errors = compile_rules(vec![rule("deep", &expression)], &schema()).unwrap_err();
            assert!(
                matches!(errors[0].error, RuleError::TooComplex { .. }),
                "{:?}",
                errors[0]
            );
            assert_eq!(errors[0].field_path(), "rules[0].expression");
        }
        // At the limits themselves: compiles, evaluates.
        let nested = format!(
            "{}P01{} > 0.0",
            "abs(".repeat(limits::MAX_NESTING),
            ")".repeat(limits::MAX_NESTING)
        );
        let busy = vec!["P01"; limits::MAX_OPERATORS].join(" + ") + " > 0.0";
        let unary = format!("{}P01 > 0.0", "-".repeat(limits::MAX_OPERATORS - 1));
        let set = compile_rules(
            vec![
                rule("nested", &nested),
                rule("busy", &busy),
                rule("unary", &unary),
            ],
            &schema(),
        )
        .unwrap();
        let values = std::collections::BTreeMap::from([("P01".to_string(), 1.0)]);
        let outcomes = set.evaluate(&values);
        assert_eq!(outcomes[0].outcome, crate::Outcome::Passed);
        assert_eq!(outcomes[1].outcome, crate::Outcome::Passed);
        assert_eq!(outcomes[2].outcome, crate::Outcome::Failed);
        drop(set);
    }
}
