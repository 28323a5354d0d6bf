//! The one date format Talkdesk reads: `YYYY-MM-DD HH:MM:SS UTC` (e.g. `2012-11-21 17:53:51 UTC`).
//!
//! Every interaction of an answer carries a date, so rendering one is on the hot path of encoding: a date is
//! written digit by digit into a fixed 23-byte buffer and handed to the serializer as one string, at the cost of a
//! plain `String` field (no `fmt` machinery, no allocation). Parsing is the same fixed layout, checked by hand.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

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

tokio::task_local! {
    /// The time [`TalkdeskDate::now`] gives on this task, when the test kit set one.
    static FROZEN_CLOCK: TalkdeskDate;
}

/// Runs `future` with [`TalkdeskDate::now`] standing still at `at`: the test kit's clock, for requests whose calls
/// depend on the time (a cassette's replay).
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn frozen_clock<F: std::future::Future>(
    at: TalkdeskDate,
    future: F,
) -> tokio::task::futures::TaskLocalFuture<TalkdeskDate, F> {
    FROZEN_CLOCK.scope(at, future)
}

/// `future` with the test kit's clock of this task, if one is set, wherever it runs (a task a handler spawned).
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn carry_clock<F: std::future::Future>(
    future: F,
) -> futures_util::future::Either<F, tokio::task::futures::TaskLocalFuture<TalkdeskDate, F>> {
    match FROZEN_CLOCK.try_with(|at| *at) {
        Ok(at) => futures_util::future::Either::Right(FROZEN_CLOCK.scope(at, future)),
        Err(_) => futures_util::future::Either::Left(future),
    }
}

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

/// The length of `YYYY-MM-DD HH:MM:SS UTC`.
const LEN: usize = 23;

/// The rendered bytes as text, without `from_utf8`'s validation (it cost more than the rendering itself: about 120
/// instructions a date, 1.3 % of an answer of 20 interactions).
fn as_str(text: &[u8; LEN]) -> &str {
    debug_assert!(text.is_ascii());
    // SAFETY: `render` is the only source of these buffers, and it writes ASCII only: byte literals, and
    // `two_digits`' bytes, which are at most `b'0' + 255 / 10` (73) whatever its argument. ASCII is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(text) }
}

/// `n` (below 100) as two ASCII digits.
fn two_digits(n: u8) -> [u8; 2] {
    [b'0' + n / 10, b'0' + n % 10]
}

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

    /// The current time: the clock's, or the time the test kit set for the request being answered (a replayed
    /// cassette's recording time, or the time given to `bridge::testing::TestClient::clock`).
    ///
    /// A handler that computes a date from "now" (a `since` a minute ago, a default due date) must take it from
    /// here for its calls to replay: under replay the clock stands still at the time the cassette was recorded.
    pub fn now() -> Self {
        FROZEN_CLOCK.try_with(|at| *at).unwrap_or_else(|_| Self(OffsetDateTime::now_utc()))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_timestamp(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The underlying `time` value, in UTC.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// The date in RFC 3339, in UTC, to the second (`2012-11-21T17:53:51Z`): what services take in filters such
    /// as `updated_since`.
    ///
    /// ```
    /// use bridge::TalkdeskDate;
    ///
    /// let date: TalkdeskDate = "2012-11-21 17:53:51 UTC".parse().unwrap();
    /// assert_eq!(date.to_rfc3339(), "2012-11-21T17:53:51Z");
    /// assert_eq!(TalkdeskDate::parse_rfc3339(&date.to_rfc3339()), Ok(date));
    /// ```
    pub fn to_rfc3339(&self) -> String {
        match self.render() {
            Some(mut text) => {
                text[10] = b'T';
                let mut rfc3339 = String::with_capacity(20);
                rfc3339.push_str(&as_str(&text)[..19]);
                rfc3339.push('Z');
                rfc3339
            }
            None => {
                let (year, month, day) = self.0.to_calendar_date();
                let (hour, minute, second) = self.0.to_hms();
                format!("{year:04}-{:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z", u8::from(month))
            }
        }
    }

    /// The date `by` earlier (or the earliest date there is): for a margin, such as the clock skew between the
    /// bridge and a service when a sync's start time becomes its checkpoint.
    ///
    /// ```
    /// use bridge::TalkdeskDate;
    /// use std::time::Duration;
    ///
    /// let date: TalkdeskDate = "2024-01-31 09:30:00 UTC".parse().unwrap();
    /// assert_eq!(date.minus(Duration::from_secs(300)).to_string(), "2024-01-31 09:25:00 UTC");
    /// ```
    #[must_use]
    pub fn minus(&self, by: std::time::Duration) -> Self {
        let by = time::Duration::try_from(by).unwrap_or(time::Duration::MAX);
        Self(self.0.checked_sub(by).unwrap_or(OffsetDateTime::new_utc(Date::MIN, Time::MIDNIGHT)))
    }

    /// `YYYY-MM-DD HH:MM:SS UTC`, or `None` for a year outside `0..=9999` (only an `OffsetDateTime` converted with
    /// `From` can have one: Talkdesk cannot read it, and it is rendered the slow way, as before).
    fn render(&self) -> Option<[u8; LEN]> {
        let (year, month, day) = self.0.to_calendar_date();
        let year = u16::try_from(year).ok().filter(|year| *year <= 9999)?;
        let (hour, minute, second) = self.0.to_hms();
        let [y1, y2] = two_digits((year / 100) as u8);
        let [y3, y4] = two_digits((year % 100) as u8);
        let [mo1, mo2] = two_digits(u8::from(month));
        let [d1, d2] = two_digits(day);
        let [h1, h2] = two_digits(hour);
        let [mi1, mi2] = two_digits(minute);
        let [s1, s2] = two_digits(second);
        Some([
            y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b' ', h1, h2, b':', mi1, mi2, b':', s1, s2, b' ', b'U', b'T',
            b'C',
        ])
    }

    /// The rendering of a year outside `0..=9999` (`-001-…`, `10000-…`): zero-padded to four characters, sign
    /// included, as `{:04}` writes it.
    fn fmt_wide_year(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let (year, month, day) = t.to_calendar_date();
        let (hour, minute, second) = t.to_hms();
        write!(f, "{year:04}-{:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC", u8::from(month))
    }
}

impl From<OffsetDateTime> for TalkdeskDate {
    fn from(at: OffsetDateTime) -> Self {
        Self(at.to_offset(UtcOffset::UTC))
    }
}

impl fmt::Display for TalkdeskDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.render() {
            Some(text) => f.write_str(as_str(&text)),
            None => self.fmt_wide_year(f),
        }
    }
}

