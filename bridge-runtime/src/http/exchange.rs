//! How a call's attempts reach the service ([`Transport`]): over the network, over the network with each answer
//! written down (a request being recorded), or answered from a cassette (a request being replayed), and what one
//! attempt came to ([`Outcome`]).
//!
//! It exists so that the call's loop does not ask which one it has: a replay is one more transport, whose
//! attempts never touch the network, whose time does not pass (a wait between attempts is counted, and checked
//! against the deadline, but not slept: the cassette answers at once) and which spends no rate budget (the
//! windows its recorded answers announce are another day's).

use super::config::Inner;
use super::wait::pacing::Budgets;
use crate::tap::{Active, Answer, Outgoing, Replayed};
use crate::Secret;
use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use std::time::{Duration, Instant};

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

/// How the attempts of a call reach the service, chosen once per call from the request's tap.
pub(super) enum Transport {
    /// The network.
    Network,
    /// The network, each answer written to the request's recorder.
    Recorded(Active),
    /// The cassette being replayed: never the network.
    Replayed(Active),
}

impl Transport {
    /// The transport of the request being handled on this task (the network outside a request).
    pub(super) fn of_this_request() -> Self {
        match crate::scope::tap() {
            None => Self::Network,
            Some(active) if crate::scope::replaying() => Self::Replayed(active),
            Some(active) => Self::Recorded(active),
        }
    }

    /// Whether the call's attempts spend the service's rate budget (`budgets` paces them).
    pub(super) fn spends_budget(&self, budgets: &Budgets) -> bool {
        budgets.enabled() && !matches!(self, Self::Replayed(_))
    }

    /// One attempt of `call`, within `timeout`.
    pub(super) async fn exchange(
        &self,
        inner: &Inner,
        call: &Prepared,
        secrets: &[Secret],
        timeout: Duration,
    ) -> Outcome {
        let active = match self {
            Self::Network => return send(inner, call, timeout).await,
            Self::Recorded(active) | Self::Replayed(active) => active,
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

    /// Lets `wait` pass before the next attempt: a replay's time stands still.
    pub(super) async fn pause(&self, wait: Duration) {
        if !matches!(self, Self::Replayed(_)) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// How one attempt ended.
pub(super) enum Outcome {
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
