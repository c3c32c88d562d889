//! Embargo times: when a release becomes visible to readers.

use chrono::{DateTime, Utc};
use ndrs_core::{Error, Result};
use ndrs_proto::prost_types::Timestamp;

/// Parses an embargo time (RFC 3339); empty means none.
pub fn parse_embargo(text: &str) -> Result<Option<DateTime<Utc>>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            Error::invalid(
                "embargo_until",
                format!("not an RFC 3339 time ({e}), e.g. 2024-03-01T09:00:00Z"),
            )
        })
}

/// The embargo a publisher asked for: none, or a valid time (INVALID_ARGUMENT otherwise).
pub fn embargo_from_request(until: Option<&Timestamp>) -> Result<Option<DateTime<Utc>>> {
    until
        .map(|t| ndrs_platform::timestamp::to_datetime("embargo_until", t))
        .transpose()
}

/// Whether a release whose summary carries this embargo time is still under embargo; an
/// impossible timestamp counts as an embargo, for the same reason as below.
pub(super) fn timestamp_under_embargo(until: Option<&Timestamp>) -> bool {
    until.is_some_and(|t| {
        ndrs_platform::timestamp::to_datetime("embargo_until", t).map_or(true, |u| Utc::now() < u)
    })
}

/// Whether a stored embargo time (RFC 3339, empty for none) lies in the future. An unreadable one
/// counts as an embargo: withholding by mistake is recoverable, publishing early is not.
pub(super) fn under_embargo(embargo_until: &str) -> bool {
    match parse_embargo(embargo_until) {
        Ok(None) => false,
        Ok(Some(until)) => Utc::now() < until,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embargo_times_are_checked() {
        assert!(parse_embargo("").unwrap().is_none());
        assert!(parse_embargo("2030-01-01T00:00:00Z").unwrap().is_some());
        let err = parse_embargo("next tuesday").unwrap_err();
        assert_eq!(err.field_violations()[0].field, "embargo_until");
    }
}
