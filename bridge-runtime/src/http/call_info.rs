//! What is known of one call, for the messages and logs about its answer: the service, the method, the host
//! and path (never the query string), the credentials to blank out, how its error bodies are read and which of
//! the service's fields map to the bridge's. Its own file so that the answer (`response.rs`) and the mapping of
//! statuses to errors (`status.rs`) both read it, and not each other.

use super::service_error::ErrorReader;
use crate::Secret;
use reqwest::Method;
use std::sync::Arc;

/// What a call was, for messages and logs about its answer: never the query string, never a credential.
#[derive(Debug)]
pub(crate) struct CallInfo {
    pub(crate) service: Arc<str>,
    pub(crate) method: Method,
    pub(crate) host: String,
    pub(crate) path: String,
    /// The call's credentials, to blank out of anything quoted from the answer.
    pub(crate) secrets: Vec<Secret>,
    /// The client's reader of error bodies (`None`: the default one).
    pub(crate) reader: Option<ErrorReader>,
    /// The service's field names the call maps to fields of the bridge's request: `(email, data.email)`.
    pub(crate) fields: Vec<(String, String)>,
}
