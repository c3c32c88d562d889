//! The figure-by-figure difference between two versions of a release, which every revision
//! carries so readers see what changed without comparing documents themselves.

use std::collections::BTreeMap;

use super::document::{Change, Figure};

/// Figure-by-figure differences between two versions' figures (a cell that becomes suppressed,
/// or is no longer suppressed, counts as revised).
pub fn diff(previous: &[Figure], current: &[Figure]) -> Vec<Change> {
    let before: BTreeMap<&str, Option<f64>> =
        previous.iter().map(|f| (f.key.as_str(), f.value)).collect();
    let after: BTreeMap<&str, Option<f64>> =
        current.iter().map(|f| (f.key.as_str(), f.value)).collect();
    let mut keys: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (p, c) = (before.get(key).copied(), after.get(key).copied());
            let change = match (p, c) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(p), Some(c)) if p.map(f64::to_bits) != c.map(f64::to_bits) => "revised",
                _ => return None,
            };
            Some(Change {
                key: key.to_string(),
                change: change.into(),
                previous: p.flatten(),
                current: c.flatten(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::fixtures::fig;

    #[test]
    fn diff_names_added_removed_and_revised_figures_only() {
        let changes = diff(
            &[fig("P01", 1.0), fig("P03", 3.0), fig("P04", 4.0)],
            &[fig("P01", 1.0), fig("P03", 3.5), fig("P05", 5.0)],
        );
        let got: Vec<_> = changes
            .iter()
            .map(|c| (c.key.as_str(), c.change.as_str()))
            .collect();
        assert_eq!(
            got,
            [("P03", "revised"), ("P04", "removed"), ("P05", "added")]
        );
    }
}
