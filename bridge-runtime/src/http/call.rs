//! Carrying out one call: the attempts, the waits between them, the deadline, and the span that records it all.
//!
//! It exists to keep the one loop with real consequences in one place: it decides whether an answer or a
//! failure is worth another attempt, never retries what the service may have acted on (a `POST` whose
//! connection broke), never sleeps past the caller's deadline, and reports each call as one `tracing` span with
//! its method, host, path (never the query string), final status, attempts and latency.

use super::call_info::CallInfo;
use super::config::{Config, Inner};
use super::pacing::Account;
use super::rate_headers;
use super::rate_limit::RateLimitHint;
use super::response::Response;
use super::retry::parse_retry_after;
use super::status::{upstream_status, UpstreamStatus};
use crate::deadline::RequestDeadline;
use crate::tap::{Answer, Outgoing, Replayed};
use crate::upstream::CallGuard;
use crate::{Error, Secret};
use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::field::Empty;
use tracing::Instrument;

/// A call ready to go, as the request builder leaves it.
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    /// The deadline the caller gave the call, if any (the request's, when shorter, applies instead).
    pub(crate) deadline: Option<Instant>,
    pub(crate) idempotent: bool,
    pub(crate) secrets: Vec<Secret>,
    /// The service's field names mapped to the bridge's request's: `(email, data.email)`.
    pub(crate) fields: Vec<(String, String)>,
    /// The account the call's rate budget is counted in, when the call names it.
    pub(crate) budget_key: Option<String>,
}

/// Runs the call, retrying as the client's rules allow. Returns the last answer whatever its status, except
/// `429` and `503`, which become a `502` once retrying is over.
pub(crate) async fn execute(inner: &Inner, mut call: Prepared) -> Result<Response, Error> {
    let config = &inner.config;
    let (deadline, whose) = effective_deadline(call.deadline, crate::scope::deadline(), config.request_margin);
    call.deadline = deadline;
    let host = match (call.url.host_str(), call.url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    };
    let account = inner.budgets.enabled().then(|| {
        let host = call.url.host_str().unwrap_or("");
        inner.budgets.account(host, call.budget_key.as_deref(), &call.secrets)
    });
    let info = Arc::new(CallInfo {
        service: config.service.clone(),
        method: call.method.clone(),
        host,
        path: redacted_path(call.url.path(), &call.secrets),
        secrets: std::mem::take(&mut call.secrets),
        reader: config.error_reader.clone(),
        fields: std::mem::take(&mut call.fields),
    });
    let span = tracing::info_span!(
        "http_call",
        service = %info.service,
        method = %info.method,
        host = %info.host,
        path = %info.path,
        status = Empty,
        attempts = Empty,
        latency_ms = Empty,
    );
    let started = Instant::now();
    let mut attempts = 0;
    // Written in the request's ledger when the call is over, or dropped with the request's future.
    let accounted = crate::scope::ledger().map(|ledger| ledger.call());
    let accounting = Accounting { call: accounted.as_ref(), account };
    let result =
        attempt_until_done(inner, &call, whose, &info, &mut attempts, accounting).instrument(span.clone()).await;
    drop(accounted);
    span.record("attempts", attempts);
    span.record("latency_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    match &result {
        Ok(response) => {
            span.record("status", response.status().as_u16());
            tracing::info!(parent: &span, "external call answered");
        }
        Err(err) => {
            if let Some(status) = upstream_status(err) {
                span.record("status", status.as_u16());
            }
            tracing::warn!(parent: &span, error = %err, "external call failed");
        }
    }
    let status = match &result {
        Ok(response) => Some(response.status().as_u16()),
        Err(err) => upstream_status(err).map(|status| status.as_u16()),
    };
    crate::telemetry::upstream_call(&config.service, status, started.elapsed(), attempts.saturating_sub(1));
    result
}

/// Whose deadline bounds a call, for the messages that say it passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    /// The one given with [`deadline`](super::RequestBuilder::deadline) (or none at all).
    Call,
    /// The request's, less the client's margin: shorter than the call's own, or the only one.
    Request,
}

impl fmt::Display for Whose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Call => "the call's deadline",
            Self::Request => "the request's deadline",
        })
    }
}

/// The deadline a call runs under: its own, or the request's less `margin` when that comes first (a call may
/// shorten the request's deadline, never extend it).
fn effective_deadline(
    own: Option<Instant>,
    request: Option<RequestDeadline>,
    margin: Duration,
) -> (Option<Instant>, Whose) {
    match (own, request.map(|request| request.less_margin(margin))) {
        (Some(own), Some(request)) if request < own => (Some(request), Whose::Request),
        (None, Some(request)) => (Some(request), Whose::Request),
        (own, _) => (own, Whose::Call),
    }
}

