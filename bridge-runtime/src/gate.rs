//! The one path every request takes, whoever delivers it — the bridge's own accept loop, a server the bridge is
//! mounted in, or the in-process test client — through [`BridgeService`](crate::BridgeService):
//!
//! 1. the request gets its id (the caller's `X-Request-Id` when sane), carried by every log line and error body;
//! 2. past the bound on requests in flight, it is shed at once: `503` with `Retry-After`;
//! 3. without the bridge's own inbound token (when one is set), it is refused: `403` (never `401`, which would make
//!    Talkdesk refresh the user's OAuth token), except on the probes' paths (`/health`, `/ready`);
//! 4. it is routed by its exact path: to an endpoint (`POST` only, a JSON body under the body limit, then the
//!    [pipeline](crate::pipeline)), to one of the bridge's own routes (`GET /health`, `/ready`, `/metrics`, `/configuration`), or
//!    answered `404`;
//! 5. its answer is stamped with `X-Request-Id` and logged, one line per request, and counted in the bridge's
//!    [metrics](crate::telemetry::metrics) (a few atomic additions).
//!
//! A valid W3C `traceparent` is kept for the request's [scope](crate::scope), so that the external calls it
//! makes carry it on; its trace id joins the request id on the request's log lines.
//!
//! Every refusal is a JSON error body, like the endpoints' own.

use crate::endpoint::{EndpointInfo, EndpointKind};
use crate::error::{Error, ErrorKind};
use crate::memory::Recall;
use crate::own_routes::{OwnRoutes, OPEN_PATHS};
use crate::pipeline::{logged, EndpointFn, LoggedError};
use crate::reply::{PageContacts, Response};
use crate::request_id::{self, LinePart, RequestId, TraceId};
use crate::scope::{self, RequestScope};
use crate::secret::Secret;
use crate::telemetry::{EndpointMetrics, Metrics, TraceContext};
use crate::upstream::UpstreamCost;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{header, HeaderValue, Method, Request};
use http_body::Body;
use http_body_util::BodyExt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use tracing::Span;

/// An error of any body type, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long an overloaded bridge asks callers to wait, in seconds.
const RETRY_AFTER_SECONDS: &str = "1";

/// An endpoint, by its path.
pub(crate) struct EndpointRoute {
    pub(crate) info: EndpointInfo,
    pub(crate) call: EndpointFn,
    pub(crate) metrics: EndpointMetrics,
}

/// Everything a request is checked against and routed to.
pub(crate) struct Gate {
    pub(crate) endpoints: Vec<EndpointRoute>,
    pub(crate) own: OwnRoutes,
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) token: Option<Secret>,
    pub(crate) body_limit: usize,
    pub(crate) max_header_bytes: usize,
    pub(crate) metrics: Arc<Metrics>,
    /// The metrics of requests on any other path (`endpoint="other"`).
    pub(crate) other: EndpointMetrics,
    /// Set when the bridge drains before shutting down: `GET /ready` answers `503`.
    pub(crate) draining: Arc<std::sync::atomic::AtomicBool>,
}

