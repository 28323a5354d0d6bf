//! The [`Bridge`] builder: the endpoints, their shared state, the integration's description and the limits, put
//! together into one [`BridgeService`] (checked: a missing state, two endpoints on one path or invalid
//! configuration metadata is a [`BuildError`] before anything is served). Serving it is the `serve` module's job.

use crate::configuration::{ActionSpec, ConfigError, Documents, Integration};
use crate::endpoint::EndpointInfo;
use crate::error::Error;
use crate::gate::{EndpointRoute, Gate, OwnRoute};
use crate::mount::{BuildError, Endpoint, MountContext};
use crate::reply::{error_response, json_response};
use crate::reply::{Response, ResponseBody};
use crate::secret::Secret;
use crate::service::BridgeService;
use crate::state::StateMap;
use crate::telemetry::{Metrics, OTHER};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The default limit on request bodies: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default deadline of a handler: Talkdesk gives up on a bridge after about 30 s.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(25);

/// The default limit on a request's head (its request line and headers): 64 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// The default bound on requests in flight.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// The default time a shutdown waits for requests in flight.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The default time between SIGTERM and the end of accepting, while `GET /ready` answers `503` and requests are
/// still served: load balancers (a Kubernetes Service's endpoints, a cloud load balancer) take a few seconds to
/// stop sending.
pub const DEFAULT_DRAIN_DELAY: Duration = Duration::from_secs(5);

/// The paths a bridge answers itself, which no endpoint may take.
const RESERVED: [&str; 3] = ["/health", "/ready", "/metrics"];

/// The media type of `GET /metrics`: the OpenMetrics text format, which Prometheus reads.
const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// A bridge: its endpoints, their shared state and the server's settings.
///
/// ```no_run
/// # async fn run() -> Result<(), bridge::ServeError> {
/// use bridge::Bridge;
/// # #[derive(Clone)] struct Store;
/// # let store = Store;
/// Bridge::new()
///     .state(store)
///     // .endpoint(validate {}).endpoint(contacts {}) …, one per `#[bridge::…]` function
///     .serve()
///     .await
/// # }
/// ```
pub struct Bridge {
    states: StateMap,
    endpoints: Vec<Box<dyn Endpoint>>,
    body_limit: usize,
    deadline: Duration,
    deadlines: Vec<(String, Duration)>,
    integration: Option<Integration>,
    public_url: Option<String>,
    max_in_flight: usize,
    inbound_token: Option<Secret>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) max_header_bytes: usize,
    pub(crate) drain_delay: Option<Duration>,
}

impl Default for Bridge {
    fn default() -> Self {
        Self::new()
    }
}

impl Bridge {
    /// A bridge with no endpoints yet.
    pub fn new() -> Self {
        Self {
            states: StateMap::default(),
            endpoints: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            deadline: DEFAULT_DEADLINE,
            deadlines: Vec::new(),
            integration: None,
            public_url: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            inbound_token: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            drain_delay: None,
        }
    }

    /// Shares `value` with every handler that takes a `State<T>` of its type. One value per type: a second call
    /// with the same type replaces the first.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Mounts an endpoint: `.endpoint(handler_name {})` for a function annotated with a `#[bridge::…]` macro.
    pub fn endpoint(mut self, endpoint: impl Endpoint) -> Self {
        self.endpoints.push(Box::new(endpoint));
        self
    }

