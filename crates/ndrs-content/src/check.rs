//! Checking one return's answers against its questionnaire: the edit rules of a submission.
//!
//! The checks, question by question in the order they are asked:
//! 1. an answer to a question the questionnaire does not have is an error;
//! 2. a question is *asked* when the unit is among those it is asked of and its `relevant`
//!    condition holds; a condition that reads an unanswered question without `has(...)` does
//!    not hold (an unanswered question is not evidence that a later one applies);
//! 3. an answer to a question that is not asked is an error (it cannot be told from a mis-keyed
//!    return); a required question that is asked and not answered is an error;
//! 4. an answer of the wrong type, in the wrong unit, not finite, with a code outside its code
//!    list, too long, or (for a date) not a calendar date is an error;
//! 5. each constraint of an answered question must hold: its severity says whether a failure
//!    refuses the return or travels in the receipt as a warning. A constraint that reads an
//!    unanswered question is not checked; one that fails to run (a division by zero) is a
//!    warning saying so.
//!
//! Group rows are checked the same way, each against the group's questions with `row` bound.

use std::collections::HashMap;
use std::sync::Arc;

use cel::{Context, ExecutionError, Value};
use ndrs_rules::Severity;

use crate::answers::{Answer, Answers, Respondent, TypedAnswers};
use crate::compile::{AnswerKind, CompiledQuestion, CompiledQuestionnaire, Required, takes_in};
use crate::expression::Expression;

/// One problem with a return's answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The question it concerns; empty for a finding on the return as a whole (a unit that does
    /// not answer this questionnaire).
    pub question_id: String,
    /// Where in the return: `answers.storage_bytes`, `answers.turnover[2].share`.
    pub field: String,
    pub severity: Severity,
    pub message: String,
}

/// The answers' findings; the return is refused when any is an error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    pub findings: Vec<Finding>,
}

impl Checked {
    pub fn refused(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }
}

impl CompiledQuestionnaire {
    /// Checks one return's answers, given by a unit the frame classifies as `respondent`.
    pub fn check(&self, answers: &Answers, respondent: &Respondent) -> Checked {
        ndrs_rules::limits::on_rule_stack(|| self.check_here(answers, respondent))
    }

    /// The answers a typed message gives ([`TypedAnswers`]), then their check: a field at its
    /// default is an answer when its question is asked of the unit, judged in the order the
    /// questions are asked, so a `relevant` condition sees the answers before it.
    pub fn check_typed(&self, typed: TypedAnswers, respondent: &Respondent) -> (Answers, Checked) {
        ndrs_rules::limits::on_rule_stack(|| {
            let TypedAnswers {
                given,
                defaults,
                invalid,
            } = typed;
            let mut answers = given;
            let mut root = None;
            for q in &self.questions {
                let Some(default) = defaults.get(&q.id) else {
                    continue;
                };
                if answers.get(&q.id).is_some() || !q.asked_of_unit(respondent.subject_type) {
                    continue;
                }
                // Only a `relevant` condition needs the answers so far as CEL values.
                let asked = q.relevant.is_none() || {
                    let run = Run {
                        respondent,
                        root: root.take().or_else(|| root_context().ok()),
                        unit: unit_value(respondent),
                        answers: answers_value(&self.questions, &answers),
                        findings: Vec::new(),
                    };
                    let asked = run.asked(q, None);
                    root = run.root;
                    asked
                };
                if asked {
                    answers.0.insert(q.id.clone(), default.clone());
                }
            }
            let mut checked = self.check_here(&answers, respondent);
            let refused = invalid.into_iter().map(|(field, message)| Finding {
                question_id: String::new(),
                field,
                severity: Severity::Error,
                message,
            });
            checked.findings.splice(0..0, refused);
            (answers, checked)
        })
    }

