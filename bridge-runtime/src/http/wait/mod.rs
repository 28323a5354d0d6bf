//! When to wait before the next attempt of a call, in one place: how long after a failure ([`retry`]: backoff
//! and `Retry-After`), after a `429` that does not say ([`rate_limit`]), and before sending at all, on the rate
//! budget the service reports ([`rate_headers`] read it, [`pacing`] spends it).
//!
//! The call's loop ([`call`](crate::http::call)) asks two questions here: may this attempt go now
//! ([`for_budget`]), and, after one worth another, how long to wait first ([`Retries`]). How the wait passes is
//! the transport's ([`Transport::pause`](crate::http::exchange::Transport::pause)).

pub(crate) mod pacing;
pub(crate) mod rate_headers;
pub(crate) mod rate_limit;
pub(crate) mod retry;

use super::config::{Config, Inner};
use crate::Error;
use bytes::Bytes;
use pacing::Account;
use rate_limit::RateLimitHint;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use retry::parse_retry_after;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

/// What comes after an attempt worth another one.
pub(crate) enum Next {
    /// Wait this long, then try again.
    After(Duration),
    /// Try no more; the end of the message that says why (`, after 3 attempts`, `: <the hint's reason>`).
    GiveUp(String),
}

/// The retries of one call so far, each counted against its own rule.
#[derive(Default)]
pub(crate) struct Retries {
    /// Of `429`s without `Retry-After`, when the client has a [`RateLimit`](rate_limit::RateLimit) for them.
    limited: u32,
    /// Of the rest.
    other: u32,
}

impl Retries {
    /// After a `429` or a `503`: a `429` without `Retry-After` follows the client's `RateLimit` when it has one;
    /// the rest wait what `Retry-After` asks, or the client's backoff.
    pub(crate) fn after_answer(
        &mut self,
        config: &Config,
        status: StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
        attempts: u32,
    ) -> Next {
        let asked = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        match (&config.rate_limit, asked) {
            (Some(rate_limit), None) if status == StatusCode::TOO_MANY_REQUESTS => {
                if self.limited >= rate_limit.max_retries {
                    return Next::GiveUp(after_attempts(attempts));
                }
                let wait = match rate_limit.wait(headers, body, self.limited) {
                    RateLimitHint::GiveUp(why) => return Next::GiveUp(format!(": {why}")),
                    RateLimitHint::Wait(wait) if wait > config.max_retry_after => {
                        return Next::GiveUp(format!(
                            ", and its limit frees up in {wait:?}, longer than the bridge waits"
                        ));
                    }
                    RateLimitHint::Wait(wait) => wait,
                    RateLimitHint::Backoff => rate_limit.backoff.delay(self.limited),
                };
                self.limited += 1;
                Next::After(wait)
            }
            (_, asked) => {
                if self.other >= config.max_retries {
                    return Next::GiveUp(after_attempts(attempts));
                }
                let wait = match asked {
                    Some(asked) if asked > config.max_retry_after => {
                        return Next::GiveUp(format!(", and asks to wait {asked:?}, longer than the bridge waits"));
                    }
                    Some(asked) => asked,
                    None => config.backoff.delay(self.other),
                };
                self.other += 1;
                Next::After(wait)
            }
        }
    }

    /// After a connection that failed, or broke when retrying is safe: the client's backoff.
    pub(crate) fn after_failure(&mut self, config: &Config, attempts: u32) -> Next {
        if self.other >= config.max_retries {
            return Next::GiveUp(after_attempts(attempts));
        }
        let wait = config.backoff.delay(self.other);
        self.other += 1;
        Next::After(wait)
    }
}

/// `, after 3 attempts` (nothing after a single one), to end a give-up message.
fn after_attempts(attempts: u32) -> String {
    match attempts {
        1 => String::new(),
        n => format!(", after {n} attempts"),
    }
}

/// Waits until the account's rate budget lets a call go: for the window's end when it is nearly spent (see
/// [`Pacing`](crate::http::Pacing)). A wait the deadline (`whose`, or, with none, the longest `Retry-After` the
/// client waits for) cannot hold fails the call at once, unsent.
pub(crate) async fn for_budget(
    inner: &Inner,
    account: Account,
    deadline: Option<Instant>,
    whose: impl fmt::Display,
) -> Result<(), Error> {
    let config = &inner.config;
    while let Some(wait) = inner.budgets.admit(account, Instant::now()) {
        let fits = match deadline {
            Some(deadline) => Instant::now() + wait < deadline,
            None => wait <= config.max_retry_after,
        };
        if !fits {
            let limit = if deadline.is_some() { whose.to_string() } else { "the client's longest wait".to_owned() };
            return Err(Error::upstream(format!(
                "{}'s rate budget for this account is spent for another {} ms, longer than {limit} allows: the \
                 call was not sent",
                config.service,
                wait.as_millis()
            )));
        }
        tracing::info!(
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "waiting for the service's next rate window"
        );
        crate::telemetry::upstream_wait(&config.service, wait);
        tokio::time::sleep(wait).await;
    }
    Ok(())
}
