//! What every call of one client shares: its connection pool and its rules (timeouts, retries, limits, how error
//! bodies are read). A file of its own so that the client (which builds it) and a call (which follows it) both
//! depend on it, and not on each other.

use super::service_error::ErrorReader;
use super::wait::pacing::{Budgets, Pacing};
use super::wait::rate_limit::RateLimit;
use super::wait::retry::Backoff;
use std::sync::Arc;
use std::time::Duration;

/// A client's pool and rules, shared by its clones and by every request they build.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: Config,
    /// What the service reported of each account's rate budget.
    pub(crate) budgets: Budgets,
}

/// The rules every call of a client follows.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) service: Arc<str>,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) backoff: Backoff,
    pub(crate) max_retry_after: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) pacing: Pacing,
    /// Kept free at the end of a request's deadline, for the bridge to answer.
    pub(crate) request_margin: Duration,
    /// How the service's error bodies are read (`None`: [`ServiceError::read`](super::ServiceError::read)).
    pub(crate) error_reader: Option<ErrorReader>,
}
