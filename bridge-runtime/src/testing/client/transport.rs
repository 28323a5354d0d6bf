//! How a [`TestClient`](super::TestClient) reaches a bridge: [`InProcessTransport`](crate::testing::InProcessTransport)
//! calls a bridge's [`BridgeService`](crate::BridgeService) (or any HTTP service) with no socket, through the same
//! gate as a served bridge (feature `testing`, `in_process_transport.rs`); [`HttpTransport`] sends real requests to
//! a bridge at a URL, written in any language. Both implement [`Transport`], so the same tests and the same
//! [`Simulator`](crate::testing::Simulator) run over either.

use super::test_messages::{TestRequest, TestResponse};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::fmt;
use std::time::Duration;

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
