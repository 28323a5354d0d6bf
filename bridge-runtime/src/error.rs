//! The one error type handlers return, and how each kind maps to an HTTP status and a `code`. Plain data: how it
//! becomes a JSON answer is the `reply` module's business.
//!
//! The mapping is the protocol's: `401` means exactly "the external service rejected these credentials" (for OAuth
//! integrations it makes Talkdesk refresh the token and retry), so nothing else ever produces it.

use serde::Serialize;
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// Defines [`ErrorKind`] from one table: each kind with its status and `code`, and the list of every kind
/// ([`ErrorKind::ALL`], which the metrics count by), so that nothing about a kind is written twice.
macro_rules! error_kinds {
    ($($(#[$doc:meta])* $kind:ident => $status:literal, $code:literal;)*) => {
        /// What went wrong, which decides the status code and the `code` of the JSON body.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $($(#[$doc])* $kind,)*
        }

        impl ErrorKind {
            /// Every kind, in the order of its declaration.
            pub const ALL: &'static [ErrorKind] = &[$(Self::$kind),*];

            /// The HTTP status this kind answers with.
            pub fn status(self) -> u16 {
                match self {
                    $(Self::$kind => $status,)*
                }
            }

            /// The stable, machine-readable `code` of the JSON body.
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$kind => $code,)*
                }
            }
        }
    };
}

error_kinds! {
    /// The external service rejected the credentials in `auth`: `401`. Only this kind answers `401`.
    CredentialsRejected => 401, "credentials_rejected";
    /// The request is not acceptable (a missing or mistyped field, a value the bridge cannot use): `400`.
    InvalidInput => 400, "invalid_input";
    /// The request body is not JSON: `400`.
    MalformedJson => 400, "malformed_json";
    /// The action could not be carried out, for a reason the message explains: `400`.
    ActionFailed => 400, "action_failed";
    /// The external service failed (5xx, unreadable answer, connection refused): `502`.
    Upstream => 502, "upstream_failure";
    /// The external service or the handler took too long: `504`.
    Timeout => 504, "timeout";
    /// A bug in the bridge: `500`.
    Internal => 500, "internal_error";
    /// No endpoint at this path: `404`.
    NotFound => 404, "not_found";
    /// The endpoint exists, but not for this method: `405`.
    MethodNotAllowed => 405, "method_not_allowed";
    /// The body is larger than the bridge accepts: `413`.
    PayloadTooLarge => 413, "payload_too_large";
    /// The body is declared as something other than JSON: `415`.
    UnsupportedMediaType => 415, "unsupported_media_type";
    /// The caller did not present the bridge's own inbound token (`BRIDGE_TOKEN`): `403`. Never `401`, which would
    /// make Talkdesk refresh the user's OAuth token.
    Forbidden => 403, "forbidden";
    /// The bridge has as many requests in flight as it accepts: `503`, with `Retry-After`.
    Overloaded => 503, "overloaded";
    /// The request's head (its headers) is larger than the bridge accepts: `431`.
    HeadersTooLarge => 431, "headers_too_large";
    /// The bridge holds this request back for now (what is left of a quota is kept for other work): `503`, with
    /// `Retry-After` ([`Error::retry_later`]).
    RetryLater => 503, "retry_later";
}

/// One offending field of a request: its path (`auth.token`, `data.subject`, `meta.interaction_types[2]`) and what
/// is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where the field is, from the top of the request body.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// The field at `field` (its path from the top of the request body) and what is wrong with it.
    ///
    /// ```
    /// use bridge::{Error, FieldError};
    ///
    /// let err = Error::invalid_fields(vec![FieldError::new("data.subject", "must not be empty")]);
    /// assert_eq!(err.fields()[0].field, "data.subject");
    /// assert_eq!(err.fields()[0].message, "must not be empty");
    /// ```
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The error a bridge handler returns. Each constructor names a situation of the protocol; the status follows.
///
/// | constructor | status |
/// |---|---|
/// | [`credentials_rejected`](Error::credentials_rejected) | 401 |
/// | [`invalid_input`](Error::invalid_input), [`action_failed`](Error::action_failed) | 400 |
/// | [`upstream`](Error::upstream) | 502 |
/// | [`timeout`](Error::timeout) | 504 |
/// | [`internal`](Error::internal) | 500 |
///
/// The JSON body is `{"code": …, "message": …, "request_id": …, "fields": [{"field": …, "message": …}]}`
/// (`request_id` when served by a [`Bridge`](crate::Bridge), `fields` only when there are some). Before it is sent, every string value of the request's `auth` is blanked out of it, so a message that
/// quotes a credential by mistake does not leak it.
///
/// **OAuth integrations:** a `401` is what makes Talkdesk refresh the access token and retry the request. Answer
/// [`credentials_rejected`](Error::credentials_rejected) when, and only when, the external service rejected the
/// token; never for an outage or a bug.
///
/// ```
/// use bridge::{Error, ErrorKind};
///
/// let err = Error::action_failed("Zendesk refused the ticket: subject is too long");
/// assert_eq!(err.kind(), ErrorKind::ActionFailed);
/// assert_eq!(err.status(), 400);
/// assert_eq!(err.to_string(), "Zendesk refused the ticket: subject is too long");
/// ```
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    fields: Vec<FieldError>,
    source: Option<Box<dyn StdError + Send + Sync>>,
    retry_after: Option<Duration>,
}

