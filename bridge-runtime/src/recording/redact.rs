//! Turning one exchange into a cassette entry with no secret left in it, and back into an answer.
//!
//! It exists because a cassette is committed, reviewed and shared, and the traffic it comes from is full of
//! credentials. Redaction is always on and is the same function for recording and for replay: a call being
//! replayed is redacted exactly as the recorded one was, and the two redacted forms are compared, so a secret
//! never has to be written down for a call to match. What is replaced:
//!
//! - the call's **origin** (`https://acme.zendesk.com`, `http://127.0.0.1:41234`) by `{origin}` wherever it
//!   appears (links in answers); replay puts back the origin of the call being answered;
//! - every string value of the request's **`auth`** (four characters or more, as error bodies blank them), wherever
//!   it appears, whole or inside a longer text (a token in a URL, an email in a search query), by a placeholder
//!   naming its field (`{auth.subdomain}`, `{auth.token}`); replay puts back the value the test's request carries;
//! - the call's own **credentials** (a bearer token, the base64 of a Basic `email/token:secret` pair, a key in the
//!   path or query) by `<redacted>`;
//! - the values of headers, query parameters, form fields and JSON fields (at any depth, in requests and answers)
//!   **named like a secret** (see [`is_secret_name`]) by `<redacted>`: `Authorization`, `Cookie`, `Set-Cookie`,
//!   `X-Api-Key`, `access_token`, `refresh_token`, `client_secret`, `password`…

use super::{Body, Received, Sent};
use crate::tap::AuthValues;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::{HeaderMap, Method, StatusCode};
use reqwest::Url;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What a secret's value becomes.
pub(crate) const REDACTED: &str = "<redacted>";

/// The placeholder of the call's origin.
pub(crate) const ORIGIN: &str = "{origin}";

/// Which side of an exchange a name belongs to: `code` is a secret in a request (an OAuth authorization code
/// being exchanged), an error code in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Request,
    Answer,
}

/// Words that make any name they appear in a secret's (`access_token`, `x-csrf-token`, `client_secret`,
/// `db_password`, `x-hub-signature-256`, `set-cookie`, `proxy-authorization`).
const SECRET_WORDS: &[&str] = &[
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "apikey",
    "apikeys",
    "signature",
    "cookie",
    "cookies",
    "credential",
    "credentials",
    "jwt",
    "bearer",
    "authorization",
    "sessionid",
    "privatekey",
    "secretkey",
    "accesskey",
];

/// Words that make a name a secret's when they end it (`api_key`, `X-Api-Key`, `key`, `basic_auth`, `session`).
const SECRET_LAST_WORDS: &[&str] = &["key", "keys", "auth", "session", "sig"];

/// Whether a header, query parameter, form field or JSON field called `name` holds a secret.
///
/// The name is split into words (at `_`, `-`, `.`, spaces and camelCase: `apiKey` is `api key`), compared without
/// case. It is a secret's when one of its words is in [`SECRET_WORDS`], when its last word is in
/// [`SECRET_LAST_WORDS`], when it is a session id (`session_id`), or, in a request only, when it is an OAuth code
/// (`code`, `auth_code`, `authorization_code`, `device_code`, `verification_code`).
pub(crate) fn is_secret_name(name: &str, side: Side) -> bool {
    let words = words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if words.iter().any(|word| SECRET_WORDS.contains(&word.as_str())) || SECRET_LAST_WORDS.contains(&last.as_str()) {
        return true;
    }
    let before_last = words.len().checked_sub(2).map(|at| words[at].as_str());
    if last == "id" && before_last == Some("session") {
        return true;
    }
    side == Side::Request
        && last == "code"
        && matches!(before_last, None | Some("auth" | "authorization" | "device" | "verification"))
}

/// `name`'s words, lowercased: `X-Api-Key` → `x api key`, `refreshToken` → `refresh token`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Request headers that say nothing about the call (the transport's, the trace's): not recorded.
const NOISE_REQUEST: &[&str] =
    &["accept-encoding", "connection", "content-length", "host", "traceparent", "tracestate", "user-agent"];

/// Answer headers that change with every answer and mean nothing to a bridge: not recorded.
const NOISE_ANSWER: &[&str] = &[
    "age",
    "alt-svc",
    "cf-cache-status",
    "cf-ray",
    "connection",
    "content-length",
    "date",
    "expect-ct",
    "keep-alive",
    "nel",
    "report-to",
    "server",
    "server-timing",
    "strict-transport-security",
    "transfer-encoding",
    "vary",
    "via",
    "x-envoy-upstream-service-time",
    "x-request-id",
    "x-runtime",
];

