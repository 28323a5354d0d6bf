//! What an external service's error answer says: its message, and the fields it blames, read from the body.
//!
//! It exists because every service words its errors in its own shape (Freshdesk's `description` and `errors` of
//! `{field, message}`, Zendesk's `details`, HubSpot's `errors` with `in`, RFC 9457 problem details…), and a
//! bridge that quotes the wrong key tells its user "Validation failed" instead of what to fix. The default reader
//! ([`ServiceError::read`]) understands the common shapes; a client given an
//! [`error_reader`](super::ClientBuilder::error_reader) reads its service's own. What is read is only ever
//! quoted after [`safe_text`](super::sanitize::safe_text) made it safe (no credential, one line, short).

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// What a service's error answer says: a message and the fields it blames, as an error reader found them.
///
/// The client quotes it in the error a failed call becomes (`Freshdesk refused the request (400 Bad Request):
/// Validation failed (email: It should be a valid email address)`), and a field the call
/// [maps](super::RequestBuilder::map_field) to a field of the bridge's request (`email` → `data.email`) becomes a
/// field error of the bridge's `400`.
///
/// ```
/// use bridge::http::{header::HeaderMap, ServiceError};
///
/// // Freshdesk's answer to a ticket it refuses.
/// let body = br#"{"description": "Validation failed",
///     "errors": [{"field": "email", "message": "It should be a valid email address", "code": "invalid_value"}]}"#;
/// let said = ServiceError::read(&HeaderMap::new(), body);
/// assert_eq!(said.message.as_deref(), Some("Validation failed"));
/// assert_eq!(said.fields[0].field, "email");
/// assert_eq!(said.fields[0].message, "It should be a valid email address");
/// assert_eq!(said.to_string(), "Validation failed (email: It should be a valid email address)");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The service's explanation, if it gave one.
    pub message: Option<String>,
    /// The fields of the call the service blames, each with what is wrong with it, in the service's words.
    pub fields: Vec<ServiceFieldError>,
}

/// One field of a call that the service refused, in the service's names (`email`, `properties.email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFieldError {
    /// The field, as the service names it.
    pub field: String,
    /// What is wrong with it, as the service says it.
    pub message: String,
}

impl ServiceError {
    /// Nothing said (yet): build one up with [`message`](Self::message) and [`field`](Self::field).
    pub fn new() -> Self {
        Self::default()
    }

    /// With the service's message.
    #[must_use]
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// With one more field the service blames.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.fields.push(ServiceFieldError { field: field.into(), message: message.into() });
        self
    }

    /// Whether nothing was said.
    pub fn is_empty(&self) -> bool {
        self.message.is_none() && self.fields.is_empty()
    }

    /// The default reader: the common shapes of error bodies.
    ///
    /// - a JSON object's message: the first non-empty string of `message`, `error_description`, `detail`,
    ///   `description`, `title`, `error` (or `error.message`), `error_message`; failing those, the first message
    ///   of its `errors`;
    /// - its fields: `errors` as an array of `{field | name | in | pointer | source.pointer | source.parameter |
    ///   context.propertyName, message | detail | reason | description | title}` (Freshdesk, HubSpot, JSON:API),
    ///   `errors` or `details` as an object of field → messages (Rails, Zendesk), `invalid-params` of
    ///   `{name, reason}` (RFC 9457); a JSON pointer (`/data/email`, `#/email`) is given with dots (`data.email`);
    /// - RFC 9457 problem details (`application/problem+json`): `detail`, else `title`;
    /// - a `text/plain` body: its text.
    ///
    /// ```
    /// use bridge::http::{header::HeaderMap, ServiceError};
    ///
    /// let problem = br##"{"type": "https://example.net/validation-error", "title": "Your request is not valid.",
    ///     "errors": [{"detail": "must be a positive integer", "pointer": "#/age"}]}"##;
    /// let said = ServiceError::read(&HeaderMap::new(), problem);
    /// assert_eq!(said.to_string(), "Your request is not valid. (age: must be a positive integer)");
    /// ```
    pub fn read(headers: &HeaderMap, body: &[u8]) -> Self {
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if let Ok(json) = serde_json::from_slice::<Value>(body) {
            return read_json(&json);
        }
        let is_plain = content_type.trim_start().to_ascii_lowercase().starts_with("text/plain");
        match std::str::from_utf8(body).map(str::trim) {
            Ok(text) if is_plain && !text.is_empty() => Self::new().message(text),
            _ => Self::new(),
        }
    }
}

