//! The default logs' timestamp, `2026-12-03T10:49:58.123456Z` (UTC, microseconds: what `tracing-subscriber`'s
//! `SystemTime` writes), at the cost of a clock read and six digits: the date and time of day down to the second
//! are rendered once a second per thread, not on every line through the formatting machinery.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The last second of 9999-12-31: later times (and times before 1970) are rendered by `tracing-subscriber`.
const LAST_FOUR_DIGIT_SECOND: u64 = 253_402_300_799;

thread_local! {
    /// The second last rendered on this thread, and `YYYY-MM-DDTHH:MM:SS.` for it.
    static LAST: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
}

/// Writes the current time as the default logs do.
pub(crate) fn write_now(out: &mut String) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) if since.as_secs() <= LAST_FOUR_DIGIT_SECOND => {
            write_timestamp(out, since.as_secs(), since.subsec_micros())
        }
        _ => {
            let _ = tracing_subscriber::fmt::time::SystemTime.format_time(&mut Writer::new(out));
        }
    }
}

/// Writes `second` (since the Unix epoch, at most [`LAST_FOUR_DIGIT_SECOND`]) and `micros` as the default logs do.
pub(crate) fn write_timestamp(out: &mut String, second: u64, micros: u32) {
    let (last, mut prefix) = LAST.get();
    if last != second {
        prefix = render_second(second);
        LAST.set((second, prefix));
    }
    let mut line = [0u8; 27];
    line[..20].copy_from_slice(&prefix);
    let mut rest = micros;
    for slot in line[20..26].iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    line[26] = b'Z';
    super::escape::push_ascii(out, &line);
}

/// `YYYY-MM-DDTHH:MM:SS.` for a second since the Unix epoch (the civil calendar from days, as in Howard Hinnant's
/// `civil_from_days`).
fn render_second(second: u64) -> [u8; 20] {
    let days = (second / 86_400) as i64;
    let of_day = second % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00.";
    let pair = |out: &mut [u8; 20], at: usize, value: u64| {
        out[at] = b'0' + (value / 10) as u8;
        out[at + 1] = b'0' + (value % 10) as u8;
    };
    let year = year as u64;
    pair(&mut out, 0, year / 100);
    pair(&mut out, 2, year % 100);
    pair(&mut out, 5, month as u64);
    pair(&mut out, 8, day as u64);
    pair(&mut out, 11, of_day / 3600);
    pair(&mut out, 14, of_day / 60 % 60);
    pair(&mut out, 17, of_day % 60);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::format_description::well_known::Rfc3339;

    /// What `tracing-subscriber` writes: RFC 3339 in UTC with exactly six fractional digits.
    fn expected(second: u64, micros: u32) -> String {
        let at = time::OffsetDateTime::from_unix_timestamp(second as i64).unwrap();
        let text = at.format(&Rfc3339).unwrap();
        format!("{}.{micros:06}Z", text.trim_end_matches('Z'))
    }

    #[test]
    fn renders_rfc_3339_with_microseconds_across_the_calendar() {
        let mut second = 0u64;
        // Every month or so from 1970 to 9999 (leap years, centuries, 2000), at various times of day.
        let mut micros = 0;
        while second <= LAST_FOUR_DIGIT_SECOND {
            let mut out = String::new();
            write_timestamp(&mut out, second, micros);
            assert_eq!(out, expected(second, micros));
            second += 86_400 * 29 + 3_607;
            micros = (micros + 123_457) % 1_000_000;
        }
        let mut out = String::new();
        write_timestamp(&mut out, LAST_FOUR_DIGIT_SECOND, 1);
        assert_eq!(out, "9999-12-31T23:59:59.000001Z");
    }

    #[test]
    fn the_cached_second_is_only_reused_for_the_same_second() {
        let mut out = String::new();
        write_timestamp(&mut out, 1_764_759_000, 5);
        write_timestamp(&mut out, 1_764_759_000, 6);
        write_timestamp(&mut out, 1_764_759_001, 0);
        assert_eq!(out, "2025-12-03T10:50:00.000005Z2025-12-03T10:50:00.000006Z2025-12-03T10:50:01.000000Z");
    }
}
