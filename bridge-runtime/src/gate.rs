//! The gate every request passes before warp's routing: it gives the request its id, sheds load past the bound on
//! requests in flight (`503` + `Retry-After`), checks the bridge's own inbound token when one is set (`403`),
//! routes the request, and stamps `X-Request-Id` on every answer, whatever produced it.
//!
//! Routing: a request whose path is an endpoint's goes straight to that endpoint's filter (a comparison per
//! endpoint, then one boxed filter call); any other (`/health`, `/configuration`, unknown paths) goes to the
//! bridge's own routes. The answers are the same as those of the whole filter of
//! [`Bridge::into_filter`](crate::Bridge::into_filter): there, every other route rejects an endpoint's path as not
//! found, and every endpoint rejects any other path as not found, which warp's rejection ranking always puts
//! behind the matching route's own rejection.

use crate::error::{Error, ErrorKind};
use crate::request_id::{self, RequestId};
use crate::secret::Secret;
use std::convert::Infallible;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use tower_service::Service;
use tracing::Instrument;
use warp::filters::BoxedFilter;
use warp::http::{header, HeaderValue, Request};
use warp::reply::Response;
use warp::Filter;

/// How long an overloaded bridge asks callers to wait, in seconds.
const RETRY_AFTER_SECONDS: &str = "1";

/// What the gate routes to.
pub(crate) struct Routes {
    /// The bridge's own routes (`GET /health`, `GET /configuration`), without the JSON answers to rejections.
    pub(crate) others: BoxedFilter<(Response,)>,
    /// Each endpoint's own filter (as mounted, without the JSON answers to rejections), by its path.
    pub(crate) endpoints: Vec<(&'static str, BoxedFilter<(Response,)>)>,
}

pub(crate) struct Gate<E> {
    others: E,
    endpoints: Vec<(&'static str, E)>,
    in_flight: Arc<Semaphore>,
    token: Option<Secret>,
}

/// The gate in front of `routes`.
pub(crate) fn gate(
    routes: Routes,
    max_in_flight: usize,
    token: Option<Secret>,
) -> Gate<impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static> {
    let answered = |filter: BoxedFilter<(Response,)>| filter.recover(crate::server::answer_rejection).unify();
    let endpoints = routes.endpoints.into_iter().map(|(path, filter)| (path, answered(filter))).collect();
    Gate { others: answered(routes.others), endpoints, in_flight: Arc::new(Semaphore::new(max_in_flight)), token }
}

impl<E> Gate<E>
where
    E: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    pub(crate) async fn handle<B>(self: Arc<Self>, request: Request<B>) -> Result<Response, Infallible>
    where
        B: http_body::Body + Send + Sync + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let id = RequestId::from_headers(request.headers());
        let span = tracing::info_span!(target: "bridge::request", "request", id = %id);
        let (mut response, id) = request_id::scope(id, self.answer(request)).instrument(span).await;
        response.headers_mut().insert(request_id::HEADER_NAME.clone(), id.into_header_value());
        Ok(response)
    }

    async fn answer<B>(&self, request: Request<B>) -> Response
    where
        B: http_body::Body + Send + Sync + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let Ok(_permit) = self.in_flight.try_acquire() else {
            tracing::warn!(target: "bridge::request", status = 503, "overloaded: too many requests in flight");
            let mut response =
                Error::new(ErrorKind::Overloaded, "the bridge is at its limit of requests in flight: retry shortly")
                    .to_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            return response;
        };
        if let Some(token) = &self.token {
            if request.uri().path() != "/health" && !presents(&request, token) {
                tracing::warn!(target: "bridge::request", status = 403, path = request.uri().path(), "missing or wrong inbound token");
                return Error::new(
                    ErrorKind::Forbidden,
                    "this bridge requires its token: `Authorization: Bearer <token>` or `?token=<token>`",
                )
                .to_response();
            }
        }
        let path = request.uri().path();
        let answered = match self.endpoints.iter().find(|(endpoint, _)| *endpoint == path) {
            Some((_, endpoint)) => warp::service(endpoint.clone()).call(request).await,
            None => warp::service(self.others.clone()).call(request).await,
        };
        match answered {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Whether the request carries `token`, as a bearer token or a `token` query parameter (Talkdesk can only be
/// given a URL). Compared in constant time.
fn presents<B>(request: &Request<B>, token: &Secret) -> bool {
    let expected = token.expose().as_bytes();
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(|given| bool::from(given.trim().as_bytes().ct_eq(expected)))
        .unwrap_or(false);
    let query = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.strip_prefix("token="))
        .any(|given| percent_decode(given).is_some_and(|given| bool::from(given.as_slice().ct_eq(expected))));
    bearer | query
}

/// Decodes `%XX` escapes and `+` (as in form-encoded queries). `None` on a broken escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, authorization: Option<&str>) -> Request<()> {
        let mut builder = Request::builder().uri(uri);
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn accepts_the_token_as_bearer_or_query_parameter() {
        let token = Secret::new("s3cr et/+");
        assert!(presents(&request("/contact_sync", Some("Bearer s3cr et/+")), &token));
        assert!(presents(&request("/contact_sync?a=1&token=s3cr%20et%2F%2B", None), &token));
        assert!(presents(&request("/contact_sync?token=s3cr+et/%2B", None), &token));
    }

    #[test]
    fn refuses_missing_wrong_and_partial_tokens() {
        let token = Secret::new("s3cret");
        assert!(!presents(&request("/contact_sync", None), &token));
        assert!(!presents(&request("/contact_sync", Some("Bearer s3cre")), &token));
        assert!(!presents(&request("/contact_sync", Some("Basic s3cret")), &token));
        assert!(!presents(&request("/contact_sync?token=s3cret2", None), &token));
        assert!(!presents(&request("/contact_sync?xtoken=s3cret", None), &token));
        assert!(!presents(&request("/contact_sync?token=%zz", None), &token));
    }
}
