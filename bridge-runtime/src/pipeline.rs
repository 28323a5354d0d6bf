//! One request through one endpoint: match the path and method, check the media type, read the body under its
//! limit, decode the envelope, call the handler (catching a panic), encode the answer or the error, log the line.
//!
//! Everything after the path match happens in one async block, not as chained warp filters: it is what a careful
//! hand-written warp endpoint does, and it keeps per-request overhead to one boxed filter call.

use crate::contract::Reply;
use crate::decode::{auth_secrets, decode_request};
use crate::endpoint::EndpointInfo;
use crate::error::{Error, ErrorKind};
use crate::protocol::Envelope;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{FutureExt, Stream, StreamExt};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::time::{Duration, Instant};
use warp::filters::path::FullPath;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

/// The declared `Content-Type` of a request, classified without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    Json,
    Other,
}

impl FromStr for MediaType {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let essence = value.split(';').next().unwrap_or("").trim();
        let json = essence.eq_ignore_ascii_case("application/json")
            || essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case("+json");
        Ok(if json { Self::Json } else { Self::Other })
    }
}

pub(crate) fn filter<A, M, D, Out, H, Fut>(
    info: EndpointInfo,
    body_limit: usize,
    deadline: Duration,
    handler: H,
) -> BoxedFilter<(Response,)>
where
    A: DeserializeOwned + Send + 'static,
    M: DeserializeOwned + Send + 'static,
    D: DeserializeOwned + Send + 'static,
    Out: Reply,
    H: Fn(Envelope<A, M, D>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Out, Error>> + Send + 'static,
{
    let path = info.path;
    let handler = std::sync::Arc::new(handler);
    warp::path::full()
        .and_then(move |full: FullPath| async move {
            if full.as_str() == path {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one()
        .and(warp::post())
        .and(warp::header::optional::<MediaType>("content-type"))
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .then(move |media: Option<MediaType>, length: Option<u64>, body| {
            let handler = std::sync::Arc::clone(&handler);
            async move {
                let started = Instant::now();
                let response = match answer(body_limit, deadline, media, length, body, handler).await {
                    Ok(response) => response,
                    Err(err) => err.into_response(),
                };
                log_request(&info, &response, started);
                response
            }
        })
        .boxed()
}

/// An error on its way out, with the body it must be scrubbed against.
struct Failure {
    error: Error,
    body: Option<Bytes>,
}

impl Failure {
    fn into_response(self) -> Response {
        let mut error = self.error;
        if let Some(body) = &self.body {
            error.redact(&auth_secrets(body));
        }
        let mut response = error.to_response();
        response
            .extensions_mut()
            .insert(LoggedError { code: error.kind().code(), message: error.message().to_owned() });
        response
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, body: None }
    }
}

/// The error behind a response (already scrubbed of auth values), for the request's log line.
#[derive(Clone)]
struct LoggedError {
    code: &'static str,
    message: String,
}

async fn answer<A, M, D, Out, H, Fut, S, B>(
    body_limit: usize,
    deadline: Duration,
    media: Option<MediaType>,
    length: Option<u64>,
    body: S,
    handler: std::sync::Arc<H>,
) -> Result<Response, Failure>
where
    A: DeserializeOwned,
    M: DeserializeOwned,
    D: DeserializeOwned,
    Out: Reply,
    H: Fn(Envelope<A, M, D>) -> Fut,
    Fut: Future<Output = Result<Out, Error>>,
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    if media == Some(MediaType::Other) {
        return Err(Error::new(
            ErrorKind::UnsupportedMediaType,
            "the request body must be JSON (`Content-Type: application/json`)",
        )
        .into());
    }
    if length.is_some_and(|declared| declared > body_limit as u64) {
        return Err(too_large(body_limit).into());
    }
    let bytes = read_body(body, length, body_limit).await?;
    let envelope = decode_request::<A, M, D>(&bytes).map_err(|error| Failure { error, body: Some(bytes.clone()) })?;
    match tokio::time::timeout(deadline, AssertUnwindSafe(handler(envelope)).catch_unwind()).await {
        Ok(Ok(Ok(out))) => Ok(out.into_response()),
        Ok(Ok(Err(error))) => Err(Failure { error, body: Some(bytes) }),
        Ok(Err(_panic)) => Err(Error::internal("the bridge failed while handling this request").into()),
        Err(_elapsed) => {
            Err(Error::timeout(format!("the bridge did not answer within its deadline of {} ms", deadline.as_millis()))
                .into())
        }
    }
}

fn too_large(limit: usize) -> Error {
    Error::new(ErrorKind::PayloadTooLarge, format!("the request body is larger than the limit of {limit} bytes"))
}

async fn read_body<S, B>(body: S, declared: Option<u64>, limit: usize) -> Result<Bytes, Error>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|err| Error::invalid_input(format!("the request body could not be read: {err}")))?;
        total += chunk.remaining();
        if total > limit {
            return Err(too_large(limit));
        }
        match &first {
            None if rest.is_empty() => first = Some(chunk.copy_to_bytes(chunk.remaining())),
            _ => {
                if rest.is_empty() {
                    let capacity = declared.map_or(total, |d| d as usize).max(total);
                    rest.reserve(capacity);
                    rest.put(first.take().unwrap_or_default());
                }
                rest.put(chunk);
            }
        }
    }
    Ok(if rest.is_empty() { first.unwrap_or_default() } else { rest.freeze() })
}

fn log_request(info: &EndpointInfo, response: &Response, started: Instant) {
    let status = response.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    match response.extensions().get::<LoggedError>() {
        None => tracing::info!(
            target: "bridge::request",
            path = info.path,
            handler = info.handler,
            status,
            latency_us,
            "answered"
        ),
        Some(error) if status >= 500 => tracing::error!(
            target: "bridge::request",
            path = info.path,
            handler = info.handler,
            status,
            latency_us,
            code = error.code,
            error = %error.message,
            "failed"
        ),
        Some(error) => tracing::warn!(
            target: "bridge::request",
            path = info.path,
            handler = info.handler,
            status,
            latency_us,
            code = error.code,
            error = %error.message,
            "refused"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_media_types() {
        for json in ["application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json"] {
            assert_eq!(json.parse::<MediaType>().unwrap(), MediaType::Json, "{json}");
        }
        for other in ["text/plain", "application/x-www-form-urlencoded", "json", ""] {
            assert_eq!(other.parse::<MediaType>().unwrap(), MediaType::Other, "{other}");
        }
    }

    #[tokio::test]
    async fn reads_chunked_bodies_under_the_limit() {
        let chunks = futures_util::stream::iter(vec![
            Ok::<_, warp::Error>(Bytes::from_static(b"{\"a\":")),
            Ok(Bytes::from_static(b"1}")),
        ]);
        assert_eq!(read_body(chunks, None, 100).await.unwrap(), &b"{\"a\":1}"[..]);
        let chunks = futures_util::stream::iter(vec![Ok::<_, warp::Error>(Bytes::from_static(b"0123456789"))]);
        let err = read_body(chunks, None, 9).await.unwrap_err();
        assert_eq!(err.status(), 413);
    }
}
