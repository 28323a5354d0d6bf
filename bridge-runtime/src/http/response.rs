//! An external service's answer, read in full, and its decoding into the caller's types.
//!
//! It exists so that a mismatch between what a service sends and what the bridge expects is reported in one
//! place, the same way every time: a `502` whose message, and one log line, name the offending field
//! (`users[3].email: invalid type: null, expected a string`) instead of serde's bare "invalid type".

use super::call_info::CallInfo;
use super::sanitize::safe_text;
use super::service_error::ServiceError;
use super::status::{error_for_status, service_error};
use crate::Error;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// An answer from the external service, with its body already read (up to the client's
/// [`max_response_bytes`](super::ClientBuilder::max_response_bytes)).
///
/// [`send`](super::RequestBuilder::send) only returns successes; [`send_unchecked`](super::RequestBuilder::send_unchecked)
/// returns any status, to be looked at with [`status`](Self::status) or turned into the usual error with
/// [`error_for_status`](Self::error_for_status).
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    call: Arc<CallInfo>,
}

impl Response {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes, call: Arc<CallInfo>) -> Self {
        Self { status, headers, body, call }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether the status is `2xx`.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Whether the status is `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body, as received.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced by `�`).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// `text` taken from this answer, made fit for an error message as the client's own messages are: every
    /// credential of the call (including an encoded Basic one) blanked out as `<redacted>`, whitespace and control
    /// characters folded into single spaces, cut to 300 characters (with `…`). For a handler that builds its own
    /// message from the service's explanation (a `422`'s details, say).
    pub fn quote(&self, text: &str) -> String {
        safe_text(text, &self.call.secrets)
    }

    /// What the answer says of an error, read as the client reads error bodies (its
    /// [`error_reader`](super::ClientBuilder::error_reader), or [`ServiceError::read`]) and made safe as
    /// [`quote`](Self::quote) does: for a handler that gives a status its own meaning after
    /// [`send_unchecked`](super::RequestBuilder::send_unchecked).
    pub fn service_error(&self) -> ServiceError {
        service_error(&self.headers, &self.body, &self.call)
    }

    /// `self` if the status is `2xx`, otherwise the error it maps to (see [the mapping](super::status)).
    pub fn error_for_status(self) -> Result<Self, Error> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(self.to_error())
        }
    }

    pub(crate) fn to_error(&self) -> Error {
        error_for_status(self.status, &self.headers, &self.body, &self.call)
    }

    /// The body decoded as JSON into `T`.
    ///
    /// When it does not fit, the error is a `502` naming the offending field, e.g. `Zendesk answered something the
    /// bridge cannot read: users[3].email: invalid type: null, expected a string at line 1 column 80`, and the
    /// same is logged once at `WARN` with the call's method, host and path. An answer that is not JSON at all is a
    /// `502` too (`Zendesk answered something that is not JSON: …`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        // Trailing garbage after the value makes an unreadable answer too.
        let (path, inner) = match serde_path_to_error::deserialize(&mut de) {
            Ok(value) => match de.end() {
                Ok(()) => return Ok(value),
                Err(inner) => (String::new(), inner),
            },
            Err(err) => (err.path().to_string(), err.into_inner()),
        };
        let call = &self.call;
        let detail = if path.is_empty() || path == "." {
            safe_text(&inner.to_string(), &call.secrets)
        } else {
            safe_text(&format!("{path}: {inner}"), &call.secrets)
        };
        let what = if inner.is_syntax() || inner.is_eof() {
            "something that is not JSON"
        } else {
            "something the bridge cannot read"
        };
        tracing::warn!(
            service = %call.service,
            method = %call.method,
            host = %call.host,
            path = %call.path,
            status = self.status.as_u16(),
            error = %detail,
            "the external service's answer does not match the expected type",
        );
        // No `with_source(inner)`: serde's message may quote values from the answer, and sources are logged as
        // they are; `detail` is the same text, made safe.
        Err(Error::upstream(format!("{} answered {what}: {detail}", call.service)))
    }
}

impl fmt::Debug for Response {
    /// Status, header names and body length: header values and the body may carry personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}
