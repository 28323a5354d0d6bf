//! What an external service's status means for the bridge's own answer to Talkdesk.
//!
//! It exists because the mapping is part of the protocol, not a matter of taste: a `401` from the bridge makes
//! Talkdesk refresh an OAuth token and try again, so only a service that refused the credentials may cause one;
//! everything else must be told apart as the user's fault (`400`), the service's (`502`) or time's (`504`).
//!
//! | service answered | bridge answers |
//! |---|---|
//! | `401`, `403` | `401` [`credentials_rejected`](crate::Error::credentials_rejected) |
//! | `404` and other `4xx` | `400` [`invalid_input`](crate::Error::invalid_input), quoting the service's message |
//! | `405`, `406`, `407`, `411`, `414`, `415`, `426`, `431` (the request's form is wrong: a bug in the bridge) | `502` |
//! | `408` | `504` |
//! | `429`, `503` once retries are spent | `502` |
//! | `3xx` (redirects are never followed), `5xx` | `502` |
//!
//! Every such error carries an [`UpstreamStatus`] as its source, so a handler can still ask what the service said
//! with [`upstream_status`].

use super::sanitize::{safe_text, service_message};
use crate::{Error, Secret};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
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

/// The error for an answer that is not a success, per the table of this module. `service` names the service in
/// the message; the service's own message, if any, is quoted after [`safe_text`] made it safe.
pub(crate) fn error_for_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    service: &str,
    secrets: &[Secret],
) -> Error {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let said = service_message(body, content_type).map(|m| format!(": {}", safe_text(&m, secrets))).unwrap_or_default();
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
        400..=499 => Error::invalid_input(format!("{service} refused the request ({status}){said}")),
        _ => Error::upstream(format!("{service} failed ({status}){said}")),
    };
    err.with_source(UpstreamStatus(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn map(status: u16, body: &str) -> Error {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        let status = StatusCode::from_u16(status).unwrap();
        error_for_status(status, &headers, body.as_bytes(), "Zendesk", &[Secret::new("s3cr3t")])
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
    }
}
