//! A call that got no answer at all (refused connection, timeout, broken TLS), as a [`bridge::Error`](Error): the
//! `?` on a `reqwest::Error` in a handler.

use crate::error::{Error, ErrorKind};

impl From<reqwest::Error> for Error {
    /// A failed call to the external service: `504` when it timed out, `502` otherwise. The URL is dropped from
    /// the message (it may carry tenant names or query parameters).
    fn from(err: reqwest::Error) -> Self {
        let err = err.without_url();
        let kind = if err.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Upstream };
        Self::new(kind, format!("the external service call failed: {err}")).with_source(err)
    }
}
