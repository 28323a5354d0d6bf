//! What a fake service is handed ([`FakeRequest`]: the request, read whole, with its query decoded) and what it
//! answers ([`FakeResponse`]: a status, headers and a body), so that a fake is a plain function of one to the other.

use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;
use std::fmt;

/// A request a fake service received, read whole.
///
/// ```
/// use bridge::testing::fake::FakeRequest;
///
/// let request = FakeRequest::new("GET", "/api/v2/users.json?role[]=agent&page=2")
///     .header("authorization", "Basic YWRhQGV4YW1wbGUuY29tL3Rva2VuOnNlY3JldA==");
/// assert_eq!(request.segments(), ["api", "v2", "users.json"]);
/// assert_eq!((request.param("role[]"), request.param("page")), (Some("agent"), Some("2")));
/// assert_eq!(request.basic_auth(), Some(("ada@example.com/token".to_owned(), "secret".to_owned())));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FakeRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

impl FakeRequest {
    /// A request for `path_and_query` (`/users?page=2`), without headers or body: for a fake's unit tests.
    ///
    /// # Panics
    ///
    /// When `method` is not a valid HTTP method.
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let method = Method::from_bytes(method.as_bytes()).expect("a valid HTTP method");
        Self {
            method,
            path: path.to_owned(),
            query: decode_pairs(query),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub(super) fn from_parts(parts: http::request::Parts, body: Bytes) -> Self {
        let query = decode_pairs(parts.uri.query().unwrap_or(""));
        Self { method: parts.method, path: parts.uri.path().to_owned(), query, headers: parts.headers, body }
    }

    /// With header `name: value` (for a fake's unit tests).
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not a valid header name or value.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        self.headers.append(name, HeaderValue::from_str(value).expect("a valid header value"));
        self
    }

    /// With this body (for a fake's unit tests).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, as sent (percent-encoded), without the query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path's segments, without the leading and trailing `/`: what a fake matches on.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_matches('/').split('/').collect()
    }

    /// The query's parameters, decoded, in order (a name may repeat).
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of header `name`, when it is text.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body, as received.
    pub fn body_bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as JSON; `None` when it is empty or not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as an `application/x-www-form-urlencoded` form, decoded, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_pairs(std::str::from_utf8(&self.body).unwrap_or(""))
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer_token(&self) -> Option<&str> {
        self.header_str(AUTHORIZATION.as_str())?.strip_prefix("Bearer ").map(str::trim)
    }

    /// The user and password of an `Authorization: Basic …` header.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let encoded = self.header_str(AUTHORIZATION.as_str())?.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
        let (user, password) = String::from_utf8(decoded).ok()?.split_once(':').map(|(u, p)| (u.into(), p.into()))?;
        Some((user, password))
    }

    /// `http://<Host>/`: the base of the URLs a service puts in its answers (next-page links, `url` fields), as
    /// the caller reached it.
    pub fn base(&self) -> String {
        format!("http://{}/", self.header_str(HOST.as_str()).unwrap_or("127.0.0.1"))
    }
}

/// The headers are left out: they carry the caller's credentials.
impl fmt::Debug for FakeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// An answer of a fake service.
///
/// ```
/// use bridge::testing::fake::FakeResponse;
///
/// let answer = FakeResponse::json(422, &serde_json::json!({"error": "RecordInvalid"})).header("x-request-id", "7");
/// assert_eq!(answer.status(), 422);
/// assert_eq!(answer.headers()["content-type"], "application/json; charset=utf-8");
/// assert_eq!(answer.body_bytes(), r#"{"error":"RecordInvalid"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl FakeResponse {
    /// An answer with `status` and no body.
    ///
    /// # Panics
    ///
    /// When `status` is not between 100 and 999.
    pub fn new(status: u16) -> Self {
        let status = StatusCode::from_u16(status).expect("a valid HTTP status");
        Self { status, headers: HeaderMap::new(), body: Bytes::new() }
    }

    /// `body` as JSON (`Content-Type: application/json; charset=utf-8`).
    pub fn json(status: u16, body: &Value) -> Self {
        Self::new(status)
            .header(CONTENT_TYPE.as_str(), "application/json; charset=utf-8")
            .body(serde_json::to_vec(body).expect("a JSON value serializes"))
    }

    /// `body` with this content type (an HTML error page, a body cut short…).
    pub fn text(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self::new(status).header(CONTENT_TYPE.as_str(), content_type).body(body)
    }

    /// With header `name: value`, in place of any header of that name.
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not a valid header name or value.
    pub fn header(mut self, name: &str, value: impl fmt::Display) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        self.headers.insert(name, HeaderValue::from_str(&value.to_string()).expect("a valid header value"));
        self
    }

    /// With this body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body_bytes(&self) -> &Bytes {
        &self.body
    }

    pub(super) fn into_http(self) -> http::Response<http_body_util::Full<Bytes>> {
        let mut response = http::Response::new(http_body_util::Full::new(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// `a=1&b=x%20y` → `[(a, 1), (b, x y)]`: the decoding of a query or a form.
fn decode_pairs(raw: &str) -> Vec<(String, String)> {
    if raw.is_empty() {
        return Vec::new();
    }
    let mut url = reqwest::Url::parse("http://fake/").expect("a valid URL");
    url.set_query(Some(raw));
    url.query_pairs().map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_forms_are_decoded_in_order() {
        let request =
            FakeRequest::new("POST", "/oauth/v1/token?a=1&a=2&b=x%20y+z").body("grant_type=refresh_token&x=%2F");
        assert_eq!(request.query(), [("a".into(), "1".into()), ("a".into(), "2".into()), ("b".into(), "x y z".into())]);
        assert_eq!(request.param("a"), Some("1"));
        assert_eq!(request.form(), [("grant_type".into(), "refresh_token".into()), ("x".into(), "/".into())]);
        assert_eq!(FakeRequest::new("GET", "/").query(), []);
    }

    #[test]
    fn credentials_are_read_and_never_debugged() {
        let request = FakeRequest::new("GET", "/").header("authorization", "Bearer  tok-1 ");
        assert_eq!(request.bearer_token(), Some("tok-1"));
        assert_eq!(request.basic_auth(), None);
        assert!(!format!("{request:?}").contains("tok-1"));
        let garbled = FakeRequest::new("GET", "/").header("authorization", "Basic !!!");
        assert_eq!(garbled.basic_auth(), None);
    }

    #[test]
    fn the_base_is_the_host_the_caller_reached() {
        let request = FakeRequest::new("GET", "/").header("host", "127.0.0.1:4242");
        assert_eq!(request.base(), "http://127.0.0.1:4242/");
        assert_eq!(FakeRequest::new("GET", "/").base(), "http://127.0.0.1/");
    }

    #[test]
    fn a_body_is_json_or_none() {
        assert_eq!(FakeRequest::new("POST", "/").body(r#"{"a": 1}"#).json(), Some(serde_json::json!({"a": 1})));
        assert_eq!(FakeRequest::new("POST", "/").body("{").json(), None);
    }
}