/// The redaction of one call: its origin, the request's `auth` and the call's credentials.
pub(crate) struct Redactor {
    origin: String,
    /// What each secret text becomes, longest text first: `(value, replacement)`.
    needles: Vec<(String, String)>,
}

impl Redactor {
    /// The redaction of a call to `url`, made while answering a request with `auth`, with its own `secrets`.
    pub(crate) fn new(url: &Url, auth: &AuthValues, secrets: &[&str]) -> Self {
        let mut needles: Vec<(String, String)> = Vec::new();
        // Texts shorter than four characters are left alone, as error bodies leave them: replacing every `ab` of
        // a cassette would hide nothing and garble everything.
        let mut add = |value: &str, replacement: &str| {
            if value.chars().count() >= 4 && !needles.iter().any(|(known, _)| known == value) {
                needles.push((value.to_owned(), replacement.to_owned()));
            }
        };
        for (path, value) in &auth.0 {
            let placeholder = format!("{{{path}}}");
            add(value, &placeholder);
            add(&path_segment(value), &placeholder);
            add(&query_value(value), &placeholder);
        }
        for secret in secrets {
            add(secret, REDACTED);
            add(&path_segment(secret), REDACTED);
            add(&query_value(secret), REDACTED);
            add(&BASE64.encode(secret), REDACTED);
        }
        needles.sort_by_key(|(needle, _)| std::cmp::Reverse(needle.len()));
        Self { origin: url.origin().ascii_serialization(), needles }
    }

    /// `text` with the origin and every secret replaced.
    pub(crate) fn text(&self, text: &str) -> String {
        // A URL without a host (`file:`, `data:`) has the opaque origin `null`: not a text to replace.
        let mut text = if self.origin == "null" { text.to_owned() } else { text.replace(&self.origin, ORIGIN) };
        for (needle, replacement) in &self.needles {
            if text.contains(needle.as_str()) {
                text = text.replace(needle.as_str(), replacement);
            }
        }
        text
    }

    /// The request as a cassette records it.
    pub(crate) fn request(&self, method: &Method, url: &Url, headers: &HeaderMap, body: Option<&[u8]>) -> Sent {
        Sent {
            method: method.as_str().to_owned(),
            path: self.text(url.path()),
            query: self.pairs(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())), Side::Request),
            headers: self.headers(headers, NOISE_REQUEST, Side::Request),
            body: self.body(headers, body.unwrap_or_default(), Side::Request),
            credentials: None,
        }
    }

    /// The answer as a cassette records it.
    pub(crate) fn answer(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Received {
        Received {
            status: status.as_u16(),
            headers: self.headers(headers, NOISE_ANSWER, Side::Answer),
            body: self.body(headers, body, Side::Answer),
        }
    }

    fn headers(&self, headers: &HeaderMap, noise: &[&str], side: Side) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let name = name.as_str();
            if noise.contains(&name) {
                continue;
            }
            let value = if is_secret_name(name, side) {
                REDACTED.to_owned()
            } else {
                self.text(&String::from_utf8_lossy(value.as_bytes()))
            };
            out.entry(name.to_owned())
                .and_modify(|known| {
                    if known != REDACTED {
                        known.push_str(", ");
                        known.push_str(&value);
                    }
                })
                .or_insert(value);
        }
        out
    }

    /// Pairs (a query string, a form), redacted, by name.
    fn pairs(&self, pairs: impl Iterator<Item = (String, String)>, side: Side) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs {
            let value = if is_secret_name(&name, side) { REDACTED.to_owned() } else { self.text(&value) };
            out.entry(self.text(&name)).or_default().push(value);
        }
        out
    }

    fn body(&self, headers: &HeaderMap, body: &[u8], side: Side) -> Body {
        if body.is_empty() {
            return Body::default();
        }
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.contains("json") || content_type.is_empty() {
            if let Ok(json) = serde_json::from_slice::<Value>(body) {
                return Body { json: Some(self.json(json, side)), ..Body::default() };
            }
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            let pairs = form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned()));
            return Body { form: Some(self.pairs(pairs, side)), ..Body::default() };
        }
        match std::str::from_utf8(body) {
            Ok(text) => Body { text: Some(self.text(text)), ..Body::default() },
            // Bytes that are not text cannot be searched for a secret: they are kept out of the cassette.
            Err(_) => Body { base64: Some(REDACTED.to_owned()), ..Body::default() },
        }
    }

    /// A JSON value, redacted, with its objects' keys in order.
    fn json(&self, value: Value, side: Side) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(&text)),
            Value::Array(items) => Value::Array(items.into_iter().map(|item| self.json(item, side)).collect()),
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut out = Map::new();
                for (key, item) in entries {
                    let item = if is_secret_name(&key, side) { blank_strings(item) } else { self.json(item, side) };
                    out.insert(key, item);
                }
                Value::Object(out)
            }
            other => other,
        }
    }
}

