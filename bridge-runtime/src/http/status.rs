//! What an external service's status means for the bridge's own answer to Talkdesk.
//!
//! It exists because the mapping is part of the protocol, not a matter of taste: a `401` from the bridge makes
//! Talkdesk refresh an OAuth token and try again, so only a service that refused the credentials may cause one;
//! everything else must be told apart as the user's fault (`400`), the service's (`502`) or time's (`504`).
//!
//! | service answered | bridge answers |
//! |---|---|
//! | `401`, `403` | `401` [`credentials_rejected`](crate::Error::credentials_rejected) |
//! | `404` and other `4xx` | `400` [`invalid_input`](crate::Error::invalid_input), quoting the service's message; the fields it blames that the call [maps](super::RequestBuilder::map_field) become the `400`'s fields |
//! | `405`, `406`, `407`, `411`, `414`, `415`, `426`, `431` (the request's form is wrong: a bug in the bridge) | `502` |
//! | `408` | `504` |
//! | `429`, `503` once retries are spent | `502` |
//! | `3xx` (redirects are never followed), `5xx` | `502` |
//!
//! Every such error carries an [`UpstreamStatus`] as its source, so a handler can still ask what the service said
//! with [`upstream_status`].

use super::call_info::CallInfo;
use super::sanitize::safe_text;
use super::service_error::ServiceError;
use crate::error::FieldError;
use crate::Error;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::error::Error as StdError;
use std::fmt;

/// The status an external service answered with, kept as the [`source`](std::error::Error::source) of the
/// [`Error`] it became. Read it back with [`upstream_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamStatus(pub StatusCode);

impl fmt::Display for UpstreamStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the external service answered {}", self.0)
    }
}

impl StdError for UpstreamStatus {}

/// The status the external service answered with, when `err` came from one: for example to treat a `404` as "no
/// such ticket" after a [`send`](super::RequestBuilder::send). (To get `None` instead of an error for a `404`,
/// [`send_optional`](super::RequestBuilder::send_optional) is simpler.)
///
/// ```
/// use bridge::http::{upstream_status, StatusCode, UpstreamStatus};
/// use bridge::Error;
///
/// let err = Error::invalid_input("Zendesk has no such ticket").with_source(UpstreamStatus(StatusCode::NOT_FOUND));
/// assert_eq!(upstream_status(&err), Some(StatusCode::NOT_FOUND));
/// assert_eq!(upstream_status(&Error::internal("bug")), None);
/// ```
pub fn upstream_status(err: &Error) -> Option<StatusCode> {
    let mut source = StdError::source(err);
    while let Some(cause) = source {
        if let Some(status) = cause.downcast_ref::<UpstreamStatus>() {
            return Some(status.0);
        }
        source = cause.source();
    }
    None
}

/// What the service's error answer says, read by the client's reader (or the default one), every text made safe
/// with [`safe_text`].
pub(crate) fn service_error(headers: &HeaderMap, body: &[u8], call: &CallInfo) -> ServiceError {
    let said = match &call.reader {
        Some(reader) => reader.read(headers, body),
        None => ServiceError::read(headers, body),
    };
    let safe = |text: &str| safe_text(text, &call.secrets);
    let mut out = ServiceError::new();
    out.message = said.message.as_deref().map(safe).filter(|m| !m.is_empty());
    for field in &said.fields {
        let (name, message) = (safe(&field.field), safe(&field.message));
        if !name.is_empty() && !message.is_empty() {
            out = out.field(name, message);
        }
    }
    out
}

/// The error for an answer that is not a success, per the table of this module: the call names the service in
/// the message, and the service's own words, if any, are quoted after [`safe_text`] made them safe.
pub(crate) fn error_for_status(status: StatusCode, headers: &HeaderMap, body: &[u8], call: &CallInfo) -> Error {
    let service = &call.service;
    let service_said = service_error(headers, body, call);
    // Each part is safe already; the whole is cut to length once more.
    let said = match service_said.is_empty() {
        true => String::new(),
        false => format!(": {}", safe_text(&service_said.to_string(), &[])),
    };
    let err = match status.as_u16() {
        401 | 403 => Error::credentials_rejected(),
        300..=399 => {
            Error::upstream(format!("{service} answered with a redirect ({status}), which the bridge does not follow"))
        }
        405 | 406 | 407 | 411 | 414 | 415 | 426 | 431 => {
            Error::upstream(format!("{service} refused the form of the bridge's request ({status}){said}"))
        }
        404 => Error::invalid_input(format!("{service} has no such resource ({status}){said}")),
        408 => Error::timeout(format!("{service} timed out waiting for the request ({status})")),
        429 => Error::upstream(format!("{service} is rate-limiting the bridge ({status})")),
        503 => Error::upstream(format!("{service} is unavailable ({status}){said}")),
        400..=499 => Error::invalid_input(format!("{service} refused the request ({status}){said}"))
            .with_fields(mapped_fields(&service_said, call)),
        _ => Error::upstream(format!("{service} failed ({status}){said}")),
    };
    err.with_source(UpstreamStatus(status))
}

