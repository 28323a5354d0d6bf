//! The deadline of the request being handled, for the code that answers it: the external-service client reads it
//! so that its calls (retries and waits included) end in time for the bridge to answer `504` itself.
//!
//! It lives in the request's scope (`scope.rs`), as the request id does: the pipeline, which knows each
//! endpoint's deadline, sets it when it calls the handler; the `http` client, which knows nothing of endpoints,
//! reads it. Code outside a request (start-up, a task the handler spawned without `http::in_this_request`) sees no
//! deadline.

use std::time::{Duration, Instant};

/// When the request being handled must be answered, and how long it was given in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestDeadline {
    /// The instant the endpoint's deadline passes (and the bridge answers `504` on its own).
    pub(crate) at: Instant,
    /// The endpoint's whole deadline, from the moment the handler was called.
    pub(crate) budget: Duration,
}

impl RequestDeadline {
    /// A deadline `budget` from now.
    pub(crate) fn starting_now(budget: Duration) -> Self {
        let now = Instant::now();
        Self { at: now.checked_add(budget).unwrap_or(now + Duration::from_secs(86_400 * 365)), budget }
    }

    /// When work done for the request must be over to leave `margin` for answering, but never less than nine
    /// tenths of the budget: a margin larger than a tenth of a short deadline would leave calls no time at all.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn less_margin(&self, margin: Duration) -> Instant {
        self.at - margin.min(self.budget / 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_at_most_a_tenth_of_the_budget() {
        let deadline = RequestDeadline::starting_now(Duration::from_secs(25));
        assert_eq!(deadline.less_margin(Duration::from_millis(250)), deadline.at - Duration::from_millis(250));
        let short = RequestDeadline::starting_now(Duration::from_millis(500));
        assert_eq!(short.less_margin(Duration::from_millis(250)), short.at - Duration::from_millis(50));
        assert_eq!(short.less_margin(Duration::ZERO), short.at);
    }
}
