//! When to call again, and how long to wait first: exponential backoff with jitter, and `Retry-After`.
//!
//! It exists so that the policy is one small, pure piece that tests can check on its own: the waits stay within
//! their documented bounds, `Retry-After` is read in both of its forms, and the retry loop
//! ([`call`](crate::http::call)) only asks "how long?".

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Exponential backoff with "equal jitter": the wait before retry `n` (counting from 0) is drawn uniformly from
/// `[c / 2, c]`, where `c = min(base × 2ⁿ, max)`.
///
/// Half of each wait is guaranteed (so retries really do back off) and half is random (so many callers that
/// failed together do not come back together). Waits never exceed `max`.
///
/// ```
/// use bridge::http::Backoff;
/// use std::time::Duration;
///
/// let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
/// assert_eq!(backoff.bounds(0), (Duration::from_millis(50), Duration::from_millis(100)));
/// assert_eq!(backoff.bounds(2), (Duration::from_millis(200), Duration::from_millis(400)));
/// assert_eq!(backoff.bounds(9), (Duration::from_millis(500), Duration::from_secs(1)));
/// let wait = backoff.delay(2);
/// assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Backoff {
    /// Waits that start around `base` and double each retry, up to `max` (raised to `base` if smaller).
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max: max.max(base) }
    }

    /// The first wait's ceiling.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The longest wait.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The ceiling of the wait before retry `retry` (0 for the first retry): `min(base × 2^retry, max)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The shortest and the longest wait before retry `retry`: `(ceiling / 2, ceiling)`.
    pub fn bounds(&self, retry: u32) -> (Duration, Duration) {
        let ceiling = self.ceiling(retry);
        (ceiling / 2, ceiling)
    }

    /// A wait before retry `retry`, drawn uniformly from [`bounds`](Self::bounds).
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, next_random())
    }

    /// The wait for a given random draw: the draw's fraction of `u64::MAX` places it within the bounds.
    fn delay_with(&self, retry: u32, random: u64) -> Duration {
        let (low, high) = self.bounds(retry);
        let span = (high - low).as_nanos();
        // Multiply-shift maps the draw onto 0..=span without modulo bias; span is far below 2^64 in practice.
        let offset = (u128::from(random) * (span + 1)) >> 64;
        low + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
    }
}

impl Default for Backoff {
    /// 100 ms, doubling up to 2 s.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(2))
    }
}

/// A random `u64` for jitter: SplitMix64 over a process-wide counter, seeded once from the clock.
///
/// Hand-written rather than a dependency: jitter needs spread, not cryptographic quality, and ten lines of a
/// well-known generator are easier to audit than a crate. Lock-free, so concurrent calls never contend.
fn next_random() -> u64 {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
    static STATE: AtomicU64 = AtomicU64::new(0);
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        nanos ^ u64::from(std::process::id()).rotate_left(32)
    });
    let mut z = STATE.fetch_add(GAMMA, Ordering::Relaxed).wrapping_add(seed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How long a `Retry-After` header asks to wait, seen from `now`: either a number of seconds (`120`) or an HTTP
/// date (`Wed, 21 Oct 2015 07:28:00 GMT`, and the two obsolete date forms RFC 9110 still requires readers to
/// accept). A date in the past means "now". Anything else is ignored (`None`), and the backoff applies.
///
/// Dates are read with the `httpdate` crate: it implements exactly the three formats of RFC 9110 §5.6.7, has no
/// dependencies, and is already in the build through hyper.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long numbers saturate: the caller compares the wait with its limits anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_cover_the_bounds_and_stay_inside() {
        let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(300));
        for retry in 0..40 {
            let (low, high) = backoff.bounds(retry);
            assert_eq!(backoff.delay_with(retry, 0), low);
            assert_eq!(backoff.delay_with(retry, u64::MAX), high);
            assert!(high <= Duration::from_millis(300));
            for _ in 0..200 {
                let wait = backoff.delay(retry);
                assert!(low <= wait && wait <= high, "retry {retry}: {wait:?} not in {low:?}..={high:?}");
            }
        }
        assert_eq!(backoff.ceiling(0), Duration::from_millis(10));
        assert_eq!(backoff.ceiling(3), Duration::from_millis(80));
        assert_eq!(backoff.ceiling(5), Duration::from_millis(300));
    }

    #[test]
    fn max_is_never_below_base() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_millis(1));
        assert_eq!(backoff.max(), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Wed Oct 21 07:28:05 2015", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::from_secs(u64::MAX)));
        for junk in ["", "-1", "1.5", "soon", "Wed, 21 Oct 2015"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }
}
