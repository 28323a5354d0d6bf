//! A bridge called in process, as a service, with no socket (feature `testing`): the [`Transport`] of
//! [`TestClient::new`](super::TestClient::new).

use super::test_messages::{TestRequest, TestResponse};
use super::transport::{Transport, TransportError};
use crate::upstream::UpstreamCost;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use std::fmt;
use std::sync::Arc;
use tower_service::Service;

/// A request in process, as an in-process service takes it.
type InProcessRequest = http::Request<Full<Bytes>>;

/// A bridge called in process, as a service: no socket, no port, and the very path a served bridge's requests take
/// (request ids, load shedding, the inbound token, routing, body limit, error answers).
#[derive(Clone)]
pub struct InProcessTransport {
    call: Arc<dyn Fn(InProcessRequest) -> BoxFuture<'static, Result<TestResponse, TransportError>> + Send + Sync>,
}

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
