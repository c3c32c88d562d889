//! The CEL of questionnaires: what a `relevant` or `constraint` expression may name, and the
//! checks that run when a questionnaire is loaded.
//!
//! An expression sees:
//! - `a.<id>`: the answer to a question of the return (`has(a.<id>)` asks whether it was
//!   answered); a `relevant` condition sees only questions asked before its own;
//! - `row.<id>`: inside a repeat group, the answer to a question of the same row;
//! - `value`: in a constraint, the answer being checked;
//! - `unit.subject_type`, `unit.subject_group`, `unit.province`, `unit.industry`,
//!   `unit.size_class`: the reporting unit's classification in the frame (codes, `""` when the
//!   frame has none);
//! - the functions `abs(x)` and `within(a, b, rel)` of the stage-1 rules, CEL's `size`, `in`,
//!   and the macros `all`, `exists`, `exists_one`, `filter`, `map` over a group's rows or a
//!   multiple choice's codes.
//!
//! Quantities are decimals in CEL whatever the question's type, so that a count and a decimal
//! compare and add without conversions; integer literals are refused in arithmetic for the same
//! reason as in the rules (write `2.0`, not `2`). Adding, subtracting or comparing quantities of
//! different dimensions (bytes and yuan) is refused when the questionnaire is loaded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cel::Program;
use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use ndrs_core::units::Dimension;
use ndrs_rules::dimensions::{self, ARITHMETIC, COMPARISON};

/// The attributes of `unit` an expression may read.
pub const UNIT_ATTRIBUTES: [&str; 5] = [
    "subject_type",
    "subject_group",
    "province",
    "industry",
    "size_class",
];

/// What an answer is, as far as expressions care.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Number(Dimension),
    Bool,
    /// Text or a date (`YYYY-MM-DD` compares in calendar order).
    String,
    /// A single choice's code, from these.
    Code(Arc<BTreeSet<String>>),
    /// A multiple choice's codes, from these.
    Codes(Arc<BTreeSet<String>>),
    /// A repeat group's rows, each with these questions.
    Rows(Arc<Fields>),
}

/// The questions one scope offers, by id, with their position (for "asked before").
pub type Fields = BTreeMap<String, (usize, ValueKind)>;

/// Where an expression stands, which decides what it may name.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The return's top-level questions.
    pub answers: &'a Fields,
    /// `a.<id>` may only name questions before this position (a `relevant` condition), or any
    /// (`None`, a constraint).
    pub answers_before: Option<usize>,
    /// The questions of the current group row, when inside a group, and how many of them are
    /// visible (as for `answers_before`).
    pub row: Option<(&'a Fields, Option<usize>)>,
    /// The kind of `value`, in a constraint.
    pub value: Option<&'a ValueKind>,
}

/// What an expression evaluates to, for checking.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A quantity, with its dimension when it comes from a question.
    Number(Option<Dimension>),
    /// An integer: a literal or `size(...)`.
    Int,
    Bool,
    String,
    Codes,
    Rows(Arc<Fields>),
    Row(Arc<Fields>),
    /// Something the checker does not follow (a map literal, an accumulator): accepted as it is.
    Other,
}

impl From<&ValueKind> for Kind {
    fn from(v: &ValueKind) -> Self {
        match v {
            ValueKind::Number(d) => Kind::Number(Some(*d)),
            ValueKind::Bool => Kind::Bool,
            ValueKind::String | ValueKind::Code(_) => Kind::String,
            ValueKind::Codes(_) => Kind::Codes,
            ValueKind::Rows(f) => Kind::Rows(f.clone()),
        }
    }
}

/// A checked expression, ready to run.
pub struct Expression {
    pub source: String,
    pub(crate) program: Program,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

/// What a checked expression produces, as far as the caller cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Produces {
    Bool,
    /// A quantity, with its dimension when it comes from questions (`None` for a bare literal).
    Number(Option<Dimension>),
    /// Anything else (text, codes, rows).
    Other,
}

/// Parses and checks a condition; the error says what is wrong and at which column (1-based).
pub fn compile_condition(source: &str, scope: Scope<'_>) -> Result<Expression, String> {
    match compile_expression(source, scope)? {
        (expression, Produces::Bool) => Ok(expression),
        _ => Err("the expression must be a condition (true or false)".into()),
    }
}

