//! The benchmark's three endpoints with hyper alone (HTTP/1.1, no router, no framework): the floor.
//!
//! Generic over the [`Model`]: `bench-hyper` runs it on bridge's protocol types, `bench-hyper-strings` on plain
//! serde structs ([`crate::plain`]). Same validation, answers and log line as the other variants, and the same
//! hardening as `bench-warp` ([`crate::hardening`]); routing is a `match` on the path.

use crate::respond::{answer, decode, error as error_response, json as json_response, log, too_large};
use crate::{announce, hardening, is_json, shutdown_signal, Model, ServerArgs, BODY_LIMIT};
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

type Response = http::Response<Full<Bytes>>;

#[derive(Clone, Copy)]
enum Route {
    Interactions,
    Contacts,
    CreateTicket,
}

async fn handle<M: Model>(request: Request<Incoming>, service: Arc<M>) -> Result<Response, Infallible> {
    let (route, path) = match request.uri().path() {
        "/interaction_update" => (Route::Interactions, "/interaction_update"),
        "/contact_sync" => (Route::Contacts, "/contact_sync"),
        "/actions/create_ticket" => (Route::CreateTicket, "/actions/create_ticket"),
        "/health" if request.method() == Method::GET => {
            return Ok(json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec()))
        }
        _ => return Ok(error_response(StatusCode::NOT_FOUND, "not_found", "no endpoint answers on this path")),
    };
    if request.method() != Method::POST {
        return Ok(error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint answers POST only (GET for /health)",
        ));
    }
    if request.headers().get(CONTENT_TYPE).is_some_and(|value| !is_json(value.as_bytes())) {
        return Ok(error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON (`Content-Type: application/json`)",
        ));
    }
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Ok(too_large());
    }
    let body = match Limited::new(request.into_body(), BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => return Ok(too_large()),
        Err(_) => {
            return Ok(error_response(StatusCode::BAD_REQUEST, "invalid_input", "the request body could not be read"))
        }
    };

    let started = Instant::now();
    let response = match route {
        Route::Interactions => match decode::<M::InteractionRequest, _>(&body) {
            Ok(request) => answer(StatusCode::OK, service.interactions(&request)),
            Err(response) => response,
        },
        Route::Contacts => match decode::<M::ContactRequest, _>(&body) {
            Ok(request) => answer(StatusCode::OK, service.contacts(&request)),
            Err(response) => response,
        },
        Route::CreateTicket => match decode::<M::ActionRequest, _>(&body) {
            Ok(request) => answer(StatusCode::CREATED, service.create_ticket(&request)),
            Err(response) => response,
        },
    };
    log(path, &response, started);
    Ok(response)
}

/// Runs the server named `variant` on the model `M` until SIGINT or SIGTERM: `[ADDR] [--threads N]`.
pub fn main<M: Model>(variant: &str) {
    let args = ServerArgs::parse();
    args.runtime().block_on(async {
        let listener = crate::listen(args.addr);
        announce(variant, listener.local_addr().expect("a bound address"));
        let service = M::start();
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
            let (service, in_flight) = (service.clone(), Arc::clone(&in_flight));
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let svc = service_fn(move |request: Request<Incoming>| {
                    let (service, in_flight) = (service.clone(), Arc::clone(&in_flight));
                    async move {
                        let id = hardening::request_id(request.headers());
                        // Boxed, as in bench-warp: one allocation instead of moving a large future around.
                        let handled = Box::pin(async move {
                            match handle(request, service).await {
                                Ok(response) => response,
                                Err(never) => match never {},
                            }
                        });
                        Ok::<_, Infallible>(hardening::guard(&in_flight, id, handled, json_response).await)
                    }
                });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(TokioTimer::new()).header_read_timeout(hardening::HEADER_READ_TIMEOUT);
                let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), svc)).await;
            });
        }
        drop(listener);
        graceful.shutdown().await;
    });
}
