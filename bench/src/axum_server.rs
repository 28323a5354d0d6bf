//! The benchmark's three endpoints as a careful hand-written axum 0.8 `Router`: what most Rust developers would
//! write without bridge.
//!
//! Generic over the [`Model`]: `bench-axum` runs it on bridge's protocol types, `bench-axum-strings` on plain serde
//! structs ([`crate::plain`]). Same validation, answers and log line as `bench-warp` and `bench-hyper`, and the same
//! hardening ([`crate::hardening`]), written the axum way:
//!
//! - a `Router` with one `post` route per endpoint, a `get` for `/health`, and JSON fallbacks for an unknown path
//!   (`404`) and a wrong method (`405`: axum's own answers are empty);
//! - the body through an extractor of our own, [`JsonBody`]: axum's `Bytes` extractor under
//!   [`DefaultBodyLimit`] (1 MiB), after the `Content-Type` check, every refusal a JSON error. Not axum's `Json`:
//!   it refuses a body without a `Content-Type` (bridge accepts one) and answers its rejections in plain text;
//!   the handler decodes with serde_json, as `bench-warp` and `bench-hyper` do;
//! - the hardening as one `middleware::from_fn_with_state` layer around every route and the fallbacks, calling
//!   the same [`hardening::guard`] as the other servers (request id, span, in-flight bound, deadline, panic);
//! - the accept loop of `axum::serve` written out with hyper-util, as `bench-warp`'s, because `axum::serve` has no
//!   header-read timeout and no way to set one.

use crate::respond::{answer, decode, error as error_response, json as json_response, log, too_large};
use crate::{announce, hardening, is_json, shutdown_signal, Model, ServerArgs, BODY_LIMIT};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// The body of a JSON `POST`: a JSON `Content-Type` (or none), at most [`BODY_LIMIT`] bytes (the router's
/// [`DefaultBodyLimit`]); a refusal is the JSON error bridge answers.
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        if request.headers().get(CONTENT_TYPE).is_some_and(|value| !is_json(value.as_bytes())) {
            return Err(error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be JSON (`Content-Type: application/json`)",
            ));
        }
        match Bytes::from_request(request, state).await {
            Ok(body) => Ok(JsonBody(body)),
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => Err(too_large()),
            Err(_) => {
                Err(error_response(StatusCode::BAD_REQUEST, "invalid_input", "the request body could not be read"))
            }
        }
    }
}

async fn interactions<M: Model>(State(service): State<Arc<M>>, JsonBody(body): JsonBody) -> Response {
    let started = Instant::now();
    let response = match decode::<M::InteractionRequest, _>(&body) {
        Ok(request) => answer(StatusCode::OK, service.interactions(&request)),
        Err(response) => response,
    };
    log("/interaction_update", &response, started);
    response
}

async fn contacts<M: Model>(State(service): State<Arc<M>>, JsonBody(body): JsonBody) -> Response {
    let started = Instant::now();
    let response = match decode::<M::ContactRequest, _>(&body) {
        Ok(request) => answer(StatusCode::OK, service.contacts(&request)),
        Err(response) => response,
    };
    log("/contact_sync", &response, started);
    response
}

async fn create_ticket<M: Model>(State(service): State<Arc<M>>, JsonBody(body): JsonBody) -> Response {
    let started = Instant::now();
    let response = match decode::<M::ActionRequest, _>(&body) {
        Ok(request) => answer(StatusCode::CREATED, service.create_ticket(&request)),
        Err(response) => response,
    };
    log("/actions/create_ticket", &response, started);
    response
}

async fn health() -> Response {
    json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec())
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", "no endpoint answers on this path")
}

async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint answers POST only (GET for /health)",
    )
}

/// What bridge does around every request ([`hardening::guard`]), as axum middleware.
async fn harden(State(in_flight): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    let id = hardening::request_id(request.headers());
    hardening::guard(&in_flight, id, next.run(request), json_response).await
}

/// The three endpoints, `/health` and the JSON fallbacks on the model `M`, behind the hardening.
pub fn router<M: Model>(service: Arc<M>, in_flight: Arc<Semaphore>) -> Router {
    Router::new()
        .route("/interaction_update", post(interactions::<M>))
        .route("/contact_sync", post(contacts::<M>))
        .route("/actions/create_ticket", post(create_ticket::<M>))
        .route("/health", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(in_flight, harden))
        .with_state(service)
}

/// Runs the server named `variant` on the model `M` until SIGINT or SIGTERM: `[ADDR] [--threads N]`.
pub fn main<M: Model>(variant: &str) {
    let args = ServerArgs::parse();
    args.runtime().block_on(async {
        let listener = crate::listen(args.addr);
        announce(variant, listener.local_addr().expect("a bound address"));
        let in_flight = Arc::new(Semaphore::new(hardening::MAX_IN_FLIGHT));
        let router = router(M::start(), in_flight);
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown_signal());
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
                () = &mut shutdown => break,
            };
            // What `axum::serve` does for each connection, plus the header-read timeout it does not offer.
            let service = TowerToHyperService::new(router.clone());
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http1().timer(TokioTimer::new()).header_read_timeout(hardening::HEADER_READ_TIMEOUT);
                let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                let _ = watcher.watch(connection).await;
            });
        }
        drop(listener);
        graceful.shutdown().await;
    });
}
