//! The request's scope: everything a request shares with the code that answers it, in one value carried by one
//! task-local: its id and its part of the log lines, the test kit's clock, its deadline, and (with the `http`
//! client) its trace context, the metrics its calls count in, its upstream ledger and the tap that records or
//! replays its calls.
//!
//! The gate opens it around each request ([`open`]: id, log-line part, trace context, metrics); the pipeline adds
//! the endpoint's parts when it calls the handler (the deadline, the tap); the `http` client, which knows nothing
//! of either, reads it on each call; and [`carry`] takes all of it to a task the handler spawns
//! (`bridge::http::in_this_request`). Each module keeps its own readers (`request_id::current`,
//! `deadline::current`, `TalkdeskDate::now`, …): this one holds the value, they know what it means.
//!
//! Why one value: each task-local is a scope entered and left on every poll of the request's future, and a list
//! of them is a list kept in step by hand (the one `in_this_request` carried once left the trace context and the
//! metrics out). Why parts are made lazily: a request that calls nothing upstream (most of a bridge's requests
//! are answered from one or two calls, many from none) pays for no ledger; the first call makes it.
//!
//! A part of the log line learnt while answering (say, whether a lookup was a cache hit) belongs here too: a
//! field of [`RequestScope`] set through [`with`] by the code that learns it, read by the gate's `log_request`,
//! which runs within the scope.

// Without the `http` client nothing spawns calls (`carry`) and the test kit's scopes are not built.
#![cfg_attr(not(feature = "client"), allow(dead_code))]

use crate::deadline::RequestDeadline;
use crate::protocol::TalkdeskDate;
use crate::request_id::{LinePart, RequestId};
use futures_util::future::Either;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::futures::TaskLocalFuture;
#[cfg(feature = "client")]
use {
    crate::tap::Active,
    crate::telemetry::{Metrics, TraceContext},
    crate::upstream::Ledger,
    std::cell::{OnceCell, RefCell},
    std::sync::Arc,
};

/// What a request shares with the code that answers it (see the [module](self)).
///
/// Parts set after the scope is opened (by the pipeline, by the first external call) are cells: the value lives
/// in the task-local while the request's future is polled, and goes back into the future with what was set.
#[derive(Clone, Default)]
pub(crate) struct RequestScope {
    /// The request's id (`None` in a scope the test kit opens around a request, before the gate opens its own).
    pub(crate) id: Option<RequestId>,
    /// The request's part of its log lines, when the subscriber writes it from here.
    pub(crate) on_lines: Option<LinePart>,
    /// The time `TalkdeskDate::now` gives, when the test kit set one.
    pub(crate) clock: Option<TalkdeskDate>,
    /// The endpoint's deadline, from the moment its handler was called (set by the pipeline).
    pub(crate) deadline: Cell<Option<RequestDeadline>>,
    /// What the request's external calls read and write.
    #[cfg(feature = "client")]
    pub(crate) calls: Calls,
}

/// The parts of a request's scope that only the `http` client reads.
#[cfg(feature = "client")]
#[derive(Clone, Default)]
pub(crate) struct Calls {
    /// The caller's trace context, sent on with every call.
    pub(crate) trace: Option<TraceContext>,
    /// The bridge's metrics, where each call is counted.
    pub(crate) metrics: Option<Arc<Metrics>>,
    /// The request's upstream ledger, made by its first call ([`Calls::ledger`]).
    pub(crate) ledger: OnceCell<Arc<Ledger>>,
    /// The recorder or player of the request's calls, with the request's `auth`.
    pub(crate) tap: RefCell<Option<Active>>,
}

#[cfg(feature = "client")]
impl Calls {
    /// The request's ledger, made now if no call made it yet.
    pub(crate) fn ledger(&self) -> &Arc<Ledger> {
        self.ledger.get_or_init(Arc::default)
    }
}

impl RequestScope {
    /// The scope of request `id`, whose lines show `on_lines`, with what the test kit set around it, if anything
    /// (its clock and its tap: a request sent in process runs on the test's task).
    pub(crate) fn of_request(id: RequestId, on_lines: Option<LinePart>) -> Self {
        let mut scope = with(Self::what_a_request_inherits).unwrap_or_default();
        scope.id = Some(id);
        scope.on_lines = on_lines;
        scope
    }

    /// … and whose external calls carry `trace` on and count in `metrics`.
    #[cfg(feature = "client")]
    pub(crate) fn with_calls(mut self, trace: Option<TraceContext>, metrics: &Arc<Metrics>) -> Self {
        self.calls.trace = trace;
        self.calls.metrics = Some(Arc::clone(metrics));
        self
    }

