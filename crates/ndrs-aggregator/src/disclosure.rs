//! Disclosure control of published breakdown cells.
//!
//! A breakdown cell built from very few reporters, or dominated by one, would let a reader work
//! out a single unit's confidential return (a province with two compute centres, one of them
//! huge). Such cells are suppressed in the release: the value, interval and the list of returns
//! are withheld and the reason is published instead. National figures (no breakdown) are never
//! suppressed: they are the survey's indicators.
//!
//! The rule reads the contributor facts a stage service puts in a figure's lineage
//! (`reporters`, `largest_share`); a cell whose service does not count contributors (0) is not
//! judged. A lone suppressed cell of a breakdown could be recovered from the total minus the other
//! cells, so `release` also withholds the smallest other cell (complementary suppression).

use ndrs_platform::settings::Settings;
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

/// The configured rule, recorded in every release's lineage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DisclosureRule {
    /// Fewer reporters than this: suppressed.
    pub min_reporters: u32,
    /// Largest reporter's share of the cell above this: suppressed.
    pub max_share: f64,
}

impl DisclosureRule {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            min_reporters: settings.aggregator.disclosure_min_reporters,
            max_share: settings.aggregator.disclosure_max_share,
        }
    }

    /// Why `figure` must not be published, or `None` when it may.
    pub fn suppression(&self, figure: &pb::Figure) -> Option<String> {
        if figure.dimensions.is_empty() {
            return None;
        }
        let lineage = figure.lineage.as_ref()?;
        if lineage.reporters > 0 && lineage.reporters < self.min_reporters {
            return Some(format!(
                "fewer than {} reporters ({})",
                self.min_reporters, lineage.reporters
            ));
        }
        if lineage.largest_share > self.max_share {
            return Some(format!(
                "one reporter contributes more than {}% of the cell",
                self.max_share * 100.0
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(dims: bool, reporters: u32, largest_share: f64) -> pb::Figure {
        let mut f = pb::Figure {
            id: "compute.capacity_share".into(),
            lineage: Some(pb::Lineage {
                reporters,
                largest_share,
                ..Default::default()
            }),
            ..Default::default()
        };
        if dims {
            f.dimensions.insert("province".into(), "11".into());
        }
        f
    }

    #[test]
    fn few_reporters_or_one_dominant_reporter_suppress_a_cell() {
        let rule = DisclosureRule {
            min_reporters: 3,
            max_share: 0.85,
        };
        assert!(
            rule.suppression(&cell(true, 2, 0.5))
                .unwrap()
                .contains("fewer than 3")
        );
        assert!(
            rule.suppression(&cell(true, 5, 0.9))
                .unwrap()
                .contains("85%")
        );
        assert_eq!(rule.suppression(&cell(true, 3, 0.85)), None);
        // Not counted by the stage service: not judged.
        assert_eq!(rule.suppression(&cell(true, 0, 0.0)), None);
        // National figures are never suppressed.
        assert_eq!(rule.suppression(&cell(false, 1, 1.0)), None);
    }
}
