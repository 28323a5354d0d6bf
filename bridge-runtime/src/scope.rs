//! The request's scope: everything a request shares with the code that answers it, in one value carried by one
//! task-local: its id and its part of the log lines, its deadline, and (with the `http` client) its trace
//! context, the metrics its calls count in, its upstream ledger and the tap that records or replays its calls.
//!
//! The gate opens it around each request ([`open`]: id, log-line part, trace context, metrics); the pipeline adds
//! the endpoint's parts when it calls the handler ([`set_deadline`], [`tap_for_request`]); the `http` client,
//! which knows nothing of either, reads it on each call; and [`carry`] takes all of it to a task the handler
//! spawns (`bridge::http::in_this_request`). The test kit's clock (`TalkdeskDate::now`) is the one other
//! task-local: it belongs to the protocol's types, below every module that knows of a request, and `carry` takes
//! it along too.
//!
//! Why one value: each task-local is a scope entered and left on every poll of the request's future, and a list
//! of them is a list kept in step by hand (the one `in_this_request` carried once left the trace context and the
//! metrics out). Why the ledger is made lazily: a request that calls nothing upstream pays for none; its first
//! call makes it.
//!
//! A fact learnt while answering that the request's log line should print (say, whether a lookup was a cache
//! hit) belongs here too: a `Cell` field of [`RequestScope`], set through [`with`] by the code that learns it and
//! read by the gate's `log_request`, which runs within the scope.

// Without the `http` client nothing spawns calls (`carry`) and the test kit's scopes are not built.
#![cfg_attr(not(feature = "client"), allow(dead_code))]

use crate::deadline::RequestDeadline;
use crate::request_id::{LinePart, RequestId, TraceId};
use futures_util::future::Either;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::futures::TaskLocalFuture;
#[cfg(feature = "client")]
use {
    crate::tap::{Active, AuthValues, Tap},
    crate::trace::TraceContext,
    crate::upstream::Ledger,
    std::cell::{OnceCell, RefCell},
    std::sync::Arc,
    std::time::Duration,
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
    /// The endpoint's deadline, from the moment its handler was called (set by the pipeline).
    pub(crate) deadline: Cell<Option<RequestDeadline>>,
    /// What the request's external calls read and write.
    #[cfg(feature = "client")]
    pub(crate) calls: Calls,
}

/// Where a request's external calls are counted: the bridge's metrics (`telemetry`, a layer above this one).
#[cfg(feature = "client")]
pub(crate) trait CountsCalls: Send + Sync {
    /// A finished call.
    fn upstream_call(&self, service: &Arc<str>, status: Option<u16>, took: Duration, retries: u32);
    /// A wait between attempts of a call.
    fn upstream_wait(&self, service: &Arc<str>, wait: Duration);
}

/// The parts of a request's scope that only the `http` client reads.
#[cfg(feature = "client")]
#[derive(Clone, Default)]
pub(crate) struct Calls {
    /// The caller's trace context, sent on with every call.
    pub(crate) trace: Option<TraceContext>,
    /// Where each call is counted.
    pub(crate) metrics: Option<Arc<dyn CountsCalls>>,
    /// The request's upstream ledger, made by its first call ([`ledger`]).
    pub(crate) ledger: OnceCell<Arc<Ledger>>,
    /// The recorder or player of the request's calls, with the request's `auth`.
    pub(crate) tap: RefCell<Option<Active>>,
}

impl RequestScope {
    /// The scope of request `id`, whose lines show `on_lines`, with the tap the test kit set around it, if any (a
    /// request sent in process runs on the test's task).
    pub(crate) fn of_request(id: RequestId, on_lines: Option<LinePart>) -> Self {
        #[cfg(feature = "client")]
        let scope = with(|around| Self {
            calls: Calls { tap: around.calls.tap.clone(), ..Calls::default() },
            ..Self::default()
        })
        .unwrap_or_default();
        #[cfg(not(feature = "client"))]
        let scope = Self::default();
        Self { id: Some(id), on_lines, ..scope }
    }

