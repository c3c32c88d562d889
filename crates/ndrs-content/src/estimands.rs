//! Compiling an indicator document against the questionnaire its measures read, and evaluating
//! its expressions over returns.
//!
//! Compiling checks everything that can be known before a single return is read: every
//! expression parses and names only questions the questionnaire has, quantities of different
//! units are not mixed, the estimator fits what its measure produces (a share needs a
//! condition, a mean a quantity), the declared unit is what the estimator yields, breakdowns are
//! ones the stage offers, and no two definitions claim the same figure. Every problem is
//! reported at once, naming the indicator and the field.
//!
//! Evaluation runs once per return and expression, before any weighting: the estimation engine
//! then re-weights the same value columns for every replicate, so CEL costs one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cel::{Context, Value};
use ndrs_core::units::{Dimension, Unit};

use crate::check::{answers_value, root_context, unit_value};
use crate::expression::{Expression, Produces, Scope, compile_expression};
use crate::indicators::{Disclosure, Estimator, IndicatorDefinition, IndicatorDocument, Role};
use crate::native::{Node, Row, Stop, V};
use crate::questionnaire::Label;
use crate::{Answers, CompiledQuestionnaire, ContentError, Respondent, limits};

/// An indicator document whose every part was checked: returns can be evaluated against it.
#[derive(Debug)]
pub struct CompiledIndicators {
    pub document: IndicatorDocument,
    pub indicators: Vec<CompiledIndicator>,
    /// The questionnaire the measures were checked against; answers are read as it types them.
    questionnaire: Arc<CompiledQuestionnaire>,
}

/// One figure, ready to estimate.
#[derive(Debug)]
pub struct CompiledIndicator {
    pub id: String,
    pub name: Label,
    pub role: Role,
    pub unit: Unit,
    pub estimator: Estimator,
    pub growth: bool,
    pub dimensions: Vec<(String, String)>,
    /// The breakdowns `GetEstimates` may ask for.
    pub breakdowns: Vec<String>,
    /// The breakdowns the stage result carries beside the national figure.
    pub publish_by: Vec<String>,
    pub disclosure: Disclosure,
    domain: Option<Lowered>,
    /// The measure, or a ratio's numerator.
    y: Option<Lowered>,
    /// A ratio's denominator.
    x: Option<Lowered>,
    denominator_domain: Option<Lowered>,
}

/// A checked expression, and its native form when it has one ([`crate::native`]).
#[derive(Debug)]
struct Lowered {
    expression: Expression,
    native: Option<Node>,
}

/// What an expression gave for one return.
enum Read {
    Bool(bool),
    Number(f64),
    /// A value of another kind, or an error (a missing answer): nothing usable.
    Nothing,
}

/// One return's values for one indicator.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Values {
    /// The unit is in the figure's domain and its measure could be read.
    pub in_domain: bool,
    /// For a `mean_ratio`: the unit is in the denominator's domain, measure read.
    pub in_denominator_domain: bool,
    /// The measure (1 or 0 for a condition), or a ratio's numerator.
    pub y: f64,
    /// A ratio's denominator.
    pub x: f64,
    /// An answer the figure needs for this unit is missing (item non-response) or does not
    /// evaluate to a finite number: the unit is left out of the figure's domain.
    pub unanswered: bool,
}