/// Why another attempt is wanted.
enum Retry {
    Status(StatusCode),
    Transport(reqwest::Error),
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => write!(f, "{status}"),
            Self::Transport(err) if err.is_connect() => f.write_str("connection failed"),
            Self::Transport(_) => f.write_str("connection broke"),
        }
    }
}

async fn attempt_until_done(
    inner: &Inner,
    call: &Prepared,
    whose: Whose,
    info: &Arc<CallInfo>,
    attempts: &mut u32,
    accounting: Accounting<'_>,
) -> Result<Response, Error> {
    let config = &inner.config;
    // Retries so far: of 429s without Retry-After when the client has a RateLimit for them, and of the rest.
    let (mut limited_retries, mut other_retries) = (0u32, 0u32);
    loop {
        let mut timeout = config.timeout;
        let mut cut_by_deadline = false;
        if let Some(deadline) = call.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(deadline_passed(config, whose));
            }
            if left < timeout {
                timeout = left;
                cut_by_deadline = true;
            }
        }
        if let Some(account) = accounting.account {
            paced(inner, account, call.deadline, whose).await?;
            // The wait may have shortened what is left of the deadline.
            if let Some(deadline) = call.deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left < timeout {
                    timeout = left;
                    cut_by_deadline = true;
                }
            }
        }
        *attempts += 1;
        let began = Instant::now();
        let outcome = {
            let _round_trip = accounting.call.map(|call| call.attempt(*attempts > 1));
            attempt(inner, call, &info.secrets, timeout).await
        };
        let took = began.elapsed();
        let (retry, wait) = match outcome {
            Outcome::Answer(status, headers, body) => {
                // A 429's own rules (Retry-After, the RateLimit hint) decide its retry: only other answers pace.
                if let (Some(account), false) = (accounting.account, status == StatusCode::TOO_MANY_REQUESTS) {
                    inner.budgets.learn(account, rate_headers::read(&headers, SystemTime::now()), Instant::now());
                }
                if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
                    return Ok(Response::new(status, headers, body, info.clone()));
                }
                let asked = headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let retry = Retry::Status(status);
                match (&config.rate_limit, asked) {
                    (Some(rate_limit), None) if status == StatusCode::TOO_MANY_REQUESTS => {
                        if limited_retries >= rate_limit.max_retries {
                            return Err(give_up(config, retry, &after_attempts(*attempts)));
                        }
                        let wait = match rate_limit.wait(&headers, &body, limited_retries) {
                            RateLimitHint::GiveUp(why) => return Err(give_up(config, retry, &format!(": {why}"))),
                            RateLimitHint::Wait(wait) if wait > config.max_retry_after => {
                                let why = format!(", and its limit frees up in {wait:?}, longer than the bridge waits");
                                return Err(give_up(config, retry, &why));
                            }
                            RateLimitHint::Wait(wait) => wait,
                            RateLimitHint::Backoff => rate_limit.backoff.delay(limited_retries),
                        };
                        limited_retries += 1;
                        (retry, wait)
                    }
                    (_, asked) => {
                        if other_retries >= config.max_retries {
                            return Err(give_up(config, retry, &after_attempts(*attempts)));
                        }
                        let wait = match asked {
                            Some(asked) if asked > config.max_retry_after => {
                                let why = format!(", and asks to wait {asked:?}, longer than the bridge waits");
                                return Err(give_up(config, retry, &why));
                            }
                            Some(asked) => asked,
                            None => config.backoff.delay(other_retries),
                        };
                        other_retries += 1;
                        (retry, wait)
                    }
                }
            }
            Outcome::TimedOut if cut_by_deadline => return Err(deadline_passed(config, whose)),
            Outcome::TimedOut => {
                return Err(Error::timeout(format!("{} did not answer within {timeout:?}", config.service)))
            }
            Outcome::TooLarge => {
                return Err(Error::upstream(format!(
                    "{}'s answer is larger than the bridge reads ({} bytes)",
                    config.service, config.max_response_bytes
                )))
            }
            Outcome::NotRecorded(why) => return Err(Error::internal(why)),
            Outcome::Unsendable(err) => {
                return Err(Error::internal(format!("the call to {} cannot be sent", config.service)).with_source(err))
            }
            // A connection that could not be made carried nothing: safe to retry whatever the method.
            Outcome::Failed(err) if err.is_connect() || call.idempotent => {
                let retry = Retry::Transport(err);
                if other_retries >= config.max_retries {
                    return Err(give_up(config, retry, &after_attempts(*attempts)));
                }
                let wait = config.backoff.delay(other_retries);
                other_retries += 1;
                (retry, wait)
            }
            Outcome::Failed(err) => return Err(give_up(config, Retry::Transport(err), "")),
        };
        if let Some(deadline) = call.deadline {
            let now = Instant::now();
            if now >= deadline {
                return Err(deadline_passed(config, whose));
            }
            if now + wait >= deadline {
                let why = format!(", and waiting {wait:?} to try again would run past {whose}");
                return Err(give_up(config, retry, &why));
            }
            // An attempt that cannot finish is not started: the last one's length is the best guess of the next.
            if now + wait + took >= deadline {
                let why = format!(
                    ", and waiting {wait:?} for another attempt as long as the last ({took:?}) would run past {whose}"
                );
                return Err(give_up(config, retry, &why));
            }
        }
        tracing::warn!(
            attempt = *attempts,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            cause = %retry,
            "retrying the external call",
        );
        crate::telemetry::upstream_wait(&config.service, wait);
        // A cassette being replayed answers at once: its waits are counted, checked against the deadline, not slept.
        if !crate::scope::replaying() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// What a call's attempts are accounted in: the request's ledger, and the account whose rate budget paces them.