impl fmt::Display for ServiceError {
    /// The message, then the fields in parentheses: `Validation failed (email: is invalid; name: is missing)`. A
    /// field whose text the message says already is named only (`Subject is too long (subject)`), so that a reader
    /// that sets both the message and the field does not print the text twice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(message) = &self.message {
            f.write_str(message)?;
        }
        if self.fields.is_empty() {
            return Ok(());
        }
        if self.message.is_some() {
            f.write_str(" (")?;
        }
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match &self.message {
                Some(message) if message.contains(field.message.as_str()) => f.write_str(&field.field)?,
                _ => write!(f, "{}: {}", field.field, field.message)?,
            }
        }
        if self.message.is_some() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A client's way of reading its service's error bodies (see
/// [`ClientBuilder::error_reader`](super::ClientBuilder::error_reader)).
#[derive(Clone)]
pub(crate) struct ErrorReader(Arc<ReadFn>);

type ReadFn = dyn Fn(&HeaderMap, &[u8]) -> ServiceError + Send + Sync;

impl ErrorReader {
    pub(crate) fn new(read: impl Fn(&HeaderMap, &[u8]) -> ServiceError + Send + Sync + 'static) -> Self {
        Self(Arc::new(read))
    }

    pub(crate) fn read(&self, headers: &HeaderMap, body: &[u8]) -> ServiceError {
        (self.0)(headers, body)
    }
}

impl fmt::Debug for ErrorReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ErrorReader(<fn>)")
    }
}

/// The keys a message is looked for under, in order.
const MESSAGE_KEYS: [&str; 7] =
    ["message", "error_description", "detail", "description", "title", "error", "error_message"];

fn read_json(json: &Value) -> ServiceError {
    let mut said = ServiceError::new();
    let mut loose = Vec::new();
    match json {
        Value::String(text) => return nonblank(text).map(|m| said.message(m)).unwrap_or_default(),
        Value::Array(items) => fields_of_list(items, &mut said, &mut loose),
        Value::Object(map) => {
            said.message = message_of(map);
            match map.get("errors") {
                Some(Value::Array(items)) => fields_of_list(items, &mut said, &mut loose),
                Some(Value::Object(by_field)) => fields_of_map(by_field, &mut said),
                Some(Value::String(text)) => loose.extend(nonblank(text)),
                _ => {}
            }
            if let Some(Value::Object(by_field)) = map.get("details") {
                fields_of_map(by_field, &mut said);
            }
            for key in ["invalid-params", "invalid_params"] {
                if let Some(Value::Array(items)) = map.get(key) {
                    fields_of_list(items, &mut said, &mut loose);
                }
            }
        }
        _ => {}
    }
    if said.message.is_none() {
        said.message = loose.into_iter().next();
    }
    said
}

/// The first non-empty message under the usual keys (one level of nesting: `{"error": {"message": …}}`).
fn message_of(map: &Map<String, Value>) -> Option<String> {
    MESSAGE_KEYS.iter().find_map(|key| match map.get(*key)? {
        Value::String(text) => nonblank(text),
        Value::Object(inner) => {
            MESSAGE_KEYS.iter().find_map(|key| inner.get(*key).and_then(Value::as_str).and_then(nonblank))
        }
        _ => None,
    })
}

/// Items of an `errors` list: a field error when the item names a field, else a loose message.
fn fields_of_list(items: &[Value], said: &mut ServiceError, loose: &mut Vec<String>) {
    for item in items {
        let Value::Object(item) = item else {
            loose.extend(item.as_str().and_then(nonblank));
            continue;
        };
        let message = ["message", "detail", "reason", "description", "title", "error"]
            .iter()
            .find_map(|key| item.get(*key).and_then(Value::as_str).and_then(nonblank));
        let Some(message) = message else { continue };
        match field_of(item) {
            Some(field) => said.fields.push(ServiceFieldError { field, message }),
            None => loose.push(message),
        }
    }
}

/// The field an error item names, in the forms services use.
fn field_of(item: &Map<String, Value>) -> Option<String> {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).and_then(nonblank);
    if let Some(field) = text(item.get("field")).or_else(|| text(item.get("name"))).or_else(|| text(item.get("in"))) {
        return Some(field);
    }
    let source = item.get("source").and_then(Value::as_object);
    if let Some(pointer) = text(item.get("pointer")).or_else(|| text(source.and_then(|s| s.get("pointer")))) {
        return from_pointer(&pointer);
    }
    if let Some(parameter) = text(source.and_then(|s| s.get("parameter"))) {
        return Some(parameter);
    }
    // HubSpot: `"context": {"propertyName": ["email"]}`.
    let context = item.get("context").and_then(Value::as_object)?;
    let names = context.get("propertyName").or_else(|| context.get("propertyNames"))?;
    match names {
        Value::Array(names) => names.first().and_then(Value::as_str).and_then(nonblank),
        other => text(Some(other)),
    }
}

/// `/data/email` and `#/data/email` as `data.email` (RFC 6901 escapes undone).
fn from_pointer(pointer: &str) -> Option<String> {
    let path = pointer.trim_start_matches('#').trim_start_matches('/');
    let segments: Vec<String> =
        path.split('/').filter(|s| !s.is_empty()).map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    (!segments.is_empty()).then(|| segments.join("."))
}

