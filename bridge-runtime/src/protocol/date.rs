//! The one date format Talkdesk reads: `YYYY-MM-DD HH:MM:SS UTC` (e.g. `2012-11-21 17:53:51 UTC`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A point in time, always rendered in UTC as `YYYY-MM-DD HH:MM:SS UTC`, the only format Talkdesk reads.
///
/// Sub-second precision is dropped when rendering. Build one from whatever the external service gives you:
///
/// ```
/// use bridge::TalkdeskDate;
///
/// let from_iso = TalkdeskDate::parse_rfc3339("2012-11-21T18:53:51+01:00").unwrap();
/// assert_eq!(from_iso.to_string(), "2012-11-21 17:53:51 UTC");
///
/// let from_epoch = TalkdeskDate::from_unix_timestamp(1_353_520_431).unwrap();
/// assert_eq!(from_epoch, from_iso);
///
/// let parsed: TalkdeskDate = "2012-11-21 17:53:51 UTC".parse().unwrap();
/// assert_eq!(parsed, from_iso);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TalkdeskDate(OffsetDateTime);

/// Why a string is not a date in the expected format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateParseError {
    expected: &'static str,
}

impl fmt::Display for DateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a date in the format {}", self.expected)
    }
}

impl std::error::Error for DateParseError {}

const TALKDESK_FORMAT: &str = "`YYYY-MM-DD HH:MM:SS UTC`";

impl TalkdeskDate {
    /// The date at `seconds` since the Unix epoch, or `None` when out of range.
    pub fn from_unix_timestamp(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// Parses an RFC 3339 / ISO 8601 timestamp such as `2024-01-31T09:30:00Z`, as most APIs emit.
    pub fn parse_rfc3339(text: &str) -> Result<Self, DateParseError> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Self::from)
            .map_err(|_| DateParseError { expected: "RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`)" })
    }

    /// The current time.
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    /// Seconds since the Unix epoch.
    pub fn unix_timestamp(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The underlying `time` value, in UTC.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for TalkdeskDate {
    fn from(at: OffsetDateTime) -> Self {
        Self(at.to_offset(UtcOffset::UTC))
    }
}

impl fmt::Display for TalkdeskDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl fmt::Debug for TalkdeskDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TalkdeskDate({self})")
    }
}

impl FromStr for TalkdeskDate {
    type Err = DateParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = DateParseError { expected: TALKDESK_FORMAT };
        let naive = text.strip_suffix(" UTC").ok_or(error.clone())?;
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        PrimitiveDateTime::parse(naive, format).map(|t| Self(t.assume_utc())).map_err(|_| error)
    }
}

impl Serialize for TalkdeskDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TalkdeskDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_exactly_the_talkdesk_format() {
        let date = TalkdeskDate::parse_rfc3339("2012-11-21T17:53:51.987Z").unwrap();
        assert_eq!(date.to_string(), "2012-11-21 17:53:51 UTC");
        assert_eq!(serde_json::to_string(&date).unwrap(), r#""2012-11-21 17:53:51 UTC""#);
    }

    #[test]
    fn converts_other_offsets_to_utc_and_pads_fields() {
        let date = TalkdeskDate::parse_rfc3339("0999-01-02T00:04:05-03:00").unwrap();
        assert_eq!(date.to_string(), "0999-01-02 03:04:05 UTC");
    }

    #[test]
    fn round_trips_through_json() {
        let date: TalkdeskDate = serde_json::from_str(r#""2012-11-21 17:53:51 UTC""#).unwrap();
        assert_eq!(date.unix_timestamp(), 1_353_520_431);
    }

    #[test]
    fn rejects_other_formats() {
        for bad in
            ["2012-11-21T17:53:51Z", "2012-11-21 17:53:51", "2012-11-21 17:53:51 GMT", "2012-13-21 17:53:51 UTC", ""]
        {
            assert!(bad.parse::<TalkdeskDate>().is_err(), "{bad}");
        }
    }
}