/// Parses and checks an expression of any kind (an indicator's measure is a quantity or a
/// condition) and says what it produces.
pub fn compile_expression(
    source: &str,
    scope: Scope<'_>,
) -> Result<(Expression, Produces), String> {
    if let Some(message) = ndrs_rules::limits::expression_limit(source) {
        return Err(message);
    }
    ndrs_rules::limits::on_rule_stack(|| {
        let program = parse(source)?;
        let mut checker = Checker {
            scope,
            program: &program,
            bound: Vec::new(),
            errors: Vec::new(),
        };
        let kind = checker.kind(program.expression());
        if !checker.errors.is_empty() {
            return Err(checker.errors.join("; "));
        }
        let produces = match kind {
            Kind::Bool => Produces::Bool,
            Kind::Number(d) => Produces::Number(d),
            // `size(...)` and integer arithmetic: a count, but written as an integer, which
            // answers (decimals in CEL) cannot be combined with.
            _ => Produces::Other,
        };
        Ok((
            Expression {
                source: source.to_string(),
                program,
            },
            produces,
        ))
    })
}

/// Parses CEL, every syntax error with its column (1-based). Callers check the expression
/// limits first and run this on the rule stack.
pub(crate) fn parse(source: &str) -> Result<Program, String> {
    Program::compile(source).map_err(|e| {
        e.errors
            .iter()
            .map(|p| format!("column {}: {}", p.pos.1.max(1), p.msg))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

struct Checker<'a> {
    scope: Scope<'a>,
    program: &'a Program,
    /// Variables bound by comprehension macros, innermost last.
    bound: Vec<(String, Kind)>,
    errors: Vec<String>,
}

impl Checker<'_> {
    fn column(&self, e: &IdedExpr) -> u32 {
        ndrs_rules::compile::column(self.program, e)
    }

    fn refuse(&mut self, e: &IdedExpr, message: String) -> Kind {
        let column = self.column(e);
        self.errors.push(format!("column {column}: {message}"));
        Kind::Other
    }

    fn kind(&mut self, e: &IdedExpr) -> Kind {
        match &e.expr {
            Expr::Ident(name) => self.ident(e, name),
            Expr::Select(select) => {
                let kind = self.select(e, &select.operand, &select.field);
                if select.test { Kind::Bool } else { kind }
            }
            Expr::Literal(LiteralValue::Double(_)) => Kind::Number(None),
            Expr::Literal(LiteralValue::Int(_) | LiteralValue::UInt(_)) => Kind::Int,
            Expr::Literal(LiteralValue::Boolean(_)) => Kind::Bool,
            Expr::Literal(LiteralValue::String(_)) => Kind::String,
            Expr::Literal(_) => Kind::Other,
            Expr::List(list) => {
                let kinds: Vec<Kind> = list.elements.iter().map(|x| self.kind(x)).collect();
                if !kinds.is_empty() && kinds.iter().all(|k| *k == Kind::String) {
                    Kind::Codes
                } else {
                    Kind::Other
                }
            }
            Expr::Call(call) => {
                let mut args = Vec::new();
                if let Some(target) = &call.target {
                    args.push(self.kind(target));
                }
                args.extend(call.args.iter().map(|a| self.kind(a)));
                if let [left, right] = &call.args[..] {
                    self.codes(&call.func_name, left, right);
                }
                self.call(e, &call.func_name, &args)
            }
            Expr::Comprehension(c) => {
                let element = match self.kind(&c.iter_range) {
                    Kind::Rows(fields) => Kind::Row(fields),
                    Kind::Codes => Kind::String,
                    _ => Kind::Other,
                };
                let initial = self.kind(&c.accu_init);
                self.bound.push((c.iter_var.clone(), element));
                self.bound.push((c.accu_var.clone(), initial.clone()));
                self.kind(&c.loop_cond);
                self.kind(&c.loop_step);
                let result = self.kind(&c.result);
                self.bound.truncate(self.bound.len() - 2);
                // `all`, `exists` and `exists_one` accumulate a condition; `map` and `filter`
                // a list, which a condition then uses through `size` or `in`.
                if initial == Kind::Bool {
                    Kind::Bool
                } else {
                    result
                }
            }
            Expr::Map(_) | Expr::Struct(_) | Expr::Unspecified => Kind::Other,
        }
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) -> Kind {
        if let Some((_, kind)) = self.bound.iter().rev().find(|(n, _)| n == name) {
            return kind.clone();
        }
        match name {
            "value" => match self.scope.value {
                Some(v) => v.into(),
                None => self.refuse(e, "`value` is the answer a constraint checks; a condition of relevance cannot use it".into()),
            },
            "a" | "unit" => Kind::Other,
            "row" if self.scope.row.is_some() => Kind::Other,
            "row" => self.refuse(e, "`row` is only known inside a repeat group".into()),
            _ => self.refuse(
                e,
                format!(
                    "unknown name `{name}`: answers are a.<question id>, the unit's frame is unit.<attribute>"
                ),
            ),
        }
    }

    fn select(&mut self, e: &IdedExpr, operand: &IdedExpr, field: &str) -> Kind {
        let root = match &operand.expr {
            Expr::Ident(name) if !self.bound.iter().any(|(n, _)| n == name) => Some(name.as_str()),
            _ => None,
        };
        match root {
            Some("a") => {
                let (fields, before) = (self.scope.answers, self.scope.answers_before);
                self.question(e, fields, before, field)
            }
            Some("row") => match self.scope.row {
                Some((fields, before)) => self.question(e, fields, before, field),
                None => self.refuse(e, "`row` is only known inside a repeat group".into()),
            },
            Some("unit") if UNIT_ATTRIBUTES.contains(&field) => Kind::String,
            Some("unit") => self.refuse(
                e,
                format!(
                    "the unit has no attribute `{field}`; it has {}",
                    UNIT_ATTRIBUTES.join(", ")
                ),
            ),
            _ => match self.kind(operand) {
                Kind::Row(fields) => self.question(e, &fields, None, field),
                _ => Kind::Other,
            },
        }
    }

    fn question(&mut self, e: &IdedExpr, fields: &Fields, before: Option<usize>, id: &str) -> Kind {
        match fields.get(id) {
            None => self.refuse(e, format!("unknown question `{id}`")),
            Some((position, _)) if before.is_some_and(|b| *position >= b) => self.refuse(
                e,
                format!(
                    "question `{id}` is not asked before this one; a condition of relevance reads only earlier answers"
                ),
            ),
            Some((_, kind)) => kind.into(),
        }
    }

    /// The codes an expression can take, when it is a choice answer or a coded attribute of the
    /// unit: a literal compared with it must be one of them.
    fn code_set(&self, e: &IdedExpr) -> Option<(String, Arc<BTreeSet<String>>)> {
        let Expr::Select(select) = &e.expr else {
            return match &e.expr {
                Expr::Ident(name)
                    if name == "value" && self.bound.iter().all(|(n, _)| n != name) =>
                {
                    match self.scope.value? {
                        ValueKind::Code(c) | ValueKind::Codes(c) => {
                            Some(("value".into(), c.clone()))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
        };
        if select.test {
            return None;
        }
        let Expr::Ident(root) = &select.operand.expr else {
            return None;
        };
        if self.bound.iter().any(|(n, _)| n == root) {
            return None;
        }
        let field = select.field.as_str();
        let fields = match root.as_str() {
            "a" => self.scope.answers,
            "row" => self.scope.row?.0,
            "unit" => {
                return unit_codes(field).map(|c| (format!("unit.{field}"), Arc::new(c)));
            }
            _ => return None,
        };
        match fields.get(field) {
            Some((_, ValueKind::Code(c) | ValueKind::Codes(c))) => {
                Some((format!("{root}.{field}"), c.clone()))
            }
            _ => None,
        }
    }

    /// A string literal compared with (`==`, `!=`) or looked up in (`in`) a coded value must be
    /// one of its codes: a misspelt code would otherwise make a domain silently empty.
    fn codes(&mut self, function: &str, left: &IdedExpr, right: &IdedExpr) {
        let (coded, literals) = match function {
            operators::EQUALS | operators::NOT_EQUALS => match self.code_set(left) {
                Some(c) => (c, right),
                None => match self.code_set(right) {
                    Some(c) => (c, left),
                    None => return,
                },
            },
            // `'x' in a.codes` and `unit.subject_type in ['a', 'b']`.
            operators::IN => match (self.code_set(right), self.code_set(left)) {
                (Some(c), _) => (c, left),
                (None, Some(c)) => (c, right),
                (None, None) => return,
            },
            _ => return,
        };
        let ((name, codes), strings) = (coded, string_literals(literals));
        for (literal, at) in strings {
            if !codes.contains(&literal) {
                let known: Vec<&str> = codes.iter().take(12).map(String::as_str).collect();
                self.refuse(
                    at,
                    format!(
                        "`{}` is not a code of {name}; its codes are {}{}",
                        ndrs_core::error::bounded(&literal, 64),
                        known.join(", "),
                        if codes.len() > known.len() {
                            ", ..."
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
    }

    fn call(&mut self, e: &IdedExpr, name: &str, args: &[Kind]) -> Kind {
        use Kind::*;
        match (name, args) {
            (op, [l, r]) if ARITHMETIC.contains(&op) => match (l, r) {
                (Number(a), Number(b)) => self.arithmetic(e, op, *a, *b),
                (Int, Number(_)) | (Number(_), Int) => self.refuse(
                    e,
                    "write integer literals as decimals (1.0, not 1): answers are decimals in CEL"
                        .into(),
                ),
                (Int, Int) => Int,
                _ => Other,
            },
            (op, [l, r]) if COMPARISON.contains(&op) => {
                match (l, r) {
                    (Number(a), Number(b)) => self.check(e, op, dimensions::comparable(*a, *b)),
                    (Number(_) | Int, String | Bool) | (String | Bool, Number(_) | Int) => {
                        self.refuse(e, format!("{op} compares a number with a {}", word(l, r)));
                    }
                    (String, Bool) | (Bool, String) => {
                        self.refuse(e, format!("{op} compares text with true or false"));
                    }
                    _ => {}
                }
                Bool
            }
            (operators::NEGATE, [x]) => x.clone(),
            (operators::LOGICAL_NOT, [_]) => Bool,
            (operators::LOGICAL_AND | operators::LOGICAL_OR | operators::NOT_STRICTLY_FALSE, _) => {
                Bool
            }
            (operators::CONDITIONAL, [_, a, _]) => a.clone(),
            (operators::IN, [_, _]) => Bool,
            ("size", [_]) => Int,
            ("abs", [x]) => x.clone(),
            ("within", [a, b, _]) => {
                if let (Number(x), Number(y)) = (a, b) {
                    self.check(e, "within", dimensions::comparable(*x, *y));
                }
                Bool
            }
            ("contains" | "startsWith" | "endsWith" | "matches", [_, _]) => Bool,
            (operators::INDEX, [_, _]) => Other,
            _ => self.refuse(
                e,
                format!("unknown function `{name}` with {} argument(s)", args.len()),
            ),
        }
    }

    fn arithmetic(
        &mut self,
        e: &IdedExpr,
        op: &str,
        a: Option<Dimension>,
        b: Option<Dimension>,
    ) -> Kind {
        match dimensions::arithmetic(op, a, b) {
            Ok(d) => Kind::Number(d),
            Err(m) => {
                self.mismatch(e, op, m.left, m.right);
                Kind::Other
            }
        }
    }

    fn check(&mut self, e: &IdedExpr, op: &str, outcome: Result<(), dimensions::Mismatch>) {
        if let Err(m) = outcome {
            self.mismatch(e, op, m.left, m.right);
        }
    }

    fn mismatch(&mut self, e: &IdedExpr, op: &str, left: Dimension, right: Dimension) {
        self.refuse(
            e,
            format!("{op} of {} and {} mixes units", left.code(), right.code()),
        );
    }
}

/// The codes of a coded attribute of the unit (`province` and `industry` are checked by the
/// frame, not here: their lists belong to the questionnaire or the frame).
fn unit_codes(attribute: &str) -> Option<BTreeSet<String>> {
    use ndrs_core::classification::{SizeClass, SubjectGroup, SubjectType};
    let codes: Vec<&str> = match attribute {
        "subject_type" => SubjectType::ALL.iter().map(|s| s.code()).collect(),
        "subject_group" => SubjectGroup::ALL.iter().map(|s| s.code()).collect(),
        // `""` is what an unclassified unit reads.
        "size_class" => SizeClass::ALL
            .iter()
            .map(|s| s.code())
            .chain([""])
            .collect(),
        _ => return None,
    };
    Some(codes.into_iter().map(str::to_string).collect())
}

/// The string literals of an expression (itself, or the elements of a list), with where each is.
fn string_literals(e: &IdedExpr) -> Vec<(String, &IdedExpr)> {
    match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => vec![(s.to_string(), e)],
        Expr::List(list) => list
            .elements
            .iter()
            .filter_map(|x| match &x.expr {
                Expr::Literal(LiteralValue::String(s)) => Some((s.to_string(), x)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn word(l: &Kind, r: &Kind) -> &'static str {
    match (l, r) {
        (Kind::String, _) | (_, Kind::String) => "text",
        _ => "true or false",
    }
}
