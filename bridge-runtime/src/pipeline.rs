//! One request through one endpoint, once the gate has routed it and read its body: decode the
//! envelope, call the handler under the endpoint's deadline (catching a panic; the deadline is set in the request's
//! [scope](crate::scope), for its external calls to end before it), and encode its answer, or its error
//! scrubbed of every value of the request's `auth`.
//!
//! This is the only generic part of a request's path: [`endpoint`] turns a handler into an [`EndpointFn`], one boxed
//! function from the body to the answer, so that the gate, which does everything else, is written once.

use crate::deadline::RequestDeadline;
use crate::decode::{auth_secrets, decode_request};
use crate::endpoint::EndpointInfo;
use crate::error::Error;
use crate::extract::RequestParts;
use crate::protocol::Envelope;
use crate::reply::{error_response, Reply, Response};
use crate::state::StateMap;
use crate::tap::Tap;
use crate::upstream::UpstreamCost;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// A mounted endpoint: the request's headers and body in, the answer out.
pub(crate) type EndpointFn = Arc<dyn Fn(HeaderMap, Bytes) -> BoxFuture<'static, Response> + Send + Sync>;

/// The error behind an answer (already scrubbed of auth values), for the request's log line.
#[derive(Clone)]
pub(crate) struct LoggedError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// The handler ran past the endpoint's deadline (a `504` of the bridge's own, not the external service's).
    pub(crate) deadline_expired: bool,
}

/// What an endpoint is mounted with, besides its handler.
pub(crate) struct Mounting {
    pub(crate) info: EndpointInfo,
    pub(crate) states: Arc<StateMap>,
    pub(crate) deadline: Duration,
    /// The bridge's recorder of external calls, when it records (`BRIDGE_RECORD`).
    pub(crate) tap: Option<Arc<dyn Tap>>,
}

/// The endpoint that answers with `handler`: it decodes the envelope `Envelope<A, M, D>`, calls `handler` with it
/// and the request's parts (for at most the deadline, building the author's own parameters included), and encodes
/// its answer or error.
///
/// Decoding and the call that makes the handler's future are synchronous, and done before anything is boxed: the
/// boxed future holds only the handler's future, its deadline and the body (to scrub an error of the request's
/// `auth`), not the request a second time.
pub(crate) fn endpoint<A, M, D, Out, H, Fut>(mounting: Mounting, handler: H) -> EndpointFn
where
    A: DeserializeOwned + Send + 'static,
    M: DeserializeOwned + Send + 'static,
    D: DeserializeOwned + Send + 'static,
    Out: Reply,
    H: Fn(Envelope<A, M, D>, RequestParts) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Out, Error>> + Send + 'static,
{
    let Mounting { info, states, deadline, tap } = mounting;
    Arc::new(move |headers: HeaderMap, body: Bytes| {
        let envelope = match decode_request::<A, M, D>(&body) {
            Ok(envelope) => envelope,
            Err(error) => return answered(Failure::Scrub(error).answer(&body)),
        };
        let parts = RequestParts { headers, body: body.clone(), states: Arc::clone(&states), endpoint: info };
        let Ok(handling) = std::panic::catch_unwind(AssertUnwindSafe(|| handler(envelope, parts))) else {
            return answered(Failure::Plain(panicked()).answer(&body));
        };
        // The endpoint's parts join the request's scope, which the gate opened: the deadline, for the `http`
        // client's calls to end before it…
        crate::scope::set_deadline(RequestDeadline::starting_now(deadline));
        // … and the tap that records or replays its calls, if any (nothing to do otherwise). The upstream ledger
        // is made by the first call, if there is one.
        #[cfg(feature = "client")]
        crate::scope::tap_for_request(tap.as_ref(), &body);
        #[cfg(not(feature = "client"))]
        let _no_calls_to_tap = &tap;
        let timed = tokio::time::timeout(deadline, AssertUnwindSafe(handling).catch_unwind());
        // (The handler's future is dropped before this runs: the calls it abandoned are in the ledger.)
        Box::pin(timed.map(move |outcome| {
            let failure = match outcome {
                Ok(Ok(Ok(out))) => return costed(out.into_response(), crate::scope::upstream_cost()),
                Ok(Ok(Err(error))) => Failure::Scrub(error),
                Ok(Err(_panic)) => Failure::Plain(panicked()),
                Err(_elapsed) => Failure::Expired(Error::timeout(format!(
                    "the bridge did not answer within its deadline of {} ms",
                    deadline.as_millis()
                ))),
            };
            costed(failure.answer(&body), crate::scope::upstream_cost())
        }))
    })
}

/// `response`, carrying what its request cost upstream when it made calls (an answer without it made none: a
/// response's first extension is an allocation, not paid by a request that calls nothing).
fn costed(mut response: Response, cost: UpstreamCost) -> Response {
    if cost.calls() > 0 {
        response.extensions_mut().insert(cost);
    }
    response
}

/// An answer known before the handler runs.
fn answered(response: Response) -> BoxFuture<'static, Response> {
    Box::pin(std::future::ready(response))
}

/// The error of a handler that panicked.
fn panicked() -> Error {
    Error::internal("the bridge failed while handling this request")
}

/// An error on its way out: one that may quote the request (the handler's, the decoder's) is scrubbed of its auth
/// values first.
enum Failure {
    Scrub(Error),
    Plain(Error),
    /// The handler's deadline passed.
    Expired(Error),
}

impl Failure {
    fn answer(self, body: &[u8]) -> Response {
        let error = match self {
            Failure::Scrub(mut error) => {
                error.redact(&auth_secrets(body));
                error
            }
            Failure::Plain(error) => error,
            Failure::Expired(error) => {
                let mut response = logged(&error);
                if let Some(logged) = response.extensions_mut().get_mut::<LoggedError>() {
                    logged.deadline_expired = true;
                }
                return response;
            }
        };
        logged(&error)
    }
}

/// `error`'s answer, carrying what the request's log line says of it.
pub(crate) fn logged(error: &Error) -> Response {
    let mut response = error_response(error);
    response.extensions_mut().insert(LoggedError {
        code: error.kind().code(),
        message: error.message().to_owned(),
        deadline_expired: false,
    });
    response
}