#[derive(Clone, Copy)]
struct Accounting<'a> {
    call: Option<&'a CallGuard>,
    account: Option<Account>,
}

/// Waits until the account's rate budget lets a call go: for the window's end when it is nearly spent (see
/// [`Pacing`](super::Pacing)). A wait the deadline (or, with none, the longest `Retry-After` the client waits for)
/// cannot hold fails the call at once, unsent.
async fn paced(inner: &Inner, account: Account, deadline: Option<Instant>, whose: Whose) -> Result<(), Error> {
    // A cassette being replayed answers at once, whatever rate windows its recorded answers announce.
    if crate::scope::replaying() {
        return Ok(());
    }
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

/// How one attempt ended.
enum Outcome {
    Answer(StatusCode, HeaderMap, Bytes),
    TimedOut,
    TooLarge,
    /// The request could not even be built (a URL scheme other than http or https, say): a bug, not retried.
    Unsendable(reqwest::Error),
    /// A cassette being replayed has no answer for the call: why (never sent to the network).
    NotRecorded(String),
    Failed(reqwest::Error),
}

impl From<reqwest::Error> for Outcome {
    fn from(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::TimedOut
        } else if err.is_builder() {
            Self::Unsendable(err.without_url())
        } else {
            Self::Failed(err.without_url())
        }
    }
}

/// One exchange, through the request's [tap](crate::tap) when it has one: answered from a cassette being replayed,
/// or sent and recorded.
async fn attempt(inner: &Inner, call: &Prepared, secrets: &[Secret], timeout: Duration) -> Outcome {
    let Some(active) = crate::scope::tap() else {
        return send(inner, call, timeout).await;
    };
    let outgoing = Outgoing {
        method: &call.method,
        url: call.url.as_str(),
        headers: &call.headers,
        body: call.body.as_deref(),
        secrets: secrets.iter().map(Secret::expose).collect(),
    };
    match active.tap.replay(&outgoing, &active.auth) {
        Some(Replayed::Answer(answer)) => Outcome::Answer(answer.status, answer.headers, answer.body),
        Some(Replayed::NoMatch(why)) => Outcome::NotRecorded(why),
        None => {
            let outcome = send(inner, call, timeout).await;
            if let Outcome::Answer(status, headers, body) = &outcome {
                let answer = Answer { status: *status, headers: headers.clone(), body: body.clone() };
                active.tap.record(&outgoing, &active.auth, &answer);
            }
            outcome
        }
    }
}

/// One exchange over the network, the answer's body read in full (so that the connection goes back to the pool)
/// within `timeout`.
async fn send(inner: &Inner, call: &Prepared, timeout: Duration) -> Outcome {
    let mut request = reqwest::Request::new(call.method.clone(), call.url.clone());
    *request.headers_mut() = call.headers.clone();
    crate::telemetry::propagate_trace(request.headers_mut());
    *request.body_mut() = call.body.clone().map(Into::into);
    *request.timeout_mut() = Some(timeout);
    let limit = inner.config.max_response_bytes;
    let exchange = async {
        let mut response = match inner.http.execute(request).await {
            Ok(response) => response,
            Err(err) => return err.into(),
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > limit => return Outcome::TooLarge,
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => return Outcome::Answer(status, headers, body.freeze()),
                Err(err) => return err.into(),
            }
        }
    };
    // reqwest applies the timeout too; this one makes sure it covers the whole body whatever reqwest does.
    tokio::time::timeout(timeout, exchange).await.unwrap_or(Outcome::TimedOut)
}

