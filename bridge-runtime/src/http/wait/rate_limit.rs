//! Waiting out a `429` that does not say how long: a service-specific hint, its own backoff, its own count.
//!
//! It exists because many services (HubSpot among them) answer `429 Too Many Requests` **without** a
//! `Retry-After`, naming the exhausted policy in their body or in headers of their own instead. A few retries
//! 100 ms apart (the client's [`Backoff`] for failures) would be spent long before a rolling ten-second window
//! frees up, and the bridge would answer `502` to a sync that only had to slow down. A [`RateLimit`] gives such
//! `429`s their own rules: how long to wait according to the service ([`RateLimit::hint`]), a longer
//! [`Backoff`] otherwise, and a count of their own; the call's
//! [`deadline`](crate::http::RequestBuilder::deadline) still bounds everything, so the back-off always
//! stays within the request's budget.
//!
//! A `Retry-After` always wins over the hint and the backoff.

use super::retry::Backoff;
use reqwest::header::HeaderMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What a service's `429` says about waiting, as a [`RateLimit::hint`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitHint {
    /// Try again after this long (a window that frees up in a known time).
    Wait(Duration),
    /// Nothing precise: wait as the [`RateLimit`]'s backoff says.
    Backoff,
    /// Waiting will not help within a request (a daily quota is spent): give up at once, saying why.
    GiveUp(String),
}

type Hint = Arc<dyn Fn(&HeaderMap, &[u8]) -> RateLimitHint + Send + Sync>;

/// How a client waits out `429` answers that carry no `Retry-After`; give it to
/// [`ClientBuilder::rate_limit`](crate::http::ClientBuilder::rate_limit).
///
/// Without one, such a `429` is retried like a `503`: with the client's backoff, within its
/// [`max_retries`](crate::http::ClientBuilder::max_retries).
///
/// ```
/// use bridge::http::{Backoff, Client, RateLimit, RateLimitHint};
/// use std::time::Duration;
///
/// // A service that answers 429 with `X-RateLimit-Interval-Ms: 10000` and no Retry-After.
/// let rate_limit = RateLimit::new(Backoff::new(Duration::from_millis(500), Duration::from_secs(4)))
///     .max_retries(6)
///     .hint(|headers, _body| {
///         match headers.get("x-ratelimit-interval-ms").and_then(|v| v.to_str().ok()?.parse::<u64>().ok()) {
///             Some(ms) => RateLimitHint::Wait(Duration::from_millis(ms.min(10_000))),
///             None => RateLimitHint::Backoff,
///         }
///     });
/// let client = Client::builder().service_name("Acme CRM").rate_limit(rate_limit).build().unwrap();
/// # drop(client);
/// ```
#[derive(Clone)]
pub struct RateLimit {
    pub(crate) backoff: Backoff,
    pub(crate) max_retries: u32,
    hint: Option<Hint>,
}

impl RateLimit {
    /// Waits drawn from `backoff` (which should be on the scale of the service's windows: seconds, not
    /// milliseconds), at most 8 retries.
    pub fn new(backoff: Backoff) -> Self {
        Self { backoff, max_retries: 8, hint: None }
    }

    /// How many times a call is repeated after such `429`s (counted apart from the client's other retries). The
    /// call's deadline usually ends the waiting first.
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Reads the service's own signals (headers, body) of a `429` without `Retry-After`. A
    /// [`Wait`](RateLimitHint::Wait) longer than the client's
    /// [`max_retry_after`](crate::http::ClientBuilder::max_retry_after) gives up at once, as such a `Retry-After` does.
    #[must_use]
    pub fn hint(mut self, hint: impl Fn(&HeaderMap, &[u8]) -> RateLimitHint + Send + Sync + 'static) -> Self {
        self.hint = Some(Arc::new(hint));
        self
    }

    /// What to do about the `429` answered with `headers` and `body`, before retry `retry` (from 0) of such
    /// answers: the hint when there is one and it knows, else the backoff.
    pub(crate) fn wait(&self, headers: &HeaderMap, body: &[u8], retry: u32) -> RateLimitHint {
        match self.hint.as_ref().map(|hint| hint(headers, body)) {
            Some(RateLimitHint::Backoff) | None => RateLimitHint::Wait(self.backoff.delay(retry)),
            Some(known) => known,
        }
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("backoff", &self.backoff)
            .field("max_retries", &self.max_retries)
            .field("hint", &self.hint.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_decides_and_the_backoff_fills_in() {
        let backoff = Backoff::new(Duration::from_millis(400), Duration::from_millis(400));
        let plain = RateLimit::new(backoff);
        let waited = |hint: RateLimitHint| match hint {
            RateLimitHint::Wait(wait) => wait,
            other => panic!("{other:?}"),
        };
        let wait = waited(plain.wait(&HeaderMap::new(), b"", 3));
        assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400), "{wait:?}");

        let hinted = RateLimit::new(backoff).hint(|_, body| match body {
            b"daily" => RateLimitHint::GiveUp("the daily quota is spent".into()),
            b"secondly" => RateLimitHint::Wait(Duration::from_secs(1)),
            _ => RateLimitHint::Backoff,
        });
        assert_eq!(hinted.wait(&HeaderMap::new(), b"secondly", 0), RateLimitHint::Wait(Duration::from_secs(1)));
        assert_eq!(
            hinted.wait(&HeaderMap::new(), b"daily", 0),
            RateLimitHint::GiveUp("the daily quota is spent".into())
        );
        assert!(waited(hinted.wait(&HeaderMap::new(), b"?", 0)) <= Duration::from_millis(400));
        assert!(format!("{hinted:?}").contains("hint: true"));
    }
}