/// `value` with every string in it, at any depth, `<redacted>` (numbers, booleans and nulls say nothing secret).
fn blank_strings(value: Value) -> Value {
    match value {
        Value::String(_) => Value::String(REDACTED.to_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(blank_strings).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, blank_strings(v))).collect()),
        other => other,
    }
}

/// `value` as one percent-encoded path segment.
fn path_segment(value: &str) -> String {
    let mut url = Url::parse("http://segment/").expect("a valid URL");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.push(value);
    }
    url.path()[1..].to_owned()
}

/// `value` as a percent-encoded query value.
fn query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// What fills the placeholders of a recorded answer: the origin of the call being answered and the values of the
/// replayed request's `auth`.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) struct Filler<'a> {
    pub(crate) origin: String,
    pub(crate) auth: &'a AuthValues,
}

#[cfg_attr(not(feature = "testing"), allow(dead_code))]
impl Filler<'_> {
    /// `text` with its placeholders filled.
    pub(crate) fn text(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_owned();
        }
        let mut text = text.replace(ORIGIN, &self.origin);
        for (path, value) in &self.auth.0 {
            text = text.replace(&format!("{{{path}}}"), value);
        }
        text
    }

    /// A JSON value with its placeholders filled.
    pub(crate) fn json(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(text)),
            Value::Array(items) => Value::Array(items.iter().map(|item| self.json(item)).collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self.json(v))).collect()),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn names_like_a_secret() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "set-cookie",
            "X-Api-Key",
            "api_key",
            "apikey",
            "apiKey",
            "APIKey",
            "key",
            "token",
            "access_token",
            "refreshToken",
            "id_token",
            "x-csrf-token",
            "client_secret",
            "password",
            "db_password",
            "session",
            "session_id",
            "sessionId",
            "signature",
            "x-hub-signature-256",
            "basic_auth",
            "private_key",
            "credentials",
            "authorization_code",
        ] {
            assert!(is_secret_name(name, Side::Answer), "{name}");
            assert!(is_secret_name(name, Side::Request), "{name}");
        }
        for name in ["code", "auth_code", "device_code", "verification_code"] {
            assert!(is_secret_name(name, Side::Request), "{name}");
            assert!(!is_secret_name(name, Side::Answer), "{name}: an error code in an answer");
        }
        for name in [
            "",
            "id",
            "email",
            "expires_in",
            "token_type_hint_count_x",
            "country_code",
            "error_code",
            "monkey",
            "keyboard",
            "author",
            "auth_type",
            "password_set",
            "x-ratelimit-remaining",
            "www-authenticate",
            "content-type",
        ] {
            let expected = name == "token_type_hint_count_x" || name == "password_set";
            assert_eq!(is_secret_name(name, Side::Request), expected, "{name}");
        }
    }

    #[test]
    fn words_split_at_separators_and_camel_case() {
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(words("refreshToken2"), ["refresh", "token2"]);
        assert_eq!(words("APIKey"), ["apikey"]);
        assert_eq!(words("hs_v2.secret"), ["hs", "v2", "secret"]);
        assert_eq!(words("__"), Vec::<String>::new());
    }

    fn auth() -> AuthValues {
        AuthValues(vec![
            ("auth.token".to_owned(), "tok/en+123".to_owned()),
            ("auth.email".to_owned(), "ann@acme.test".to_owned()),
            ("auth.subdomain".to_owned(), "acme".to_owned()),
        ])
    }

    #[test]
    fn auth_values_become_placeholders_and_credentials_disappear() {
        let url =
            Url::parse("https://acme.zendesk.com/api/tok%2Fen+123/x?q=requester%3Aann%40acme.test&page=2").unwrap();
        let redactor = Redactor::new(&url, &auth(), &["bearer-xyz", "ann@acme.test/token:tok/en+123"]);
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer bearer-xyz"));
        headers.insert("x-echo", HeaderValue::from_static("about bearer-xyz"));
        headers.insert("user-agent", HeaderValue::from_static("noise"));
        let sent = redactor.request(&Method::GET, &url, &headers, None);
        assert_eq!(sent.path, "/api/{auth.token}/x");
        assert_eq!(sent.query["q"], ["requester:{auth.email}"]);
        assert_eq!(sent.query["page"], ["2"]);
        assert_eq!(sent.headers["authorization"], REDACTED);
        assert_eq!(sent.headers["x-echo"], "about <redacted>");
        assert!(!sent.headers.contains_key("user-agent"));
        // The base64 of a Basic pair, echoed back.
        let echoed = BASE64.encode("ann@acme.test/token:tok/en+123");
        assert_eq!(redactor.text(&format!("Basic {echoed}")), "Basic <redacted>");
        assert_eq!(redactor.text("see https://acme.zendesk.com/a?x=acme"), "see {origin}/a?x={auth.subdomain}");
        // Percent-encoded, in a link an answer carries: as a query value, and as a path segment.
        assert_eq!(redactor.text("https://x.test/n?t=tok%2Fen%2B123"), "https://x.test/n?t={auth.token}");
        assert_eq!(redactor.text("https://x.test/tok%2Fen+123/n"), "https://x.test/{auth.token}/n");
    }

    #[test]
    fn repeated_headers_are_one_line_and_a_redacted_one_stays_redacted() {
        let url = Url::parse("https://svc.test/").unwrap();
        let redactor = Redactor::new(&url, &AuthValues::default(), &[]);
        let mut headers = HeaderMap::new();
        headers.append("link", HeaderValue::from_static("<https://svc.test/a>; rel=next"));
        headers.append("link", HeaderValue::from_static("<https://svc.test/z>; rel=last"));
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        headers.append("date", HeaderValue::from_static("Tue, 04 Jun 2024 09:00:00 GMT"));
        let received = redactor.answer(StatusCode::OK, &headers, b"");
        assert_eq!(received.headers["link"], "<{origin}/a>; rel=next, <{origin}/z>; rel=last");
        assert_eq!(received.headers["set-cookie"], REDACTED);
        assert!(!received.headers.contains_key("date"));
        assert_eq!(received.body, Body::default());
    }

    #[test]
    fn an_opaque_origin_is_not_replaced() {
        let url = Url::parse("file:///tmp/x").unwrap();
        let redactor = Redactor::new(&url, &AuthValues::default(), &[]);
        assert_eq!(redactor.text("null and file:///tmp"), "null and file:///tmp");
    }

    #[test]
    fn json_and_form_fields_named_like_secrets_are_blanked_at_any_depth() {
        let url = Url::parse("http://127.0.0.1:9/oauth/token").unwrap();
        let redactor = Redactor::new(&url, &AuthValues::default(), &[]);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let body = br#"{"b": {"access_token": "at-1", "nested": [{"password": {"x": "p", "n": 3}}]}, "a": 1,
            "expires_in": 1800, "code": "E1"}"#;
        let received = redactor.answer(StatusCode::OK, &headers, body);
        let json = received.body.json.unwrap();
        assert_eq!(json["b"]["access_token"], REDACTED);
        assert_eq!(json["b"]["nested"][0]["password"], serde_json::json!({"x": REDACTED, "n": 3}));
        assert_eq!(json["expires_in"], 1800);
        assert_eq!(json["code"], "E1", "an answer's code is an error code");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b", "code", "expires_in"]);
        let mut form = HeaderMap::new();
        form.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded"));
        let sent = redactor.request(
            &Method::POST,
            &url,
            &form,
            Some(b"grant_type=authorization_code&code=c-1&client_secret=s-1&client_id=app"),
        );
        let fields = sent.body.form.unwrap();
        assert_eq!(fields["code"], [REDACTED]);
        assert_eq!(fields["client_secret"], [REDACTED]);
        assert_eq!(fields["client_id"], ["app"]);
        let text = redactor.answer(StatusCode::OK, &HeaderMap::new(), b"plain");
        assert_eq!(text.body.text.as_deref(), Some("plain"));
        let binary = redactor.answer(StatusCode::OK, &HeaderMap::new(), &[0xff, 0xfe]);
        assert_eq!(binary.body.base64.as_deref(), Some(REDACTED));
    }

    #[test]
    fn fills_put_back_the_origin_and_the_auth() {
        let auth = auth();
        let filler = Filler { origin: "http://zendesk.test".to_owned(), auth: &auth };
        assert_eq!(
            filler.text("{origin}/users?q={auth.email}&s={auth.subdomain}"),
            "http://zendesk.test/users?q=ann@acme.test&s=acme"
        );
        assert_eq!(filler.json(&serde_json::json!({"u": ["{auth.token}"]})), serde_json::json!({"u": ["tok/en+123"]}));
        assert_eq!(filler.text("plain"), "plain");
    }
}
