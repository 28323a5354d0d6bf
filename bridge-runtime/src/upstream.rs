//! What the request being handled costs upstream: the calls its handler makes to the external service, the retries
//! among them, the time spent waiting on them, and the **round trips on its critical path**.
//!
//! Talkdesk waits for a bridge's answer (an agent's screen pop waits for the interaction lookup), and that wait is
//! almost all upstream: not so much how many calls a request makes as how many it makes *one after another*. So
//! every request keeps a ledger in its scope (`scope.rs`), beside its deadline (`deadline.rs`), made by its
//! first call (a request that calls nothing pays for none); the `http` client, which knows nothing of endpoints,
//! writes each call into it; the pipeline reads it when the handler is done and hands the [`UpstreamCost`] on
//! with the answer (to the log line, the metrics and the test kit).
//!
//! Calls made by futures of the handler's own task are accounted for, however they are combined (`join!`,
//! `try_join_all`, `buffer_unordered`): they poll within the scope. A task the handler spawns (`tokio::spawn`) has
//! no scope of its own, so its calls are not accounted (and run without the request's deadline), unless its future
//! is wrapped in `bridge::http::in_this_request`.

use std::fmt;
use std::time::Duration;
#[cfg(feature = "client")]
use {
    std::sync::{Arc, Mutex, PoisonError},
    std::time::Instant,
};

/// What one request cost upstream: the calls its handler made through `bridge::http::Client`, and how many of them
/// it waited for one after another.
///
/// - [`calls`](Self::calls): the calls made (a call and its retries are one call: what the handler asked for);
/// - [`retries`](Self::retries): the attempts beyond each call's first (after a `429`, a `503`, a failed
///   connection);
/// - [`attempts`](Self::attempts): calls and retries, every request sent to the service (what its rate limit
///   counts);
/// - [`round_trips`](Self::round_trips): the length of the request's **critical path**, the longest chain of
///   attempts that did not overlap in time. Six calls made at once are one round trip; six made one after another
///   are six. A retry is one more round trip: the request waits for the failed attempt, then for the next;
/// - [`waited`](Self::waited): the time during which at least one call was under way (waits between attempts
///   included), so never more than the request's own time, however many calls ran at once.
///
/// A served bridge logs it on each request's line (`upstream_calls=7 upstream_round_trips=2 upstream_ms=212`)
/// and counts it per endpoint in `GET /metrics`; the test kit gives it with each in-process answer, so that a test
/// can hold an endpoint to its round trips:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use bridge::testing::TestClient;
/// use bridge::{Auth, Bridge, Error};
///
/// #[bridge::auth_validator]
/// async fn validate(Auth(_auth): Auth<serde_json::Value>) -> Result<(), Error> {
///     Ok(()) // calls nothing upstream
/// }
///
/// let client = TestClient::new(Bridge::new().endpoint(validate {})).unwrap();
/// let answer = client.auth_validation().auth(serde_json::json!({})).send().await;
/// let cost = answer.upstream();
/// assert_eq!((cost.calls(), cost.round_trips()), (0, 0));
/// assert!(cost.round_trips() <= 2);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpstreamCost {
    calls: u32,
    retries: u32,
    round_trips: u32,
    waited: Duration,
}

// Public through `bridge::http` (feature `client`); without it, only the log line and the metrics read it.
#[cfg_attr(not(feature = "client"), allow(dead_code))]
impl UpstreamCost {
    /// The calls made (a call and its retries count once; [`attempts`](Self::attempts) counts each).
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// The requests sent to the service: each call's first attempt and every retry ([`calls`](Self::calls) plus
    /// [`retries`](Self::retries)), as the service's rate limit counts them.
    pub fn attempts(&self) -> u32 {
        self.calls + self.retries
    }

    /// The attempts made beyond each call's first.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The round trips on the critical path: the largest number of attempts that ran one after another, none
    /// overlapping another in time.
    pub fn round_trips(&self) -> u32 {
        self.round_trips
    }

