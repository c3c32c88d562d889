//! The cells estimation runs over: an indicator of the cycle's indicator document, optionally
//! restricted to one level of a breakdown, and the classifications a figure can be broken down
//! by. What each indicator measures is the document's ([`ndrs_content::CompiledIndicators`]);
//! this module only knows the frame classifications.

use crate::design::region_of;
use crate::domain::Questionnaire;

/// Classifications a figure can be broken down by in `GetEstimates`, one or two at a time; an
/// indicator document may offer a subset per figure. `region` is the macro-region (east,
/// central, west, northeast); `stratum` is the design's, so it needs a design.
pub const BREAKDOWNS: [&str; 6] = [
    "subject_type",
    "size_class",
    "region",
    "province",
    "industry",
    "stratum",
];

/// Most classifications one breakdown crosses.
pub const MAX_CROSSED: usize = 2;

/// The value of a breakdown classification for a respondent (already carrying the frame's
/// classifications when a design is loaded).
pub(super) fn breakdown_level(q: &Questionnaire, breakdown: &str) -> Option<String> {
    match breakdown {
        "subject_type" => Some(q.subject_type.code().to_string()),
        "size_class" => q.size_class.map(|s| s.code().to_string()),
        "region" => Some(region_of(&q.province_code)),
        "province" => Some(q.province_code.clone()),
        "industry" => q.industry.map(|i| i.code().to_string()),
        // The design's, not the questionnaire's: see `Sample::level`.
        _ => None,
    }
}

/// A domain to estimate: an indicator (its position in the document) restricted, optionally,
/// to one level of each classification of a breakdown (none: the national figure).
#[derive(Debug, Clone)]
pub(super) struct Cell {
    pub(super) indicator: usize,
    pub(super) breakdown: Vec<(&'static str, String)>,
}
