//! A checked expression lowered to native operations, for estimation's hot loop.
//!
//! Estimation evaluates every indicator's expressions for every return: a million evaluations
//! for a large round. The CEL interpreter needs the return's answers as a CEL map, built per
//! return, and walks the expression through its generic value machinery; for the shapes
//! indicator definitions are made of (answers, the unit's attributes, literals, arithmetic,
//! comparisons, `&&`, `||`, `!`, `? :`, `in`, `has`) this module evaluates the same expression
//! directly over the stored answers, with CEL's semantics: a missing answer is an error,
//! `false && error` is `false` and `true || error` is `true` whichever side errs.
//!
//! Anything else (macros, functions, groups, integer arithmetic) is not lowered, and whenever a
//! lowered expression meets a value whose CEL meaning it does not decide (a comparison of
//! different types, say) it answers [`Stop::Fallback`]: the caller then runs the interpreter.
//! A differential test runs both over random answers to keep them the same.

use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};

use crate::answers::{Answer, Answers, Respondent};
use crate::compile::{AnswerKind, CompiledQuestionnaire};

/// A lowered expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Number(f64),
    Bool(bool),
    Str(String),
    /// A list literal of strings (`['a', 'b']`).
    Strs(Vec<String>),
    /// `a.<id>`, with what the question takes (an answer that does not fit it reads as missing,
    /// as in the interpreter's map of answers).
    Answer(String, AnswerKind),
    /// `has(a.<id>)`.
    Has(String, AnswerKind),
    Unit(UnitAttribute),
    Not(Box<Node>),
    Negate(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Conditional(Box<Node>, Box<Node>, Box<Node>),
    Arithmetic(Arithmetic, Box<Node>, Box<Node>),
    Compare(Comparison, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum UnitAttribute {
    SubjectType,
    SubjectGroup,
    Province,
    Industry,
    SizeClass,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Arithmetic {
    Add,
    Subtract,
    Multiply,
    Divide,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A value during evaluation, borrowing from the return.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum V<'a> {
    Number(f64),
    Bool(bool),
    Str(&'a str),
    Strs(&'a [String]),
}

/// Why an evaluation gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// CEL would fail too (an answer is missing).
    Error,
    /// This module does not decide what CEL would do: ask the interpreter.
    Fallback,
}

/// Lowers a checked expression, or `None` if it uses anything not lowered.
pub(crate) fn lower(e: &IdedExpr, questionnaire: &CompiledQuestionnaire) -> Option<Node> {
    Some(match &e.expr {
        Expr::Literal(LiteralValue::Double(x)) => Node::Number(**x),
        // Integer literals only ever meet decimals in comparisons (the checker refuses them in
        // arithmetic), where CEL compares them numerically.
        Expr::Literal(LiteralValue::Int(x)) => Node::Number(f64::from(i32::try_from(**x).ok()?)),
        Expr::Literal(LiteralValue::Boolean(b)) => Node::Bool(**b),
        Expr::Literal(LiteralValue::String(s)) => Node::Str(s.to_string()),
        Expr::List(list) => Node::Strs(
            list.elements
                .iter()
                .map(|x| match &x.expr {
                    Expr::Literal(LiteralValue::String(s)) => Some(s.to_string()),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Expr::Select(select) => {
            let Expr::Ident(root) = &select.operand.expr else {
                return None;
            };
            match root.as_str() {
                "a" => {
                    let kind = questionnaire.answer_kind(&select.field)?.clone();
                    if matches!(kind, AnswerKind::Group { .. }) {
                        return None;
                    }
                    if select.test {
                        Node::Has(select.field.clone(), kind)
                    } else {
                        Node::Answer(select.field.clone(), kind)
                    }
                }
                "unit" if !select.test => Node::Unit(match select.field.as_str() {
                    "subject_type" => UnitAttribute::SubjectType,
                    "subject_group" => UnitAttribute::SubjectGroup,
                    "province" => UnitAttribute::Province,
                    "industry" => UnitAttribute::Industry,
                    "size_class" => UnitAttribute::SizeClass,
                    _ => return None,
                }),
                _ => return None,
            }
        }
        Expr::Call(call) if call.target.is_none() => {
            let arg = |i: usize| -> Option<Box<Node>> {
                Some(Box::new(lower(call.args.get(i)?, questionnaire)?))
            };
            let name = call.func_name.as_str();
            match (name, call.args.len()) {
                (operators::LOGICAL_NOT, 1) => Node::Not(arg(0)?),
                (operators::NEGATE, 1) => Node::Negate(arg(0)?),
                (operators::LOGICAL_AND, 2) => Node::And(arg(0)?, arg(1)?),
                (operators::LOGICAL_OR, 2) => Node::Or(arg(0)?, arg(1)?),
                (operators::CONDITIONAL, 3) => Node::Conditional(arg(0)?, arg(1)?, arg(2)?),
                (operators::IN, 2) => Node::In(arg(0)?, arg(1)?),
                (_, 2) => {
                    let arithmetic = match name {
                        operators::ADD => Some(Arithmetic::Add),
                        operators::SUBSTRACT => Some(Arithmetic::Subtract),
                        operators::MULTIPLY => Some(Arithmetic::Multiply),
                        operators::DIVIDE => Some(Arithmetic::Divide),
                        _ => None,
                    };
                    if let Some(op) = arithmetic {
                        return Some(Node::Arithmetic(op, arg(0)?, arg(1)?));
                    }
                    let comparison = match name {
                        operators::EQUALS => Comparison::Equal,
                        operators::NOT_EQUALS => Comparison::NotEqual,
                        operators::LESS => Comparison::Less,
                        operators::LESS_EQUALS => Comparison::LessOrEqual,
                        operators::GREATER => Comparison::Greater,
                        operators::GREATER_EQUALS => Comparison::GreaterOrEqual,
                        _ => return None,
                    };
                    Node::Compare(comparison, arg(0)?, arg(1)?)
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// One return, as lowered expressions read it.
pub(crate) struct Row<'a> {
    pub answers: &'a Answers,
    pub respondent: &'a Respondent,
}

impl Node {
    pub(crate) fn eval<'a>(&'a self, row: &Row<'a>) -> Result<V<'a>, Stop> {
        match self {
            Node::Number(x) => Ok(V::Number(*x)),
            Node::Bool(b) => Ok(V::Bool(*b)),
            Node::Str(s) => Ok(V::Str(s)),
            Node::Strs(s) => Ok(V::Strs(s)),
            Node::Answer(id, kind) => match row.answers.get(id) {
                Some(answer) if crate::check::fits(kind, answer) => Ok(value(kind, answer)),
                _ => Err(Stop::Error),
            },
            Node::Has(id, kind) => Ok(V::Bool(
                row.answers
                    .get(id)
                    .is_some_and(|a| crate::check::fits(kind, a)),
            )),
            Node::Unit(attribute) => {
                let r = row.respondent;
                Ok(V::Str(match attribute {
                    UnitAttribute::SubjectType => r.subject_type.code(),
                    UnitAttribute::SubjectGroup => r.subject_type.group().code(),
                    UnitAttribute::Province => &r.province,
                    UnitAttribute::Industry => &r.industry,
                    UnitAttribute::SizeClass => &r.size_class,
                }))
            }
            Node::Not(x) => match x.eval(row)? {
                V::Bool(b) => Ok(V::Bool(!b)),
                _ => Err(Stop::Fallback),
            },
            Node::Negate(x) => match x.eval(row)? {
                V::Number(n) => Ok(V::Number(-n)),
                _ => Err(Stop::Fallback),
            },
            Node::And(l, r) => logical(l.eval(row), r, row, false),
            Node::Or(l, r) => logical(l.eval(row), r, row, true),
            Node::Conditional(c, a, b) => match c.eval(row)? {
                V::Bool(true) => a.eval(row),
                V::Bool(false) => b.eval(row),
                _ => Err(Stop::Fallback),
            },
            Node::Arithmetic(op, l, r) => match (l.eval(row)?, r.eval(row)?) {
                (V::Number(a), V::Number(b)) => Ok(V::Number(match op {
                    Arithmetic::Add => a + b,
                    Arithmetic::Subtract => a - b,
                    Arithmetic::Multiply => a * b,
                    Arithmetic::Divide => a / b,
                })),
                _ => Err(Stop::Fallback),
            },
            Node::Compare(op, l, r) => {
                let ordering = match (l.eval(row)?, r.eval(row)?) {
                    (V::Number(a), V::Number(b)) => {
                        // NaN compares as CEL's interpreter sees fit; not decided here.
                        a.partial_cmp(&b).ok_or(Stop::Fallback)?
                    }
                    (V::Str(a), V::Str(b)) => a.cmp(b),
                    (V::Bool(a), V::Bool(b))
                        if matches!(op, Comparison::Equal | Comparison::NotEqual) =>
                    {
                        a.cmp(&b)
                    }
                    _ => return Err(Stop::Fallback),
                };
                use std::cmp::Ordering::*;
                Ok(V::Bool(match op {
                    Comparison::Equal => ordering == Equal,
                    Comparison::NotEqual => ordering != Equal,
                    Comparison::Less => ordering == Less,
                    Comparison::LessOrEqual => ordering != Greater,
                    Comparison::Greater => ordering == Greater,
                    Comparison::GreaterOrEqual => ordering != Less,
                }))
            }
            Node::In(element, list) => match (element.eval(row)?, list.eval(row)?) {
                (V::Str(x), V::Strs(list)) => Ok(V::Bool(list.iter().any(|s| s == x))),
                _ => Err(Stop::Fallback),
            },
        }
    }
}

/// `&&` (`decisive` false) and `||` (`decisive` true) as CEL evaluates them: the decisive value
/// on either side wins over an error on the other.
fn logical<'a>(
    left: Result<V<'a>, Stop>,
    right: &'a Node,
    row: &Row<'a>,
    decisive: bool,
) -> Result<V<'a>, Stop> {
    let left = match left {
        Ok(V::Bool(b)) if b == decisive => return Ok(V::Bool(decisive)),
        Ok(V::Bool(_)) => Ok(()),
        Ok(_) => Err(Stop::Fallback),
        Err(stop) => Err(stop),
    };
    match right.eval(row) {
        Ok(V::Bool(b)) if b == decisive => Ok(V::Bool(decisive)),
        Ok(V::Bool(b)) => left.map(|()| V::Bool(b)),
        Ok(_) => Err(Stop::Fallback),
        // Both sides failed: which error CEL reports does not matter here, but whether it is one
        // this module decides does.
        Err(stop) => Err(match left {
            Err(Stop::Fallback) => Stop::Fallback,
            _ => stop,
        }),
    }
}

/// An answer that fits its question, as CEL sees it (see `check::answer_value`).
fn value<'a>(kind: &AnswerKind, answer: &'a Answer) -> V<'a> {
    match answer {
        Answer::Integer { value, .. } => V::Number(*value as f64),
        Answer::Decimal { value, .. } => V::Number(*value),
        Answer::Boolean(b) => V::Bool(*b),
        Answer::Choice(codes)
            if codes.len() == 1
                && matches!(
                    kind,
                    AnswerKind::Choice {
                        multiple: false,
                        ..
                    }
                ) =>
        {
            V::Str(&codes[0])
        }
        Answer::Choice(codes) => V::Strs(codes),
        Answer::Text(s) | Answer::Date(s) => V::Str(s),
        // Groups are not lowered.
        Answer::Group(_) => V::Bool(false),
    }
}

#[cfg(test)]
mod tests {
    //! The lowered evaluation against the CEL interpreter on the same expressions and answers.

    use std::sync::Arc;

    use cel::Value;
    use ndrs_core::classification::SubjectType;

    use super::*;
    use crate::check::{answers_value, root_context, unit_value};
    use crate::expression::{Scope, compile_expression};

    fn questionnaire() -> CompiledQuestionnaire {
        let shipped = crate::builtin::questionnaire(2023, "application_questionnaire").unwrap();
        CompiledQuestionnaire::from_toml(shipped.text).unwrap()
    }

    /// Every expression of the shipped indicators, and others covering each lowered operation.
    fn expressions() -> Vec<String> {
        let shipped = crate::builtin::indicators(2023, "application_indicators").unwrap();
        let document = crate::IndicatorDocument::from_toml(shipped.text).unwrap();
        let mut out: Vec<String> = document
            .indicators
            .iter()
            .flat_map(|d| {
                [
                    &d.domain,
                    &d.measure,
                    &d.numerator,
                    &d.denominator,
                    &d.denominator_domain,
                ]
                .into_iter()
                .flatten()
                .cloned()
            })
            .collect();
        out.extend(
            [
                "a.data_inflow_bytes / a.data_outflow_bytes",
                "-a.digital_investment_yuan * 2.0 + 1.0",
                "a.storage_stored_bytes >= a.storage_capacity_bytes || a.has_data_management_system",
                "a.has_data_management_system && a.storage_stored_bytes > 0",
                "!(a.in_digital_transformation) ? a.data_inflow_bytes : 0.5",
                "a.size_class == 'large' || a.industry != 'finance'",
                "a.size_class < 'micro'",
                "'marketing' in a.scenarios",
                "a.industry in ['finance', 'industry']",
                "unit.province == '11' && unit.industry == ''",
                "has(a.size_class) && a.size_class == unit.size_class",
                "a.uses_government_open_data == true",
                "a.storage_stored_bytes == a.storage_capacity_bytes",
            ]
            .map(String::from),
        );
        out
    }

    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Random answers: some questions missing, some of the wrong type or unit, choices of
    /// zero, one or two codes, zeros and negative numbers.
    fn answers(r: &mut Random, q: &CompiledQuestionnaire) -> Answers {
        let mut a = Answers::new();
        for id in q.question_ids() {
            if r.below(4) == 0 {
                continue;
            }
            let kind = q.answer_kind(id).unwrap();
            let number = (r.below(7) as f64 - 2.0) * 1.5;
            let answer = match (kind, r.below(10)) {
                (_, 0) => Answer::Text("x".into()),
                (AnswerKind::Integer(unit), 1) => Answer::Integer {
                    value: number as i64,
                    unit: if unit.code() == "bytes" {
                        "yuan"
                    } else {
                        "bytes"
                    }
                    .into(),
                },
                (AnswerKind::Integer(unit), _) => Answer::Integer {
                    value: number as i64,
                    unit: unit.code().into(),
                },
                (AnswerKind::Decimal(unit), _) => Answer::Decimal {
                    value: if r.below(8) == 0 { f64::NAN } else { number },
                    unit: unit.code().into(),
                },
                (AnswerKind::Boolean, _) => Answer::Boolean(r.below(2) == 0),
                (AnswerKind::Choice { codes, .. }, _) => {
                    let codes: Vec<&String> = codes.iter().collect();
                    let n = r.below(3) as usize;
                    Answer::Choice(
                        (0..n)
                            .map(|_| codes[r.below(codes.len() as u64) as usize].clone())
                            .collect(),
                    )
                }
                _ => Answer::Boolean(true),
            };
            a = a.with(id, answer);
        }
        a
    }

    fn same(
        native: &Result<V<'_>, Stop>,
        interpreted: &Result<Value, cel::ExecutionError>,
    ) -> bool {
        match (native, interpreted) {
            (Err(Stop::Fallback), _) => true,
            (Err(Stop::Error), Err(_)) => true,
            (Ok(V::Bool(a)), Ok(Value::Bool(b))) => a == b,
            (Ok(V::Number(a)), Ok(Value::Float(b))) => {
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
            }
            (Ok(V::Str(a)), Ok(Value::String(b))) => *a == b.as_str(),
            (Ok(V::Strs(a)), Ok(Value::List(b))) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| matches!(y, Value::String(s) if s.as_str() == x))
            }
            _ => false,
        }
    }

    #[test]
    fn lowered_expressions_evaluate_as_the_interpreter_does() {
        let q = Arc::new(questionnaire());
        let scope = Scope {
            answers: &q.answer_fields,
            answers_before: None,
            row: None,
            value: None,
        };
        let compiled: Vec<_> = expressions()
            .iter()
            .map(|source| {
                let (e, _) =
                    compile_expression(source, scope).unwrap_or_else(|m| panic!("{source}: {m}"));
                let node = lower(e.program.expression(), &q)
                    .unwrap_or_else(|| panic!("{source} is not lowered"));
                (e, node)
            })
            .collect();
        let root = root_context().unwrap();
        let subjects = [
            SubjectType::KeyIndustryEnterprise,
            SubjectType::CentralSoe,
            SubjectType::NationalDepartment,
            SubjectType::PlatformDataServiceProvider,
        ];
        let mut r = Random(0x9e37_79b9_7f4a_7c15);
        let (mut decided, mut total) = (0, 0);
        for _ in 0..2_000 {
            let answers = answers(&mut r, &q);
            let respondent = Respondent {
                subject_type: subjects[r.below(4) as usize],
                province: ["11", "44"][r.below(2) as usize].into(),
                industry: ["", "finance"][r.below(2) as usize].into(),
                size_class: ["", "large", "small"][r.below(3) as usize].into(),
            };
            let mut context = root.new_inner_scope();
            context.add_variable_from_value("a", answers_value(&q.questions, &answers));
            context.add_variable_from_value("unit", unit_value(&respondent));
            let row = Row {
                answers: &answers,
                respondent: &respondent,
            };
            for (e, node) in &compiled {
                let native = node.eval(&row);
                let interpreted = e.program.execute(&context);
                assert!(
                    same(&native, &interpreted),
                    "{}: native {native:?}, interpreter {interpreted:?}, answers {answers:?}, unit {respondent:?}",
                    e.source
                );
                total += 1;
                decided += usize::from(native != Err(Stop::Fallback));
            }
        }
        // The lowered form decides nearly everything itself; otherwise it would not be worth it.
        assert!(
            decided * 10 > total * 9,
            "{decided} of {total} decided natively"
        );
    }
}
