//! Validation rules: data, not code.
//!
//! A rule is a CEL expression (the Common Expression Language Kubernetes uses) over a context of
//! named figures, with an id, a description, a severity and a tolerance (bound to the variable
//! `tolerance` while the rule runs). Rule sets are compiled when they are loaded, and a rule is
//! refused then, with the position of the problem, if it does not parse, names a figure the schema
//! does not know, or compares or adds figures of different units (bytes with FLOPS, a share with a
//! count). Checking units at load time is what makes a rule set safe to hand to organisers: an
//! expression that mixes dimensions can never be right, whatever the data.
//!
//! The aggregator's cross-entity stage (figures from different reporters) is what runs it today;
//! the stage services' submission-time edit rules are still code in each stage's domain module,
//! until questionnaires become data (their `constraint` expressions will be CEL too).
//!
//! - [`schema`]: the figures a rule may name, with their units; how figure ids become CEL names.
//! - [`limits`]: the sizes a rule may have, checked before it is parsed.
//! - [`compile`]: parsing, reference and unit checks.
//! - [`dimensions`]: the unit algebra of expressions (shared with questionnaire conditions).
//! - [`evaluate`]: running compiled rules over figure values.

pub mod compile;
pub mod dimensions;
pub mod evaluate;
pub mod limits;
pub mod schema;

pub use compile::{CompiledRule, Refusal, RuleDef, RuleError, RuleSet, Severity, compile_rules};
pub use evaluate::{Outcome, RuleOutcome};
pub use schema::{FigureSchema, FigureValues, cel_name};

/// The survey's default cross-entity rule set (`rules/default.toml`).
pub const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<RuleDef>,
}

/// Parses a TOML rule file (`[[rule]]` tables).
pub fn parse_rule_file(text: &str) -> Result<Vec<RuleDef>, String> {
    toml::from_str::<RuleFile>(text)
        .map(|f| f.rule)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rule_set_compiles_against_the_standard_schema() {
        let defs = parse_rule_file(DEFAULT_RULES).unwrap();
        assert!(defs.len() >= 15);
        let set = compile_rules(defs, &FigureSchema::standard())
            .unwrap_or_else(|e| panic!("default rules refused: {e:?}"));
        assert_eq!(
            set.rules.len(),
            parse_rule_file(DEFAULT_RULES).unwrap().len()
        );
    }

    #[test]
    fn breakdowns_are_offered_by_sum_and_largest_cell() {
        let mut values = FigureValues::new();
        values.add("compute.capacity_share", &[("province", "11")], 0.25);
        values.add("compute.capacity_share", &[("province", "31")], 0.75);
        values.add("P01", &[], 2.0);
        values.add_previous("P01", 1.0);
        let map = values.into_map();
        assert_eq!(map["sum__compute_capacity_share__province"], 1.0);
        assert_eq!(map["max__compute_capacity_share__province"], 0.75);
        assert_eq!(map["compute_capacity_share__province_11"], 0.25);
        assert_eq!(map["prev_P01"], 1.0);
    }
}
