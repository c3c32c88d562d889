//! Data queries (`data/{flow}/{key}`): which release versions, which series and which periods.
//! The answer is written by `ndrs_aggregator::release::sdmx::data`, the writers of the stored
//! export, in SDMX-ML 2.1 (structure-specific or generic data) or SDMX-CSV 1.0.
//!
//! Without `includeHistory`, each cycle contributes its latest visible version, so a series runs
//! across cycles with one observation a year. With `includeHistory=true`, every visible version
//! is its own data set (`validFromDate` its publication time): the vintages as they were
//! disseminated. `updatedAfter` keeps the versions published after a time.

use chrono::{DateTime, Utc};
use ndrs_aggregator::release::sdmx::data::Selected;
use ndrs_aggregator::release::sdmx::{DSD, Structure};
use ndrs_core::{Error, Result};

use crate::releases::Published;

/// Largest number of key parts or alternatives accepted in one key.
const MAX_KEY_CODES: usize = 2_000;

/// A parsed data query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Per dimension: the codes asked for (empty: any).
    pub key: Vec<Vec<String>>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub include_history: bool,
    pub updated_after: Option<DateTime<Utc>>,
}

/// Parses a key (`all`, or dot-separated parts, one per dimension, each empty or `A+B`).
pub fn parse_key(key: &str, structure: &Structure) -> Result<Vec<Vec<String>>> {
    let n = structure.dimensions.len();
    if key.is_empty() || key == "all" {
        return Ok(vec![Vec::new(); n]);
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() != n || key.len() > MAX_KEY_CODES * 8 {
        let names: Vec<&str> = structure.dimensions.iter().map(|d| d.id.as_str()).collect();
        return Err(Error::invalid(
            "key",
            format!(
                "has {} parts; {} has {n} dimensions: {}",
                parts.len(),
                DSD,
                names.join(".")
            ),
        ));
    }
    Ok(parts
        .into_iter()
        .map(|p| {
            p.split('+')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect())
}

/// A period parameter's year: `2023`, `2023-12`, `2023-12-31` or `2023-A1`.
pub fn period_year(field: &str, text: &str) -> Result<i32> {
    text.get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|y| y.parse().ok())
        .filter(|_| text.len() == 4 || text.as_bytes().get(4) == Some(&b'-'))
        .ok_or_else(|| Error::invalid(field, "expected a period such as 2023 or 2023-12-31"))
}

/// The data sets a query selects: (release version, its matching figures), oldest first.
pub fn select<'a>(
    releases: &'a [Published],
    structure: &Structure,
    query: &Query,
) -> Vec<Selected<'a>> {
    let mut chosen: Vec<&Published> = releases
        .iter()
        .filter(|r| {
            let year = r.summary.cycle_year;
            query.start_year.is_none_or(|s| year >= s) && query.end_year.is_none_or(|e| year <= e)
        })
        .filter(|r| {
            query.updated_after.is_none_or(|after| {
                r.summary
                    .published_at
                    .as_ref()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok())
                    .is_some_and(|t| DateTime::<Utc>::from(t) > after)
            })
        })
        .collect();
    if !query.include_history {
        // The latest version of each cycle.
        chosen.retain(|r| {
            !releases.iter().any(|o| {
                o.summary.cycle_year == r.summary.cycle_year
                    && o.summary.version > r.summary.version
            })
        });
    }
    chosen
        .into_iter()
        .map(|r| {
            let figures: Vec<_> = r
                .document
                .figures
                .iter()
                .filter(|f| {
                    structure
                        .series_key(f)
                        .iter()
                        .zip(&query.key)
                        .all(|(code, wanted)| wanted.is_empty() || wanted.contains(code))
                })
                .collect();
            (&*r.document, figures)
        })
        .filter(|(_, figures)| !figures.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_years_in_any_sdmx_form() {
        assert_eq!(period_year("startPeriod", "2023").unwrap(), 2023);
        assert_eq!(period_year("startPeriod", "2023-12-31").unwrap(), 2023);
        assert_eq!(period_year("startPeriod", "2023-A1").unwrap(), 2023);
        for bad in ["", "20", "2023x", "abcd", "２０２３"] {
            let e = period_year("startPeriod", bad).unwrap_err();
            assert_eq!(e.field_violations()[0].field, "startPeriod", "{bad}");
        }
    }
}