impl CompiledIndicators {
    /// Checks a document against the questionnaire its measures read, with the breakdowns the
    /// stage offers; on any problem, every problem found, in document order.
    pub fn compile(
        document: IndicatorDocument,
        questionnaire: Arc<CompiledQuestionnaire>,
        offered_breakdowns: &[&str],
    ) -> Result<Self, Vec<ContentError>> {
        let mut c = Compiler::default();
        for (field, problem) in limits::header_problems(&document.kind, &document.version) {
            c.error(field, None, problem);
        }
        c.label("title", None, &document.title);
        if document.questionnaire != questionnaire.document.kind {
            c.error(
                "questionnaire",
                None,
                format!(
                    "the stage's measures read `{}` answers, not `{}`",
                    questionnaire.document.kind,
                    ndrs_core::error::bounded(&document.questionnaire, 64)
                ),
            );
        }
        let count = document.indicators.len();
        if count == 0 || count > limits::MAX_INDICATORS {
            c.error(
                "indicators",
                None,
                format!(
                    "holds {count} indicators; a document holds 1 to {}",
                    limits::MAX_INDICATORS
                ),
            );
            return Err(c.errors);
        }
        let scope = Scope {
            answers: &questionnaire.answer_fields,
            answers_before: None,
            row: None,
            value: None,
        };
        let mut seen = BTreeSet::new();
        let indicators = document
            .indicators
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                c.indicator(
                    d,
                    &format!("indicators[{i}]"),
                    scope,
                    offered_breakdowns,
                    &mut seen,
                    &questionnaire,
                )
            })
            .collect();
        if c.errors.is_empty() {
            Ok(Self {
                document,
                indicators,
                questionnaire,
            })
        } else {
            Err(c.errors)
        }
    }

    /// Reads and compiles an indicator document written in TOML.
    pub fn from_toml(
        text: &str,
        questionnaire: Arc<CompiledQuestionnaire>,
        offered_breakdowns: &[&str],
    ) -> Result<Self, Vec<ContentError>> {
        Self::compile(
            IndicatorDocument::from_toml(text).map_err(|e| vec![e])?,
            questionnaire,
            offered_breakdowns,
        )
    }

    /// The questionnaire the document was compiled against.
    pub fn questionnaire(&self) -> &Arc<CompiledQuestionnaire> {
        &self.questionnaire
    }

    /// Every indicator's values for each return, in order: one pass of CEL per return and
    /// expression, split over the machine's cores, each part on a thread whose stack the
    /// expression limits are sized for.
    pub fn evaluate(&self, returns: &[(&Respondent, &Answers)]) -> Vec<Vec<Values>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 8);
        // Below a few hundred returns a thread costs more than it saves.
        let chunk = returns.len().div_ceil(threads).max(256);
        let run = |part: &[(&Respondent, &Answers)]| -> Vec<Vec<Values>> {
            let root = root_context().ok();
            part.iter()
                .map(|(respondent, answers)| match &root {
                    Some(root) => self.evaluate_one(root, respondent, answers),
                    // The functions could not be registered: nothing can be read.
                    None => vec![Values::default(); self.indicators.len()],
                })
                .collect()
        };
        if returns.len() <= chunk {
            return ndrs_rules::limits::on_rule_stack(|| run(returns));
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = returns
                .chunks(chunk)
                .map(|part| {
                    std::thread::Builder::new()
                        .name("ndrs-indicators".into())
                        .stack_size(ndrs_rules::limits::STACK_BYTES)
                        .spawn_scoped(scope, move || run(part))
                })
                .collect();
            let mut out = Vec::with_capacity(returns.len());
            for (handle, part) in handles.into_iter().zip(returns.chunks(chunk)) {
                match handle {
                    Ok(handle) => match handle.join() {
                        Ok(values) => out.extend(values),
                        Err(panic) => std::panic::resume_unwind(panic),
                    },
                    // No thread to be had: this part runs here, as `on_rule_stack` would.
                    Err(_) => out.extend(run(part)),
                }
            }
            out
        })
    }

    fn evaluate_one(
        &self,
        root: &Context<'static, 'static>,
        respondent: &Respondent,
        answers: &Answers,
    ) -> Vec<Values> {
        let row = Row {
            answers,
            respondent,
        };
        // The interpreter's context, built only if an expression needs it.
        let interpreted = std::cell::OnceCell::new();
        let read = |l: &Lowered| -> Read {
            if let Some(node) = &l.native {
                match node.eval(&row) {
                    Ok(V::Bool(b)) => return Read::Bool(b),
                    Ok(V::Number(x)) => return Read::Number(x),
                    Ok(_) | Err(Stop::Error) => return Read::Nothing,
                    Err(Stop::Fallback) => {}
                }
            }
            let context = interpreted.get_or_init(|| {
                let mut context = root.new_inner_scope();
                context.add_variable_from_value(
                    "a",
                    answers_value(&self.questionnaire.questions, answers),
                );
                context.add_variable_from_value("unit", unit_value(respondent));
                context
            });
            match l.expression.program.execute(context) {
                Ok(Value::Bool(b)) => Read::Bool(b),
                Ok(Value::Float(x)) => Read::Number(x),
                Ok(Value::Int(x)) => Read::Number(x as f64),
                Ok(Value::UInt(x)) => Read::Number(x as f64),
                _ => Read::Nothing,
            }
        };
        let condition = |e: &Option<Lowered>| match e {
            None => Ok(true),
            Some(l) => match read(l) {
                Read::Bool(b) => Ok(b),
                _ => Err(()),
            },
        };
        let number = |e: &Option<Lowered>| match e {
            None => Ok(0.0),
            Some(l) => match read(l) {
                Read::Number(x) if x.is_finite() => Ok(x),
                Read::Bool(b) => Ok(f64::from(u8::from(b))),
                _ => Err(()),
            },
        };
        self.indicators
            .iter()
            .map(|ind| {
                let mut v = Values::default();
                let in_domain = condition(&ind.domain);
                let in_denominator = match &ind.denominator_domain {
                    Some(_) => condition(&ind.denominator_domain),
                    None => Ok(false),
                };
                let needs_measure = matches!(in_domain, Ok(true) | Err(()))
                    || matches!(in_denominator, Ok(true) | Err(()));
                if !needs_measure {
                    return v;
                }
                let measured = match (number(&ind.y), number(&ind.x)) {
                    (Ok(y), Ok(x)) => Some((y, x)),
                    _ => None,
                };
                match (in_domain, in_denominator, measured) {
                    (Ok(d), Ok(dd), Some((y, x))) => {
                        v.in_domain = d;
                        v.in_denominator_domain = dd;
                        v.y = y;
                        v.x = x;
                    }
                    _ => v.unanswered = true,
                }
                v
            })
            .collect()
    }
}