impl Gate {
    /// Answers `request`, whatever happens: every failure is an answer.
    ///
    /// Everything that can be decided from the request's head is decided here, at once: a refusal, or an answer
    /// of the bridge's own, is [`Handled::Now`]. Only a request admitted to an endpoint becomes a future
    /// ([`Handled::Later`]), and that future holds only what is left to do: read the body, call the endpoint,
    /// count and log the answer. It is kept small on purpose: it is moved into a box on every request, and each
    /// layer of `async fn` around it would hold the request once more (an `async fn` keeps its arguments for its
    /// whole life, beside the futures it awaits).
    pub(crate) fn handle<B>(self: &Arc<Self>, request: Request<B>) -> Handled<impl Future<Output = Response>>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let started = Instant::now();
        let id = RequestId::from_headers(request.headers());
        let trace = TraceContext::from_headers(request.headers());
        let (span, on_lines) = request_span(&id, trace.as_ref());
        let path = request.uri().path();
        let index = self.endpoints.iter().position(|route| route.info.path == path);
        let route = index.map(|index| &self.endpoints[index]);
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            let response = now(id, &span, on_lines, || {
                let mut response = refuse(Error::new(
                    ErrorKind::Overloaded,
                    "the bridge is at its limit of requests in flight: retry shortly",
                ));
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
                response
            });
            self.metrics_of(route).shed(response.status().as_u16(), ErrorKind::Overloaded.code());
            return Handled::Now(response);
        };
        let answered = |response: Response| {
            self.count(route, &response, started.elapsed());
            Handled::Now(response)
        };
        if let Err(error) = self.at_the_door(&request) {
            return answered(now(id, &span, on_lines, || refuse(error)));
        }
        let Some(index) = index else {
            return answered(now(id, &span, on_lines, || self.own_route(&request)));
        };
        let route = &self.endpoints[index];
        let declared = match self.declared_body(&request) {
            Ok(declared) => declared,
            Err(error) => {
                return answered(now(id, &span, on_lines, || {
                    let response = logged(&error);
                    log_request(&route.info, &response, started.elapsed());
                    response
                }))
            }
        };
        let (parts, body) = request.into_parts();
        let headers = parts.headers;
        let gate = Arc::clone(self);
        let work = async move {
            let route = &gate.endpoints[index];
            let _in_flight = route.metrics.start();
            let response = match read_body(body, declared, gate.body_limit).await {
                Ok(body) => (route.call)(headers, body).await,
                Err(error) => logged(&error),
            };
            let took = started.elapsed();
            log_request(&route.info, &response, took);
            gate.count(Some(route), &response, took);
            drop(permit);
            response
        };
        let request = RequestScope::of_request(id, on_lines);
        #[cfg(feature = "client")]
        let request = request.with_calls(trace, Arc::clone(&self.metrics) as _);
        Handled::Later(Answering { work: scope::open(request, work), span })
    }

    /// The metrics a request to `route` is counted in: its endpoint's, or those of the other paths.
    fn metrics_of<'a>(&'a self, route: Option<&'a EndpointRoute>) -> &'a EndpointMetrics {
        route.map_or(&self.other, |route| &route.metrics)
    }

    /// Counts an answer in the metrics of its endpoint (or of the other paths).
    fn count(&self, route: Option<&EndpointRoute>, response: &Response, took: Duration) {
        let metrics = self.metrics_of(route);
        let error = response.extensions().get::<LoggedError>();
        metrics.answered(response.status().as_u16(), error.map(|error| error.code), took);
        if error.is_some_and(|error| error.deadline_expired) {
            metrics.deadline_expired();
        }
        let cost = response.extensions().get::<UpstreamCost>().copied().unwrap_or_default();
        metrics.upstream(cost.calls(), cost.round_trips());
        if let (Some(route), Some(recall)) = (route, response.extensions().get::<Recall>()) {
            self.metrics.store_answer(route.info.path, recall.as_str());
        }
        if route.is_some_and(|route| route.info.kind == EndpointKind::ContactSync) {
            if let Some(PageContacts(contacts)) = response.extensions().get::<PageContacts>() {
                metrics.contacts(*contacts);
            }
        }
    }

    /// Refuses a request whose head is too large, or that lacks the bridge's token (on any path but the probes').
    fn at_the_door<B>(&self, request: &Request<B>) -> Result<(), Error> {
        if head_size(request) > self.max_header_bytes {
            return Err(Error::new(
                ErrorKind::HeadersTooLarge,
                format!("the request's headers are larger than the limit of {} bytes", self.max_header_bytes),
            ));
        }
        if let Some(token) = &self.token {
            if !OPEN_PATHS.contains(&request.uri().path()) && !presents(request, token) {
                return Err(Error::new(
                    ErrorKind::Forbidden,
                    "this bridge requires its token: `Authorization: Bearer <token>` or `?token=<token>`",
                ));
            }
        }
        Ok(())
    }

    /// The answer of one of the bridge's own routes (`GET` only), or `404`.
    fn own_route<B>(&self, request: &Request<B>) -> Response {
        match self.own.find(request.uri().path()) {
            Some(route) if request.method() == Method::GET => (route.answer)(request.headers()),
            Some(_) => refuse(not_allowed()),
            None => refuse(Error::new(ErrorKind::NotFound, "no endpoint answers on this path")),
        }
    }

    /// Checks a request to an endpoint before its body is read: `POST`, declared as JSON (or not declared), not
    /// declared larger than the body limit. Gives the declared length, if any.
    fn declared_body<B>(&self, request: &Request<B>) -> Result<Option<u64>, Error> {
        if request.method() != Method::POST {
            return Err(not_allowed());
        }
        let headers = request.headers();
        if let Some(value) = headers.get(header::CONTENT_TYPE) {
            let media = value.to_str().map_err(|_| invalid_header(header::CONTENT_TYPE))?;
            if media.parse::<MediaType>() == Ok(MediaType::Other) {
                return Err(Error::new(
                    ErrorKind::UnsupportedMediaType,
                    "the request body must be JSON (`Content-Type: application/json`)",
                ));
            }
        }
        let declared = match headers.get(header::CONTENT_LENGTH) {
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(|text| text.parse::<u64>().ok())
                    .ok_or_else(|| invalid_header(header::CONTENT_LENGTH))?,
            ),
            None => None,
        };
        if declared.is_some_and(|declared| declared > self.body_limit as u64) {
            return Err(too_large(self.body_limit));
        }
        Ok(declared)
    }
}

