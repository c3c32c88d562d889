//! Derived figures as a document: figures computed from other figures of the same candidate and
//! from the previous cycle's published release (growth rates, ratios across stages such as
//! P08), defined in CEL and computed by the aggregator when it assembles a candidate.
//!
//! An expression names figures by id, `f['P03']` for this cycle's national figures and
//! `previous['A11']` for last year's published ones (ids hold dots, so they are indexed, not
//! selected). Loading checks that every name is a literal id the system knows, that derived
//! figures reading each other do not form a cycle, and the usual CEL limits; computing one
//! reports, instead of a value, why it cannot be (an input missing, a result that is not a
//! finite number), so the stage-1 rules see a missing figure rather than a wrong one.
//!
//! A derived figure's interval is the image of its one uncertain input's interval (an input that
//! carries one) under the expression: exact for an expression monotone in that input, which
//! ratios, differences and growth rates are. With two or more uncertain inputs their joint
//! distribution is not known here, and no interval is invented.

use std::collections::{BTreeMap, BTreeSet};

use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use cel::{Program, Value};
use serde::{Deserialize, Serialize};

use crate::indicators::Role;
use crate::questionnaire::Label;
use crate::{ContentError, limits};

/// The derived figures of one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedDocument {
    /// `derived_figures`.
    pub kind: String,
    pub version: String,
    pub title: Label,
    /// In the order they are computed when none reads another; a figure reading another is
    /// computed after it whatever the order.
    #[serde(rename = "figure")]
    pub figures: Vec<DerivedDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedDefinition {
    pub id: String,
    pub name: Label,
    #[serde(default)]
    pub role: Role,
    /// A unit code (`ratio`, `bytes`, ...).
    pub unit: String,
    /// A CEL expression over `f['<id>']` and `previous['<id>']` giving a number.
    pub expression: String,
}

/// Where a derived figure reads an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// This cycle's candidate (`f`), derived figures of the document included.
    Current,
    /// The previous cycle's latest published release (`previous`).
    Previous,
}

/// A national figure as a derived figure reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub value: f64,
    /// `(lower, upper)` when the figure carries an interval.
    pub interval: Option<(f64, f64)>,
}

/// A document whose every part was checked, in the order its figures are computed.
#[derive(Debug)]
pub struct CompiledDerived {
    pub document: DerivedDocument,
    pub figures: Vec<CompiledDerivedFigure>,
}

#[derive(Debug)]
pub struct CompiledDerivedFigure {
    pub id: String,
    pub name: Label,
    pub role: Role,
    pub unit: ndrs_core::units::Unit,
    pub expression: String,
    /// Every figure it reads, with where.
    pub inputs: BTreeSet<(Source, String)>,
    program: Program,
}

/// One derived figure computed, or why it could not be.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    /// The uncertain input whose interval `interval` is the image of.
    pub interval_from: Option<(Source, String)>,
    /// Why there is no interval although an input carries one.
    pub note: Option<String>,
}

