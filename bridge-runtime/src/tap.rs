//! The one seam between a request's external calls and the network: where an attempt is about to be sent, a
//! [`Tap`] may answer it instead (a cassette being replayed) or observe the exchange (a cassette being recorded).
//!
//! It lives in the request's scope (`scope.rs`), like the request's deadline: the pipeline, which knows the
//! request's `auth`, sets it when the bridge records or when the test kit installed a player around the request;
//! the `http` client, which knows nothing of either, reads it on each attempt. With no tap anywhere, the pipeline
//! sets none and a call pays one look into the scope. Calls made outside a request (at start-up, in a task a
//! handler spawned without `http::in_this_request`, which carries it) see no tap: they are neither recorded nor
//! replayed.

// Without the `http` client (feature `client`) nothing makes calls: the seam is there, and unused.
#![cfg_attr(not(feature = "client"), allow(dead_code))]

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;

/// One attempt of an external call, as it is about to be sent.
pub(crate) struct Outgoing<'a> {
    pub(crate) method: &'a Method,
    /// The whole URL, query string included.
    pub(crate) url: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Option<&'a [u8]>,
    /// The call's own credentials (tokens, the encoded Basic pair), whether or not the request's `auth` has them.
    pub(crate) secrets: Vec<&'a str>,
}

/// An answer, from the network or from a cassette.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// What a player says of an attempt (only the test kit has players).
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) enum Replayed {
    /// The recorded answer.
    Answer(Answer),
    /// No recorded call matches: why, for the error the call becomes (never a network call).
    NoMatch(String),
}

/// A recorder or a player of a request's external calls.
pub(crate) trait Tap: Send + Sync + 'static {
    /// The answer to give instead of sending the attempt (a player always answers), or `None` to send it.
    fn replay(&self, call: &Outgoing<'_>, auth: &AuthValues) -> Option<Replayed>;

    /// The network answered a sent attempt.
    fn record(&self, call: &Outgoing<'_>, auth: &AuthValues, answer: &Answer);

    /// Whether the tap answers calls itself (a player): the client then does not sleep between attempts.
    fn replays(&self) -> bool;
}

/// The string values of the request's `auth` (of four characters or more, as error bodies blank them), each with
/// its path (`auth.subdomain`), longest value first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct AuthValues(pub(crate) Vec<(String, String)>);

impl AuthValues {
    /// The values of the `auth` of a request's body (none when the body is not a JSON object with one).
    pub(crate) fn of_body(body: &[u8]) -> Self {
        fn walk(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
            match value {
                Value::String(text) if text.chars().count() >= 4 => out.push((path.to_owned(), text.clone())),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(&format!("{path}[{i}]"), item, out);
                    }
                }
                Value::Object(map) => {
                    for (key, item) in map {
                        walk(&format!("{path}.{key}"), item, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(body) {
            if let Some(auth) = top.get("auth") {
                walk("auth", auth, &mut out);
            }
        }
        out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        Self(out)
    }
}

/// The tap of the request being handled, with its `auth`.
#[derive(Clone)]
pub(crate) struct Active {
    pub(crate) tap: Arc<dyn Tap>,
    pub(crate) auth: Arc<AuthValues>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_values_have_paths_longest_first_and_skip_short_ones() {
        let body = br#"{"auth": {"sub": "acme", "token": "tok-123456", "n": 5, "ab": "xy", "list": ["first"]}}"#;
        let values = AuthValues::of_body(body);
        assert_eq!(
            values.0,
            [
                ("auth.token".to_owned(), "tok-123456".to_owned()),
                ("auth.list[0]".to_owned(), "first".to_owned()),
                ("auth.sub".to_owned(), "acme".to_owned()),
            ]
        );
        assert_eq!(AuthValues::of_body(b"not json"), AuthValues::default());
        assert_eq!(AuthValues::of_body(br#"{"meta": {"a": "abcd"}}"#), AuthValues::default());
    }
}
