//! The client itself: one connection pool and one set of rules (timeouts, retries, limits) per bridge process.
//!
//! It exists so that every handler gets the same safe defaults without thinking about them, and shares one pool
//! of kept-alive connections instead of paying a TCP and TLS handshake per call: build it once at start-up, give
//! it to [`Bridge::state`](crate::Bridge::state), take it as `State<Client>` in handlers.

use super::config::{Config, Inner};
use super::request::RequestBuilder;
use super::service_error::{ErrorReader, ServiceError};
use super::wait::pacing::{Budgets, Pacing};
use super::wait::rate_limit::RateLimit;
use super::wait::retry::Backoff;
use crate::Error;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{Method, Url};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// An HTTP client for calling an external service, on a shared pool of kept-alive connections (rustls, HTTP/1.1).
///
/// Cloning is cheap (an `Arc`): every clone uses the same pool. Build one per service at start-up with
/// [`Client::builder`], and share it with [`Bridge::state`](crate::Bridge::state).
///
/// Every call has a timeout; redirects are never followed; `429` and `503` answers (and failed connections) are
/// retried a bounded number of times with backoff; answers are mapped to the bridge's [`Error`]s (see
/// [the mapping](super::status)). See [the module](super) for a complete handler.
///
/// ```
/// use bridge::http::Client;
/// use std::time::Duration;
///
/// let client = Client::builder()
///     .service_name("Zendesk")
///     .timeout(Duration::from_secs(5))
///     .max_retries(2)
///     .user_agent("acme-zendesk-bridge/1.0")
///     .build()
///     .expect("TLS is available");
/// let shared = client.clone(); // the same pool
/// # drop(shared);
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl Client {
    /// A builder with the defaults listed on [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A call with `method` to `url` (build URLs with [`BaseUrl`](super::BaseUrl) or
    /// [`TenantUrl`](super::TenantUrl), never by pasting request input into a string).
    pub fn request(&self, method: Method, url: Url) -> RequestBuilder {
        RequestBuilder::new(Arc::clone(&self.inner), method, url)
    }

    /// A `GET` to `url`.
    pub fn get(&self, url: Url) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A `POST` to `url` (not retried after a connection failure: see
    /// [`idempotent`](RequestBuilder::idempotent)).
    pub fn post(&self, url: Url) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// A `PUT` to `url`.
    pub fn put(&self, url: Url) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// A `PATCH` to `url` (not retried after a connection failure).
    pub fn patch(&self, url: Url) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// A `DELETE` to `url`.
    pub fn delete(&self, url: Url) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// A `HEAD` to `url`.
    pub fn head(&self, url: Url) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// How much of a request's deadline a call made while answering it leaves for the bridge to answer, by default
/// (see [`ClientBuilder::request_margin`]).
pub const DEFAULT_REQUEST_MARGIN: Duration = Duration::from_millis(250);

/// Builds a [`Client`]. Defaults:
///
/// | setting | default |
/// |---|---|
/// | [`service_name`](Self::service_name) (in error messages) | `"the external service"` |
/// | a call's deadline, within a request | the request's, less [`request_margin`](Self::request_margin) |
/// | [`request_margin`](Self::request_margin) | 250 ms (at most a tenth of the endpoint's deadline) |
/// | [`timeout`](Self::timeout) of each attempt, body included | 10 s |
/// | [`connect_timeout`](Self::connect_timeout) | 5 s |
/// | [`max_retries`](Self::max_retries) | 2 (so at most 3 attempts) |
/// | [`backoff`](Self::backoff) | [`Backoff::default`]: 100 ms doubling up to 2 s, with jitter |
/// | [`max_retry_after`](Self::max_retry_after) | 10 s |
/// | [`max_response_bytes`](Self::max_response_bytes) | 16 MiB |
/// | [`rate_limit`](Self::rate_limit): a `429` without `Retry-After` | retried like a `503` |
/// | [`pacing`](Self::pacing) on the rate budget the service reports | on, with a reserve of 1 call per window |
/// | [`error_reader`](Self::error_reader): the message and fields quoted from an error answer | [`ServiceError::read`] |
/// | [`user_agent`](Self::user_agent) | `talkdesk-bridge/<version>` |
/// | redirects | never followed (a `3xx` is a `502`) |
/// | idle connections kept | 90 s, with TCP keep-alive |
///
/// Proxies from the usual environment variables (`HTTPS_PROXY`, `NO_PROXY`…) are honoured, as reqwest does.
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    connect_timeout: Duration,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                service: Arc::from("the external service"),
                timeout: Duration::from_secs(10),
                max_retries: 2,
                backoff: Backoff::default(),
                max_retry_after: Duration::from_secs(10),
                max_response_bytes: 16 * 1024 * 1024,
                rate_limit: None,
                pacing: Pacing::new(),
                request_margin: DEFAULT_REQUEST_MARGIN,
                error_reader: None,
            },
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("talkdesk-bridge/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl ClientBuilder {
    /// The service's name, as error messages and logs give it ("Zendesk refused the request (422 …)").
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.config.service = Arc::from(name.into());
        self
    }

    /// The longest an attempt may take, from connecting to the end of the answer's body. A call's total is
    /// bounded by its [`deadline`](RequestBuilder::deadline) when it has one.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// How much of the request's deadline a call leaves unused, for the bridge to answer `504` itself with the
    /// call's reason (default [`DEFAULT_REQUEST_MARGIN`], 250 ms). It is at most a tenth of the endpoint's
    /// deadline, so a short deadline still leaves its calls time.
    ///
    /// Inside a request (a handler's code, not a task it spawned), every call runs under the request's deadline
    /// (the endpoint's, [`Bridge::deadline`](crate::Bridge::deadline)) less this margin: attempts are cut short to
    /// fit, no retry or wait runs past it, and a call may shorten it with
    /// [`deadline`](RequestBuilder::deadline), never extend it.
    pub fn request_margin(mut self, margin: Duration) -> Self {
        self.config.request_margin = margin;
        self
    }

    /// The longest connecting (TCP and TLS) may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times a call is repeated after a `429`, a `503` or a failed connection (`0`: never).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.config.max_retries = retries;
        self
    }

    /// The waits between attempts, when the service does not say (with `Retry-After`).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// The longest `Retry-After` the client waits for; a service asking for more gets a `502` at once.
    pub fn max_retry_after(mut self, longest: Duration) -> Self {
        self.config.max_retry_after = longest;
        self
    }

    /// How `429` answers without `Retry-After` are waited out: a service-specific hint, a backoff on the scale of
    /// the service's rate-limit windows, and a retry count of their own, all within the call's deadline (see
    /// [`RateLimit`]). Without it, such a `429` is retried like a `503`.
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.config.rate_limit = Some(rate_limit);
        self
    }

    /// How calls are paced on the rate budget the service reports in its answers' headers (default
    /// [`Pacing::new`]: on, with a reserve of 1): when an account's window is nearly spent, a call waits for its
    /// end, within its deadline, instead of sending into a `429`. See [`Pacing`].
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.config.pacing = pacing;
        self
    }

    /// How the service's error answers are read: its message and the fields it blames, quoted (made safe) in the
    /// error a failed call becomes, the fields mapped with [`map_field`](RequestBuilder::map_field) becoming field
    /// errors of the bridge's `400`. The default, [`ServiceError::read`], understands the common shapes; a reader
    /// of a service's own can fall back on it.
    ///
    /// ```
    /// use bridge::http::{Client, ServiceError};
    ///
    /// // A service that answers `{"result": "error", "reason": "…", "bad_field": "…"}`.
    /// let client = Client::builder()
    ///     .service_name("Acme CRM")
    ///     .error_reader(|headers, body| {
    ///         let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
    ///             return ServiceError::read(headers, body);
    ///         };
    ///         match (json["reason"].as_str(), json["bad_field"].as_str()) {
    ///             (Some(reason), Some(field)) => ServiceError::new().field(field, reason),
    ///             (Some(reason), None) => ServiceError::new().message(reason),
    ///             _ => ServiceError::read(headers, body),
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # drop(client);
    /// ```
    pub fn error_reader(mut self, read: impl Fn(&HeaderMap, &[u8]) -> ServiceError + Send + Sync + 'static) -> Self {
        self.config.error_reader = Some(ErrorReader::new(read));
        self
    }

    /// The largest answer body read; a larger one is a `502`.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// The `User-Agent` header of every call.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The client. Fails only if the user agent is not a valid header value or TLS cannot be set up.
    pub fn build(self) -> Result<Client, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .timeout(self.config.timeout)
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .user_agent(self.user_agent)
            .default_headers(headers)
            .build()
            .map_err(|e| Error::internal(format!("the HTTP client could not be built: {e}")).with_source(e))?;
        let budgets = Budgets::new(self.config.pacing);
        Ok(Client { inner: Arc::new(Inner { http, config: self.config, budgets }) })
    }
}
