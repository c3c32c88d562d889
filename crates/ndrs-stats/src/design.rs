//! The sample design: strata, primary sampling units (PSUs), design weights, finite population
//! sizes, certainty (take-all) strata and the lonely-PSU policy.
//!
//! PSUs are nested in strata: PSU `"1"` of stratum `"A"` and PSU `"1"` of stratum `"B"` are two
//! different PSUs (R `survey`'s `nest = TRUE`). Strata and PSUs are ordered by identifier, not by
//! row order, so that replicate construction (and hence every bootstrap draw) depends only on the
//! design, never on how the rows happened to be sorted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};

/// One sampled unit (one row of the microdata).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Stratum identifier.
    pub stratum: String,
    /// PSU identifier, nested within the stratum. For an element sample use a unique id per unit.
    pub psu: String,
    /// Design (base) weight: inverse inclusion probability. Must be finite and >= 0.
    pub weight: f64,
}

impl Unit {
    /// Convenience constructor.
    pub fn new(stratum: impl Into<String>, psu: impl Into<String>, weight: f64) -> Self {
        Self {
            stratum: stratum.into(),
            psu: psu.into(),
            weight,
        }
    }
}

/// What to do with a stratum that has a single PSU, whose variance cannot be estimated from
/// within the stratum. There is no silent default: `Fail` makes the analyst choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LonelyPsu {
    /// Return [`StatsError::LonelyPsu`] naming the stratum.
    #[default]
    Fail,
    /// Treat the stratum as a certainty stratum: it contributes zero variance (R `"certainty"`).
    Certainty,
    /// Centre the lonely PSU's linearised total at the grand mean of all PSU totals instead of the
    /// stratum mean (R `"adjust"`, Stata `singleunit(centered)`). For means, proportions and ratios
    /// the scores sum to zero, so the grand mean is zero and this equals R exactly; for totals R
    /// centres at zero while this centres at the mean PSU total (Stata's choice), which is less
    /// conservative. Only defined for Taylor linearisation: replicate methods return an error.
    Adjust,
    /// Drop the stratum from the variance (zero contribution) and from the degrees of freedom.
    Remove,
}

/// Per-stratum facts derived from the units.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stratum {
    pub id: String,
    /// Global PSU indices of this stratum: `first_psu..first_psu + n_psus`.
    pub first_psu: usize,
    pub n_psus: usize,
    /// Population number of PSUs, for the finite population correction.
    pub population_psus: Option<f64>,
    /// Take-all stratum: no sampling variance.
    pub certainty: bool,
}

impl Stratum {
    /// Finite population correction factor `1 - n_h / N_h` (1 when no population size is given).
    pub fn fpc(&self) -> f64 {
        match self.population_psus {
            Some(n) if n.is_finite() && n > 0.0 => (1.0 - self.n_psus as f64 / n).max(0.0),
            _ => 1.0,
        }
    }

    /// Whether the stratum contributes sampling variance at all (not certainty, not a census).
    pub fn has_variance(&self) -> bool {
        !self.certainty && self.fpc() > 0.0
    }
}

/// A validated stratified (single-stage, with-replacement PSU) sample design.
///
/// Build it with [`Design::new`], then optionally declare population sizes, certainty strata and
/// the lonely-PSU policy. Each builder method validates its input and names the stratum at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub(crate) weights: Vec<f64>,
    /// Global PSU index of each unit.
    pub(crate) unit_psu: Vec<u32>,
    /// Stratum index of each PSU.
    pub(crate) psu_stratum: Vec<u32>,
    pub(crate) psu_ids: Vec<String>,
    pub(crate) strata: Vec<Stratum>,
    pub(crate) lonely: LonelyPsu,
}

impl Design {
    /// Validates the units and builds the design.
    ///
    /// Errors: no units, an empty stratum or PSU id, a non-finite or negative weight, or a stratum
    /// whose weights are all zero (it could not represent anything).
    pub fn new(units: Vec<Unit>) -> Result<Self> {
        if units.is_empty() {
            return Err(StatsError::EmptyDesign);
        }
        // stratum id -> psu id -> global index (assigned after sorting)
        let mut tree: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for (row, u) in units.iter().enumerate() {
            if u.stratum.is_empty() {
                return Err(StatsError::EmptyIdentifier {
                    field: "stratum",
                    row,
                });
            }
            if u.psu.is_empty() {
                return Err(StatsError::EmptyIdentifier { field: "psu", row });
            }
            if !u.weight.is_finite() || u.weight < 0.0 {
                return Err(StatsError::InvalidWeight {
                    row,
                    value: u.weight,
                });
            }
            tree.entry(u.stratum.as_str())
                .or_default()
                .insert(u.psu.as_str(), 0);
        }
        let mut strata = Vec::with_capacity(tree.len());
        let mut psu_stratum = Vec::new();
        let mut psu_ids = Vec::new();
        let mut next = 0usize;
        for (h, (sid, psus)) in tree.iter_mut().enumerate() {
            let first = next;
            for (pid, idx) in psus.iter_mut() {
                *idx = next;
                next += 1;
                psu_stratum.push(h as u32);
                psu_ids.push((*pid).to_string());
            }
            strata.push(Stratum {
                id: (*sid).to_string(),
                first_psu: first,
                n_psus: next - first,
                population_psus: None,
                certainty: false,
            });
        }
        let mut unit_psu = Vec::with_capacity(units.len());
        let mut stratum_weight = vec![0.0; strata.len()];
        for u in &units {
            let idx = tree[u.stratum.as_str()][u.psu.as_str()];
            unit_psu.push(idx as u32);
            stratum_weight[psu_stratum[idx] as usize] += u.weight;
        }
        for (h, s) in strata.iter().enumerate() {
            if stratum_weight[h] <= 0.0 {
                return Err(StatsError::EmptyStratum {
                    stratum: s.id.clone(),
                });
            }
        }
        Ok(Self {
            weights: units.iter().map(|u| u.weight).collect(),
            unit_psu,
            psu_stratum,
            psu_ids,
            strata,
            lonely: LonelyPsu::Fail,
        })
    }

