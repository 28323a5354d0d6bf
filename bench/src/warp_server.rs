//! The benchmark's three endpoints as a careful hand-written warp filter: the reference the macros must match.
//!
//! Generic over the [`Model`]: `bench-warp` runs it on bridge's protocol types, `bench-warp-strings` on plain
//! serde structs ([`crate::plain`]). Same validation as bridge (`POST` only, `Content-Type` must be JSON when
//! given, 1 MiB body limit, typed decoding with a JSON `400`), same answers (statuses, `Content-Type`, bytes,
//! `X-Request-Id`), the same per-request log line, and what bridge does around every request, written by hand
//! ([`crate::hardening`]): request ids, a deadline, a bound on requests in flight, a header-read timeout, graceful
//! shutdown. Handlers are `async`, as a real bridge's must be (they call an external service). `bench-warp-plain`
//! is the same filter without the hardening, served by `warp::serve`.

use crate::respond::{answer, decode, error as error_response, json as json_response, log};
use crate::{announce, hardening, is_json, shutdown_signal, Model, ServerArgs, BODY_LIMIT};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use tower_service::Service as _;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

/// A `Content-Type` header, classified.
struct JsonContentType(bool);

impl FromStr for JsonContentType {
    type Err = Infallible;

    fn from_str(value: &str) -> Result<Self, Infallible> {
        Ok(JsonContentType(is_json(value.as_bytes())))
    }
}

#[derive(Debug)]
struct UnsupportedMediaType;

impl warp::reject::Reject for UnsupportedMediaType {}

/// `POST`, a JSON `Content-Type` (or none), a body under the limit: the body.
fn json_post() -> impl Filter<Extract = (Bytes,), Error = Rejection> + Copy {
    warp::post()
        .and(warp::header::optional::<JsonContentType>("content-type"))
        .and_then(|content_type: Option<JsonContentType>| async move {
            match content_type {
                Some(JsonContentType(false)) => Err(warp::reject::custom(UnsupportedMediaType)),
                _ => Ok(()),
            }
        })
        .untuple_one()
        .and(warp::body::content_length_limit(BODY_LIMIT as u64))
        .and(warp::body::bytes())
}

/// The three endpoints, `/health` and the JSON rejections, on the model `M`: the filter `bench-warp` serves
/// behind the hardening and `bench-warp-plain` without it.
pub fn routes<M: Model>(service: Arc<M>) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let health = warp::path("health")
        .and(warp::path::end())
        .and(warp::get())
        .map(|| json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec()));

    let with_service = move || {
        let service = service.clone();
        warp::any().map(move || service.clone())
    };

    let interactions =
        warp::path("interaction_update").and(warp::path::end()).and(json_post()).and(with_service()).then(
            |body: Bytes, service: Arc<M>| async move {
                let started = Instant::now();
                let response = match decode::<M::InteractionRequest, _>(&body) {
                    Ok(request) => answer(StatusCode::OK, service.interactions(&request)),
                    Err(response) => response,
                };
                log("/interaction_update", &response, started);
                response
            },
        );

    let contacts = warp::path("contact_sync").and(warp::path::end()).and(json_post()).and(with_service()).then(
        |body: Bytes, service: Arc<M>| async move {
            let started = Instant::now();
            let response = match decode::<M::ContactRequest, _>(&body) {
                Ok(request) => answer(StatusCode::OK, service.contacts(&request)),
                Err(response) => response,
            };
            log("/contact_sync", &response, started);
            response
        },
    );

    let create_ticket = warp::path("actions")
        .and(warp::path("create_ticket"))
        .and(warp::path::end())
        .and(json_post())
        .and(with_service())
        .then(|body: Bytes, service: Arc<M>| async move {
            let started = Instant::now();
            let response = match decode::<M::ActionRequest, _>(&body) {
                Ok(request) => answer(StatusCode::CREATED, service.create_ticket(&request)),
                Err(response) => response,
            };
            log("/actions/create_ticket", &response, started);
            response
        });

    health.or(interactions).unify().or(contacts).unify().or(create_ticket).unify().recover(rejection).unify()
}

/// Every rejection as a JSON error, as the bridge answers them.
async fn rejection(rejection: Rejection) -> Result<Response, Infallible> {
    let (status, code, message) = if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "not_found", "no endpoint answers on this path")
    } else if rejection.find::<UnsupportedMediaType>().is_some() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON (`Content-Type: application/json`)",
        )
    } else if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than the limit of 1048576 bytes",
        )
    } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
        (StatusCode::LENGTH_REQUIRED, "invalid_input", "a `Content-Length` header is required")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint answers POST only (GET for /health)")
    } else if rejection.find::<warp::reject::InvalidHeader>().is_some() {
        (StatusCode::BAD_REQUEST, "invalid_input", "a header is not valid")
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the request could not be handled")
    };
    Ok(error_response(status, code, message))
}

/// Runs the server named `variant` on the model `M` until SIGINT or SIGTERM: `[ADDR] [--threads N]`.
pub fn main<M: Model>(variant: &str) {
    let args = ServerArgs::parse();
    args.runtime().block_on(async {
        let listener = crate::listen(args.addr);
        announce(variant, listener.local_addr().expect("a bound address"));
        let routes = warp::service(routes(M::start()));
        let in_flight = Arc::new(Semaphore::new(hardening::MAX_IN_FLIGHT));
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
            let (routes, in_flight) = (routes.clone(), Arc::clone(&in_flight));
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                    let (mut routes, in_flight) = (routes.clone(), Arc::clone(&in_flight));
                    async move {
                        let id = hardening::request_id(request.headers());
                        // Boxed: warp's future for three routes is large, and moving it into the deadline, the
                        // panic guard and the span would cost more (memcpy) than one allocation.
                        let routed = Box::pin(async move {
                            match routes.call(request).await {
                                Ok(response) => response,
                                Err(never) => match never {},
                            }
                        });
                        Ok::<_, Infallible>(hardening::guard(&in_flight, id, routed, json_response).await)
                    }
                });
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