    /// The time during which at least one call was under way.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

#[cfg(test)]
impl UpstreamCost {
    /// Adds calls (each one round trip after the other) to a cost made up for a test.
    pub(crate) fn add(&mut self, calls: u32, round_trips: u32, waited: Duration) {
        self.calls += calls;
        self.round_trips += round_trips;
        self.waited += waited;
    }
}

impl fmt::Display for UpstreamCost {
    /// `7 calls (1 retry), 2 round trips, 212 ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u32| if n == 1 { "" } else { "s" };
        write!(f, "{} call{}", self.calls, plural(self.calls))?;
        if self.retries > 0 {
            write!(f, " ({} retr{})", self.retries, if self.retries == 1 { "y" } else { "ies" })?;
        }
        write!(f, ", {} round trip{}, {} ms", self.round_trips, plural(self.round_trips), self.waited.as_millis())
    }
}

/// The ledger of one request, shared by every call its handler makes (only the HTTP client writes one).
#[cfg(feature = "client")]
#[derive(Debug, Default)]
pub(crate) struct Ledger(Mutex<Tally>);

#[cfg(feature = "client")]
#[derive(Debug, Default)]
struct Tally {
    calls: u32,
    retries: u32,
    round_trips: u32,
    /// When the last attempt of the chain counted in `round_trips` ended.
    chain_end: Option<Instant>,
    /// The union of the calls' intervals so far, as disjoint intervals in order.
    busy: Vec<(Instant, Instant)>,
}

#[cfg(feature = "client")]
impl Tally {
    /// An attempt from `started` to `ended`, given in the order of the attempts' ends, joins the chain when it
    /// began once the chain's last attempt had ended: by earliest end first, this greedy choice builds a longest
    /// chain of attempts that do not overlap (touching ones do not).
    fn attempt(&mut self, started: Instant, ended: Instant) {
        if self.chain_end.is_none_or(|end| started >= end) {
            self.round_trips += 1;
            self.chain_end = Some(ended);
        }
    }
}

#[cfg(feature = "client")]
impl Ledger {
    /// The cost so far (of the calls that are over).
    pub(crate) fn cost(&self) -> UpstreamCost {
        let tally = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        UpstreamCost {
            calls: tally.calls,
            retries: tally.retries,
            round_trips: tally.round_trips,
            waited: tally.busy.iter().map(|(start, end)| end.saturating_duration_since(*start)).sum(),
        }
    }

    /// Starts accounting for one call: it is written in when the returned guard is dropped (when the call is over,
    /// or abandoned with the request's future).
    pub(crate) fn call(self: &Arc<Self>) -> CallGuard {
        CallGuard { ledger: Arc::clone(self), started: Instant::now() }
    }

    /// Attempts are written in the order of their end instants, taken under the lock, as [`Tally::attempt`] needs.
    fn attempt_ended(&self, started: Instant, retry: bool) {
        let mut tally = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let ended = Instant::now();
        if retry {
            tally.retries += 1;
        }
        tally.attempt(started, ended);
    }

    /// A call's interval joins the union: it ends after every interval recorded so far, so it swallows those of
    /// the last ones it overlaps.
    fn call_ended(&self, started: Instant) {
        let mut tally = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let ended = Instant::now();
        tally.calls += 1;
        let mut start = started;
        while let Some(&(earlier_start, earlier_end)) = tally.busy.last() {
            if earlier_end < start {
                break;
            }
            start = start.min(earlier_start);
            tally.busy.pop();
        }
        tally.busy.push((start, ended));
    }
}

/// One call being accounted for; written in the ledger when dropped.
#[cfg(feature = "client")]
pub(crate) struct CallGuard {
    ledger: Arc<Ledger>,
    started: Instant,
}

#[cfg(feature = "client")]
impl CallGuard {
    /// Starts accounting for one attempt of the call (`retry`: not its first), written in when the guard is
    /// dropped.
    pub(crate) fn attempt(&self, retry: bool) -> AttemptGuard<'_> {
        AttemptGuard { ledger: &self.ledger, started: Instant::now(), retry }
    }
}

#[cfg(feature = "client")]
impl Drop for CallGuard {
    fn drop(&mut self) {
        self.ledger.call_ended(self.started);
    }
}

/// One attempt being accounted for; written in the ledger when dropped.
#[cfg(feature = "client")]
pub(crate) struct AttemptGuard<'a> {
    ledger: &'a Ledger,
    started: Instant,
    retry: bool,
}