/// How the gate handled a request: answered at once, or admitted to an endpoint and still being answered.
pub(crate) enum Handled<F> {
    Now(Response),
    Later(Answering<F>),
}

pin_project_lite::pin_project! {
    /// A request admitted to an endpoint, being answered: its work runs in the request's [scope](crate::scope)
    /// and span, and its answer gets the request's id as `X-Request-Id`.
    pub(crate) struct Answering<F> {
        #[pin]
        work: scope::Scoped<F>,
        span: Span,
    }
}

impl<F: Future<Output = Response>> Future for Answering<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        let (response, scope) = {
            let _entered = this.span.enter();
            std::task::ready!(this.work.poll(cx))
        };
        match scope.id {
            Some(id) => Poll::Ready(stamped(response, id)),
            None => Poll::Ready(response),
        }
    }
}

/// The request's span, `request{id=… trace_id=…}`, which the lines logged while it is handled show; or, when the
/// subscriber writes that part of a line itself from the request's scope (the default logs, see
/// [`request_id::WritesRequestPart`]), no span and what the part shows, if lines of `bridge::request` at `info`
/// are on. (The trace id is given at once: a field recorded later would be merged into the span's fields.)
pub(crate) fn request_span(id: &RequestId, trace: Option<&TraceContext>) -> (Span, Option<LinePart>) {
    if tracing::level_enabled!(tracing::Level::INFO) && request_id::subscriber_writes_request_part() {
        let shown = tracing::enabled!(target: "bridge::request", tracing::Level::INFO);
        let part = shown.then(|| LinePart { trace_id: trace.and_then(|trace| TraceId::new(trace.trace_id())) });
        return (Span::none(), part);
    }
    let trace_id = trace.map(|trace| tracing::field::display(trace.trace_id()));
    (tracing::info_span!(target: "bridge::request", "request", id = %id, trace_id), None)
}

/// An answer given at once, within the request's scope and span (its log line and error body carry the id), with
/// its `X-Request-Id`.
fn now(id: RequestId, span: &Span, on_lines: Option<LinePart>, answer: impl FnOnce() -> Response) -> Response {
    let _entered = span.enter();
    stamped(scope::sync(id.clone(), on_lines, answer), id)
}

/// `response`, with the request's id as `X-Request-Id`.
fn stamped(mut response: Response, id: RequestId) -> Response {
    response.headers_mut().insert(request_id::HEADER_NAME.clone(), id.into_header_value());
    response
}

