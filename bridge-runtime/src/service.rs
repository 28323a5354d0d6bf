//! [`BridgeService`]: a bridge as a standard HTTP service — a `tower::Service` and a hyper `Service` — so that it
//! can be served by its own accept loop ([`Bridge::serve`](crate::Bridge::serve)), mounted in an application
//! that already has a server (axum, hyper, anything built on `tower`), or called in process by the test kit.
//! Whoever calls it, every request goes through the same [gate](crate::gate).

use crate::gate::{BoxError, Gate, Handled};
use crate::reply::Response;
use futures_util::FutureExt;
use http::Request;
use http_body::Body;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A bridge, ready to answer requests: [`Bridge::into_service`](crate::Bridge::into_service) makes one.
///
/// It is cheap to clone (one reference count) and answers any `http::Request` whose body implements
/// [`http_body::Body`]; it never fails (every failure is an answer). Mounted in axum under a prefix:
///
/// ```no_run
/// # async fn run(bridge: bridge::Bridge) -> Result<(), Box<dyn std::error::Error>> {
/// let talkdesk = bridge.into_service()?;
/// let app = axum::Router::new().nest_service("/talkdesk", talkdesk);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
///
/// With plain hyper, it is a `hyper::service::Service` too:
/// `hyper::server::conn::http1::Builder::new().serve_connection(io, service.clone())`.
///
/// Requests that reach it under a prefix must have had the prefix taken off their path (axum's `nest_service`
/// does); the configuration documents then need the prefixed public URL
/// ([`Bridge::public_url`](crate::Bridge::public_url)).
#[derive(Clone)]
pub struct BridgeService {
    gate: Arc<Gate>,
}

/// The future of a [`BridgeService`]'s answer.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send + 'static>>;

impl BridgeService {
    pub(crate) fn new(gate: Gate) -> Self {
        Self { gate: Arc::new(gate) }
    }

    /// Marks the bridge as draining: from now on `GET /ready` answers `503` (every other request is still served).
    pub(crate) fn start_draining(&self) {
        self.gate.draining.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The bridge's metrics.
    pub(crate) fn metrics(&self) -> &Arc<crate::telemetry::Metrics> {
        &self.gate.metrics
    }

    /// Answers one request.
    pub fn answer<B>(&self, request: Request<B>) -> ResponseFuture
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        match self.gate.handle(request) {
            Handled::Now(response) => Box::pin(std::future::ready(Ok(response))),
            Handled::Later(answering) => Box::pin(answering.map(Ok)),
        }
    }
}

impl<B> tower_service::Service<Request<B>> for BridgeService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Load is shed per request, with an answer (`503`), never by refusing readiness.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        self.answer(request)
    }
}

impl<B> hyper::service::Service<Request<B>> for BridgeService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<B>) -> ResponseFuture {
        self.answer(request)
    }
}
