//! The messages a test client and its [`Transport`](super::Transport) exchange: one [`TestRequest`], one
//! [`TestResponse`]. They have a file of their own so that the client (which builds requests and reads answers)
//! and the transports (which carry them) both depend on it, and not on each other.

use crate::upstream::UpstreamCost;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::marker::PhantomData;

/// One request, ready for a [`Transport`](super::Transport).
#[derive(Debug, Clone)]
pub struct TestRequest {
    /// The method (`POST` for every endpoint).
    pub method: Method,
    /// The path, with its query if any.
    pub path: String,
    /// The headers (`Content-Type: application/json` unless changed).
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// An answer: status, headers and body, with the body readable as `T` (the endpoint's protocol type) or as raw
/// JSON.
#[derive(Clone)]
pub struct TestResponse<T = Value> {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    upstream: Option<UpstreamCost>,
    answer: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for TestResponse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type())
            .field("body", &self.text())
            .finish()
    }
}

impl TestResponse {
    /// An answer, as a [`Transport`](super::Transport) read it.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self { status, headers, body, upstream: None, answer: PhantomData }
    }

    /// The answer, with what its request cost upstream (as an in-process bridge tells it).
    pub fn with_upstream(mut self, cost: UpstreamCost) -> Self {
        self.upstream = Some(cost);
        self
    }
}

impl<T> TestResponse<T> {
    /// The status; compares with a number: `assert_eq!(answer.status(), 201)`.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// All the headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The header `name`, when present and readable as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE.as_str())
    }

    /// Whether `Content-Type` is `application/json` (parameters such as `; charset=utf-8` allowed).
    pub fn has_json_content_type(&self) -> bool {
        self.content_type().is_some_and(is_json_media_type)
    }

    /// What the request cost upstream: the calls the handler made through [`Client`](crate::http::Client), its
    /// retries, the round trips on its critical path, the time waited (none at all for a request refused before
    /// its handler ran). Known for a bridge called in process ([`TestClient::new`](super::TestClient::new)); see
    /// [`upstream_cost`](Self::upstream_cost) otherwise.
    ///
    /// ```
    /// # async fn example(client: bridge::testing::TestClient) {
    /// let answer = client.interaction_retrieval().auth(serde_json::json!({"token": "t"})).send().await;
    /// let cost = answer.upstream();
    /// assert!(cost.round_trips() <= 2, "the lookup waited for {cost}");
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the cost is not known: the bridge was called over HTTP (or is a service of another kind, called with
    /// [`InProcessTransport::from_service`](crate::testing::InProcessTransport::from_service)).
    #[track_caller]
    pub fn upstream(&self) -> UpstreamCost {
        self.upstream.unwrap_or_else(|| {
            panic!(
                "the answer does not say what its request cost upstream: only a bridge called in process does ({} \
                 {})",
                self.status,
                self.text()
            )
        })
    }

    /// What the request cost upstream, when known (see [`upstream`](Self::upstream)).
    pub fn upstream_cost(&self) -> Option<UpstreamCost> {
        self.upstream
    }

    /// The body's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as any JSON value.
    pub fn raw_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as `U`.
    pub fn json_as<U: DeserializeOwned>(&self) -> Result<U, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The `message` of an error body (`{"message": …}`), when there is one.
    pub fn error_message(&self) -> Option<String> {
        self.raw_json().ok()?.get("message")?.as_str().map(str::to_owned)
    }

    /// The `field` of each entry of a bridge error body's `fields` (`["data.subject", …]`), empty when none.
    pub fn error_fields(&self) -> Vec<String> {
        let Ok(json) = self.raw_json() else { return Vec::new() };
        json.get("fields")
            .and_then(Value::as_array)
            .map(|fields| fields.iter().filter_map(|f| f.get("field")?.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }

    /// Checks the status, and returns the answer for more checks.
    ///
    /// # Panics
    ///
    /// When the status is another one; the message shows the body.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "unexpected status; the body was: {}", self.text());
        self
    }

    /// The same answer, read as another protocol type.
    pub fn cast<U>(self) -> TestResponse<U> {
        TestResponse {
            status: self.status,
            headers: self.headers,
            body: self.body,
            upstream: self.upstream,
            answer: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> TestResponse<T> {
    /// The body as the endpoint's protocol type ([`ContactPage`](crate::ContactPage), `Vec<Interaction>`…).
    pub fn json(&self) -> Result<T, serde_json::Error> {
        self.json_as()
    }

    /// The body as the endpoint's protocol type, for a test that expects success.
    ///
    /// # Panics
    ///
    /// When the status is not a success or the body is not a `T`; the message shows the status and body.
    #[track_caller]
    pub fn answer(&self) -> T {
        assert!(self.status.is_success(), "expected a success, got {}: {}", self.status, self.text());
        self.json().unwrap_or_else(|err| panic!("the body is not the expected type ({err}): {}", self.text()))
    }
}

/// Whether a `Content-Type` value is `application/json`, with or without parameters.
pub(crate) fn is_json_media_type(value: &str) -> bool {
    value.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json")
}