impl CompiledDerived {
    /// Checks a document; `known` says whether a figure id exists (in the catalogue, a stage's
    /// indicator document, or a published release), besides the document's own figures.
    pub fn compile(
        document: DerivedDocument,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<Self, Vec<ContentError>> {
        let mut errors = Vec::new();
        let error =
            |errors: &mut Vec<ContentError>, field: String, id: Option<&str>, message: String| {
                errors.push(ContentError {
                    field,
                    question_id: None,
                    indicator_id: id.map(|i| ndrs_core::error::bounded(i, 64).into_owned()),
                    message,
                });
            };
        for (field, problem) in limits::header_problems(&document.kind, &document.version) {
            error(&mut errors, field.into(), None, problem);
        }
        if document.figures.is_empty() || document.figures.len() > limits::MAX_INDICATORS {
            error(
                &mut errors,
                "figures".into(),
                None,
                format!("a document holds 1 to {} figures", limits::MAX_INDICATORS),
            );
            return Err(errors);
        }
        let own: BTreeSet<&str> = document.figures.iter().map(|f| f.id.as_str()).collect();
        let mut seen = BTreeSet::new();
        let mut compiled = Vec::new();
        for (i, d) in document.figures.iter().enumerate() {
            let path = format!("figures[{i}]");
            let id = Some(d.id.as_str());
            if let Some(problem) = ndrs_rules::limits::id_limit(&d.id) {
                error(&mut errors, format!("{path}.id"), id, problem);
            } else if !seen.insert(d.id.as_str()) {
                error(
                    &mut errors,
                    format!("{path}.id"),
                    id,
                    "an earlier figure has the same id".into(),
                );
            }
            for (language, problem) in limits::label_problems(&d.name) {
                error(&mut errors, format!("{path}.name.{language}"), id, problem);
            }
            let unit = ndrs_core::units::Unit::from_code(&d.unit);
            if unit.is_none() {
                error(
                    &mut errors,
                    format!("{path}.unit"),
                    id,
                    format!("`{}` is not a unit", ndrs_core::error::bounded(&d.unit, 32)),
                );
            }
            match parse(&d.expression) {
                Err(message) => error(&mut errors, format!("{path}.expression"), id, message),
                Ok((program, inputs)) => {
                    for (source, name) in &inputs {
                        let exists = match source {
                            Source::Current => own.contains(name.as_str()) || known(name),
                            Source::Previous => known(name) || own.contains(name.as_str()),
                        };
                        if !exists {
                            error(
                                &mut errors,
                                format!("{path}.expression"),
                                id,
                                format!(
                                    "`{}` is not a figure the system knows",
                                    ndrs_core::error::bounded(name, 64)
                                ),
                            );
                        }
                    }
                    if let Some(unit) = unit {
                        compiled.push(CompiledDerivedFigure {
                            id: d.id.clone(),
                            name: d.name.clone(),
                            role: d.role,
                            unit,
                            expression: d.expression.clone(),
                            inputs,
                            program,
                        });
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let figures = order(compiled).map_err(|cycle| {
            vec![ContentError {
                field: "figures".into(),
                question_id: None,
                indicator_id: cycle.first().cloned(),
                message: format!(
                    "derived figures read each other in a cycle: {}",
                    cycle.join(" -> ")
                ),
            }]
        })?;
        Ok(Self { document, figures })
    }

    /// Computes every figure in order from this cycle's national figures and the previous
    /// release's; a computed figure is an input of those after it. Each result is the figure,
    /// or why it could not be computed.
    pub fn compute(
        &self,
        current: &BTreeMap<String, Input>,
        previous: Option<&BTreeMap<String, Input>>,
    ) -> Vec<(String, Result<Computed, String>)> {
        ndrs_rules::limits::on_rule_stack(|| {
            let mut current = current.clone();
            let mut out = Vec::new();
            for f in &self.figures {
                let result = self.compute_one(f, &current, previous);
                if let Ok(c) = &result {
                    current.insert(
                        f.id.clone(),
                        Input {
                            value: c.value,
                            interval: c.interval,
                        },
                    );
                }
                out.push((f.id.clone(), result));
            }
            out
        })
    }

    fn compute_one(
        &self,
        f: &CompiledDerivedFigure,
        current: &BTreeMap<String, Input>,
        previous: Option<&BTreeMap<String, Input>>,
    ) -> Result<Computed, String> {
        let mut inputs: Vec<(Source, &str, &Input)> = Vec::new();
        for (source, name) in &f.inputs {
            let found = match source {
                Source::Current => current.get(name),
                Source::Previous => previous.and_then(|p| p.get(name)),
            };
            match found {
                Some(input) => inputs.push((*source, name, input)),
                None => {
                    return Err(format!(
                        "{} not derived: no {name} {}",
                        f.id,
                        match source {
                            Source::Current => "in this cycle's candidate",
                            Source::Previous if previous.is_none() =>
                                "(no release of the previous cycle is published)",
                            Source::Previous => "in the previous cycle's release",
                        }
                    ));
                }
            }
        }
        let evaluate = |replace: Option<(Source, &str, f64)>| -> Result<f64, String> {
            let map = |source: Source| -> Value {
                let entries: std::collections::HashMap<String, Value> = inputs
                    .iter()
                    .filter(|(s, _, _)| *s == source)
                    .map(|(s, name, input)| {
                        let value = match replace {
                            Some((rs, rn, v)) if rs == *s && rn == *name => v,
                            _ => input.value,
                        };
                        (name.to_string(), Value::Float(value))
                    })
                    .collect();
                Value::from(entries)
            };
            let mut context = cel::Context::default();
            context.add_variable_from_value("f", map(Source::Current));
            context.add_variable_from_value("previous", map(Source::Previous));
            match f.program.execute(&context) {
                Ok(Value::Float(x)) if x.is_finite() => Ok(x),
                Ok(Value::Float(x)) => Err(format!("{} not derived: the result is {x}", f.id)),
                Ok(other) => Err(format!(
                    "{} not derived: the expression gives {other:?}, not a number",
                    f.id
                )),
                Err(e) => Err(format!("{} not derived: {e}", f.id)),
            }
        };
        let value = evaluate(None)?;
        let uncertain: Vec<_> = inputs
            .iter()
            .filter(|(_, _, i)| i.interval.is_some())
            .collect();
        let (interval, interval_from, note) = match uncertain.as_slice() {
            [] => (None, None, None),
            [(source, name, input)] => {
                let (lower, upper) = input.interval.unwrap_or_default();
                match (
                    evaluate(Some((*source, name, lower))),
                    evaluate(Some((*source, name, upper))),
                ) {
                    (Ok(a), Ok(b)) => (
                        Some((a.min(b), a.max(b))),
                        Some((*source, name.to_string())),
                        None,
                    ),
                    _ => (
                        None,
                        None,
                        Some(format!(
                            "{} has no interval: the expression is not finite at the bounds of {name}'s",
                            f.id
                        )),
                    ),
                }
            }
            many => (
                None,
                None,
                Some(format!(
                    "{} has no interval: {} carry one and their joint distribution is not known to the aggregator",
                    f.id,
                    many.iter()
                        .map(|(_, n, _)| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                )),
            ),
        };
        Ok(Computed {
            value,
            interval,
            interval_from,
            note,
        })
    }
}

/// Parses an expression and collects the figures it names; refuses any other name.
fn parse(source: &str) -> Result<(Program, BTreeSet<(Source, String)>), String> {
    if let Some(message) = ndrs_rules::limits::expression_limit(source) {
        return Err(message);
    }
    ndrs_rules::limits::on_rule_stack(|| {
        let program = crate::expression::parse(source)?;
        let mut inputs = BTreeSet::new();
        let mut problems = Vec::new();
        walk(&program, program.expression(), &mut inputs, &mut problems);
        if problems.is_empty() {
            Ok((program, inputs))
        } else {
            Err(problems.join("; "))
        }
    })
}

fn walk(
    program: &Program,
    e: &IdedExpr,
    inputs: &mut BTreeSet<(Source, String)>,
    problems: &mut Vec<String>,
) {
    let column = || ndrs_rules::compile::column(program, e);
    match &e.expr {
        Expr::Call(call) if call.func_name == operators::INDEX && call.args.len() == 2 => {
            let source = match &call.args[0].expr {
                Expr::Ident(name) if name == "f" => Some(Source::Current),
                Expr::Ident(name) if name == "previous" => Some(Source::Previous),
                _ => None,
            };
            match (source, &call.args[1].expr) {
                (Some(source), Expr::Literal(LiteralValue::String(id))) => {
                    inputs.insert((source, id.to_string()));
                }
                (Some(_), _) => problems.push(format!(
                    "column {}: name a figure by its literal id, f['P03']",
                    column()
                )),
                (None, _) => {
                    for a in &call.args {
                        walk(program, a, inputs, problems);
                    }
                }
            }
        }
        Expr::Call(call) => {
            let allowed = [
                operators::ADD,
                operators::SUBSTRACT,
                operators::MULTIPLY,
                operators::DIVIDE,
                operators::NEGATE,
                operators::CONDITIONAL,
                operators::LOGICAL_AND,
                operators::LOGICAL_OR,
                operators::LOGICAL_NOT,
                operators::EQUALS,
                operators::NOT_EQUALS,
                operators::LESS,
                operators::LESS_EQUALS,
                operators::GREATER,
                operators::GREATER_EQUALS,
            ];
            if !allowed.contains(&call.func_name.as_str()) || call.target.is_some() {
                problems.push(format!(
                    "column {}: `{}` is not available in a derived figure (arithmetic, comparisons and ? : are)",
                    column(),
                    call.func_name.trim_matches('_')
                ));
            }
            for a in &call.args {
                walk(program, a, inputs, problems);
            }
        }
        Expr::Literal(LiteralValue::Double(_)) => {}
        Expr::Literal(LiteralValue::Int(_) | LiteralValue::UInt(_)) => problems.push(format!(
            "column {}: write numbers as decimals (1.0, not 1): figures are decimals",
            column()
        )),
        Expr::Literal(LiteralValue::Boolean(_)) => {}
        Expr::Ident(name) => problems.push(format!(
            "column {}: `{name}` alone is not a figure; write f['<id>'] or previous['<id>']",
            column()
        )),
        Expr::Select(_) => problems.push(format!(
            "column {}: figure ids hold dots; write f['<id>'], not f.<id>",
            column()
        )),
        _ => problems.push(format!(
            "column {}: not available in a derived figure",
            column()
        )),
    }
}

/// Orders figures so that each comes after the document's figures it reads; the ids of a cycle
/// when there is one.
fn order(figures: Vec<CompiledDerivedFigure>) -> Result<Vec<CompiledDerivedFigure>, Vec<String>> {
    let ids: BTreeSet<String> = figures.iter().map(|f| f.id.clone()).collect();
    let reads = |f: &CompiledDerivedFigure| -> Vec<String> {
        f.inputs
            .iter()
            .filter(|(s, n)| *s == Source::Current && ids.contains(n))
            .map(|(_, n)| n.clone())
            .collect()
    };
    // Depth-first, document order, reporting the first cycle met.
    fn visit(
        i: usize,
        figures: &[CompiledDerivedFigure],
        reads: &dyn Fn(&CompiledDerivedFigure) -> Vec<String>,
        state: &mut Vec<u8>,
        path: &mut Vec<String>,
        out: &mut Vec<usize>,
    ) -> Result<(), Vec<String>> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|p| *p == figures[i].id).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(figures[i].id.clone());
                return Err(cycle);
            }
            _ => {}
        }
        state[i] = 1;
        path.push(figures[i].id.clone());
        for dependency in reads(&figures[i]) {
            if let Some(j) = figures.iter().position(|f| f.id == dependency) {
                visit(j, figures, reads, state, path, out)?;
            }
        }
        path.pop();
        state[i] = 2;
        out.push(i);
        Ok(())
    }
    let mut state = vec![0u8; figures.len()];
    let mut out = Vec::new();
    for i in 0..figures.len() {
        visit(i, &figures, &reads, &mut state, &mut Vec::new(), &mut out)?;
    }
    let mut slots: Vec<Option<CompiledDerivedFigure>> = figures.into_iter().map(Some).collect();
    Ok(out.into_iter().filter_map(|i| slots[i].take()).collect())
}

impl DerivedDocument {
    pub fn from_toml(text: &str) -> Result<Self, ContentError> {
        toml::from_str(text).map_err(|e| ContentError::document(e.to_string()))
    }

    pub fn from_json(text: &str) -> Result<Self, ContentError> {
        serde_json::from_str(text).map_err(|e| ContentError::document(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a derived-figures document always serialises")
    }
}