/// The fields the service blames that the call maps to fields of the bridge's request, with the service's words.
fn mapped_fields(said: &ServiceError, call: &CallInfo) -> Vec<FieldError> {
    said.fields
        .iter()
        .filter_map(|blamed| {
            let (_, ours) = call.fields.iter().find(|(theirs, _)| *theirs == blamed.field)?;
            Some(FieldError { field: ours.clone(), message: blamed.message.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Secret};
    use reqwest::header::CONTENT_TYPE;
    use reqwest::Method;

    fn call(fields: &[(&str, &str)]) -> CallInfo {
        CallInfo {
            service: "Zendesk".into(),
            method: Method::POST,
            host: "acme.zendesk.com".into(),
            path: "/api/v2/tickets".into(),
            secrets: vec![Secret::new("s3cr3t")],
            reader: None,
            fields: fields.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        }
    }

    fn map(status: u16, body: &str) -> Error {
        map_with(status, body, &call(&[]))
    }

    fn map_with(status: u16, body: &str, call: &CallInfo) -> Error {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        let status = StatusCode::from_u16(status).unwrap();
        error_for_status(status, &headers, body.as_bytes(), call)
    }

    #[test]
    fn statuses_map_to_the_protocol() {
        let cases = [
            (401, ErrorKind::CredentialsRejected),
            (403, ErrorKind::CredentialsRejected),
            (404, ErrorKind::InvalidInput),
            (422, ErrorKind::InvalidInput),
            (400, ErrorKind::InvalidInput),
            (405, ErrorKind::Upstream),
            (415, ErrorKind::Upstream),
            (408, ErrorKind::Timeout),
            (302, ErrorKind::Upstream),
            (500, ErrorKind::Upstream),
            (503, ErrorKind::Upstream),
        ];
        for (status, kind) in cases {
            let err = map(status, "{}");
            assert_eq!(err.kind(), kind, "{status}");
            assert_eq!(upstream_status(&err).map(|s| s.as_u16()), Some(status));
        }
    }

    #[test]
    fn quotes_the_service_safely() {
        let err = map(422, r#"{"error": "token s3cr3t is not allowed\nhere"}"#);
        assert_eq!(
            err.message(),
            "Zendesk refused the request (422 Unprocessable Entity): token <redacted> is not allowed here"
        );
        // A credentials error never quotes the service.
        assert_eq!(map(401, r#"{"error": "bad s3cr3t"}"#).message(), Error::credentials_rejected().message());
        // Nor does a field's message, or a field's name, carry a credential.
        let err = map(400, r#"{"errors": [{"field": "s3cr3t", "message": "token s3cr3t\nis wrong"}]}"#);
        assert_eq!(
            err.message(),
            "Zendesk refused the request (400 Bad Request): <redacted>: token <redacted> is wrong"
        );
        // An ANSI escape in the service's words (JSON's `\u001b`, or raw in a plain-text body) is not quoted.
        let err = map(422, r#"{"error": "\u001b[2J\u001b[31mboom\u001b[0m"}"#);
        assert_eq!(err.message(), "Zendesk refused the request (422 Unprocessable Entity): [2J [31mboom [0m");
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        let err = error_for_status(StatusCode::BAD_REQUEST, &headers, b"no\x1b]0;title\x07pe", &call(&[]));
        assert!(!err.message().chars().any(char::is_control), "{:?}", err.message());
        assert!(err.message().ends_with(": no ]0;title pe"), "{}", err.message());
    }

    #[test]
    fn blamed_fields_the_call_maps_become_the_answers_fields() {
        let freshdesk = r#"{"description": "Validation failed", "errors": [
            {"field": "email", "message": "It should be a valid email address s3cr3t", "code": "invalid_value"},
            {"field": "priority", "message": "It should be one of these values: '1,2,3,4'", "code": "invalid_value"}]}"#;
        let err = map_with(400, freshdesk, &call(&[("email", "data.email"), ("subject", "data.subject")]));
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            "Zendesk refused the request (400 Bad Request): Validation failed (email: It should be a valid email \
             address <redacted>; priority: It should be one of these values: '1,2,3,4')"
        );
        assert_eq!(err.fields().len(), 1);
        assert_eq!(err.fields()[0].field, "data.email");
        assert_eq!(err.fields()[0].message, "It should be a valid email address <redacted>");
        // Only a refusal (a 4xx) blames the request's fields.
        assert!(map_with(500, freshdesk, &call(&[("email", "data.email")])).fields().is_empty());
    }

    #[test]
    fn a_reader_of_the_services_own() {
        let mut call = call(&[("subject", "data.subject")]);
        call.reader = Some(super::super::service_error::ErrorReader::new(|_, body| {
            let text = String::from_utf8_lossy(body);
            match text.split_once('|') {
                Some((field, message)) => ServiceError::new().message("refused").field(field, message),
                None => ServiceError::new(),
            }
        }));
        let err = map_with(422, "subject|too long", &call);
        assert_eq!(
            err.message(),
            "Zendesk refused the request (422 Unprocessable Entity): refused (subject: too long)"
        );
        assert_eq!(err.fields()[0].field, "data.subject");
        assert_eq!(map_with(422, "{}", &call).message(), "Zendesk refused the request (422 Unprocessable Entity)");
    }

    #[test]
    fn a_reader_that_sets_the_message_and_the_field_to_one_text_prints_it_once() {
        let mut call = call(&[("subject", "data.subject")]);
        call.reader = Some(super::super::service_error::ErrorReader::new(|_, body| {
            let text = String::from_utf8_lossy(body).into_owned();
            ServiceError::new().message(text.clone()).field("subject", text).field("due", "is in the past")
        }));
        let err = map_with(422, "Subject is too long", &call);
        assert_eq!(
            err.message(),
            "Zendesk refused the request (422 Unprocessable Entity): Subject is too long (subject; due: is in the past)"
        );
        assert_eq!(err.fields()[0].message, "Subject is too long", "the field keeps its own text");
    }
}