    /// The largest request body accepted (default 1 MiB); larger ones get `413`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest request head accepted: request line and headers (default 64 KiB, plenty for Talkdesk's
    /// requests); larger ones get `431` with a JSON body. Served by the bridge itself, a connection never buffers
    /// more than twice this (or 8 KiB) for a head: past that, the HTTP layer answers `431` without a body.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// How long a shutdown waits for requests in flight (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// How long a bridge stays up after SIGTERM before it stops accepting, answering `GET /ready` with `503` while
    /// it still serves every request, so that its load balancer stops sending first. When not called, the
    /// `BRIDGE_DRAIN_DELAY` environment variable (seconds: `5`, `2.5`, `500ms`), else 5 s
    /// ([`DEFAULT_DRAIN_DELAY`]). `Duration::ZERO` stops accepting at once.
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = Some(delay);
        self
    }

    /// How long any handler may run before the request is answered `504` (default 25 s).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The deadline of the endpoint on `path` (e.g. `/contact_sync`), overriding [`deadline`](Self::deadline).
    pub fn deadline_for(mut self, path: impl Into<String>, deadline: Duration) -> Self {
        self.deadlines.push((path.into(), deadline));
        self
    }

    /// The most requests handled at once (default 1024); past it, requests are answered `503` with `Retry-After`
    /// at once instead of queueing without bound.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests;
        self
    }

    /// Requires every request but `GET /health` to carry this token, as `Authorization: Bearer <token>` or as a
    /// `token` query parameter (Talkdesk can only be given a URL); others get `403`. When not called, the
    /// `BRIDGE_TOKEN` environment variable, if set and not empty, is used when the bridge is built.
    pub fn inbound_token(mut self, token: Secret) -> Self {
        self.inbound_token = Some(token);
        self
    }

    /// Describes the integration, so that the bridge serves its configuration documents at `GET /configuration`
    /// (checked when the bridge is built: invalid metadata is a start-up error).
    pub fn integration(mut self, integration: Integration) -> Self {
        self.integration = Some(integration);
        self
    }

    /// The URL Talkdesk reaches the bridge at (e.g. `https://bridge.example.com`), for the endpoint URLs of the
    /// configuration documents. Default: `BRIDGE_PUBLIC_URL`, else the scheme-less `Host` of each
    /// `GET /configuration` request, as `http://host`.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// The configuration documents for a bridge reachable at `public_url`.
    pub fn configuration(&self, public_url: &str) -> Result<Documents, BuildError> {
        let integration = self.integration.as_ref().ok_or(missing_integration())?;
        let (endpoints, described) = self.described();
        integration.documents(public_url, &endpoints, &described).map_err(BuildError::Configuration)
    }

    /// The mounted endpoints, in mounting order.
    pub fn endpoints(&self) -> impl Iterator<Item = EndpointInfo> + '_ {
        self.endpoints.iter().map(|e| e.info())
    }

    /// The bridge as a service, to serve, to mount in another server, or to call in process. Fails when a
    /// handler's state is missing, two endpoints share a path, or the configuration metadata is invalid.
    pub fn into_service(self) -> Result<BridgeService, BuildError> {
        let mut seen: Vec<EndpointInfo> = Vec::new();
        for info in self.endpoints() {
            if RESERVED.contains(&info.path) || (info.path == "/configuration" && self.integration.is_some()) {
                return Err(BuildError::ReservedPath { path: info.path, handler: info.handler });
            }
            if let Some(first) = seen.iter().find(|s| s.path == info.path) {
                return Err(BuildError::DuplicatePath { path: info.path, first: first.handler, second: info.handler });
            }
            seen.push(info);
        }
        let metrics = Arc::new(Metrics::default());
        let draining = Arc::new(AtomicBool::new(false));
        let mut own = vec![
            OwnRoute {
                path: "/health",
                answer: Box::new(|_: &HeaderMap| {
                    json_response(StatusCode::OK, Bytes::from_static(br#"{"status":"ok"}"#))
                }),
            },
            ready_route(Arc::clone(&draining)),
            metrics_route(Arc::clone(&metrics)),
        ];
        if self.integration.is_some() {
            own.push(self.configuration_route()?);
        }
        let mut endpoints = Vec::with_capacity(self.endpoints.len());
        let states = std::sync::Arc::new(self.states);
        for (endpoint, info) in self.endpoints.iter().zip(seen) {
            let deadline =
                self.deadlines.iter().rev().find(|(path, _)| path == info.path).map_or(self.deadline, |(_, d)| *d);
            let ctx = MountContext { states: &states, info, deadline };
            let call = endpoint.mount(&ctx)?.0;
            let endpoint_metrics = metrics.endpoint(info.path, info.kind == crate::endpoint::EndpointKind::ContactSync);
            endpoints.push(EndpointRoute { info, call, metrics: endpoint_metrics });
        }
        let token = self
            .inbound_token
            .or_else(|| std::env::var("BRIDGE_TOKEN").ok().filter(|t| !t.is_empty()).map(Secret::new));
        Ok(BridgeService::new(Gate {
            endpoints,
            own,
            in_flight: Arc::new(Semaphore::new(self.max_in_flight)),
            token,
            body_limit: self.body_limit,
            max_header_bytes: self.max_header_bytes,
            other: metrics.endpoint(OTHER, false),
            metrics,
            draining,
        }))
    }

    fn described(&self) -> (Vec<EndpointInfo>, Vec<ActionSpec>) {
        (self.endpoints().collect(), self.endpoints.iter().filter_map(|e| e.action_spec()).collect())
    }

    /// `GET /configuration`, checked now with the configured or a placeholder public URL. With a public URL, the
    /// answer's body is built once, here.
    fn configuration_route(&self) -> Result<OwnRoute, BuildError> {
        let integration = self.integration.clone().ok_or(missing_integration())?;
        let (endpoints, described) = self.described();
        let body = |documents: Documents| Bytes::from(documents.to_json().to_string());
        let public_url = self.public_url.clone().or_else(|| std::env::var("BRIDGE_PUBLIC_URL").ok());
        let check_url = public_url.as_deref().unwrap_or("http://localhost");
        let checked = integration.documents(check_url, &endpoints, &described).map_err(BuildError::Configuration)?;
        let fixed: Option<Bytes> = public_url.is_some().then(|| body(checked));
        let answer = move |headers: &HeaderMap| {
            if let Some(fixed) = &fixed {
                return json_response(StatusCode::OK, fixed.clone());
            }
            let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("localhost");
            match integration.documents(&format!("http://{host}"), &endpoints, &described) {
                Ok(documents) => json_response(StatusCode::OK, body(documents)),
                Err(err) => error_response(&Error::invalid_input(format!("no configuration for this host: {err}"))),
            }
        };
        Ok(OwnRoute { path: "/configuration", answer: Box::new(answer) })
    }
}

/// `GET /ready`: `200` while the bridge takes requests, `503` once it drains (after SIGTERM).
fn ready_route(draining: Arc<AtomicBool>) -> OwnRoute {
    OwnRoute {
        path: "/ready",
        answer: Box::new(move |_: &HeaderMap| {
            if draining.load(Ordering::Relaxed) {
                json_response(StatusCode::SERVICE_UNAVAILABLE, Bytes::from_static(br#"{"status":"draining"}"#))
            } else {
                json_response(StatusCode::OK, Bytes::from_static(br#"{"status":"ready"}"#))
            }
        }),
    }
}

/// `GET /metrics`: the bridge's metrics in the OpenMetrics text format.
fn metrics_route(metrics: Arc<Metrics>) -> OwnRoute {
    OwnRoute { path: "/metrics", answer: Box::new(move |_: &HeaderMap| metrics_response(&metrics)) }
}

pub(crate) fn metrics_response(metrics: &Metrics) -> Response {
    let mut response = Response::new(ResponseBody::new(Bytes::from(metrics.encode())));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE));
    response
}

fn missing_integration() -> BuildError {
    BuildError::Configuration(ConfigError::Missing("integration (Bridge::integration)"))
}
