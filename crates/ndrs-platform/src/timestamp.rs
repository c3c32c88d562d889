//! Times on the wire are `google.protobuf.Timestamp`; in the databases they stay RFC 3339 text
//! (UTC, microseconds), which sorts as time and reads in any SQL client. These are the two
//! conversions, so that no handler formats or parses a time of its own.

use chrono::{DateTime, SecondsFormat, Utc};
use ndrs_core::{Error, Result};
use ndrs_proto::prost_types::Timestamp;

/// The current time as the stores keep it.
pub fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The current time on the wire.
pub fn now() -> Timestamp {
    Timestamp::from(std::time::SystemTime::now())
}

/// A stored RFC 3339 time as a wire timestamp; `None` for an empty or unreadable one (a field
/// that was never set, such as the close time of an open round).
pub fn from_text(text: &str) -> Option<Timestamp> {
    let t = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    })
}

/// A wire timestamp as RFC 3339 text for people to read; empty when it is not set.
pub fn display(t: Option<&Timestamp>) -> String {
    t.map(Timestamp::to_string).unwrap_or_default()
}

/// A timestamp a client sent, as a UTC time; INVALID_ARGUMENT naming `field` when it lies
/// outside what a timestamp may hold (years 0001-9999, nanos within a second).
pub fn to_datetime(field: &str, t: &Timestamp) -> Result<DateTime<Utc>> {
    // RFC 3339's range, as google.protobuf.Timestamp defines it.
    const MIN_SECONDS: i64 = -62_135_596_800;
    const MAX_SECONDS: i64 = 253_402_300_799;
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&t.seconds) || !(0..1_000_000_000).contains(&t.nanos) {
        return Err(Error::invalid(
            field,
            "not a valid timestamp: seconds must lie in years 0001-9999 and nanos in [0, 1e9)",
        ));
    }
    DateTime::from_timestamp(t.seconds, t.nanos as u32)
        .ok_or_else(|| Error::invalid(field, "not a valid timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_and_wire_timestamps_convert_both_ways() {
        let t = from_text("2024-03-01T09:00:00.123456Z").unwrap();
        assert_eq!((t.seconds, t.nanos), (1_709_283_600, 123_456_000));
        let back = to_datetime("at", &t).unwrap();
        assert_eq!(
            back.to_rfc3339_opts(SecondsFormat::Micros, true),
            "2024-03-01T09:00:00.123456Z"
        );
        assert!(from_text("").is_none());
        assert!(from_text("next tuesday").is_none());
        assert!(from_text(&now_text()).is_some());
        assert_eq!(display(Some(&t)), "2024-03-01T09:00:00.123456Z");
        assert_eq!(display(None), "");
    }

    #[test]
    fn out_of_range_timestamps_are_invalid_arguments() {
        for (seconds, nanos) in [(i64::MAX, 0), (i64::MIN, 0), (0, -1), (0, 1_000_000_000)] {
            let err = to_datetime("embargo_until", &Timestamp { seconds, nanos }).unwrap_err();
            assert_eq!(err.field_violations()[0].field, "embargo_until");
        }
    }
}