    /// … and whose external calls carry `trace` on and count in `metrics`.
    #[cfg(feature = "client")]
    pub(crate) fn with_calls(mut self, trace: Option<TraceContext>, metrics: Arc<dyn CountsCalls>) -> Self {
        self.calls.trace = trace;
        self.calls.metrics = Some(metrics);
        self
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

/// Runs `f` (an answer given at once) as the handling of request `id`, whose lines show `on_lines`.
pub(crate) fn sync<R>(id: RequestId, on_lines: Option<LinePart>, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(RequestScope::of_request(id, on_lines), f)
}

/// Runs `future` within the current scope (or an empty one) changed by `change`: the test kit's scope around a
/// request (its tap), and the tests' own. The scope it changes is the one current when the future is first
/// polled, not when it is made: `within(a, within(b, future))` has both changes.
pub(crate) async fn within<F: Future>(change: impl FnOnce(&mut RequestScope), future: F) -> F::Output {
    let mut scope = with(RequestScope::clone).unwrap_or_default();
    change(&mut scope);
    CURRENT.scope(scope, future).await
}

/// `future`, run within the scope of the request being handled on this task, if any, wherever it runs (a task
/// the handler spawns): its errors and log lines name the request, its calls keep the request's deadline, trace
/// context and tap, and count in its ledger (made now, to be shared) and in the metrics; and the test kit's clock
/// goes along. Outside a request, `future` as it is.
pub(crate) fn carry<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let future = crate::protocol::carry_clock(future);
    let scope = with(|scope| {
        #[cfg(feature = "client")]
        scope.calls.ledger.get_or_init(Arc::default);
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

// --- What each part's readers see --------------------------------------------------------------------------------

/// The id of the request being handled on this task, if any (its error bodies and the panic hook name it).
pub(crate) fn request_id() -> Option<RequestId> {
    with(|scope| scope.id.clone()).flatten()
}

/// Calls `write` with the id and trace id of the request being handled on this task, when the lines logged now
/// show them (`request_id::WritesRequestPart`); `None` otherwise.
pub(crate) fn with_line_part<R>(write: impl FnOnce(&str, Option<&str>) -> R) -> Option<R> {
    with(|scope| {
        let part = scope.on_lines.as_ref()?;
        Some(write(scope.id.as_ref()?.as_str(), part.trace_id.as_ref().map(TraceId::as_str)))
    })
    .flatten()
}

/// The deadline of the request being handled on this task, if any.
pub(crate) fn deadline() -> Option<RequestDeadline> {
    with(|scope| scope.deadline.get()).flatten()
}

/// Sets the deadline of the request being handled on this task (the pipeline, when it calls the handler).
pub(crate) fn set_deadline(deadline: RequestDeadline) {
    with(|scope| scope.deadline.set(Some(deadline)));
}

/// The ledger of the request being handled on this task, if any (made by the request's first call).
#[cfg(feature = "client")]
pub(crate) fn ledger() -> Option<Arc<Ledger>> {
    with(|scope| Arc::clone(scope.calls.ledger.get_or_init(Arc::default)))
}

/// What the request being handled on this task cost upstream so far (nothing, when it made no call).
pub(crate) fn upstream_cost() -> crate::upstream::UpstreamCost {
    #[cfg(feature = "client")]
    if let Some(Some(cost)) = with(|scope| scope.calls.ledger.get().map(|ledger| ledger.cost())) {
        return cost;
    }
    crate::upstream::UpstreamCost::default()
}

/// The tap of the request being handled on this task, if any.
#[cfg(feature = "client")]
pub(crate) fn tap() -> Option<Active> {
    with(|scope| scope.calls.tap.borrow().clone()).flatten()
}

/// Whether the request being handled on this task has its calls answered by a player.
#[cfg(feature = "client")]
pub(crate) fn replaying() -> bool {
    with(|scope| scope.calls.tap.borrow().as_ref().is_some_and(|active| active.tap.replays())).unwrap_or(false)
}

/// Runs `future` with `tap` installed and no `auth` known: the test kit's scope around a request it sends in
/// process, which the pipeline narrows to the request's `auth`.
#[cfg(feature = "client")]
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) async fn tap_around<F: Future>(tap: Arc<dyn Tap>, future: F) -> F::Output {
    within(move |scope| *scope.calls.tap.get_mut() = Some(Active { tap, auth: Arc::default() }), future).await
}

/// Gives the request being handled on this task the bridge's own tap (`own`, when it records) or else the one
/// the test kit installed around the request, knowing the request's `auth` from its `body`. No tap: nothing to do
/// (and the request's `auth` is not read).
#[cfg(feature = "client")]
pub(crate) fn tap_for_request(own: Option<&Arc<dyn Tap>>, body: &[u8]) {
    with(|scope| {
        let mut current = scope.calls.tap.borrow_mut();
        let tap = match (own, current.as_ref()) {
            (Some(own), _) => Arc::clone(own),
            (None, Some(around)) => Arc::clone(&around.tap),
            (None, None) => return,
        };
        *current = Some(Active { tap, auth: Arc::new(AuthValues::of_body(body)) });
    });
}

/// Runs `future` under `deadline`, within the current scope otherwise (for tests).
#[cfg(test)]
pub(crate) async fn in_deadline<F: Future>(deadline: RequestDeadline, future: F) -> F::Output {
    within(move |scope| scope.deadline.set(Some(deadline)), future).await
}

/// Runs `future` with `ledger` as its request's (for tests).
#[cfg(all(test, feature = "client"))]
pub(crate) async fn in_ledger<F: Future>(ledger: Arc<Ledger>, future: F) -> F::Output {
    within(move |scope| scope.calls.ledger = ledger.into(), future).await
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "client")]
    use crate::tap::{Answer, Outgoing, Replayed};
    use std::time::Duration;

    fn from(text: &str) -> RequestId {
        let mut headers = http::HeaderMap::new();
        headers.insert(crate::request_id::HEADER, http::HeaderValue::from_str(text).unwrap());
        RequestId::from_headers(&headers)
    }

    #[tokio::test]
    async fn a_part_set_inside_is_given_back_and_a_request_inherits_nothing_of_a_request_around_it() {
        let given = RequestDeadline::starting_now(Duration::from_secs(1));
        let around = in_deadline(given, async {
            let request = RequestScope::of_request(from("r-1"), None);
            assert_eq!(request.deadline.get(), None);
            open(request, async { set_deadline(given) }).await
        });
        let ((), scope) = around.await;
        assert_eq!((scope.id, scope.deadline.get()), (Some(from("r-1")), Some(given)));
        assert!(with(|_| ()).is_none());
    }

    #[cfg(feature = "client")]
    #[tokio::test]
    async fn a_carried_task_shares_the_ledger_made_for_it() {
        let (seen, scope) = open(RequestScope::of_request(from("r-2"), None), async {
            tokio::spawn(carry(async { ledger() })).await.unwrap()
        })
        .await;
        let made = scope.calls.ledger.get().expect("carrying made the ledger");
        assert!(Arc::ptr_eq(&seen.unwrap(), made));
        assert!(tokio::spawn(carry(async { with(|_| ()) })).await.unwrap().is_none());
    }

    /// Runs `future` as the handling of request `id`, as the gate does; gives the id back with the output.
    async fn scope<F: Future>(id: RequestId, on_lines: Option<LinePart>, future: F) -> (F::Output, RequestId) {
        let (output, scope) = open(RequestScope::of_request(id, on_lines), future).await;
        (output, scope.id.expect("a request's scope has its id"))
    }

    #[tokio::test]
    async fn a_task_the_request_spawns_is_part_of_it_when_carried() {
        let id = from("req-2");
        let part = LinePart { trace_id: TraceId::new("4bf92f3577b34da6a3ce929d0e0e4736") };
        let seen = || (request_id(), with_line_part(|id, trace_id| format!("{id} {trace_id:?}")));
        let ((plain, carried), _) = scope(id.clone(), Some(part), async move {
            let plain = tokio::spawn(async move { seen() }).await.unwrap();
            (plain, tokio::spawn(carry(async move { seen() })).await.unwrap())
        })
        .await;
        assert_eq!(plain, (None, None));
        assert_eq!(carried, (Some(id), Some("req-2 Some(\"4bf92f3577b34da6a3ce929d0e0e4736\")".to_owned())));
        assert_eq!(carry(async move { seen() }).await, (None, None));
        let (unshown, _) = scope(from("req-3"), None, async move { seen() }).await;
        assert_eq!(unshown, (Some(from("req-3")), None));
    }

    #[tokio::test]
    async fn current_is_set_inside_the_scope_only() {
        assert!(request_id().is_none());
        let id = from("req-1");
        let (seen, given_back) = scope(id.clone(), None, async { request_id() }).await;
        assert_eq!(seen, Some(id.clone()));
        assert_eq!(given_back, id);
        assert!(request_id().is_none());
    }
    #[tokio::test]
    async fn the_deadline_is_seen_inside_the_scope_only() {
        assert_eq!(deadline(), None);
        let given = RequestDeadline::starting_now(Duration::from_secs(2));
        assert_eq!(in_deadline(given, async { deadline() }).await, Some(given));
        assert_eq!(deadline(), None);
    }

    #[cfg(feature = "client")]
    #[tokio::test]
    async fn the_ledger_is_seen_inside_the_scope_only() {
        assert!(ledger().is_none());
        let given = Arc::new(Ledger::default());
        let seen = in_ledger(Arc::clone(&given), async { ledger().is_some_and(|l| Arc::ptr_eq(&l, &given)) });
        assert!(seen.await);
        assert!(ledger().is_none());
    }
    #[cfg(feature = "client")]
    struct Nothing;
    #[cfg(feature = "client")]
    impl crate::tap::Tap for Nothing {
        fn replay(&self, _: &Outgoing<'_>, _: &AuthValues) -> Option<Replayed> {
            None
        }
        fn record(&self, _: &Outgoing<'_>, _: &AuthValues, _: &Answer) {}
        fn replays(&self) -> bool {
            true
        }
    }

    /// Runs `handler` as the pipeline runs one, in a request's scope: with the request's tap (`own`, or the one
    /// around it) set from `body` first.
    #[cfg(feature = "client")]
    async fn for_request_of<F: Future>(own: Option<&Arc<dyn Tap>>, body: &[u8], handler: F) -> F::Output {
        let id = RequestId::from_headers(&http::HeaderMap::new());
        let scope = RequestScope::of_request(id, None);
        open(scope, async move {
            tap_for_request(own, body);
            handler.await
        })
        .await
        .0
    }

    #[cfg(feature = "client")]
    #[tokio::test]
    async fn a_request_sees_its_own_tap_or_the_one_around_it() {
        let body = br#"{"auth": {"token": "abcdef"}}"#;
        assert!(for_request_of(None, body, async { tap() }).await.is_none());
        let own: Arc<dyn Tap> = Arc::new(Nothing);
        let seen = for_request_of(Some(&own), body, async { tap() }).await.unwrap();
        assert!(Arc::ptr_eq(&seen.tap, &own));
        assert!(!replaying());
        assert!(for_request_of(Some(&own), body, async { replaying() }).await);
        assert_eq!(seen.auth.0, [("auth.token".to_owned(), "abcdef".to_owned())]);
        let around_tap: Arc<dyn Tap> = Arc::new(Nothing);
        // As in the gate: the endpoint is called (and reads the tap around it) when the request's future runs.
        let seen = tap_around(Arc::clone(&around_tap), async { for_request_of(None, body, async { tap() }).await })
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&seen.tap, &around_tap));
        assert_eq!(seen.auth.0.len(), 1);
        assert!(tap().is_none());
    }

    #[cfg(feature = "client")]
    #[tokio::test]
    async fn a_spawned_task_has_the_tap_only_when_carried() {
        let own: Arc<dyn Tap> = Arc::new(Nothing);
        let handler = async {
            let plain = tokio::spawn(async { tap().is_some() }).await.unwrap();
            let carried = tokio::spawn(carry(async { tap().map(|active| active.auth.0.len()) })).await.unwrap();
            (plain, carried)
        };
        let seen = for_request_of(Some(&own), br#"{"auth": {"token": "abcdef"}}"#, handler).await;
        assert_eq!(seen, (false, Some(1)));
        assert!(!tokio::spawn(carry(async { tap().is_some() })).await.unwrap());
    }
}
