//! The bridge builder: endpoints, shared state and limits, assembled into one warp filter with `GET /health` and
//! JSON answers for every rejection. Serving it (the accept loop, the gate, shutdown) is the `listener` module's job.

use crate::configuration::{ActionSpec, ConfigError, Documents, Integration};
use crate::contract::json_response;
use crate::endpoint::{BuildError, Endpoint, EndpointInfo, MountContext};
use crate::error::{Error, ErrorKind};
use crate::gate::Routes;
use crate::listener::RunningBridge;
use crate::secret::Secret;
use crate::state::StateMap;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

/// The default limit on request bodies: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default address when neither `BRIDGE_ADDR` nor `PORT` is set.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// A bridge: its endpoints, their shared state and the server's settings.
///
/// ```no_run
/// # async fn run() -> Result<(), bridge_runtime::ServeError> {
/// use bridge_runtime::Bridge;
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
    pub(crate) limits: ServerLimits,
}

/// What the accept loop enforces, around the routes.
pub(crate) struct ServerLimits {
    pub(crate) shutdown_grace: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) inbound_token: Option<Secret>,
}

/// The default deadline of a handler: Talkdesk gives up on a bridge after about 30 s.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(25);

/// The default bound on requests in flight.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

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
            limits: ServerLimits {
                shutdown_grace: Duration::from_secs(30),
                max_in_flight: DEFAULT_MAX_IN_FLIGHT,
                inbound_token: None,
            },
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

    /// How long a shutdown waits for requests in flight (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.limits.shutdown_grace = grace;
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
        self.limits.max_in_flight = requests;
        self
    }

    /// Requires every request but `GET /health` to carry this token, as `Authorization: Bearer <token>` or as a
    /// `token` query parameter (Talkdesk can only be given a URL); others get `403`. When not called, the
    /// `BRIDGE_TOKEN` environment variable, if set and not empty, is used when the bridge starts serving.
    pub fn inbound_token(mut self, token: Secret) -> Self {
        self.limits.inbound_token = Some(token);
        self
    }

    /// Describes the integration, so that the bridge serves its configuration documents at `GET /configuration`
    /// (checked when the bridge starts: invalid metadata is a start-up error).
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
        let integration = self
            .integration
            .as_ref()
            .ok_or(BuildError::Configuration(ConfigError::Missing("integration (Bridge::integration)")))?;
        let endpoints: Vec<EndpointInfo> = self.endpoints().collect();
        let described: Vec<ActionSpec> = self.endpoints.iter().filter_map(|e| e.action_spec()).collect();
        integration.documents(public_url, &endpoints, &described).map_err(BuildError::Configuration)
    }

    /// The mounted endpoints, in mounting order.
    pub fn endpoints(&self) -> impl Iterator<Item = EndpointInfo> + '_ {
        self.endpoints.iter().map(|e| e.info())
    }

    /// The whole bridge as one warp filter, to embed in a larger warp application. Fails when a handler's state
    /// is missing or two endpoints share a path.
    pub fn into_filter(self) -> Result<BoxedFilter<(Response,)>, BuildError> {
        let routes = self.into_routes()?;
        let all =
            routes.endpoints.into_iter().fold(routes.others, |all, (_, endpoint)| all.or(endpoint).unify().boxed());
        Ok(all.recover(answer_rejection).unify().boxed())
    }

    /// The bridge's own routes, and each endpoint's filter by its path (for the gate's routing), each mounted once.
    fn into_routes(self) -> Result<Routes, BuildError> {
        let mut seen: Vec<EndpointInfo> = Vec::new();
        for info in self.endpoints() {
            if info.path == "/health" || (info.path == "/configuration" && self.integration.is_some()) {
                return Err(BuildError::ReservedPath { path: info.path, handler: info.handler });
            }
            if let Some(first) = seen.iter().find(|s| s.path == info.path) {
                return Err(BuildError::DuplicatePath { path: info.path, first: first.handler, second: info.handler });
            }
            seen.push(info);
        }
        let mut others = warp::path("health")
            .and(warp::path::end())
            .and(warp::get())
            .map(|| json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec()))
            .boxed();
        if self.integration.is_some() {
            others = others.or(self.configuration_route()?).unify().boxed();
        }
        let mut endpoints = Vec::with_capacity(self.endpoints.len());
        for (endpoint, info) in self.endpoints.iter().zip(seen) {
            let deadline =
                self.deadlines.iter().rev().find(|(path, _)| path == info.path).map_or(self.deadline, |(_, d)| *d);
            let ctx = MountContext { states: &self.states, info, body_limit: self.body_limit, deadline };
            endpoints.push((info.path, endpoint.mount(&ctx)?));
        }
        Ok(Routes { others, endpoints })
    }

    /// `GET /configuration`, checked now with the configured or a placeholder public URL. With a public URL, the
    /// answer's body is built once, here.
    fn configuration_route(&self) -> Result<BoxedFilter<(Response,)>, BuildError> {
        let integration = self
            .integration
            .clone()
            .ok_or(BuildError::Configuration(ConfigError::Missing("integration (Bridge::integration)")))?;
        let endpoints: Vec<EndpointInfo> = self.endpoints().collect();
        let described: Vec<ActionSpec> = self.endpoints.iter().filter_map(|e| e.action_spec()).collect();
        let body = |documents: Documents| documents.to_json().to_string().into_bytes();
        let public_url = self.public_url.clone().or_else(|| std::env::var("BRIDGE_PUBLIC_URL").ok());
        let check_url = public_url.as_deref().unwrap_or("http://localhost");
        let checked = integration.documents(check_url, &endpoints, &described).map_err(BuildError::Configuration)?;
        let fixed: Option<Vec<u8>> = public_url.is_some().then(|| body(checked));
        Ok(warp::path("configuration")
            .and(warp::path::end())
            .and(warp::get())
            .and(warp::header::optional::<String>("host"))
            .map(move |host: Option<String>| {
                if let Some(fixed) = &fixed {
                    return json_response(StatusCode::OK, fixed.clone());
                }
                let base = format!("http://{}", host.as_deref().unwrap_or("localhost"));
                match integration.documents(&base, &endpoints, &described) {
                    Ok(documents) => json_response(StatusCode::OK, body(documents)),
                    Err(err) => Error::invalid_input(format!("no configuration for this host: {err}")).to_response(),
                }
            })
            .boxed())
    }

    /// Starts serving on `addr` (port 0 picks a free port) and returns at once; the server runs until
    /// [`RunningBridge::shutdown`].
    pub async fn bind(mut self, addr: SocketAddr) -> Result<RunningBridge, ServeError> {
        if self.limits.inbound_token.is_none() {
            self.limits.inbound_token = std::env::var("BRIDGE_TOKEN").ok().filter(|t| !t.is_empty()).map(Secret::new);
        }
        let limits = std::mem::replace(
            &mut self.limits,
            ServerLimits { shutdown_grace: Duration::ZERO, max_in_flight: 0, inbound_token: None },
        );
        let routes = self.into_routes().map_err(ServeError::Build)?;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
        crate::listener::start(listener, routes, limits).map_err(|source| ServeError::Bind { addr, source })
    }

    /// Serves on `BRIDGE_ADDR` (default `127.0.0.1:3000`; with only `PORT` set, `0.0.0.0:$PORT`) until SIGINT or
    /// SIGTERM, then stops accepting, lets requests in flight finish (up to the shutdown grace) and returns.
    pub async fn serve(self) -> Result<(), ServeError> {
        let running = self.bind(listen_address()?).await?;
        tracing::info!(target: "bridge::server", addr = %running.local_addr(), "listening");
        running.run_until_signal().await;
        Ok(())
    }
}