/// The size of a request's head as it came on the wire (HTTP/1.1): request line, and each header as
/// `name: value\r\n`. Measured without allocating: it runs on every request.
fn head_size<B>(request: &Request<B>) -> usize {
    let uri = request.uri();
    let target = uri.path_and_query().map_or(1, |target| target.as_str().len())
        + uri.scheme_str().map_or(0, |scheme| scheme.len() + 3)
        + uri.authority().map_or(0, |authority| authority.as_str().len());
    let line = request.method().as_str().len() + target + 12;
    request.headers().iter().fold(line, |total, (name, value)| total + name.as_str().len() + value.len() + 4)
}

fn not_allowed() -> Error {
    Error::new(ErrorKind::MethodNotAllowed, "this endpoint answers POST only (GET for /health)")
}

fn invalid_header(name: header::HeaderName) -> Error {
    Error::invalid_input(format!("the `{name}` header is not valid"))
}

fn too_large(limit: usize) -> Error {
    Error::new(ErrorKind::PayloadTooLarge, format!("the request body is larger than the limit of {limit} bytes"))
}

/// A refusal before any endpoint: logged without the path, which may be anything.
fn refuse(error: Error) -> Response {
    tracing::warn!(target: "bridge::request", status = error.status(), code = error.kind().code(), "refused");
    logged(&error)
}

/// The declared `Content-Type` of a request, classified without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    Json,
    Other,
}

impl FromStr for MediaType {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let essence = value.split(';').next().unwrap_or("").trim();
        let json = essence.eq_ignore_ascii_case("application/json")
            || essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case("+json");
        Ok(if json { Self::Json } else { Self::Other })
    }
}

/// Reads a whole body, refusing it as soon as it passes `limit`. A body in one chunk is not copied.
async fn read_body<B>(body: B, declared: Option<u64>, limit: usize) -> Result<Bytes, Error>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.as_mut().frame().await {
        let frame = frame.map_err(|err| {
            Error::invalid_input(format!("the request body could not be read: {}", Into::<BoxError>::into(err)))
        })?;
        let Ok(mut chunk) = frame.into_data() else { continue };
        total += chunk.remaining();
        if total > limit {
            return Err(too_large(limit));
        }
        match &first {
            None if rest.is_empty() => first = Some(chunk.copy_to_bytes(chunk.remaining())),
            _ => {
                if rest.is_empty() {
                    let capacity = declared.map_or(total, |d| d as usize).max(total);
                    rest.reserve(capacity);
                    rest.put(first.take().unwrap_or_default());
                }
                rest.put(chunk);
            }
        }
    }
    Ok(if rest.is_empty() { first.unwrap_or_default() } else { rest.freeze() })
}

/// The request's log line: its endpoint, status and latency, what it cost upstream, and the error's code and
/// (scrubbed) message.
fn log_request(info: &EndpointInfo, response: &Response, took: Duration) {
    let status = response.status().as_u16();
    let latency_us = took.as_micros() as u64;
    let upstream = response.extensions().get::<UpstreamCost>().copied().unwrap_or_default();
    let (upstream_calls, upstream_round_trips) = (upstream.calls(), upstream.round_trips());
    let upstream_ms = upstream.waited().as_millis() as u64;
    // Only endpoints that remember (dedupe, cache) say how: `store=hit|miss|unavailable`.
    let store = response.extensions().get::<Recall>().map(|recall| recall.as_str());
    match response.extensions().get::<LoggedError>() {
        None => tracing::info!(
            target: "bridge::request",
            path = info.path,
            handler = info.handler,
            status,
            latency_us,
            upstream_calls,
            upstream_round_trips,
            upstream_ms,
            store,
            "answered"
        ),
        Some(error) if status >= 500 => tracing::error!(
            target: "bridge::request",
            path = info.path,
            handler = info.handler,
            status,
            latency_us,
            upstream_calls,
            upstream_round_trips,
            upstream_ms,
            store,
            code = error.code,
            error = %error.message,
            "failed"
        ),
        Some(error) => tracing::warn!(
            target: "bridge::request",
            path = info.path,
            handler = info.handler,
            status,
            latency_us,
            upstream_calls,
            upstream_round_trips,
            upstream_ms,
            store,
            code = error.code,
            error = %error.message,
            "refused"
        ),
    }
}