    /// Declares the population number of PSUs `N_h` of a stratum, enabling the finite population
    /// correction `1 - n_h / N_h`. `N_h == n_h` makes the stratum a census (zero variance).
    pub fn with_population_psus(mut self, stratum: &str, population_psus: f64) -> Result<Self> {
        let h = self.stratum_index(stratum, "population_psus")?;
        let sampled = self.strata[h].n_psus;
        if !population_psus.is_finite() || population_psus < sampled as f64 {
            return Err(StatsError::InvalidPopulationSize {
                stratum: stratum.to_string(),
                value: population_psus,
                sampled,
            });
        }
        self.strata[h].population_psus = Some(population_psus);
        Ok(self)
    }

    /// Marks a stratum as certainty (take-all): it is a census and contributes no sampling
    /// variance, whatever its number of PSUs (so it is never a lonely-PSU problem either).
    pub fn with_certainty(mut self, stratum: &str) -> Result<Self> {
        let h = self.stratum_index(stratum, "certainty")?;
        self.strata[h].certainty = true;
        Ok(self)
    }

    /// Chooses how strata with a single PSU are handled (default [`LonelyPsu::Fail`]).
    pub fn with_lonely_psu(mut self, policy: LonelyPsu) -> Self {
        self.lonely = policy;
        self
    }

    /// Number of units (rows).
    pub fn n_units(&self) -> usize {
        self.weights.len()
    }

    /// Number of strata.
    pub fn n_strata(&self) -> usize {
        self.strata.len()
    }

    /// Number of PSUs over all strata.
    pub fn n_psus(&self) -> usize {
        self.psu_ids.len()
    }

    /// Design weights in row order.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The lonely-PSU policy in force.
    pub fn lonely_psu(&self) -> LonelyPsu {
        self.lonely
    }

    /// `"stratum/psu"` label of a global PSU index (used to label jackknife replicates).
    pub(crate) fn psu_label(&self, psu: usize) -> String {
        let h = self.psu_stratum[psu] as usize;
        format!("{}/{}", self.strata[h].id, self.psu_ids[psu])
    }

    fn stratum_index(&self, stratum: &str, field: &'static str) -> Result<usize> {
        self.strata
            .binary_search_by(|s| s.id.as_str().cmp(stratum))
            .map_err(|_| StatsError::UnknownStratum {
                stratum: stratum.to_string(),
                field,
            })
    }

    /// Strata with one PSU that are subject to the lonely-PSU policy (variance strata only).
    pub(crate) fn check_lonely(&self) -> Result<()> {
        if self.lonely == LonelyPsu::Fail
            && let Some(s) = self
                .strata
                .iter()
                .find(|s| s.has_variance() && s.n_psus == 1)
        {
            return Err(StatsError::LonelyPsu {
                stratum: s.id.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_weights_and_names_the_row() {
        let units = vec![Unit::new("a", "1", 1.0), Unit::new("a", "2", f64::NAN)];
        assert!(matches!(
            Design::new(units),
            Err(StatsError::InvalidWeight { row: 1, .. })
        ));
        let units = vec![Unit::new("a", "1", -1.0)];
        assert!(matches!(
            Design::new(units),
            Err(StatsError::InvalidWeight { row: 0, .. })
        ));
        assert_eq!(Design::new(vec![]), Err(StatsError::EmptyDesign));
        let units = vec![Unit::new("a", "1", 1.0), Unit::new("b", "1", 0.0)];
        assert!(matches!(
            Design::new(units),
            Err(StatsError::EmptyStratum { stratum }) if stratum == "b"
        ));
        let units = vec![Unit::new("", "1", 1.0)];
        assert!(matches!(
            Design::new(units),
            Err(StatsError::EmptyIdentifier {
                field: "stratum",
                row: 0
            })
        ));
    }

    #[test]
    fn psus_are_nested_and_sorted_by_id() {
        let units = vec![
            Unit::new("b", "1", 1.0),
            Unit::new("a", "2", 1.0),
            Unit::new("a", "1", 1.0),
            Unit::new("b", "1", 1.0),
        ];
        let d = Design::new(units).unwrap();
        assert_eq!(d.n_strata(), 2);
        assert_eq!(d.n_psus(), 3);
        assert_eq!(d.unit_psu, vec![2, 1, 0, 2]);
        assert_eq!(d.psu_label(2), "b/1");
    }

    #[test]
    fn population_size_is_validated() {
        let units = vec![Unit::new("a", "1", 1.0), Unit::new("a", "2", 1.0)];
        let d = Design::new(units).unwrap();
        assert!(d.clone().with_population_psus("a", 1.0).is_err());
        assert!(d.clone().with_population_psus("zz", 10.0).is_err());
        let d = d.with_population_psus("a", 4.0).unwrap();
        assert_eq!(d.strata[0].fpc(), 0.5);
    }
}