impl CompiledIndicator {
    /// A one-line description of how the figure is estimated, for lineage.
    pub fn method(&self) -> String {
        fn source(e: &Option<Lowered>) -> &str {
            e.as_ref().map_or("", |l| l.expression.source.as_str())
        }
        let over = match &self.domain {
            Some(d) => format!(" over {}", d.expression.source),
            None => String::new(),
        };
        let what = match self.estimator {
            Estimator::Share | Estimator::Total | Estimator::Mean | Estimator::Sum => {
                format!("{} of {}", self.estimator.code(), source(&self.y))
            }
            Estimator::Count => "count of units".into(),
            Estimator::Ratio => format!("ratio of {} to {}", source(&self.y), source(&self.x)),
            Estimator::MeanRatio => format!(
                "mean of {} relative to its mean over {}",
                source(&self.y),
                source(&self.denominator_domain)
            ),
        };
        let growth = if self.growth { ", minus one" } else { "" };
        format!("{what}{over}{growth}")
    }
}

fn lowered(expression: Expression, questionnaire: &CompiledQuestionnaire) -> Lowered {
    let native = crate::native::lower(expression.program.expression(), questionnaire);
    Lowered { expression, native }
}

#[derive(Default)]
struct Compiler {
    errors: Vec<ContentError>,
}

impl Compiler {
    fn error(&mut self, field: impl Into<String>, indicator: Option<&str>, message: String) {
        self.errors.push(ContentError {
            field: field.into(),
            question_id: None,
            indicator_id: indicator.map(|i| ndrs_core::error::bounded(i, 64).into_owned()),
            message,
        });
    }

    fn label(&mut self, field: &str, indicator: Option<&str>, label: &Label) {
        for (language, problem) in limits::label_problems(label) {
            self.error(format!("{field}.{language}"), indicator, problem);
        }
    }