impl Error {
    /// An error of `kind` with a message for Talkdesk (and its users) to read.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, message: message.into(), fields: Vec::new(), source: None, retry_after: None }
    }

    /// Not now: `503` with `Retry-After: <after, in whole seconds, at least 1>`, for a request the bridge holds
    /// back on purpose, such as a contact sync page when most of a service's daily quota is spent and what is left
    /// is kept for what a person waits for. Talkdesk retries later; nothing about the credentials is implied.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let err = bridge::Error::retry_later("the daily API budget is kept for lookups", Duration::from_secs(900));
    /// assert_eq!((err.status(), err.retry_after()), (503, Some(Duration::from_secs(900))));
    /// ```
    pub fn retry_later(message: impl Into<Cow<'static, str>>, after: Duration) -> Self {
        let mut err = Self::new(ErrorKind::RetryLater, message);
        err.retry_after = Some(after.max(Duration::from_secs(1)));
        err
    }

    /// How long Talkdesk should wait before it repeats the request (`Retry-After`), for
    /// [`retry_later`](Self::retry_later) errors.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The external service rejected the credentials: `401`.
    pub fn credentials_rejected() -> Self {
        Self::new(ErrorKind::CredentialsRejected, "the external service rejected these credentials")
    }

    /// The request cannot be used as it is: `400` with `message`.
    pub fn invalid_input(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// The action failed for a reason the user can act on: `400` with `message`.
    pub fn action_failed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::ActionFailed, message)
    }

    /// The external service failed: `502`.
    pub fn upstream(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Upstream, message)
    }

    /// The external service did not answer in time: `504`.
    pub fn timeout(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    /// A bug in the bridge: `500`.
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// A `400` naming one offending field of the request (its path from the top of the body, e.g.
    /// `data.subject`) and what is wrong with it.
    ///
    /// ```
    /// let err = bridge::Error::invalid_field("data.subject", "is longer than 150 characters");
    /// assert_eq!(err.status(), 400);
    /// assert_eq!(err.fields()[0].field, "data.subject");
    /// ```
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// A `400` listing every offending field of a request.
    pub fn invalid_fields(fields: Vec<FieldError>) -> Self {
        let summary = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
        let mut err = Self::invalid_input(format!("invalid request: {summary}"));
        err.fields = fields;
        err
    }

    /// With `fields` as its offending fields (the message stays as it is): for an error whose message already
    /// says what the fields are (an external service's refusal).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }

    /// Attaches the underlying cause (kept for logs, never sent to Talkdesk).
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The message for Talkdesk.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The offending fields, for request errors.
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// Replaces every occurrence of each of `secrets` in the message and field messages.
    pub(crate) fn redact(&mut self, secrets: &[String]) {
        fn scrub(text: &str, secrets: &[String]) -> Option<String> {
            let hit = secrets.iter().any(|s| text.contains(s.as_str()));
            hit.then(|| secrets.iter().fold(text.to_owned(), |acc, s| acc.replace(s.as_str(), "<redacted>")))
        }
        if let Some(clean) = scrub(&self.message, secrets) {
            self.message = clean.into();
        }
        for field in &mut self.fields {
            if let Some(clean) = scrub(&field.message, secrets) {
                field.message = clean;
            }
        }
    }
}