impl fmt::Debug for TalkdeskDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TalkdeskDate({self})")
    }
}

impl FromStr for TalkdeskDate {
    type Err = DateParseError;

    /// Exactly `YYYY-MM-DD HH:MM:SS UTC`: 23 bytes, every field zero-padded, a real calendar date, a second from
    /// 00 to 59 (a leap second, `23:59:60`, is refused: `time` cannot hold one).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_talkdesk(text.as_bytes()).map(Self).ok_or(DateParseError { expected: TALKDESK_FORMAT })
    }
}

/// The fields of `YYYY-MM-DD HH:MM:SS UTC`, checked by hand (no format-description machinery on the request path).
fn parse_talkdesk(text: &[u8]) -> Option<OffsetDateTime> {
    let text: &[u8; LEN] = text.try_into().ok()?;
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if &text[19..] != b" UTC" || separators.iter().any(|&(at, byte)| text[at] != byte) {
        return None;
    }
    let number = |from: usize, to: usize| {
        text[from..to].iter().try_fold(0u16, |n, &b| b.is_ascii_digit().then(|| n * 10 + u16::from(b - b'0')))
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, u8::try_from(second).ok()?).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

impl Serialize for TalkdeskDate {
    /// The rendered bytes as one string: no `fmt` machinery, no allocation.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.render() {
            Some(text) => s.serialize_str(as_str(&text)),
            None => s.collect_str(self),
        }
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
    fn a_parse_error_says_the_format_it_expected() {
        let err = "2024-01-31T09:30:00Z".parse::<TalkdeskDate>().unwrap_err();
        assert_eq!(err.to_string(), "not a date in the format `YYYY-MM-DD HH:MM:SS UTC`");
        let date = TalkdeskDate::from_unix_timestamp(1_717_491_600).unwrap();
        assert_eq!(date.to_rfc3339(), "2024-06-04T09:00:00Z");
        assert_eq!(format!("{date:?}"), "TalkdeskDate(2024-06-04 09:00:00 UTC)");
    }

    #[tokio::test]
    async fn the_test_kits_clock_stands_still_in_its_scope_and_where_it_is_carried() {
        let at = TalkdeskDate::from_unix_timestamp(1_717_491_600).unwrap();
        let seen = frozen_clock(at, async {
            let carried = tokio::spawn(carry_clock(async { TalkdeskDate::now() })).await.unwrap();
            let plain = tokio::spawn(async { TalkdeskDate::now() }).await.unwrap();
            (TalkdeskDate::now(), carried, plain)
        })
        .await;
        assert_eq!((seen.0, seen.1), (at, at));
        assert!(seen.2 > at, "a task not carried has the real clock");
        assert!(TalkdeskDate::now() > at);
    }

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
        for bad in [
            "2012-11-21T17:53:51Z",
            "2012-11-21 17:53:51",
            "2012-11-21 17:53:51 GMT",
            "2012-13-21 17:53:51 UTC",
            "2012-02-30 17:53:51 UTC",
            "2012-11-21 24:00:00 UTC",
            "2012-11-21 17:60:51 UTC",
            "2012-1-21 17:53:51 UTC ",
            "+012-11-21 17:53:51 UTC",
            "2012-11-21 17:53:5x UTC",
            "2012-11-21 17:53:51 UTC ",
            "2012/11/21 17:53:51 UTC",
            "",
        ] {
            assert!(bad.parse::<TalkdeskDate>().is_err(), "{bad}");
        }
    }

    fn at(seconds: i64) -> TalkdeskDate {
        TalkdeskDate::from_unix_timestamp(seconds).unwrap()
    }

    /// What the format is, pinned: the bytes of both renderings (`Display` and JSON) and the parse back.
    fn assert_renders(date: TalkdeskDate, text: &str) {
        assert_eq!(date.to_string(), text);
        assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{text}\""));
        assert_eq!(text.parse::<TalkdeskDate>(), Ok(date), "{text} parses back");
    }

    #[test]
    fn pins_the_edges_of_the_calendar() {
        assert_renders(at(0), "1970-01-01 00:00:00 UTC");
        assert_renders(at(-62_135_596_800), "0001-01-01 00:00:00 UTC");
        assert_renders(at(-62_135_596_801), "0000-12-31 23:59:59 UTC");
        assert_renders(at(253_402_300_799), "9999-12-31 23:59:59 UTC");
        assert_renders(at(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_renders(at(4_107_456_000), "2100-02-28 00:00:00 UTC");
        assert!("2100-02-29 00:00:00 UTC".parse::<TalkdeskDate>().is_err(), "2100 is not a leap year");
    }

    #[test]
    fn pins_negative_timestamps() {
        assert_renders(at(-1), "1969-12-31 23:59:59 UTC");
        assert_renders(at(-86_400), "1969-12-31 00:00:00 UTC");
        assert_renders(at(-2_208_988_800), "1900-01-01 00:00:00 UTC");
        assert_renders(at(-2_203_891_201), "1900-02-28 23:59:59 UTC");
        assert_eq!("1969-12-31 23:59:59 UTC".parse::<TalkdeskDate>().unwrap().unix_timestamp(), -1);
    }

    #[test]
    fn refuses_leap_seconds() {
        assert!("2016-12-31 23:59:60 UTC".parse::<TalkdeskDate>().is_err());
        assert!(serde_json::from_str::<TalkdeskDate>(r#""2016-12-31 23:59:60 UTC""#).is_err());
        // The second after 23:59:59 is the next day's first: a rendering never says `:60`.
        assert_renders(at(1_483_228_799), "2016-12-31 23:59:59 UTC");
        assert_renders(at(1_483_228_800), "2017-01-01 00:00:00 UTC");
    }

    #[test]
    fn renders_years_beyond_four_digits_as_before() {
        let date =
            |year| TalkdeskDate::from(Date::from_calendar_date(year, Month::June, 1).unwrap().midnight().assume_utc());
        assert_eq!(date(-1).to_string(), "-001-06-01 00:00:00 UTC");
        assert_eq!(serde_json::to_string(&date(-1)).unwrap(), r#""-001-06-01 00:00:00 UTC""#);
        assert_eq!(date(-9999).to_string(), "-9999-06-01 00:00:00 UTC");
    }

    /// The hand-written rendering and parsing against `time`'s formatting, over the whole range, every step a
    /// different time of day.
    #[test]
    fn agrees_with_time_across_the_range() {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
        let (first, last) = (-62_167_219_200_i64, 253_402_300_799_i64); // 0000-01-01 to 9999-12-31
        let mut seconds = first;
        while seconds <= last {
            let date = at(seconds);
            let expected = date.as_offset_date_time().format(&format).unwrap();
            assert_eq!(date.to_string(), expected);
            assert_eq!(expected.parse::<TalkdeskDate>().unwrap().unix_timestamp(), seconds);
            seconds += 9_876_543;
        }
    }
}