    /// What a request's scope takes from a scope around it: the test kit's clock and tap, nothing of a request.
    fn what_a_request_inherits(&self) -> Self {
        Self {
            clock: self.clock,
            #[cfg(feature = "client")]
            calls: Calls { tap: self.calls.tap.clone(), ..Calls::default() },
            ..Self::default()
        }
    }
}

tokio::task_local! {
    /// The scope of the request being handled on this task.
    static CURRENT: RequestScope;
}

/// `read` of the scope of the request being handled on this task; `None` outside any.
pub(crate) fn with<R>(read: impl FnOnce(&RequestScope) -> R) -> Option<R> {
    CURRENT.try_with(read).ok()
}

/// Runs `future` (a request's) within `scope`; gives the scope back with the output, with what was set in it.
///
/// A plain function returning a named future, not an `async fn`: an `async fn` holds the future it is given twice
/// (its argument, then the awaited value), and the request's future is moved into a box whole on every request.
pub(crate) fn open<F: Future>(scope: RequestScope, future: F) -> Scoped<F> {
    Scoped { inner: CURRENT.scope(scope, future) }
}

/// Runs `f` (an answer given at once) within `scope`.
pub(crate) fn sync<R>(scope: RequestScope, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(scope, f)
}

/// Runs `future` within the current scope (or an empty one) changed by `change`: the test kit's scopes around a
/// request (its clock, its tap), and the tests' own. The scope it changes is the one current when the future is
/// first polled, not when it is made: `within(a, within(b, future))` has both changes.
pub(crate) fn within<F: Future>(change: impl FnOnce(&mut RequestScope), future: F) -> impl Future<Output = F::Output> {
    async move {
        let mut scope = with(RequestScope::clone).unwrap_or_default();
        change(&mut scope);
        CURRENT.scope(scope, future).await
    }
}

/// `future`, run within the scope of the request being handled on this task, if any, wherever it runs (a task
/// the handler spawns): its errors and log lines name the request, its calls keep the request's deadline, trace
/// context and tap, and count in its ledger (made now, to be shared) and in the metrics. Outside a request,
/// `future` as it is.
pub(crate) fn carry<F: Future>(future: F) -> Either<F, TaskLocalFuture<RequestScope, F>> {
    let scope = with(|scope| {
        #[cfg(feature = "client")]
        scope.calls.ledger();
        scope.clone()
    });
    match scope {
        Some(scope) => Either::Right(CURRENT.scope(scope, future)),
        None => Either::Left(future),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`open`].
    pub(crate) struct Scoped<F> {
        #[pin]
        inner: TaskLocalFuture<RequestScope, F>,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = (F::Output, RequestScope);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        let output = std::task::ready!(inner.as_mut().poll(cx));
        let scope = inner.take_value().expect("the scope is held until its future is done");
        Poll::Ready((output, scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &'static str) -> RequestId {
        let mut headers = http::HeaderMap::new();
        headers.insert(crate::request_id::HEADER, http::HeaderValue::from_static(text));
        RequestId::from_headers(&headers)
    }

    #[tokio::test]
    async fn a_part_set_inside_is_given_back_and_a_request_inherits_only_the_test_kits_parts() {
        let deadline = RequestDeadline::starting_now(std::time::Duration::from_secs(1));
        let at = TalkdeskDate::from_unix_timestamp(1_717_491_600).unwrap();
        let around = within(
            |scope| {
                scope.clock = Some(at);
                scope.deadline.set(Some(deadline));
            },
            async {
                let request = RequestScope::of_request(id("r-1"), None);
                assert_eq!((request.clock, request.deadline.get()), (Some(at), None));
                open(request, async { with(|scope| scope.deadline.set(Some(deadline))) }).await
            },
        );
        let (set, scope) = around.await;
        assert_eq!(set, Some(()));
        assert_eq!((scope.id, scope.deadline.get()), (Some(id("r-1")), Some(deadline)));
        assert!(with(|_| ()).is_none());
    }

    #[cfg(feature = "client")]
    #[tokio::test]
    async fn a_carried_task_shares_the_ledger_made_for_it() {
        let (seen, scope) = open(RequestScope::of_request(id("r-2"), None), async {
            tokio::spawn(carry(async { with(|scope| Arc::clone(scope.calls.ledger())) })).await.unwrap()
        })
        .await;
        let ledger = scope.calls.ledger.get().expect("carrying made the ledger");
        assert!(Arc::ptr_eq(&seen.unwrap(), ledger));
        assert!(tokio::spawn(carry(async { with(|_| ()) })).await.unwrap().is_none());
    }
}