#[cfg(feature = "client")]
impl Drop for AttemptGuard<'_> {
    fn drop(&mut self) {
        self.ledger.attempt_ended(self.started, self.retry);
    }
}

#[cfg(all(test, feature = "client"))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The round trips of `attempts`, (start, end) in ms after a common origin, given in the order of their ends.
    fn round_trips(mut attempts: Vec<(u64, u64)>) -> u32 {
        attempts.sort_by_key(|&(_, end)| end);
        let origin = Instant::now();
        let at = |ms: u64| origin + Duration::from_millis(ms);
        let mut tally = Tally::default();
        for (start, end) in attempts {
            tally.attempt(at(start), at(end));
        }
        tally.round_trips
    }

    #[test]
    fn the_critical_path_is_the_longest_chain_of_attempts_that_do_not_overlap() {
        assert_eq!(round_trips(vec![]), 0);
        // One after another, touching: three round trips.
        assert_eq!(round_trips(vec![(0, 10), (10, 20), (20, 30)]), 3);
        // Six at once: one.
        assert_eq!(round_trips(vec![(0, 10); 6]), 1);
        // A lookup, then two batches at once, then one more: three.
        assert_eq!(round_trips(vec![(0, 10), (11, 20), (12, 22), (25, 30)]), 3);
        // A long call beside a chain of three short ones: the chain is the critical path.
        assert_eq!(round_trips(vec![(0, 100), (0, 10), (20, 30), (40, 50)]), 3);
    }

    #[tokio::test]
    async fn calls_of_one_task_at_once_are_one_round_trip_and_one_after_another_are_two() {
        let ledger = Arc::new(Ledger::default());
        let call = |retry_first: bool| {
            let ledger = Arc::clone(&ledger);
            async move {
                let call = ledger.call();
                for retry in [false, retry_first] {
                    let _attempt = call.attempt(retry);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if !retry_first {
                        break;
                    }
                }
            }
        };
        tokio::join!(call(false), call(false), call(false));
        let cost = ledger.cost();
        assert_eq!((cost.calls(), cost.retries(), cost.round_trips()), (3, 0, 1), "{cost}");
        assert!(cost.waited() >= Duration::from_millis(20) && cost.waited() < Duration::from_millis(40), "{cost}");
        // Then one call retried once: two more round trips, one after the other.
        call(true).await;
        let cost = ledger.cost();
        assert_eq!((cost.calls(), cost.retries(), cost.round_trips()), (4, 1, 3), "{cost}");
        assert_eq!(cost.attempts(), 5, "the retried call was sent twice");
        assert!(cost.waited() >= Duration::from_millis(60), "{cost}");
        assert_eq!(cost.to_string(), format!("4 calls (1 retry), 3 round trips, {} ms", cost.waited().as_millis()));
    }

    #[test]
    fn the_time_waited_is_the_union_of_the_calls() {
        let ledger = Ledger::default();
        let origin = Instant::now() - Duration::from_millis(100);
        // Ended now, in this order: [0, now], then [50, now] (inside it), then [95, now].
        ledger.call_ended(origin);
        ledger.call_ended(origin + Duration::from_millis(50));
        let waited = ledger.cost().waited();
        assert!(waited >= Duration::from_millis(100) && waited < Duration::from_millis(150), "{waited:?}");
        assert_eq!(ledger.0.lock().unwrap().busy.len(), 1);
    }

    #[test]
    fn disjoint_calls_add_up() {
        let ledger = Ledger::default();
        {
            let mut tally = ledger.0.lock().unwrap();
            let origin = Instant::now() - Duration::from_millis(100);
            tally.busy.push((origin, origin + Duration::from_millis(10)));
        }
        ledger.call_ended(Instant::now() - Duration::from_millis(20));
        let waited = ledger.cost().waited();
        assert!(waited >= Duration::from_millis(30) && waited < Duration::from_millis(80), "{waited:?}");
        assert_eq!(ledger.0.lock().unwrap().busy.len(), 2);
        assert_eq!(UpstreamCost::default().to_string(), "0 calls, 0 round trips, 0 ms");
    }
}
