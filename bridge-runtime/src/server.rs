//! The server: mount endpoints and shared state, then serve them with `GET /health`, JSON answers for every
//! rejection, request logs and graceful shutdown.

use crate::contract::json_response;
use crate::endpoint::{BuildError, Endpoint, EndpointInfo, MountContext};
use crate::error::{Error, ErrorKind};
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
    shutdown_grace: Duration,
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
            shutdown_grace: Duration::from_secs(30),
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
        self.shutdown_grace = grace;
        self
    }

    /// The mounted endpoints, in mounting order.
    pub fn endpoints(&self) -> impl Iterator<Item = EndpointInfo> + '_ {
        self.endpoints.iter().map(|e| e.info())
    }

    /// The whole bridge as one warp filter, to embed in a larger warp application. Fails when a handler's state
    /// is missing or two endpoints share a path.
    pub fn into_filter(self) -> Result<BoxedFilter<(Response,)>, BuildError> {
        let mut seen: Vec<EndpointInfo> = Vec::new();
        for info in self.endpoints() {
            if info.path == "/health" {
                return Err(BuildError::ReservedPath { path: info.path, handler: info.handler });
            }
            if let Some(first) = seen.iter().find(|s| s.path == info.path) {
                return Err(BuildError::DuplicatePath { path: info.path, first: first.handler, second: info.handler });
            }
            seen.push(info);
        }
        let health = warp::path("health")
            .and(warp::path::end())
            .and(warp::get())
            .map(|| json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec()))
            .boxed();
        let mut routes = health;
        for endpoint in &self.endpoints {
            let ctx = MountContext { states: &self.states, info: endpoint.info(), body_limit: self.body_limit };
            routes = routes.or(endpoint.mount(&ctx)?).unify().boxed();
        }
        Ok(routes.recover(answer_rejection).unify().boxed())
    }

    /// Starts serving on `addr` (port 0 picks a free port) and returns at once; the server runs until
    /// [`RunningBridge::shutdown`].
    pub async fn bind(self, addr: SocketAddr) -> Result<RunningBridge, ServeError> {
        let grace = self.shutdown_grace;
        let filter = self.into_filter().map_err(ServeError::Build)?;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind { addr, source })?;
        let (trigger, triggered) = tokio::sync::oneshot::channel::<()>();
        let server = warp::serve(filter).incoming(listener).graceful(async move {
            let _ = triggered.await;
        });
        let task = tokio::spawn(server.run());
        Ok(RunningBridge { local_addr, trigger, task, grace })
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

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Warp's own rejections (unknown path, wrong method, unreadable header) as JSON errors.
async fn answer_rejection(rejection: Rejection) -> Result<Response, Infallible> {
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
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(json_response(status, error.to_json()))
}

/// A bridge serving in the background.
pub struct RunningBridge {
    local_addr: SocketAddr,
    trigger: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    grace: Duration,
}

impl RunningBridge {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<address>`, to build request URLs from.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        shutdown_signal().await;
        tracing::info!(target: "bridge::server", "shutting down");
        self.shutdown().await;
    }

    /// Stops accepting connections and waits (up to the shutdown grace) for requests in flight.
    pub async fn shutdown(self) {
        let _ = self.trigger.send(());
        if tokio::time::timeout(self.grace, self.task).await.is_err() {
            tracing::warn!(target: "bridge::server", "requests still in flight after the shutdown grace were dropped");
        }
    }
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
