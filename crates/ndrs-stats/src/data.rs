//! Survey variables by name, aligned with the design's rows.
//!
//! Numeric columns hold the study variables (`y`, `x`), 0/1 indicators (domains, response
//! status); categorical columns hold weighting classes, raking variables and domain partitions.
//! Values are only checked where they are used, and only for units that carry weight: a
//! non-respondent may have a missing (NaN) answer without breaking anything.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};

/// A categorical column, encoded once as level codes (levels sorted, so codes are deterministic).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Categorical {
    pub levels: Vec<String>,
    pub codes: Vec<u32>,
}

impl Categorical {
    pub fn level(&self, value: &str) -> Option<u32> {
        self.levels
            .binary_search_by(|l| l.as_str().cmp(value))
            .ok()
            .map(|i| i as u32)
    }
}

/// The survey variables of one sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Data {
    n: usize,
    numeric: BTreeMap<String, Vec<f64>>,
    categorical: BTreeMap<String, Categorical>,
}

impl Data {
    /// An empty table for `n_units` rows (must equal the design's number of units).
    pub fn new(n_units: usize) -> Self {
        Self {
            n: n_units,
            ..Self::default()
        }
    }

    /// Adds a numeric column. Non-finite values are accepted here (missing answers of
    /// non-respondents) and rejected later only if a unit with positive weight uses them.
    pub fn with_numeric(mut self, name: impl Into<String>, values: Vec<f64>) -> Result<Self> {
        let name = name.into();
        self.check_new(&name, values.len())?;
        self.numeric.insert(name, values);
        Ok(self)
    }

    /// Adds a categorical column.
    pub fn with_categorical<S: AsRef<str>>(
        mut self,
        name: impl Into<String>,
        values: &[S],
    ) -> Result<Self> {
        let name = name.into();
        self.check_new(&name, values.len())?;
        let levels: Vec<String> = values
            .iter()
            .map(|v| v.as_ref())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut cat = Categorical {
            levels,
            codes: Vec::with_capacity(values.len()),
        };
        for v in values {
            // every value is a level by construction
            let code = cat.level(v.as_ref()).unwrap_or(0);
            cat.codes.push(code);
        }
        self.categorical.insert(name, cat);
        Ok(self)
    }

    /// Number of rows.
    pub fn n_units(&self) -> usize {
        self.n
    }

    /// A numeric column by name.
    pub fn numeric(&self, name: &str) -> Result<&[f64]> {
        self.numeric
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| StatsError::UnknownColumn {
                column: name.to_string(),
                kind: "numeric",
            })
    }

    pub(crate) fn categorical(&self, name: &str) -> Result<&Categorical> {
        self.categorical
            .get(name)
            .ok_or_else(|| StatsError::UnknownColumn {
                column: name.to_string(),
                kind: "categorical",
            })
    }

    fn check_new(&self, name: &str, len: usize) -> Result<()> {
        if self.numeric.contains_key(name) || self.categorical.contains_key(name) {
            return Err(StatsError::DuplicateColumn {
                column: name.to_string(),
            });
        }
        if len != self.n {
            return Err(StatsError::LengthMismatch {
                column: name.to_string(),
                expected: self.n,
                actual: len,
            });
        }
        Ok(())
    }
}

/// A domain (subpopulation). Domain estimates always use the full design: units outside the
/// domain keep their place (and their PSU) with their values set to zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Domain {
    /// The whole population.
    All,
    /// Units whose numeric column is 1 (the column must be 0 or 1 for units with weight).
    Indicator(String),
    /// Units whose categorical column equals `value`.
    Category { column: String, value: String },
}

/// Checks a 0/1 value.
pub(crate) fn binary(column: &str, row: usize, value: f64) -> Result<bool> {
    if value == 1.0 {
        Ok(true)
    } else if value == 0.0 {
        Ok(false)
    } else {
        Err(StatsError::NotBinary {
            column: column.to_string(),
            row,
            value,
        })
    }
}