    fn check_here(&self, answers: &Answers, respondent: &Respondent) -> Checked {
        let mut run = Run {
            respondent,
            root: root_context().ok(),
            unit: unit_value(respondent),
            answers: answers_value(&self.questions, answers),
            findings: Vec::new(),
        };
        let answers_it = takes_in(&self.respondents, respondent.subject_type);
        if answers_it {
            run.level(&self.questions, answers, "answers", None);
        } else {
            run.finding(
                "",
                "respondent.subject_type".into(),
                Severity::Error,
                format!(
                    "{} does not answer the {} questionnaire",
                    respondent.subject_type.code(),
                    self.document.kind
                ),
            );
        }
        Checked {
            findings: run.findings,
        }
    }
}

struct Run<'a> {
    respondent: &'a Respondent,
    /// Built once per check; `None` if the functions could not be registered, in which case no
    /// expression can run and each reports the failure.
    root: Option<Context<'static, 'static>>,
    unit: Value,
    answers: Value,
    findings: Vec<Finding>,
}

impl Run<'_> {
    fn finding(&mut self, question: &str, field: String, severity: Severity, message: String) {
        self.findings.push(Finding {
            question_id: ndrs_core::error::bounded(question, 64).into_owned(),
            field,
            severity,
            message,
        });
    }

    /// Checks the answers of one level: the return's (`row` None) or one group row's.
    fn level(
        &mut self,
        questions: &[CompiledQuestion],
        answers: &Answers,
        path: &str,
        row: Option<&Value>,
    ) {
        for id in answers.0.keys() {
            if !questions.iter().any(|q| &q.id == id) {
                let id = ndrs_core::error::bounded(id, 64);
                self.finding(
                    &id,
                    format!("{path}.{id}"),
                    Severity::Error,
                    "is not a question of this questionnaire".into(),
                );
            }
        }
        for q in questions {
            let field = format!("{path}.{}", q.id);
            let asked = self.asked(q, row);
            match (answers.get(&q.id), asked) {
                (None, true) if self.required(q, row) => self.finding(
                    &q.id,
                    field,
                    Severity::Error,
                    "is required and was not answered".into(),
                ),
                (None, _) => {}
                (Some(_), false) => self.finding(
                    &q.id,
                    field,
                    Severity::Error,
                    "is not asked of this unit, so it cannot be answered".into(),
                ),
                (Some(answer), true) => {
                    if self.answer(q, answer, &field) {
                        self.constraints(q, answer, &field, row);
                    }
                }
            }
        }
    }

    fn asked(&self, q: &CompiledQuestion, row: Option<&Value>) -> bool {
        q.asked_of_unit(self.respondent.subject_type)
            && q.relevant
                .as_ref()
                .is_none_or(|e| matches!(self.run(e, row, None), Ok(Value::Bool(true))))
    }

    fn required(&self, q: &CompiledQuestion, row: Option<&Value>) -> bool {
        match &q.required {
            Required::Always(flag) => *flag,
            Required::When(e) => matches!(self.run(e, row, None), Ok(Value::Bool(true))),
        }
    }

    /// Checks an answer's form; true when it is sound enough for its constraints to run.
    fn answer(&mut self, q: &CompiledQuestion, answer: &Answer, field: &str) -> bool {
        let problem = match (&q.kind, answer) {
            (AnswerKind::Integer(unit), Answer::Integer { unit: given, .. })
            | (AnswerKind::Decimal(unit), Answer::Decimal { unit: given, .. })
                if given != unit.code() =>
            {
                Some(format!(
                    "is in {}; the question asks for {}",
                    ndrs_core::error::bounded(given, 32),
                    unit.code()
                ))
            }
            // Any i64 is accepted and stored exactly: large holders store more than 2^53 bytes
            // (9 PB). Expressions compare quantities as decimals, to 1 part in 2^53.
            (AnswerKind::Integer(_), Answer::Integer { .. }) => None,
            (AnswerKind::Decimal(_), Answer::Decimal { value, .. }) if !value.is_finite() => {
                Some("must be a finite number".into())
            }
            (AnswerKind::Decimal(_), Answer::Decimal { .. })
            | (AnswerKind::Boolean, Answer::Boolean(_)) => None,
            (
                AnswerKind::Choice {
                    multiple: false, ..
                },
                Answer::Choice(codes),
            ) if codes.len() != 1 => Some(format!("takes exactly one code, not {}", codes.len())),
            (
                AnswerKind::Choice {
                    codes, code_list, ..
                },
                Answer::Choice(given),
            ) => {
                let mut seen = std::collections::BTreeSet::new();
                given.iter().find_map(|c| {
                    if !codes.contains(c) {
                        Some(format!(
                            "`{}` is not a code of {code_list}",
                            ndrs_core::error::bounded(c, 64)
                        ))
                    } else if !seen.insert(c) {
                        Some(format!("`{c}` is chosen twice"))
                    } else {
                        None
                    }
                })
            }
            (AnswerKind::Text { max_chars }, Answer::Text(text)) => {
                if text.chars().count() > *max_chars {
                    Some(format!("is longer than {max_chars} characters"))
                } else if text.chars().any(|c| c.is_control() && c != '\n') {
                    Some("must not hold control characters".into())
                } else {
                    None
                }
            }
            (AnswerKind::Date, Answer::Date(date)) => {
                chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .err()
                    .map(|_| "must be a calendar date written YYYY-MM-DD".into())
            }
            (AnswerKind::Group { max_repeats }, Answer::Group(rows)) => {
                if rows.len() > *max_repeats {
                    Some(format!("has {} rows; at most {max_repeats}", rows.len()))
                } else {
                    for (i, r) in rows.iter().enumerate() {
                        let value = answers_value(&q.members, r);
                        self.level(&q.members, r, &format!("{field}[{i}]"), Some(&value));
                    }
                    None
                }
            }
            (kind, answer) => Some(format!(
                "is a {} answer; the question takes {}",
                answer.type_name(),
                kind_name(kind)
            )),
        };
        match problem {
            Some(message) => {
                self.finding(&q.id, field.to_string(), Severity::Error, message);
                false
            }
            None => true,
        }
    }

    fn constraints(
        &mut self,
        q: &CompiledQuestion,
        answer: &Answer,
        field: &str,
        row: Option<&Value>,
    ) {
        let value = answer_value(Some(q), answer);
        for c in &q.constraints {
            match self.run(&c.expression, row, Some(&value)) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => {
                    let message = format!("{} / {}", c.message.en, c.message.zh);
                    self.finding(&q.id, field.to_string(), c.severity, message);
                }
                // The constraint reads a question that was not answered: nothing to check.
                Err(ExecutionError::NoSuchKey(_)) => {}
                Ok(other) => self.finding(
                    &q.id,
                    field.to_string(),
                    Severity::Warning,
                    format!(
                        "the constraint `{}` gave {other:?}, not true or false",
                        ndrs_core::error::bounded(&c.expression.source, 200)
                    ),
                ),
                Err(e) => self.finding(
                    &q.id,
                    field.to_string(),
                    Severity::Warning,
                    format!(
                        "the constraint `{}` could not be checked: {}",
                        ndrs_core::error::bounded(&c.expression.source, 200),
                        ndrs_core::error::bounded(&e.to_string(), 200)
                    ),
                ),
            }
        }
    }

    fn run(
        &self,
        expression: &Expression,
        row: Option<&Value>,
        value: Option<&Value>,
    ) -> Result<Value, ExecutionError> {
        let root = self.root.as_ref().ok_or_else(|| {
            ExecutionError::function_error("abs", "the rule functions could not be registered")
        })?;
        let mut context = root.new_inner_scope();
        context.add_variable_from_value("a", self.answers.clone());
        context.add_variable_from_value("unit", self.unit.clone());
        if let Some(row) = row {
            context.add_variable_from_value("row", row.clone());
        }
        if let Some(value) = value {
            context.add_variable_from_value("value", value.clone());
        }
        expression.program.execute(&context)
    }
}

