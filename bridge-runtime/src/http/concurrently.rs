//! Making several calls of one request at once, a bounded number at a time.
//!
//! What a request waits for upstream is its **round trips**, the calls it makes one after another (see
//! [`UpstreamCost`](super::UpstreamCost)): six calls in a `for` loop are six round trips, six made at once are one.
//! Calls made at once from the handler's own task (not a spawned one) share the request's deadline: each is cut
//! short, and no retry of any runs, past it. But a burst of calls can itself trip a service's per-second limit, so
//! the number at once should be bounded; [`try_join_all_at_most`] does both.
//!
//! A task the handler spawns (`tokio::spawn`) is outside the request: its calls have no deadline and are not
//! accounted to it, unless its future is wrapped in [`in_this_request`].

use futures_util::{StreamExt, TryStreamExt};
use std::future::Future;

/// Runs `calls` at once, at most `limit` at a time (`0` counts as 1), in the calling task (so each call keeps the
/// request's deadline and is accounted to it), and gives their outputs in the order of `calls`; the first error
/// ends it, and the calls still under way are dropped.
///
/// Each call is retried on its own terms (the client's [`max_retries`](super::ClientBuilder::max_retries)), all
/// within the one deadline of the request.
///
/// ```no_run
/// use bridge::http::{try_join_all_at_most, BaseUrl, Client};
/// use bridge::{Error, Secret};
/// use serde_json::Value;
///
/// /// The six kinds of engagements of a HubSpot contact, read at once, at most three at a time: two round trips
/// /// instead of six.
/// async fn engagements(client: &Client, api: &BaseUrl, token: &Secret, ids: &[&str; 6]) -> Result<Vec<Value>, Error> {
///     let kinds = ["notes", "tasks", "calls", "emails", "meetings", "tickets"];
///     let reads = kinds.iter().zip(ids).map(|(kind, id)| async move {
///         let url = api.join(["crm", "v3", "objects", kind, id])?;
///         client.get(url).bearer(token).fetch::<Value>().await
///     });
///     try_join_all_at_most(3, reads).await
/// }
/// ```
pub async fn try_join_all_at_most<I, F, T, E>(limit: usize, calls: I) -> Result<Vec<T>, E>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>>,
{
    futures_util::stream::iter(calls).buffered(limit.max(1)).try_collect().await
}

/// `future`, carrying the request's deadline, upstream accounting, trace context, metrics and id (its log lines
/// show the request's, as the request's own do; and, in tests, the cassette that records or replays its calls and
/// the test kit's clock) wherever it runs: for a task the handler
/// spawns (`tokio::spawn`), whose calls are otherwise outside the request (no deadline, not accounted). Its calls
/// count in the request's [`UpstreamCost`](super::UpstreamCost) when they end before the handler answers. Outside a
/// request, `future` runs as it is.
///
/// ```no_run
/// # async fn example(client: bridge::http::Client, url: bridge::http::Url) -> Result<(), bridge::Error> {
/// use bridge::http::in_this_request;
///
/// let call = client.get(url).send();
/// let answer = tokio::spawn(in_this_request(call)).await.expect("the task ran")?;
/// # drop(answer); Ok(()) }
/// ```
pub fn in_this_request<F: Future>(future: F) -> impl Future<Output = F::Output> {
    // The request's whole scope goes along: one value, nothing listed by hand.
    crate::scope::carry(future)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::fake_service::{Behaviour, FakeService};
    use crate::http::Client;
    use crate::upstream::Ledger;
    use crate::Error;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn six_calls_three_at_a_time_are_two_round_trips_in_order() {
        let fake = FakeService::start(Behaviour { delay: Duration::from_millis(30), ..Behaviour::default() }).await;
        let client = Client::builder().build().unwrap();
        let ledger = Arc::new(Ledger::default());
        let paths = ["a", "b", "c", "d", "e", "f"];
        let calls = paths.map(|path| {
            let call = client.get(fake.at(path));
            async move { call.fetch::<serde_json::Value>().await.map(|answer| answer["path"].to_string()) }
        });
        let answers = crate::scope::in_ledger(Arc::clone(&ledger), try_join_all_at_most(3, calls)).await.unwrap();
        assert_eq!(answers, paths.map(|path| format!("\"/{path}\"")));
        assert_eq!(fake.most_in_flight(), 3);
        let cost = ledger.cost();
        assert_eq!((cost.calls(), cost.round_trips()), (6, 2), "{cost}");
    }

    #[tokio::test]
    async fn the_first_error_ends_it_and_a_limit_of_0_is_one_at_a_time() {
        let outcomes: Vec<Result<u32, Error>> = vec![Ok(1), Err(Error::upstream("no")), Ok(3)];
        let calls = outcomes.into_iter().map(std::future::ready);
        assert_eq!(try_join_all_at_most(0, calls).await.unwrap_err().message(), "no");
        let fine = (1..=3).map(|n| async move { Ok::<_, Error>(n) });
        assert_eq!(try_join_all_at_most(0, fine).await.unwrap(), [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_spawned_call_is_the_requests_only_when_carried() {
        use crate::deadline::RequestDeadline;
        use crate::scope::{deadline, in_deadline, in_ledger};
        let fake = FakeService::start(Behaviour::default()).await;
        let client = Client::builder().build().unwrap();
        let ledger = Arc::new(Ledger::default());
        let request = RequestDeadline::starting_now(Duration::from_secs(5));
        let (plain, carried) = (client.get(fake.at("plain")), client.get(fake.at("carried")));
        let handler = async move {
            tokio::spawn(plain.send()).await.unwrap().unwrap();
            let carried = tokio::spawn(in_this_request(async move {
                carried.send().await.unwrap();
                deadline()
            }));
            carried.await.unwrap()
        };
        let seen = in_ledger(Arc::clone(&ledger), in_deadline(request, handler)).await;
        assert_eq!(seen, Some(request));
        assert_eq!((fake.calls(), ledger.cost().calls()), (2, 1));
        assert_eq!(tokio::spawn(in_this_request(async { deadline() })).await.unwrap(), None);
    }
}
