//! Running compiled rules over figure values.

use std::collections::BTreeMap;

use cel::{Context, Value};
use serde::{Deserialize, Serialize};

use crate::compile::{RuleSet, Severity, TOLERANCE};

/// What happened to one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    Passed,
    Failed,
    /// A figure the rule reads is absent from the candidate: the rule cannot confirm anything,
    /// which for an error-severity rule blocks publication like a failure.
    MissingInputs {
        figures: Vec<String>,
    },
    /// The expression failed at run time (e.g. a division by zero).
    EvaluationError {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub description: String,
    pub severity: Severity,
    pub outcome: Outcome,
    /// The values the rule read, so a reviewer sees why it failed.
    pub inputs: BTreeMap<String, f64>,
}

impl RuleOutcome {
    /// True when this outcome stops publication until fixed (error) or justified (warning).
    pub fn needs_attention(&self) -> bool {
        self.outcome != Outcome::Passed
    }
}

impl RuleSet {
    /// Evaluates every rule against `values` (CEL names to numbers), in rule order.
    ///
    /// The interpreter recurses per nesting level, so it runs on the rules' own thread
    /// ([`crate::limits::on_rule_stack`]), like the parser.
    pub fn evaluate(&self, values: &BTreeMap<String, f64>) -> Vec<RuleOutcome> {
        crate::limits::on_rule_stack(|| self.evaluate_here(values))
    }

    fn evaluate_here(&self, values: &BTreeMap<String, f64>) -> Vec<RuleOutcome> {
        self.rules
            .iter()
            .map(|rule| {
                let missing: Vec<String> = rule
                    .references
                    .iter()
                    .filter(|n| !values.contains_key(*n))
                    .cloned()
                    .collect();
                let inputs: BTreeMap<String, f64> = rule
                    .references
                    .iter()
                    .filter_map(|n| values.get(n).map(|v| (n.clone(), *v)))
                    .collect();
                let outcome = if !missing.is_empty() {
                    Outcome::MissingInputs { figures: missing }
                } else {
                    run(rule, &inputs)
                };
                RuleOutcome {
                    rule_id: rule.def.id.clone(),
                    description: rule.def.description.clone(),
                    severity: rule.def.severity,
                    outcome,
                    inputs,
                }
            })
            .collect()
    }
}

fn run(rule: &crate::compile::CompiledRule, inputs: &BTreeMap<String, f64>) -> Outcome {
    let mut context = Context::default();
    for (name, value) in inputs {
        context.add_variable_from_value(name.clone(), Value::Float(*value));
    }
    context.add_variable_from_value(TOLERANCE, Value::Float(rule.def.tolerance));
    let registered = context
        .add_function("abs", |x: f64| x.abs())
        .and_then(|()| {
            context.add_function("within", |a: f64, b: f64, relative: f64| {
                (a - b).abs() <= relative * b.abs()
            })
        });
    if let Err(e) = registered {
        return Outcome::EvaluationError {
            message: format!("cannot register rule functions: {e}"),
        };
    }
    match rule.program.execute(&context) {
        Ok(Value::Bool(true)) => Outcome::Passed,
        Ok(Value::Bool(false)) => Outcome::Failed,
        Ok(other) => Outcome::EvaluationError {
            message: format!("expected true or false, got {other:?}"),
        },
        Err(e) => Outcome::EvaluationError {
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{RuleDef, compile_rules};
    use crate::schema::FigureSchema;
    use ndrs_core::units::Unit;

    #[test]
    fn rules_pass_fail_or_report_what_is_missing() {
        let mut schema = FigureSchema::new();
        schema
            .declare_figure("P01", Unit::Bytes)
            .declare_figure("P04", Unit::Bytes)
            .declare_figure("P05", Unit::Ratio);
        let def = |id: &str, expression: &str| RuleDef {
            id: id.into(),
            description: id.into(),
            expression: expression.into(),
            severity: Severity::Error,
            tolerance: 0.001,
        };
        let set = compile_rules(
            vec![
                def("new_le_production", "P04 <= P01"),
                def("conversion", "abs(P05 - P04 / P01) <= tolerance"),
                def("growth", "within(P01, prev_P01 * 1.2244, tolerance)"),
            ],
            &schema,
        )
        .unwrap();
        let mut values = BTreeMap::from([
            ("P01".to_string(), 32.85e21),
            ("P04".to_string(), 0.95e21),
            ("P05".to_string(), 0.029),
        ]);
        let outcomes = set.evaluate(&values);
        assert_eq!(outcomes[0].outcome, Outcome::Passed);
        assert_eq!(outcomes[1].outcome, Outcome::Passed);
        assert_eq!(
            outcomes[2].outcome,
            Outcome::MissingInputs {
                figures: vec!["prev_P01".into()]
            }
        );
        values.insert("P05".into(), 0.05);
        values.insert("prev_P01".into(), 26.83e21);
        let outcomes = set.evaluate(&values);
        assert_eq!(outcomes[1].outcome, Outcome::Failed);
        assert_eq!(outcomes[1].inputs["P05"], 0.05);
        assert_eq!(outcomes[2].outcome, Outcome::Passed);
    }
}