/// The root context every content expression runs in: CEL's standard library and the functions
/// of the stage-1 rules. Building it registers every function, so it is built once per check or
/// evaluation and each return's variables go into a child scope ([`Context::new_inner_scope`]).
pub(crate) fn root_context() -> Result<Context<'static, 'static>, ExecutionError> {
    let mut context = Context::default();
    context
        .add_function("abs", |x: f64| x.abs())
        .and_then(|()| {
            context.add_function("within", |a: f64, b: f64, relative: f64| {
                (a - b).abs() <= relative * b.abs()
            })
        })
        .map_err(|e| ExecutionError::function_error("abs", e.to_string()))?;
    Ok(context)
}

fn kind_name(kind: &AnswerKind) -> String {
    match kind {
        AnswerKind::Integer(unit) => format!("an integer in {}", unit.code()),
        AnswerKind::Decimal(unit) => format!("a decimal in {}", unit.code()),
        AnswerKind::Boolean => "true or false".into(),
        AnswerKind::Choice { code_list, .. } => format!("codes of {code_list}"),
        AnswerKind::Text { .. } => "text".into(),
        AnswerKind::Date => "a date".into(),
        AnswerKind::Group { .. } => "rows".into(),
    }
}

/// An answer as CEL sees it: quantities as decimals, a single choice as its code, a multiple
/// choice as its list of codes (even of one).
fn answer_value(question: Option<&CompiledQuestion>, answer: &Answer) -> Value {
    let kind = question.map(|q| &q.kind);
    match answer {
        Answer::Integer { value, .. } => Value::Float(*value as f64),
        Answer::Decimal { value, .. } => Value::Float(*value),
        Answer::Boolean(b) => Value::Bool(*b),
        Answer::Choice(codes)
            if codes.len() == 1
                && matches!(
                    kind,
                    Some(AnswerKind::Choice {
                        multiple: false,
                        ..
                    })
                ) =>
        {
            Value::String(Arc::new(codes[0].clone()))
        }
        Answer::Choice(codes) => Value::List(Arc::new(
            codes
                .iter()
                .map(|c| Value::String(Arc::new(c.clone())))
                .collect(),
        )),
        Answer::Text(s) | Answer::Date(s) => Value::String(Arc::new(s.clone())),
        Answer::Group(rows) => {
            let members = question.map_or(&[][..], |q| &q.members[..]);
            Value::List(Arc::new(
                rows.iter().map(|r| answers_value(members, r)).collect(),
            ))
        }
    }
}