/// `path` with every credential of the call (as it is, and percent-encoded) replaced by `<redacted>`: a path can
/// carry one ([`secret_in_path`](super::RequestBuilder::secret_in_path)), and spans record paths.
fn redacted_path(path: &str, secrets: &[Secret]) -> String {
    let mut path = path.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let mut as_segment = Url::parse("http://segment/").expect("a valid URL");
        if let Ok(mut segments) = as_segment.path_segments_mut() {
            segments.push(secret.expose());
        }
        let encoded = &as_segment.path()[1..];
        path = path.replace(secret.expose(), "<redacted>").replace(encoded, "<redacted>");
    }
    path
}

/// `, after 3 attempts` (nothing after a single one), to end a give-up message.
fn after_attempts(attempts: u32) -> String {
    match attempts {
        1 => String::new(),
        n => format!(", after {n} attempts"),
    }
}

fn deadline_passed(config: &Config, whose: Whose) -> Error {
    Error::timeout(format!("{whose} passed before {} answered", config.service))
}

/// The error for a call that will not be tried again: `why` completes the message.
fn give_up(config: &Config, retry: Retry, why: &str) -> Error {
    let service = &config.service;
    match retry {
        Retry::Status(status) if status == StatusCode::TOO_MANY_REQUESTS => {
            Error::upstream(format!("{service} is rate-limiting the bridge ({status}){why}"))
                .with_source(UpstreamStatus(status))
        }
        Retry::Status(status) => {
            Error::upstream(format!("{service} is unavailable ({status}){why}")).with_source(UpstreamStatus(status))
        }
        Retry::Transport(err) if err.is_connect() => {
            Error::upstream(format!("could not connect to {service}{why}")).with_source(err)
        }
        Retry::Transport(err) => {
            Error::upstream(format!("the connection to {service} broke during the call{why}")).with_source(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earlier_deadline_wins() {
        let request = RequestDeadline::starting_now(Duration::from_secs(10));
        let margin = Duration::from_millis(250);
        let inherited = request.at - margin;
        assert_eq!(effective_deadline(None, None, margin), (None, Whose::Call));
        assert_eq!(effective_deadline(None, Some(request), margin), (Some(inherited), Whose::Request));
        // A call may shorten the request's deadline…
        let sooner = Instant::now() + Duration::from_secs(1);
        assert_eq!(effective_deadline(Some(sooner), Some(request), margin), (Some(sooner), Whose::Call));
        // … never extend it.
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(effective_deadline(Some(later), Some(request), margin), (Some(inherited), Whose::Request));
        assert_eq!(effective_deadline(Some(later), None, margin), (Some(later), Whose::Call));
    }

    /// Over loopback, with a fake that answers after 30 ms: a call retried once (two round trips), then three at
    /// once (one more), then one in a spawned task (not the request's).
    #[tokio::test]
    async fn a_requests_calls_are_accounted_with_the_round_trips_of_its_critical_path() {
        use crate::http::fake_service::{Behaviour, FakeService};
        use crate::http::{Backoff, Client};
        use crate::upstream::Ledger;

        let delay = Duration::from_millis(30);
        let fake = FakeService::start(Behaviour { delay, unavailable_first: 1, budget: None }).await;
        let client =
            Client::builder().backoff(Backoff::new(Duration::from_millis(5), Duration::from_millis(5))).build();
        let client = client.unwrap();
        let ledger = Arc::new(Ledger::default());
        let began = Instant::now();
        crate::scope::in_ledger(Arc::clone(&ledger), async {
            client.get(fake.at("retried")).send().await.unwrap();
            let (a, b, c) = tokio::join!(
                client.get(fake.at("a")).send(),
                client.get(fake.at("b")).send(),
                client.get(fake.at("c")).send()
            );
            for answer in [a, b, c] {
                answer.unwrap();
            }
            let elsewhere = client.get(fake.at("spawned"));
            tokio::spawn(elsewhere.send()).await.unwrap().unwrap();
        })
        .await;
        let took = began.elapsed();
        let cost = ledger.cost();
        assert_eq!(fake.calls(), 6);
        assert_eq!((cost.calls(), cost.retries(), cost.round_trips()), (4, 1, 3), "{cost}");
        // Three round trips of 30 ms waited, but not the spawned call's.
        assert!(cost.waited() >= delay * 3 && cost.waited() < took - delay + Duration::from_millis(1), "{cost}");
    }
}
