//! Describing one call: headers, credentials, query, body, deadline; then sending it.
//!
//! It exists to make credentials hard to leak: they are only accepted as [`Secret`]s, their headers are marked
//! sensitive, the builder's `Debug` shows neither them nor the query string, and every credential given is
//! remembered so that it can be blanked out of anything the service's answer quotes back.

use super::call::execute;
use super::config::Inner;
use super::exchange::Prepared;
use super::response::Response;
use crate::{Error, Secret};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// One call being described; send it with [`send`](Self::send), [`fetch`](Self::fetch) or their variants.
///
/// Mistakes made while building it (a header value with a newline, a body that cannot be serialized) are kept
/// and returned by the sending method, so that the chain reads straight.
///
/// ```no_run
/// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl,
/// #     token: bridge::Secret) -> Result<(), bridge::Error> {
/// use std::time::{Duration, Instant};
///
/// #[derive(serde::Deserialize)]
/// struct User { id: u64, email: String }
///
/// let user: Option<User> = client
///     .get(base.join(["api", "users", "42"])?)
///     .bearer(&token)
///     .query("fields", "id,email")
///     .deadline(Instant::now() + Duration::from_secs(3))
///     .fetch_optional()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    inner: Arc<Inner>,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    deadline: Option<Instant>,
    idempotent: bool,
    secrets: Vec<Secret>,
    fields: Vec<(String, String)>,
    budget_key: Option<String>,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(inner: Arc<Inner>, method: Method, url: Url) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
        );
        Self {
            inner,
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            deadline: None,
            idempotent,
            secrets: Vec::new(),
            fields: Vec::new(),
            budget_key: None,
            error: None,
        }
    }

    fn fail(mut self, err: Error) -> Self {
        self.error.get_or_insert(err);
        self
    }

    /// Adds a header. Its name is the bridge's code (an invalid one is a `500`); its value may come from the
    /// request (an invalid one, e.g. with a newline, is a `400`). For credentials use
    /// [`secret_header`](Self::secret_header).
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        let Ok(name) = name.try_into() else {
            return self.fail(Error::internal("a header name of the call is invalid"));
        };
        let Ok(value) = value.try_into() else {
            return self
                .fail(Error::invalid_input(format!("a value of the request cannot be sent in the header {name}")));
        };
        self.headers.append(name, value);
        self
    }

    /// Adds a header that carries a credential (an API key header such as `X-Api-Key`): marked sensitive, never
    /// shown, and blanked out of error messages.
    pub fn secret_header<K: TryInto<HeaderName>>(mut self, name: K, value: &Secret) -> Self {
        let Ok(name) = name.try_into() else {
            return self.fail(Error::internal("a header name of the call is invalid"));
        };
        self.secrets.push(value.clone());
        self.sensitive_header(name, value.expose())
    }

    /// HTTP Basic authentication (`Authorization: Basic …`) where the secret is the **password**: `username` and
    /// `password` (Zendesk's `{email}/token` and API token, a user's login). For a service whose API key is the
    /// *user name* (Freshdesk), use [`basic_auth_api_key`](Self::basic_auth_api_key).
    pub fn basic_auth(mut self, username: impl fmt::Display, password: &Secret) -> Self {
        let pair = format!("{username}:{}", password.expose());
        self.secrets.push(password.clone());
        self.basic(&pair)
    }

    /// HTTP Basic authentication where the secret is the **user name**: an API key sent as the user name, with a
    /// fixed `password` the service ignores (Freshdesk wants `X`; others, such as Stripe's, an empty one).
    ///
    /// ```no_run
    /// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl,
    /// #     api_key: bridge::Secret) -> Result<(), bridge::Error> {
    /// // Freshdesk: `Authorization: Basic base64("<api key>:X")`.
    /// let me = client.get(base.join(["api", "v2", "agents", "me"])?).basic_auth_api_key(&api_key, "X").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn basic_auth_api_key(mut self, api_key: &Secret, password: impl fmt::Display) -> Self {
        let pair = format!("{}:{password}", api_key.expose());
        self.secrets.push(api_key.clone());
        self.basic(&pair)
    }

    /// `Authorization: Basic <base64 of pair>`, the secret part of `pair` already remembered.
    fn basic(mut self, pair: &str) -> Self {
        let encoded = BASE64.encode(pair);
        // The encoded pair alone is remembered too: a service that echoes it without `Basic ` must not leak it.
        self.secrets.push(Secret::new(encoded.clone()));
        self.sensitive_header(AUTHORIZATION, &format!("Basic {encoded}"))
    }

    /// Bearer authentication (`Authorization: Bearer <token>`), e.g. with an OAuth access token.
    pub fn bearer(mut self, token: &Secret) -> Self {
        self.secrets.push(token.clone());
        self.sensitive_header(AUTHORIZATION, &format!("Bearer {}", token.expose()))
    }

    /// Sets header `name` to a credential (already remembered among the call's secrets), marked sensitive.
    fn sensitive_header(mut self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(mut value) => {
                value.set_sensitive(true);
                self.headers.insert(name, value);
                self
            }
            Err(_) => self.fail(Error::invalid_input(format!(
                "the credential for the header {name} contains characters not allowed in a header"
            ))),
        }
    }

    /// Declares a credential the URL already carries in its path (an introspection endpoint such as
    /// `GET /oauth/v1/access-tokens/{token}`): the call's span and logs show `<redacted>` in its place, and it is
    /// blanked out of anything quoted from the answer. Prefer a header where the service allows it.
    ///
    /// ```no_run
    /// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl,
    /// #     token: bridge::Secret) -> Result<(), bridge::Error> {
    /// let info = client
    ///     .get(base.join(["oauth", "v1", "access-tokens", token.expose()])?)
    ///     .secret_in_path(&token) // the span's `path` is /oauth/v1/access-tokens/<redacted>
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn secret_in_path(mut self, secret: &Secret) -> Self {
        self.secrets.push(secret.clone());
        self
    }

    /// Appends `name=value` to the query string, percent-encoded.
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.url.query_pairs_mut().append_pair(name, &value.to_string());
        self
    }

    /// Appends a credential to the query string (`?api_token=…`), for services that want it there. The query
    /// string never appears in logs, spans or messages, but prefer a header where the service allows it.
    pub fn query_secret(mut self, name: &str, value: &Secret) -> Self {
        self.secrets.push(value.clone());
        self.url.query_pairs_mut().append_pair(name, value.expose());
        self
    }

    /// Sends `body` as JSON (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                self.body = Some(bytes.into());
                self
            }
            Err(e) => self.fail(Error::internal(format!("the call's JSON body cannot be built: {e}"))),
        }
    }

    /// Sends `body` with the content type `content_type`.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        let Ok(content_type) = HeaderValue::from_str(content_type) else {
            return self.fail(Error::internal("the call's content type is invalid"));
        };
        self.headers.insert(CONTENT_TYPE, content_type);
        self.body = Some(body.into());
        self
    }

    /// When the whole call, retries and waits included, must be over. An attempt is cut short to fit, no wait
    /// runs past it, and a retry that would not fit (its wait and an attempt as long as the last) is not made: the
    /// call ends at once with the error at hand (or `504` if the deadline itself has passed).
    ///
    /// Inside a request, a call already runs under the request's deadline (less the client's
    /// [`request_margin`](super::ClientBuilder::request_margin)): this one applies only when it comes first.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Maps a field the service may blame (`email`, in its words) to the field of the bridge's request it came
    /// from (`data.email`): when the service refuses the call (a `4xx`) and names that field, the bridge's `400`
    /// lists `data.email` with the service's message, as it lists a field the bridge itself found wrong. Fields
    /// not mapped are quoted in the message only.
    ///
    /// ```no_run
    /// # async fn example(client: bridge::http::Client, base: bridge::http::BaseUrl, key: bridge::Secret,
    /// #     email: String) -> Result<(), bridge::Error> {
    /// // Freshdesk answers `400 {"description": "Validation failed", "errors": [{"field": "email", …}]}`:
    /// // the bridge answers 400 with `"fields": [{"field": "data.email", "message": "It should be a valid …"}]`.
    /// client
    ///     .post(base.join(["api", "v2", "contacts"])?)
    ///     .basic_auth_api_key(&key, "X")
    ///     .json(&serde_json::json!({"email": email}))
    ///     .map_field("email", "data.email")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn map_field(mut self, service_field: impl Into<String>, request_field: impl Into<String>) -> Self {
        self.fields.push((service_field.into(), request_field.into()));
        self
    }

    /// Whether the call may be repeated after the connection failed mid-call (the service may or may not have
    /// acted on it). Defaults to `true` for `GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS` and `TRACE`, `false` for
    /// `POST` and `PATCH`; set it for a `POST` that carries an idempotency key. Calls that failed to connect, and
    /// `429`/`503` answers, are retried whatever this says: the service did not act on them.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// The account the service counts this call's rate budget in, for [pacing](super::Pacing): by default the
    /// call's host and credentials, which is right for a token per account; give the account's own id (HubSpot's
    /// portal, a Zendesk subdomain) when one account's calls carry different credentials (several users' OAuth
    /// tokens). Only a keyed hash of it is kept.
    ///
    /// ```no_run
    /// # async fn example(client: bridge::http::Client, url: bridge::http::Url, token: bridge::Secret)
    /// #     -> Result<(), bridge::Error> {
    /// client.get(url).bearer(&token).rate_budget_key("portal 62515").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn rate_budget_key(mut self, key: impl Into<String>) -> Self {
        self.budget_key = Some(key.into());
        self
    }

    async fn run(self) -> Result<Response, Error> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let prepared = Prepared {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            deadline: self.deadline,
            idempotent: self.idempotent,
            secrets: self.secrets,
            fields: self.fields,
            budget_key: self.budget_key,
        };
        execute(&self.inner, prepared).await
    }

    /// Sends the call; a `2xx` answer is returned, anything else is the error it maps to (see
    /// [the mapping](super::status)).
    pub async fn send(self) -> Result<Response, Error> {
        self.run().await?.error_for_status()
    }

    /// Like [`send`](Self::send), but a `404` is `Ok(None)`: for "no such contact" being a normal outcome.
    pub async fn send_optional(self) -> Result<Option<Response>, Error> {
        let response = self.run().await?;
        if response.is_not_found() {
            return Ok(None);
        }
        response.error_for_status().map(Some)
    }

    /// Sends the call and returns the answer whatever its status, for a handler that gives some statuses its own
    /// meaning (a `409`, a `422`). Only `429` and `503` are still handled here: retried, then a `502`.
    pub async fn send_unchecked(self) -> Result<Response, Error> {
        self.run().await
    }

    /// [`send`](Self::send), then the body decoded as JSON into `T` (see [`Response::json`]).
    pub async fn fetch<T: DeserializeOwned>(self) -> Result<T, Error> {
        self.send().await?.json()
    }

    /// [`send_optional`](Self::send_optional), then the body decoded as JSON into `T`: `Ok(None)` on a `404`.
    pub async fn fetch_optional<T: DeserializeOwned>(self) -> Result<Option<T>, Error> {
        self.send_optional().await?.map(|r| r.json()).transpose()
    }
}

impl fmt::Debug for RequestBuilder {
    /// Method, URL without its query string, header names with their values only where not sensitive, body
    /// length, deadline: never a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a HeaderMap);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (name, value) in self.0 {
                    match value.to_str() {
                        Ok(text) if !value.is_sensitive() => map.entry(&name.as_str(), &text),
                        _ => map.entry(&name.as_str(), &format_args!("<redacted>")),
                    };
                }
                map.finish()
            }
        }
        let mut url = self.url.clone();
        url.set_query(None);
        let mut url = url.to_string();
        if self.url.query().is_some() {
            url.push_str("?<redacted>");
        }
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &url)
            .field("headers", &Headers(&self.headers))
            .field("body_bytes", &self.body.as_ref().map(Bytes::len))
            .field("deadline", &self.deadline)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}