/// One level's answers as a CEL map, each converted by its question's kind. An answer that does
/// not fit its question (unknown, of another type or unit, not finite) is left out: it is
/// refused on its own, and other questions' rules must not read it as if it were sound.
pub(crate) fn answers_value(questions: &[CompiledQuestion], answers: &Answers) -> Value {
    let map: HashMap<String, Value> = answers
        .0
        .iter()
        .filter_map(|(id, a)| {
            let question = questions.iter().find(|q| &q.id == id)?;
            fits(&question.kind, a).then(|| (id.clone(), answer_value(Some(question), a)))
        })
        .collect();
    Value::from(map)
}

/// Whether an answer has the type and unit its question takes (its codes and lengths are
/// checked separately).
pub(crate) fn fits(kind: &AnswerKind, answer: &Answer) -> bool {
    match (kind, answer) {
        (AnswerKind::Integer(unit), Answer::Integer { unit: given, .. }) => given == unit.code(),
        (AnswerKind::Decimal(unit), Answer::Decimal { unit: given, value }) => {
            given == unit.code() && value.is_finite()
        }
        (AnswerKind::Boolean, Answer::Boolean(_))
        | (AnswerKind::Choice { .. }, Answer::Choice(_))
        | (AnswerKind::Text { .. }, Answer::Text(_))
        | (AnswerKind::Date, Answer::Date(_))
        | (AnswerKind::Group { .. }, Answer::Group(_)) => true,
        _ => false,
    }
}

pub(crate) fn unit_value(r: &Respondent) -> Value {
    let map: HashMap<String, Value> = [
        ("subject_type", r.subject_type.code()),
        ("subject_group", r.subject_type.group().code()),
        ("province", r.province.as_str()),
        ("industry", r.industry.as_str()),
        ("size_class", r.size_class.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(Arc::new(v.to_string()))))
    .collect();
    Value::from(map)
}
