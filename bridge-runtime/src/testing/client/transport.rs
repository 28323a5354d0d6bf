//! How a [`TestClient`](super::TestClient) reaches a bridge: [`InProcessTransport`] calls a bridge's
//! [`BridgeService`](crate::BridgeService) (or any HTTP service) with no socket, through the same gate as a served
//! bridge; [`HttpTransport`] sends real requests to a bridge at a URL, written in any language. Both
//! implement [`Transport`], so the same tests and the same [`Simulator`](crate::testing::Simulator) run over either.

use super::test_messages::{TestRequest, TestResponse};
#[cfg(feature = "testing")]
use crate::upstream::UpstreamCost;
use bytes::Bytes;
use futures_util::future::BoxFuture;
#[cfg(feature = "testing")]
use http_body_util::{BodyExt, Full};
use std::fmt;
#[cfg(feature = "testing")]
use std::sync::Arc;
use std::time::Duration;
#[cfg(feature = "testing")]
use tower_service::Service;

/// Sends one request to a bridge and brings back its answer.
///
/// Implement it to reach a bridge some other way (through a proxy, with a TLS client certificate…); the futures
/// are boxed so that a `TestClient` can hold any transport as `dyn Transport`.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and reads the whole answer.
    fn send(&self, request: TestRequest) -> BoxFuture<'_, Result<TestResponse, TransportError>>;

    /// What the transport reaches, for reports: `a bridge in process`, `http://127.0.0.1:3000`.
    fn describe(&self) -> String;
}

/// Why a request got no answer at all (the bridge is not listening, the answer timed out…). An answer with an error
/// status is not a `TransportError`: it is a [`TestResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    message: String,
}

impl TransportError {
    /// An error with this explanation.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }

    /// The explanation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// A request in process, as an in-process service takes it.
#[cfg(feature = "testing")]
type InProcessRequest = http::Request<Full<Bytes>>;

/// A bridge called in process, as a service: no socket, no port, and the very path a served bridge's requests take
/// (request ids, load shedding, the inbound token, routing, body limit, error answers).
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
#[derive(Clone)]
pub struct InProcessTransport {
    call: Arc<dyn Fn(InProcessRequest) -> BoxFuture<'static, Result<TestResponse, TransportError>> + Send + Sync>,
}

#[cfg(feature = "testing")]
impl InProcessTransport {
    /// Calls `service`, e.g. the one of [`Bridge::into_service`](crate::Bridge::into_service).
    pub fn new(service: crate::BridgeService) -> Self {
        Self::calling(service, true)
    }

    /// Calls any HTTP service in process: an application the bridge is mounted in (an axum `Router`), or a
    /// deliberately broken bridge written by hand.
    pub fn from_service<S, B>(service: S) -> Self
    where
        S: Service<InProcessRequest, Response = http::Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send,
        S::Error: fmt::Display,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: fmt::Display,
    {
        Self::calling(service, false)
    }

    /// Calls `service`; `bridge`: it is a [`BridgeService`](crate::BridgeService), whose answers say what their
    /// requests cost upstream when they made calls (an answer that does not say made none).
    fn calling<S, B>(service: S, bridge: bool) -> Self
    where
        S: Service<InProcessRequest, Response = http::Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send,
        S::Error: fmt::Display,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: fmt::Display,
    {
        let call = move |request: InProcessRequest| -> BoxFuture<'static, Result<TestResponse, TransportError>> {
            let mut service = service.clone();
            Box::pin(async move {
                futures_util::future::poll_fn(|cx| service.poll_ready(cx))
                    .await
                    .map_err(|err| TransportError::new(format!("the service is not ready: {err}")))?;
                let response = service
                    .call(request)
                    .await
                    .map_err(|err| TransportError::new(format!("the service failed: {err}")))?;
                let (parts, body) = response.into_parts();
                let body = body
                    .collect()
                    .await
                    .map_err(|err| TransportError::new(format!("the answer's body could not be read: {err}")))?
                    .to_bytes();
                let response = TestResponse::new(parts.status, parts.headers, body);
                let cost = parts.extensions.get::<UpstreamCost>().copied();
                Ok(match cost.or_else(|| bridge.then(UpstreamCost::default)) {
                    Some(cost) => response.with_upstream(cost),
                    None => response,
                })
            })
        };
        Self { call: Arc::new(call) }
    }
}

#[cfg(feature = "testing")]
impl Transport for InProcessTransport {
    fn send(&self, request: TestRequest) -> BoxFuture<'_, Result<TestResponse, TransportError>> {
        Box::pin(async move {
            let TestRequest { method, path, headers, body } = request;
            let mut builder = http::Request::builder().method(method).uri(path.as_str());
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            if !headers.contains_key(http::header::CONTENT_LENGTH) && !body.is_empty() {
                builder = builder.header(http::header::CONTENT_LENGTH, body.len());
            }
            let request = builder
                .body(Full::new(body))
                .map_err(|err| TransportError::new(format!("`{path}` cannot be requested: {err}")))?;
            (self.call)(request).await
        })
    }

    fn describe(&self) -> String {
        "a bridge in process".to_owned()
    }
}

/// A bridge at a URL, over real HTTP: the one [`Bridge::bind`](crate::Bridge::bind) started, or any bridge in any
/// language.
#[derive(Clone)]
pub struct HttpTransport {
    base_url: String,
    client: reqwest::Client,
}

/// How long [`HttpTransport`] waits for an answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl HttpTransport {
    /// Requests go to `base_url` followed by the endpoint's path (`http://127.0.0.1:3000` + `/contact_sync`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_timeout(base_url, DEFAULT_TIMEOUT)
    }

    /// Like [`HttpTransport::new`], waiting at most `timeout` for each answer.
    pub fn with_timeout(base_url: impl Into<String>, timeout: Duration) -> Self {
        let client = reqwest::Client::builder().timeout(timeout).build().unwrap_or_else(|_| reqwest::Client::new());
        Self::with_client(base_url, client)
    }

    /// Requests go through `client` (for proxies, certificates, other timeouts).
    pub fn with_client(base_url: impl Into<String>, client: reqwest::Client) -> Self {
        Self { base_url: base_url.into().trim_end_matches('/').to_owned(), client }
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: TestRequest) -> BoxFuture<'_, Result<TestResponse, TransportError>> {
        Box::pin(async move {
            let TestRequest { method, path, headers, body } = request;
            let url = format!("{}{path}", self.base_url);
            let unreachable = |err: reqwest::Error| {
                let why = if err.is_timeout() {
                    "no answer in time".to_owned()
                } else if err.is_connect() {
                    "cannot connect".to_owned()
                } else {
                    err.to_string()
                };
                TransportError::new(format!("{method} {url}: {why}"))
            };
            let response = self
                .client
                .request(method.clone(), &url)
                .headers(headers)
                .body(body)
                .send()
                .await
                .map_err(unreachable)?;
            let status = response.status();
            let headers = response.headers().clone();
            let body: Bytes = response.bytes().await.map_err(unreachable)?;
            Ok(TestResponse::new(status, headers, body))
        })
    }

    fn describe(&self) -> String {
        self.base_url.clone()
    }
}
