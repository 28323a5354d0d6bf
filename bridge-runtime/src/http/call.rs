//! Carrying out one call: the attempts, the waits between them, the deadline, and the span that records it all.
//!
//! It exists to keep the one loop with real consequences in one place: it decides whether an answer or a
//! failure is worth another attempt, never retries what the service may have acted on (a `POST` whose
//! connection broke), never sleeps past the caller's deadline, and reports each call as one `tracing` span with
//! its method, host, path (never the query string), final status, attempts and latency.
//!
//! The loop ([`Attempts::until_done`]) reads as its decisions, each a method of its own: whether an attempt may
//! start and how long it has ([`time_for_attempt`](Attempts::time_for_attempt), after the rate budget's wait),
//! the attempt ([`attempt`](Attempts::attempt), over the call's [`Transport`]: the network, a recorder, or a
//! cassette being replayed, which is one more transport and no special case here), what its outcome means
//! ([`verdict`](Attempts::verdict)), and whether a retry's wait fits the deadline
//! ([`wait_to_retry`](Attempts::wait_to_retry)). How long to wait is [`wait`]'s.

use super::call_info::CallInfo;
use super::config::{Config, Inner};
use super::exchange::{Outcome, Prepared, Transport};
use super::response::Response;
use super::status::{upstream_status, UpstreamStatus};
use super::wait::pacing::Account;
use super::wait::{self, rate_headers, Next, Retries};
use crate::deadline::RequestDeadline;
use crate::upstream::CallGuard;
use crate::{Error, Secret};
use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::field::Empty;
use tracing::Instrument;

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
    let transport = Transport::of_this_request();
    let account = transport.spends_budget(&inner.budgets).then(|| {
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
    let run = Attempts { inner, call: &call, whose, info: &info, transport, ledger: accounted.as_ref(), account };
    let result = run.until_done(&mut attempts).instrument(span.clone()).await;
    drop(run);
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

/// One call's attempts, and what they share: the call, whose deadline bounds it, how its attempts reach the
/// service, and what they are accounted in (the request's ledger, the account whose rate budget paces them).
struct Attempts<'a> {
    inner: &'a Inner,
    call: &'a Prepared,
    whose: Whose,
    info: &'a Arc<CallInfo>,
    transport: Transport,
    ledger: Option<&'a CallGuard>,
    account: Option<Account>,
}

/// The time an attempt has: the client's timeout, or what is left of the deadline when that is shorter.
#[derive(Clone, Copy)]
struct Timeout {
    length: Duration,
    cut_by_deadline: bool,
}

/// What an attempt's outcome means for the call.
enum Verdict {
    Answered(Response),
    Failed(Error),
    Again { cause: Retry, wait: Duration },
}

impl Attempts<'_> {
    /// Attempts the call until an answer, an error, or the rules and the deadline allow no more.
    async fn until_done(&self, attempts: &mut u32) -> Result<Response, Error> {
        let mut retries = Retries::default();
        loop {
            let timeout = self.time_for_attempt().await?;
            *attempts += 1;
            let began = Instant::now();
            let outcome = self.attempt(timeout, *attempts).await;
            match self.verdict(outcome, timeout, &mut retries, *attempts) {
                Verdict::Answered(response) => return Ok(response),
                Verdict::Failed(err) => return Err(err),
                Verdict::Again { cause, wait } => self.wait_to_retry(cause, wait, began.elapsed(), *attempts).await?,
            }
        }
    }

    /// Whether another attempt may start, and how long it has: none once the deadline has passed; otherwise after
    /// the rate budget's wait, if any, the client's timeout cut to what is left of the deadline.
    async fn time_for_attempt(&self) -> Result<Timeout, Error> {
        let config = &self.inner.config;
        let left = || self.call.deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        if left().is_some_and(|left| left.is_zero()) {
            return Err(deadline_passed(config, self.whose));
        }
        if let Some(account) = self.account {
            wait::for_budget(self.inner, account, self.call.deadline, self.whose).await?;
        }
        Ok(match left() {
            Some(left) if left < config.timeout => Timeout { length: left, cut_by_deadline: true },
            _ => Timeout { length: config.timeout, cut_by_deadline: false },
        })
    }

    /// One attempt over the call's transport, a round trip of the request's ledger.
    async fn attempt(&self, timeout: Timeout, number: u32) -> Outcome {
        let _round_trip = self.ledger.map(|call| call.attempt(number > 1));
        self.transport.exchange(self.inner, self.call, &self.info.secrets, timeout.length).await
    }

    /// What an attempt's outcome means: an answer, an error, or another attempt after a wait.
    fn verdict(&self, outcome: Outcome, timeout: Timeout, retries: &mut Retries, attempts: u32) -> Verdict {
        let config = &self.inner.config;
        match outcome {
            Outcome::Answer(status, headers, body) => self.answered(status, headers, body, retries, attempts),
            Outcome::TimedOut if timeout.cut_by_deadline => Verdict::Failed(deadline_passed(config, self.whose)),
            Outcome::TimedOut => Verdict::Failed(Error::timeout(format!(
                "{} did not answer within {:?}",
                config.service, timeout.length
            ))),
            Outcome::TooLarge => Verdict::Failed(Error::upstream(format!(
                "{}'s answer is larger than the bridge reads ({} bytes)",
                config.service, config.max_response_bytes
            ))),
            Outcome::NotRecorded(why) => Verdict::Failed(Error::internal(why)),
            Outcome::Unsendable(err) => Verdict::Failed(
                Error::internal(format!("the call to {} cannot be sent", config.service)).with_source(err),
            ),
            // A connection that could not be made carried nothing: safe to retry whatever the method.
            Outcome::Failed(err) if err.is_connect() || self.call.idempotent => {
                again(config, Retry::Transport(err), retries.after_failure(config, attempts))
            }
            Outcome::Failed(err) => Verdict::Failed(give_up(config, Retry::Transport(err), "")),
        }
    }

    /// An answer: the call's, unless it is a `429` or a `503`, which the rules may retry. Every other answer
    /// tells the account's rate budget (a `429`'s own rules, `Retry-After` and the `RateLimit` hint, decide its
    /// retry).
    fn answered(
        &self,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        retries: &mut Retries,
        attempts: u32,
    ) -> Verdict {
        let config = &self.inner.config;
        if let (Some(account), false) = (self.account, status == StatusCode::TOO_MANY_REQUESTS) {
            self.inner.budgets.learn(account, rate_headers::read(&headers, SystemTime::now()), Instant::now());
        }
        if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
            return Verdict::Answered(Response::new(status, headers, body, self.info.clone()));
        }
        let next = retries.after_answer(config, status, &headers, &body, attempts);
        again(config, Retry::Status(status), next)
    }

    /// Waits `wait` before the next attempt, unless the deadline has passed, or the wait, or the wait and an
    /// attempt as long as the last (`took`: the best guess of the next), would run past it.
    async fn wait_to_retry(&self, cause: Retry, wait: Duration, took: Duration, attempts: u32) -> Result<(), Error> {
        let (config, whose) = (&self.inner.config, self.whose);
        if let Some(deadline) = self.call.deadline {
            let now = Instant::now();
            if now >= deadline {
                return Err(deadline_passed(config, whose));
            }
            if now + wait >= deadline {
                let why = format!(", and waiting {wait:?} to try again would run past {whose}");
                return Err(give_up(config, cause, &why));
            }
            if now + wait + took >= deadline {
                let why = format!(
                    ", and waiting {wait:?} for another attempt as long as the last ({took:?}) would run past {whose}"
                );
                return Err(give_up(config, cause, &why));
            }
        }
        tracing::warn!(
            attempt = attempts,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            cause = %cause,
            "retrying the external call",
        );
        crate::telemetry::upstream_wait(&config.service, wait);
        self.transport.pause(wait).await;
        Ok(())
    }
}

/// Another attempt after the wait the rules give, or the error that ends the call.
fn again(config: &Config, cause: Retry, next: Next) -> Verdict {
    match next {
        Next::After(wait) => Verdict::Again { cause, wait },
        Next::GiveUp(why) => Verdict::Failed(give_up(config, cause, &why)),
    }
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