/// Whether the request carries `token`, as a bearer token or a `token` query parameter (Talkdesk can only be
/// given a URL). Compared in constant time.
fn presents<B>(request: &Request<B>, token: &Secret) -> bool {
    let expected = token.expose().as_bytes();
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(|given| bool::from(given.trim().as_bytes().ct_eq(expected)))
        .unwrap_or(false);
    let query = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("token="))
        .any(|given| percent_decode(given).is_some_and(|given| bool::from(given.as_slice().ct_eq(expected))));
    bearer | query
}

/// Decodes `%XX` escapes and `+` (as in form-encoded queries). `None` on a broken escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use http_body_util::StreamBody;

    fn request(uri: &str, authorization: Option<&str>) -> Request<()> {
        let mut builder = Request::builder().uri(uri);
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn accepts_the_token_as_bearer_or_query_parameter() {
        let token = Secret::new("s3cr et/+");
        assert!(presents(&request("/contact_sync", Some("Bearer s3cr et/+")), &token));
        assert!(presents(&request("/contact_sync?a=1&token=s3cr%20et%2F%2B", None), &token));
        assert!(presents(&request("/contact_sync?token=s3cr+et/%2B", None), &token));
    }

    #[test]
    fn refuses_missing_wrong_and_partial_tokens() {
        let token = Secret::new("s3cret");
        assert!(!presents(&request("/contact_sync", None), &token));
        assert!(!presents(&request("/contact_sync", Some("Bearer s3cre")), &token));
        assert!(!presents(&request("/contact_sync", Some("Basic s3cret")), &token));
        assert!(!presents(&request("/contact_sync?token=s3cret2", None), &token));
        assert!(!presents(&request("/contact_sync?xtoken=s3cret", None), &token));
        assert!(!presents(&request("/contact_sync?token=%zz", None), &token));
    }

    #[test]
    fn measures_the_head_as_sent() {
        let request = Request::builder().method("POST").uri("/a").header("x-a", "bc").body(()).unwrap();
        // "POST /a HTTP/1.1\r\n" + "x-a: bc\r\n"
        assert_eq!(head_size(&request), 4 + 2 + 12 + 3 + 2 + 4);
        let absolute = Request::builder().uri("http://h:1/a?b=1").body(()).unwrap();
        assert_eq!(head_size(&absolute), 3 + "http://h:1/a?b=1".len() + 12);
    }

    #[test]
    fn classifies_media_types() {
        for json in ["application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"] {
            assert_eq!(json.parse::<MediaType>().unwrap(), MediaType::Json, "{json}");
        }
        for other in ["text/plain", "application/x-www-form-urlencoded", "json", ""] {
            assert_eq!(other.parse::<MediaType>().unwrap(), MediaType::Other, "{other}");
        }
    }

    fn chunks(parts: &[&'static [u8]]) -> impl Body<Data = Bytes, Error = std::convert::Infallible> {
        let frames = parts.iter().map(|part| Ok(http_body::Frame::data(Bytes::from_static(part))));
        StreamBody::new(futures_util::stream::iter(frames.collect::<Vec<_>>()))
    }

    /// A gate with one endpoint, on `/echo`, that answers its body, and `GET /health`.
    fn echo_gate() -> Gate {
        let metrics = Arc::new(Metrics::default());
        let info = EndpointInfo { kind: EndpointKind::Action, path: "/echo", handler: "echo", action: Some("echo") };
        let call: EndpointFn = Arc::new(|_headers, body| {
            Box::pin(std::future::ready(crate::reply::json_response(http::StatusCode::OK, body)))
        });
        Gate {
            endpoints: vec![EndpointRoute { info, call, metrics: metrics.endpoint("/echo", false) }],
            own: OwnRoutes::of(vec![crate::own_routes::OwnRoute {
                path: "/health",
                answer: Box::new(|_: &HeaderMap| crate::reply::json_response(http::StatusCode::OK, Bytes::new())),
            }]),
            in_flight: Arc::new(Semaphore::new(4)),
            token: None,
            body_limit: 1024,
            max_header_bytes: 1024,
            other: metrics.endpoint(crate::telemetry::OTHER, false),
            metrics,
            draining: Arc::default(),
        }
    }

    fn post(path: &str, body: &'static str) -> Request<http_body_util::Full<Bytes>> {
        Request::post(path).header("x-request-id", "r-1").body(http_body_util::Full::new(Bytes::from(body))).unwrap()
    }

    #[tokio::test]
    async fn an_admitted_request_is_a_small_future_that_answers_with_its_id() {
        let gate = Arc::new(echo_gate());
        let Handled::Later(answering) = gate.handle(post("/echo", "{}")) else { panic!("the request was admitted") };
        // It is moved into a box on every request: it held 5.8 KB when each layer was an `async fn` taking the
        // request (in a release build; more in a debug one).
        let size = std::mem::size_of_val(&answering);
        assert!(size <= 1024, "the future of an admitted request holds {size} bytes");
        let response = answering.await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[request_id::HEADER], "r-1");
        assert_eq!(response.into_body().into_bytes(), &b"{}"[..]);
    }

    fn get(path: &str) -> Request<http_body_util::Full<Bytes>> {
        Request::get(path).header("x-request-id", "r-1").body(Default::default()).unwrap()
    }

    /// A request to `/echo` declaring a body of `length` bytes, with a body of `body` bytes.
    fn declaring(length: usize, body: usize) -> Request<http_body_util::Full<Bytes>> {
        let mut request = post("/echo", "");
        *request.body_mut() = http_body_util::Full::new(Bytes::from(vec![b' '; body]));
        request.headers_mut().insert(header::CONTENT_LENGTH, length.into());
        request
    }

    #[tokio::test]
    async fn what_the_head_decides_is_answered_at_once_with_the_id() {
        let gate = Arc::new(echo_gate());
        // (request, status, answered at once)
        for (request, status, now) in [
            (post("/nowhere", "{}"), 404, true),
            (get("/echo"), 405, true),
            (get("/health"), 200, true),
            (post("/health", "{}"), 405, true),
            // Declared larger than the limit: refused before the body is read, whatever it really is.
            (declaring(1025, 2), 413, true),
            (declaring(1024, 1024), 200, false),
            (post("/echo", "{}"), 200, false),
        ] {
            let response = match gate.handle(request) {
                Handled::Now(response) => {
                    assert!(now, "a request that should be admitted was answered {}", response.status());
                    response
                }
                Handled::Later(answering) => {
                    assert!(!now, "a {status} is answered at once");
                    answering.await
                }
            };
            assert_eq!(response.status(), status);
            assert_eq!(response.headers()[request_id::HEADER], "r-1");
        }
    }

    #[test]
    fn a_head_of_exactly_the_limit_passes_and_one_byte_more_does_not() {
        let request = post("/echo", "{}");
        let size = head_size(&request);
        let gate = Arc::new(Gate { max_header_bytes: size, ..echo_gate() });
        assert!(matches!(gate.handle(post("/echo", "{}")), Handled::Later(_)));
        let mut longer = post("/echo", "{}");
        longer.headers_mut().insert("x-a", HeaderValue::from_static(""));
        assert_eq!(head_size(&longer), size + 7);
        let Handled::Now(response) = gate.handle(longer) else { panic!("a head over the limit is refused at once") };
        assert_eq!(response.status(), 431);
    }

    #[tokio::test]
    async fn reads_chunked_bodies_under_the_limit() {
        assert_eq!(read_body(chunks(&[b"{\"a\":", b"1}"]), None, 100).await.unwrap(), &b"{\"a\":1}"[..]);
        assert_eq!(read_body(chunks(&[b"0123456789"]), None, 10).await.unwrap(), &b"0123456789"[..]);
        let err = read_body(chunks(&[b"01234", b"56789"]), None, 9).await.unwrap_err();
        assert_eq!(err.status(), 413);
    }
}