/// The address [`Bridge::serve`] listens on: `BRIDGE_ADDR` (default `127.0.0.1:3000`), or `0.0.0.0:$PORT` when
/// only `PORT` is set (the convention of most hosting platforms).
pub fn listen_address() -> Result<SocketAddr, ServeError> {
    address_from_env(std::env::var("BRIDGE_ADDR").ok(), std::env::var("PORT").ok())
}

fn address_from_env(bridge_addr: Option<String>, port: Option<String>) -> Result<SocketAddr, ServeError> {
    let text = match (bridge_addr, port) {
        (Some(addr), _) => addr,
        (None, Some(port)) => format!("0.0.0.0:{port}"),
        (None, None) => DEFAULT_ADDR.to_owned(),
    };
    text.trim().parse().map_err(|_| ServeError::BadAddress(text))
}

/// Warp's own rejections (unknown path, wrong method, unreadable header) as JSON errors.
pub(crate) async fn answer_rejection(rejection: Rejection) -> Result<Response, Infallible> {
    let error = if rejection.is_not_found() {
        Error::new(ErrorKind::NotFound, "no endpoint answers on this path")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        Error::new(ErrorKind::MethodNotAllowed, "this endpoint answers POST only (GET for /health)")
    } else if let Some(header) = rejection.find::<warp::reject::InvalidHeader>() {
        Error::invalid_input(format!("the `{}` header is not valid", header.name()))
    } else {
        tracing::error!(target: "bridge::server", ?rejection, "unexpected rejection");
        Error::internal("the request could not be handled")
    };
    tracing::warn!(target: "bridge::request", status = error.status(), code = error.kind().code(), "refused");
    Ok(error.to_response())
}

/// Why a bridge cannot serve.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The endpoints do not fit together.
    Build(BuildError),
    /// `BRIDGE_ADDR` or `PORT` is not an address.
    BadAddress(String),
    /// The address cannot be listened on.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Build(err) => err.fmt(f),
            Self::BadAddress(text) => {
                write!(f, "`{text}` is not an address to listen on (expected e.g. 127.0.0.1:3000)")
            }
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Build(err) => Some(err),
            Self::Bind { source, .. } => Some(source),
            Self::BadAddress(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_from_the_environment() {
        let addr = |a: Option<&str>, p: Option<&str>| address_from_env(a.map(Into::into), p.map(Into::into));
        assert_eq!(addr(None, None).unwrap(), "127.0.0.1:3000".parse().unwrap());
        assert_eq!(addr(None, Some("8080")).unwrap(), "0.0.0.0:8080".parse().unwrap());
        assert_eq!(addr(Some("127.0.0.1:9"), Some("8080")).unwrap(), "127.0.0.1:9".parse().unwrap());
        assert!(matches!(addr(Some("nope"), None), Err(ServeError::BadAddress(_))));
    }
}
