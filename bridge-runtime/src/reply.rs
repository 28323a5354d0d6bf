//! Answers on the wire: the bridge's [`Response`] type and its body, the [`Reply`] trait that turns a handler's
//! success into an answer with the status the protocol wants, and an [`Error`] as its JSON answer (with the id of
//! the request being answered).

use crate::error::{Error, FieldError};
use crate::protocol::{ActionOutcome, Agent, AgentPage, AuthValidation, ContactPage, Interaction};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::StatusCode;
use serde::Serialize;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An answer of the bridge, as [`BridgeService`](crate::BridgeService) gives it.
pub type Response = http::Response<ResponseBody>;

/// The body of a bridge's answer: the whole answer, in one piece (the bridge's answers are JSON documents it has
/// finished writing before it answers). It implements [`http_body::Body`], so a bridge's answers can be served
/// by hyper, axum or any server built on them.
#[derive(Debug, Default)]
pub struct ResponseBody(Option<Bytes>);

impl ResponseBody {
    /// A body of `bytes`.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self((!bytes.is_empty()).then_some(bytes))
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self(None)
    }

    /// The whole body.
    pub fn into_bytes(self) -> Bytes {
        self.0.unwrap_or_default()
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|bytes| Ok(http_body::Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.as_ref().map_or(0, |bytes| bytes.len() as u64))
    }
}

/// A successful answer, ready for the wire. Implemented for what each kind of handler returns.
pub trait Reply: Send + 'static {
    /// The HTTP response of this answer.
    fn into_response(self) -> Response;
}

/// A JSON response with `status`.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut response = Response::new(ResponseBody::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json_reply<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, body),
        Err(err) => error_response(&Error::internal(format!("the answer could not be encoded as JSON: {err}"))),
    }
}

/// `error` as an answer: its status, and its JSON body with the id of the request being handled, if any.
pub(crate) fn error_response(error: &Error) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = crate::scope::request_id();
    let mut response = json_response(status, error_body(error, request_id.as_ref().map(|id| id.as_str())));
    if let Some(after) = error.retry_after() {
        let seconds = after.as_secs_f64().ceil() as u64;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The JSON body of `error`: `{"code", "message", "request_id"?, "fields"?}`.
pub(crate) fn error_body(error: &Error, request_id: Option<&str>) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        code: &'static str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<&'a str>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        fields: &'a [FieldError],
    }
    let body = Body { code: error.kind().code(), message: error.message(), request_id, fields: error.fields() };
    serde_json::to_vec(&body).expect("an error body always serializes")
}

impl Reply for () {
    fn into_response(self) -> Response {
        AuthValidation::Valid.into_response()
    }
}

impl Reply for AuthValidation {
    fn into_response(self) -> Response {
        match self {
            AuthValidation::Valid => json_response(StatusCode::NO_CONTENT, Bytes::new()),
            AuthValidation::ValidOk => json_response(StatusCode::OK, Bytes::from_static(b"{}")),
            AuthValidation::Store(fields) => json_reply(StatusCode::OK, &fields),
        }
    }
}

/// How many contacts a contact sync answer holds, for the bridge's metrics.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageContacts(pub(crate) usize);

impl Reply for ContactPage {
    fn into_response(self) -> Response {
        let mut response = json_reply(StatusCode::OK, &self);
        response.extensions_mut().insert(PageContacts(self.contacts.len()));
        response
    }
}

impl Reply for Vec<Interaction> {
    fn into_response(self) -> Response {
        json_reply(StatusCode::OK, &self)
    }
}

impl Reply for ActionOutcome {
    fn into_response(self) -> Response {
        json_reply(StatusCode::CREATED, &self)
    }
}

impl Reply for AgentPage {
    fn into_response(self) -> Response {
        json_reply(StatusCode::OK, &self)
    }
}

impl Reply for Vec<Agent> {
    fn into_response(self) -> Response {
        AgentPage::new(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn error_body_lists_fields_and_the_request_id() {
        let err = Error::invalid_fields(vec![FieldError { field: "auth.token".into(), message: "missing".into() }]);
        let body = json(&error_body(&err, Some("req-1")));
        assert_eq!(body["code"], "invalid_input");
        assert_eq!(body["request_id"], "req-1");
        assert_eq!(body["fields"][0]["field"], "auth.token");
    }

    #[test]
    fn error_body_omits_what_it_does_not_have() {
        let body = json(&error_body(&Error::upstream("down"), None));
        assert_eq!(body, serde_json::json!({"code": "upstream_failure", "message": "down"}));
    }

    #[test]
    fn a_retry_later_error_says_when_in_whole_seconds() {
        let later = error_response(&Error::retry_later("not now", std::time::Duration::from_millis(1500)));
        assert_eq!((later.status().as_u16(), later.headers()[header::RETRY_AFTER].to_str().unwrap()), (503, "2"));
        let soon = error_response(&Error::retry_later("not now", std::time::Duration::ZERO));
        assert_eq!(soon.headers()[header::RETRY_AFTER], "1");
        assert!(!error_response(&Error::upstream("down")).headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn an_answer_is_one_frame_of_its_exact_size() {
        use http_body::Body as _;
        let body = ResponseBody::new(Bytes::from_static(b"{}"));
        assert_eq!(body.size_hint().exact(), Some(2));
        assert!(!body.is_end_stream());
        assert!(ResponseBody::new(Bytes::new()).is_end_stream());
        let response = AuthValidation::Valid.into_response();
        assert_eq!(response.status(), 204);
        assert!(response.body().is_end_stream());
    }
}