/// `?` on any library's error, with the status decided where the call is made: `.upstream("loading the
/// contact")?` turns a `rusqlite::Error`, an `std::io::Error` or any other error into a [`bridge::Error`](Error) of
/// the kind it names, with the context first and the error's own text after it (`loading the contact: database is
/// locked`); the error is kept as the source, for logs.
///
/// Implemented for every `Result<T, E>` whose `E` is an error (`std::error::Error + Send + Sync + 'static`). Bring it
/// into scope with `use bridge::ResultExt;`.
///
/// ```
/// use bridge::{Error, ErrorKind, ResultExt};
///
/// fn load(id: &str) -> Result<u32, Error> {
///     let n: u32 = id.parse().invalid_field("data.contact_id", "is not a number")?;
///     let row = std::fs::read_to_string(format!("/nonexistent/{n}")).upstream("loading the contact")?;
///     Ok(row.len() as u32)
/// }
///
/// assert_eq!(load("x").unwrap_err().fields()[0].field, "data.contact_id");
/// let err = load("7").unwrap_err();
/// assert_eq!((err.kind(), err.status()), (ErrorKind::Upstream, 502));
/// assert!(err.message().starts_with("loading the contact: "));
/// ```
///
/// An error type of the bridge's own converts once, with `impl From<MyError> for bridge::Error`, choosing a status
/// per variant; then `?` needs nothing at all, and a handler may return `Result<_, MyError>`:
///
/// ```
/// enum StoreError {
///     NotFound(String),
///     Unavailable(std::io::Error),
/// }
///
/// impl From<StoreError> for bridge::Error {
///     fn from(err: StoreError) -> Self {
///         match err {
///             StoreError::NotFound(id) => bridge::Error::invalid_field("data.contact_id", format!("no contact {id}")),
///             StoreError::Unavailable(io) => bridge::Error::upstream("the store is unavailable").with_source(io),
///         }
///     }
/// }
/// # let _ = bridge::Error::from(StoreError::NotFound("1".into()));
/// ```
pub trait ResultExt<T> {
    /// The external service (a database, an API) failed: `502`, with `context` (what was being done).
    fn upstream(self, context: &str) -> Result<T, Error>;

    /// A bug in the bridge, or a state it cannot be in: `500`, with `context`.
    fn internal(self, context: &str) -> Result<T, Error>;

    /// The action could not be carried out, for a reason the user can act on: `400`, with `context`.
    fn action_failed(self, context: &str) -> Result<T, Error>;

    /// The request's `field` (e.g. `data.subject`) cannot be used: `400` naming it, with `message`.
    fn invalid_field(self, field: &str, message: &str) -> Result<T, Error>;
}

impl<T, E: StdError + Send + Sync + 'static> ResultExt<T> for Result<T, E> {
    fn upstream(self, context: &str) -> Result<T, Error> {
        self.map_err(|err| Error::upstream(format!("{context}: {err}")).with_source(err))
    }

    fn internal(self, context: &str) -> Result<T, Error> {
        self.map_err(|err| Error::internal(format!("{context}: {err}")).with_source(err))
    }

    fn action_failed(self, context: &str) -> Result<T, Error> {
        self.map_err(|err| Error::action_failed(format!("{context}: {err}")).with_source(err))
    }

    fn invalid_field(self, field: &str, message: &str) -> Result<T, Error> {
        self.map_err(|err| Error::invalid_field(field, message).with_source(err))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.kind).field("message", &self.message);
        if !self.fields.is_empty() {
            s.field("fields", &self.fields);
        }
        if let Some(source) = &self.source {
            s.field("source", &format_args!("{source}"));
        }
        s.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_ext_keeps_the_context_the_status_and_the_source() {
        let failed: Result<(), std::io::Error> = Err(std::io::Error::other("disk on fire"));
        let err = failed.upstream("loading").unwrap_err();
        assert_eq!((err.status(), err.message()), (502, "loading: disk on fire"));
        assert_eq!(StdError::source(&err).map(|s| s.to_string()).as_deref(), Some("disk on fire"));
        let failed: Result<(), std::io::Error> = Err(std::io::Error::other("x"));
        assert_eq!(failed.internal("c").unwrap_err().status(), 500);
        let failed: Result<(), std::io::Error> = Err(std::io::Error::other("x"));
        assert_eq!(failed.action_failed("c").unwrap_err().status(), 400);
        let failed: Result<(), std::io::Error> = Err(std::io::Error::other("x"));
        let err = failed.invalid_field("data.subject", "too long").unwrap_err();
        assert_eq!((err.status(), err.fields()[0].field.as_str()), (400, "data.subject"));
        assert!(Ok::<u8, std::io::Error>(1).upstream("c").is_ok());
    }

    #[test]
    fn each_kind_has_its_status() {
        assert_eq!(Error::credentials_rejected().status(), 401);
        assert_eq!(Error::invalid_input("x").status(), 400);
        assert_eq!(Error::action_failed("x").status(), 400);
        assert_eq!(Error::upstream("x").status(), 502);
        assert_eq!(Error::timeout("x").status(), 504);
        assert_eq!(Error::internal("x").status(), 500);
    }

    #[test]
    fn redacts_secrets_from_the_message_and_every_field() {
        let mut err = Error::invalid_fields(vec![FieldError {
            field: "auth.token".into(),
            message: "token hunter2 expired".into(),
        }]);
        err.redact(&["hunter2".into()]);
        assert_eq!(err.fields()[0].field, "auth.token");
        assert_eq!(err.fields()[0].message, "token <redacted> expired");
        assert!(!err.message().contains("hunter2"), "{err}");
    }
}
