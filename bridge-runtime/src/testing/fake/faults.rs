//! The misbehaviours a test asks of a fake ([`Fault`]) and the queue they wait in ([`Faults`]): one fault per
//! request, in order, so that a test says exactly which call meets which trouble.

use super::fake_messages::FakeResponse;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A misbehaviour for one request of a fake ([`FakeServer::inject`](super::FakeServer::inject)).
///
/// The statuses (`429`, `503`, `500`) carry the service's own error body, as the fake declares it
/// ([`FakeServer::errors`](super::FakeServer::errors)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests`, with `Retry-After: <seconds>` when `retry_after_secs` is given (some services send
    /// none, and name their limit in the body).
    RateLimited {
        /// The `Retry-After` header's seconds; `None`: no header.
        retry_after_secs: Option<u64>,
    },
    /// `503 Service Unavailable`.
    Unavailable,
    /// `500 Internal Server Error`.
    ServerError,
    /// The service's answer, after this long.
    Slow(Duration),
    /// `200` with a JSON content type and a body cut short.
    Garbage,
    /// The connection closed without an answer.
    Reset,
    /// This answer, whatever was asked (a service's own error page, a redirect…).
    Answer(FakeResponse),
}

/// The body of a [`Fault::Garbage`] answer: JSON cut short.
pub const GARBAGE: &str = r#"{"results": [{"id": 1, "name": "Ja"#;

/// The faults waiting for the next requests, first in first out; clones share the queue.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `fault` for the first request that finds no fault before it.
    pub fn push(&self, fault: Fault) {
        self.lock().push_back(fault);
    }

    /// The next fault, taken off the queue.
    pub fn pop(&self) -> Option<Fault> {
        self.lock().pop_front()
    }

    /// How many faults are waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no fault is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets the waiting faults.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_come_out_in_order_and_clones_share_them() {
        let faults = Faults::default();
        let shared = faults.clone();
        faults.push(Fault::Unavailable);
        faults.push(Fault::RateLimited { retry_after_secs: None });
        assert_eq!(shared.len(), 2);
        assert_eq!(shared.pop(), Some(Fault::Unavailable));
        assert_eq!(faults.pop(), Some(Fault::RateLimited { retry_after_secs: None }));
        assert_eq!(faults.pop(), None);
        faults.push(Fault::Garbage);
        shared.clear();
        assert!(faults.is_empty());
    }
}