    fn indicator(
        &mut self,
        d: &IndicatorDefinition,
        path: &str,
        scope: Scope<'_>,
        offered_breakdowns: &[&str],
        seen: &mut BTreeSet<(String, BTreeMap<String, String>)>,
        questionnaire: &CompiledQuestionnaire,
    ) -> Option<CompiledIndicator> {
        let before = self.errors.len();
        let id = Some(d.id.as_str());
        if let Some(problem) = ndrs_rules::limits::id_limit(&d.id) {
            self.error(format!("{path}.id"), id, problem);
        } else if !seen.insert((d.id.clone(), d.dimensions.clone())) {
            self.error(
                format!("{path}.id"),
                id,
                "an earlier indicator defines the same figure (same id and dimensions)".into(),
            );
        }
        self.label(&format!("{path}.name"), id, &d.name);
        let unit = Unit::from_code(&d.unit);
        if unit.is_none() {
            self.error(
                format!("{path}.unit"),
                id,
                format!(
                    "`{}` is not a unit; units are {}",
                    ndrs_core::error::bounded(&d.unit, 32),
                    Unit::ALL
                        .iter()
                        .map(|u| u.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        self.dimensions(d, path);
        let breakdowns = match &d.breakdowns {
            None => offered_breakdowns.iter().map(|b| b.to_string()).collect(),
            Some(listed) => {
                for (i, b) in listed.iter().enumerate() {
                    if !offered_breakdowns.contains(&b.as_str()) {
                        self.error(
                            format!("{path}.breakdowns[{i}]"),
                            id,
                            format!(
                                "`{}` is not a breakdown of this stage; it offers {}",
                                ndrs_core::error::bounded(b, 64),
                                offered_breakdowns.join(", ")
                            ),
                        );
                    }
                }
                listed.clone()
            }
        };
        for (i, b) in d.publish_by.iter().enumerate() {
            if !breakdowns.contains(b) {
                self.error(
                    format!("{path}.publish_by[{i}]"),
                    id,
                    format!(
                        "`{}` is not among the figure's breakdowns ({})",
                        ndrs_core::error::bounded(b, 64),
                        breakdowns.join(", ")
                    ),
                );
            }
        }
        let mut expression =
            |field: &str, source: &Option<String>| -> Option<(Expression, Produces)> {
                let source = source.as_ref()?;
                match compile_expression(source, scope) {
                    Ok(compiled) => Some(compiled),
                    Err(message) => {
                        self.error(format!("{path}.{field}"), id, message);
                        None
                    }
                }
            };
        let domain = expression("domain", &d.domain);
        let y = expression(
            if d.estimator == Estimator::Ratio {
                "numerator"
            } else {
                "measure"
            },
            if d.estimator == Estimator::Ratio {
                &d.numerator
            } else {
                &d.measure
            },
        );
        let x = expression("denominator", &d.denominator);
        let denominator_domain = expression("denominator_domain", &d.denominator_domain);
        self.shape(d, path, unit, &domain, &y, &x, &denominator_domain);
        if self.errors.len() > before {
            return None;
        }
        Some(CompiledIndicator {
            id: d.id.clone(),
            name: d.name.clone(),
            role: d.role,
            unit: unit?,
            estimator: d.estimator,
            growth: d.growth,
            dimensions: d.dimensions.clone().into_iter().collect(),
            breakdowns,
            publish_by: d.publish_by.clone(),
            disclosure: d.disclosure,
            domain: domain.map(|(e, _)| lowered(e, questionnaire)),
            y: y.map(|(e, _)| lowered(e, questionnaire)),
            x: x.map(|(e, _)| lowered(e, questionnaire)),
            denominator_domain: denominator_domain.map(|(e, _)| lowered(e, questionnaire)),
        })
    }

    fn dimensions(&mut self, d: &IndicatorDefinition, path: &str) {
        let id = Some(d.id.as_str());
        if d.dimensions.len() > limits::MAX_FIGURE_DIMENSIONS {
            self.error(
                format!("{path}.dimensions"),
                id,
                format!("at most {} dimensions", limits::MAX_FIGURE_DIMENSIONS),
            );
            return;
        }
        for (key, value) in &d.dimensions {
            let field = format!("{path}.dimensions.{}", ndrs_core::error::bounded(key, 64));
            if let Some(problem) = limits::identifier_problem(key) {
                self.error(&field, id, problem);
            }
            if let Some(problem) = ndrs_rules::limits::id_limit(value) {
                self.error(&field, id, problem);
            }
        }
    }

    /// Whether the estimator has the expressions it needs, of the kinds it needs, and yields the
    /// declared unit.
    #[allow(clippy::too_many_arguments)]
    fn shape(
        &mut self,
        d: &IndicatorDefinition,
        path: &str,
        unit: Option<Unit>,
        domain: &Option<(Expression, Produces)>,
        y: &Option<(Expression, Produces)>,
        x: &Option<(Expression, Produces)>,
        denominator_domain: &Option<(Expression, Produces)>,
    ) {
        let id = Some(d.id.as_str());
        let estimator = d.estimator.code();
        let require = |c: &mut Self, field: &str, present: bool, needed: bool| {
            if needed && !present {
                c.error(
                    format!("{path}.{field}"),
                    id,
                    format!("a {estimator} estimate needs `{field}`"),
                );
            } else if present && !needed {
                c.error(
                    format!("{path}.{field}"),
                    id,
                    format!("a {estimator} estimate does not use `{field}`"),
                );
            }
        };
        let (measure, ratio, other_domain) = match d.estimator {
            Estimator::Count => (false, false, false),
            Estimator::Share | Estimator::Total | Estimator::Mean | Estimator::Sum => {
                (true, false, false)
            }
            Estimator::Ratio => (false, true, false),
            Estimator::MeanRatio => (true, false, true),
        };
        require(self, "measure", d.measure.is_some(), measure);
        require(self, "numerator", d.numerator.is_some(), ratio);
        require(self, "denominator", d.denominator.is_some(), ratio);
        require(
            self,
            "denominator_domain",
            d.denominator_domain.is_some(),
            other_domain,
        );
        let condition = |c: &mut Self, field: &str, e: &Option<(Expression, Produces)>| {
            if let Some((_, produces)) = e
                && *produces != Produces::Bool
            {
                c.error(
                    format!("{path}.{field}"),
                    id,
                    "must be a condition (true or false)".into(),
                );
            }
        };
        condition(self, "domain", domain);
        condition(self, "denominator_domain", denominator_domain);
        let y_field = if ratio { "numerator" } else { "measure" };
        let quantity = |c: &mut Self, field: &str, e: &Option<(Expression, Produces)>| match e {
            Some((_, Produces::Number(d))) => Some(*d),
            Some((_, other)) => {
                let what = if *other == Produces::Bool {
                    "a condition"
                } else {
                    "neither a quantity nor a condition"
                };
                c.error(
                    format!("{path}.{field}"),
                    id,
                    format!("a {estimator} estimate needs a quantity here; this is {what}"),
                );
                None
            }
            None => None,
        };
        let Some(unit) = unit else { return };
        // The dimension the estimate comes out in, when the expressions say.
        let yields: Option<Dimension> = match d.estimator {
            Estimator::Share => {
                condition(self, y_field, y);
                Some(Dimension::Dimensionless)
            }
            Estimator::Count => Some(Dimension::Count),
            Estimator::Total | Estimator::Sum => match y {
                Some((_, Produces::Bool)) => Some(Dimension::Count),
                _ => quantity(self, y_field, y).flatten(),
            },
            Estimator::Mean => quantity(self, y_field, y).flatten(),
            Estimator::Ratio => {
                let num = quantity(self, "numerator", y).flatten();
                let den = quantity(self, "denominator", x).flatten();
                match (num, den) {
                    (Some(a), Some(b)) if a != b => {
                        self.error(
                            format!("{path}.denominator"),
                            id,
                            format!(
                                "a ratio of {} to {} mixes units; numerator and denominator must be in the same unit",
                                a.code(),
                                b.code()
                            ),
                        );
                        None
                    }
                    _ => Some(Dimension::Dimensionless),
                }
            }
            Estimator::MeanRatio => {
                quantity(self, y_field, y);
                Some(Dimension::Dimensionless)
            }
        };
        if let Some(dimension) = yields
            && unit.dimension() != dimension
        {
            self.error(
                format!("{path}.unit"),
                id,
                format!(
                    "a {estimator} estimate of this measure is in {}, not {}",
                    dimension.code(),
                    unit.code()
                ),
            );
        }
        if d.estimator == Estimator::Share && unit != Unit::Ratio {
            self.error(
                format!("{path}.unit"),
                id,
                "a share is a ratio (unit `ratio`)".into(),
            );
        }
        if d.growth && !(matches!(d.estimator, Estimator::Ratio) && unit == Unit::Ratio) {
            self.error(
                format!("{path}.growth"),
                id,
                "a growth rate is a ratio of totals (this year's over last year's) in unit `ratio`"
                    .into(),
            );
        }
    }
}