/// An object of field → message(s): `{"email": ["is invalid"]}`, `{"email": [{"description": "…"}]}`.
fn fields_of_map(by_field: &Map<String, Value>, said: &mut ServiceError) {
    for (field, messages) in by_field {
        let messages: Vec<&Value> = match messages {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for message in messages {
            let text = match message {
                Value::String(text) => nonblank(text),
                Value::Object(inner) => message_of(inner),
                _ => None,
            };
            if let Some(text) = text {
                said.fields.push(ServiceFieldError { field: field.clone(), message: text });
            }
        }
    }
}

fn nonblank(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> ServiceError {
        ServiceError::read(&HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn freshdesk_description_and_field_errors() {
        let said = read(
            r#"{"description": "Validation failed", "errors": [
                {"field": "email", "message": "It should be a valid email address", "code": "invalid_value"},
                {"field": "requester_id", "message": "There is no contact matching the given requester_id",
                 "code": "invalid_value"}]}"#,
        );
        assert_eq!(said.message.as_deref(), Some("Validation failed"));
        assert_eq!(
            said.fields,
            [
                ServiceFieldError { field: "email".into(), message: "It should be a valid email address".into() },
                ServiceFieldError {
                    field: "requester_id".into(),
                    message: "There is no contact matching the given requester_id".into()
                },
            ]
        );
    }

    #[test]
    fn zendesk_classic_details_and_json_api_errors() {
        let classic = read(
            r#"{"error": "RecordInvalid", "description": "Record validation errors",
                "details": {"email": [{"description": "Email: ada@ is not properly formatted", "error": "InvalidValue"}]}}"#,
        );
        assert_eq!(classic.to_string(), "Record validation errors (email: Email: ada@ is not properly formatted)");
        // The OpenAPI description's `Errors`: JSON:API error objects, the field in `source.pointer`.
        let json_api = read(
            r#"{"errors": [{"code": "InvalidValue", "title": "Invalid value", "detail": "Subject is too long",
                "source": {"pointer": "/data/attributes/subject"}, "status": "422"},
                {"code": "Forbidden", "title": "Not allowed to assign"}]}"#,
        );
        assert_eq!(json_api.message.as_deref(), Some("Not allowed to assign"));
        assert_eq!(json_api.fields[0].field, "data.attributes.subject");
        assert_eq!(json_api.fields[0].message, "Subject is too long");
        // OAuth's `error` code gives way to its description.
        assert_eq!(
            read(r#"{"error": "invalid_grant", "error_description": "The refresh token expired"}"#).to_string(),
            "The refresh token expired"
        );
        assert_eq!(read(r#"{"error": "Couldn't authenticate you"}"#).to_string(), "Couldn't authenticate you");
    }

    #[test]
    fn hubspot_errors_with_in_and_context() {
        let said = read(
            r#"{"status": "error", "message": "Property values were not valid", "correlationId": "aeb5f871",
                "category": "VALIDATION_ERROR", "errors": [
                {"message": "Email address ada@ is invalid", "code": "INVALID_EMAIL", "in": "email"},
                {"message": "Not a valid date", "code": "INVALID_DATE", "context": {"propertyName": ["closedate"]}},
                {"message": "This app lacks a scope", "context": {"missingScopes": ["crm.objects.contacts.write"]}}]}"#,
        );
        assert_eq!(said.message.as_deref(), Some("Property values were not valid"));
        let fields: Vec<_> = said.fields.iter().map(|f| (f.field.as_str(), f.message.as_str())).collect();
        assert_eq!(fields, [("email", "Email address ada@ is invalid"), ("closedate", "Not a valid date")]);
    }

    #[test]
    fn rfc_9457_problem_details() {
        let said = read(
            r#"{"type": "https://example.com/probs/out-of-credit", "title": "You do not have enough credit.",
                "detail": "Your current balance is 30, but that costs 50.", "instance": "/account/12345/msgs/abc",
                "status": 403}"#,
        );
        assert_eq!(said.to_string(), "Your current balance is 30, but that costs 50.");
        let invalid = read(
            r#"{"type": "https://example.net/validation-error", "title": "Your request parameters didn't validate.",
                "invalid-params": [{"name": "age", "reason": "must be a positive integer"},
                                   {"name": "color", "reason": "must be 'green', 'red' or 'blue'"}]}"#,
        );
        assert_eq!(
            invalid.to_string(),
            "Your request parameters didn't validate. (age: must be a positive integer; color: must be 'green', 'red' or 'blue')"
        );
    }

    #[test]
    fn other_shapes() {
        assert_eq!(read(r#"{"error": {"code": "x", "message": "nested"}}"#).to_string(), "nested");
        assert_eq!(read(r#"{"errors": {"name": ["can't be blank"]}}"#).to_string(), "name: can't be blank");
        assert_eq!(
            read(r#"{"errors": [{"code": 7, "message": "Subject is too long"}]}"#).to_string(),
            "Subject is too long"
        );
        assert_eq!(read(r#"["first problem", "second"]"#).to_string(), "first problem");
        assert!(read(r#"{"status": 500}"#).is_empty());
        assert!(read("<html>oops</html>").is_empty());
        let mut plain = HeaderMap::new();
        plain.insert(CONTENT_TYPE, "text/plain; charset=utf-8".parse().unwrap());
        assert_eq!(ServiceError::read(&plain, b" Not allowed\n").to_string(), "Not allowed");
        assert_eq!(from_pointer("#/a~1b/c~0d").as_deref(), Some("a/b.c~d"));
        assert_eq!(from_pointer("/"), None);
    }
}
