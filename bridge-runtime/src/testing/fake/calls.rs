//! What a fake was asked ([`Call`]), kept in a bounded log ([`CallLog`]): tests read it to check what the bridge
//! sent (its paths, queries, bodies, the statuses it met), and a long demo or load test keeps its memory bounded.

use super::fake_messages::FakeRequest;
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::Value;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// One request a fake received, and the status it answered.
#[derive(Clone, PartialEq, Eq)]
pub struct Call {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query's parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The request's body.
    pub body: Bytes,
    /// The status answered; `None` while the answer is on its way, or when there was none (a reset, a caller that
    /// gave up).
    pub status: Option<u16>,
}

impl Call {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of header `name`, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as JSON; `None` when it is empty or not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The headers and body are left out: they carry the caller's credentials.
impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The calls of a fake, oldest first, the latest [`capacity`](Self::with_capacity) of them; clones share the log.
#[derive(Debug, Clone)]
pub struct CallLog {
    inner: Arc<Mutex<Log>>,
}

#[derive(Debug)]
struct Log {
    calls: VecDeque<Call>,
    /// How many calls were ever logged: the number of the next one.
    logged: u64,
    capacity: usize,
}

/// How many calls a [`CallLog`] keeps by default: every one a test makes.
pub const DEFAULT_CAPACITY: usize = 20_000;

impl Default for CallLog {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl CallLog {
    /// A log that keeps the latest `capacity` calls.
    pub fn with_capacity(capacity: usize) -> Self {
        let log = Log { calls: VecDeque::new(), logged: 0, capacity: capacity.max(1) };
        Self { inner: Arc::new(Mutex::new(log)) }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Logs `request` as it arrives; the number to give its status with.
    pub(super) fn arrived(&self, request: &FakeRequest) -> u64 {
        let call = Call {
            method: request.method().clone(),
            path: request.path().to_owned(),
            query: request.query().to_vec(),
            headers: request.headers().clone(),
            body: request.body_bytes().clone(),
            status: None,
        };
        let mut log = self.lock();
        if log.calls.len() == log.capacity {
            log.calls.pop_front();
        }
        log.calls.push_back(call);
        log.logged += 1;
        log.logged - 1
    }

    /// Notes the status call `number` was answered with (if the log still has it).
    pub(super) fn answered(&self, number: u64, status: u16) {
        let mut log = self.lock();
        let first = log.logged - log.calls.len() as u64;
        if let Some(index) = number.checked_sub(first) {
            if let Some(call) = log.calls.get_mut(index as usize) {
                call.status = Some(status);
            }
        }
    }

    /// The calls logged, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.iter().cloned().collect()
    }

    /// Forgets the calls logged so far.
    pub fn clear(&self) {
        self.lock().calls.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_latest_calls_and_their_statuses() {
        let log = CallLog::with_capacity(2);
        let first = log.arrived(&FakeRequest::new("GET", "/a"));
        let second = log.arrived(&FakeRequest::new("GET", "/b?x=1"));
        log.answered(second, 404);
        let third = log.arrived(&FakeRequest::new("POST", "/c").body(r#"{"n": 3}"#));
        log.answered(first, 200); // no longer kept: nothing to note
        log.answered(third, 201);
        let calls = log.calls();
        assert_eq!(
            calls.iter().map(|c| (c.path.as_str(), c.status)).collect::<Vec<_>>(),
            [("/b", Some(404)), ("/c", Some(201))]
        );
        assert_eq!((calls[0].param("x"), calls[1].json()), (Some("1"), Some(serde_json::json!({"n": 3}))));
        log.clear();
        assert!(log.calls().is_empty());
        let fourth = log.arrived(&FakeRequest::new("GET", "/d"));
        log.answered(fourth, 500);
        assert_eq!(log.calls()[0].status, Some(500), "numbers still find their call after a clear");
    }
}
