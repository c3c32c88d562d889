//! The names a rule may use, and their units.
//!
//! Figure ids contain dots (`check.compute.cloud_storage_bytes`), which CEL would read as field
//! selection, so each id is exposed under [`cel_name`]: dots become underscores. A breakdown cell
//! (`compute.capacity_share` with `province = 11`) becomes
//! `compute_capacity_share__province_11`, and the sum over one breakdown dimension is offered as
//! `sum__compute_capacity_share__province`, so "shares of a breakdown sum to 100%" is a one-line
//! rule. The previous cycle's published figures are offered with the prefix `prev_`.

use std::collections::BTreeMap;

use ndrs_core::units::{Dimension, Unit};

/// CEL identifier of a figure id with optional breakdown coordinates.
pub fn cel_name(id: &str, dimensions: &[(&str, &str)]) -> String {
    let mut name = sanitise(id);
    for (k, v) in dimensions {
        name.push_str("__");
        name.push_str(&sanitise(k));
        name.push('_');
        name.push_str(&sanitise(v));
    }
    name
}

/// CEL identifier of the sum of a breakdown over one dimension.
pub fn breakdown_sum_name(id: &str, dimension: &str) -> String {
    format!("sum__{}__{}", sanitise(id), sanitise(dimension))
}

/// CEL identifier of the largest cell of a breakdown over one dimension.
pub fn breakdown_max_name(id: &str, dimension: &str) -> String {
    format!("max__{}__{}", sanitise(id), sanitise(dimension))
}

/// CEL identifier of the previous cycle's published value of a figure.
pub fn previous_name(id: &str) -> String {
    format!("prev_{}", sanitise(id))
}

fn sanitise(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The names rules may reference, each with its unit.
#[derive(Debug, Clone, Default)]
pub struct FigureSchema {
    units: BTreeMap<String, Unit>,
}

impl FigureSchema {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a CEL name with its unit.
    pub fn declare(&mut self, cel_name: impl Into<String>, unit: Unit) -> &mut Self {
        self.units.insert(cel_name.into(), unit);
        self
    }

    /// Declares a figure, its breakdown-sum variables and its previous-cycle value.
    pub fn declare_figure(&mut self, id: &str, unit: Unit) -> &mut Self {
        self.declare(cel_name(id, &[]), unit);
        self.declare(previous_name(id), unit)
    }

    pub fn unit(&self, cel_name: &str) -> Option<Unit> {
        self.units.get(cel_name).copied()
    }

    pub fn dimension(&self, cel_name: &str) -> Option<Dimension> {
        self.unit(cel_name).map(Unit::dimension)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.units.keys().map(String::as_str)
    }

    /// The schema of every catalogue indicator (and its previous-cycle value).
    pub fn from_catalogue(catalogue: &ndrs_core::catalogue::Catalogue) -> Self {
        let mut schema = Self::new();
        for indicator in catalogue {
            schema.declare_figure(&indicator.id, indicator.unit);
        }
        schema
    }

    /// Every name the system publishes: the catalogue's indicators and the check and auxiliary
    /// figure families, a breakdown family by its sum and largest cell over each dimension.
    pub fn standard() -> Self {
        let mut schema = Self::from_catalogue(ndrs_core::catalogue::Catalogue::embedded());
        for family in ndrs_core::catalogue::figure_families() {
            let mut dimensions = family.dimension_list().peekable();
            if dimensions.peek().is_none() {
                schema.declare_figure(&family.id, family.unit);
            }
            for d in dimensions {
                schema.declare(breakdown_sum_name(&family.id, d), family.unit);
                schema.declare(breakdown_max_name(&family.id, d), family.unit);
            }
        }
        schema
    }
}

/// Builds the values a rule set runs over from published figures: every figure under its CEL
/// name, and for single-dimension breakdowns the sum and largest cell per dimension.
#[derive(Debug, Default)]
pub struct FigureValues {
    values: BTreeMap<String, f64>,
}

impl FigureValues {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one figure of the current cycle.
    pub fn add(&mut self, id: &str, dimensions: &[(&str, &str)], value: f64) {
        self.values.insert(cel_name(id, dimensions), value);
        if let [(dimension, _)] = dimensions {
            *self
                .values
                .entry(breakdown_sum_name(id, dimension))
                .or_insert(0.0) += value;
            let max = self
                .values
                .entry(breakdown_max_name(id, dimension))
                .or_insert(f64::NEG_INFINITY);
            *max = max.max(value);
        }
    }

    /// Adds a figure published for the previous cycle.
    pub fn add_previous(&mut self, id: &str, value: f64) {
        self.values.insert(previous_name(id), value);
    }

    pub fn into_map(self) -> BTreeMap<String, f64> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cel_identifiers() {
        assert_eq!(
            cel_name("check.compute.cloud_storage_bytes", &[]),
            "check_compute_cloud_storage_bytes"
        );
        assert_eq!(
            cel_name("compute.capacity_share", &[("province", "11")]),
            "compute_capacity_share__province_11"
        );
        assert_eq!(
            breakdown_sum_name("compute.capacity_share", "province"),
            "sum__compute_capacity_share__province"
        );
        assert_eq!(previous_name("P01"), "prev_P01");
    }
}
