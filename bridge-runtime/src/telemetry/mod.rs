//! What the people who run a bridge see of it: its Prometheus [metrics](metrics) (`GET /metrics`), and the W3C
//! [trace context](trace) of each request, carried on to every call the request makes to the external service.
//!
//! The gate opens a request's [`scope`] around each request; the `http` client, which knows nothing of the gate,
//! reads it to send the trace context on and to count its calls. A call made outside a request (at start-up, in
//! a task the handler spawned) has no scope: it is neither traced nor counted.

mod histogram;
pub(crate) mod metrics;
pub(crate) mod trace;

pub(crate) use metrics::{EndpointMetrics, Metrics, OTHER};
pub(crate) use trace::TraceContext;

use std::future::Future;
use std::sync::Arc;

/// What a request shares with the code that answers it.
#[cfg(feature = "client")]
pub(crate) struct RequestScope {
    trace: Option<TraceContext>,
    metrics: Arc<Metrics>,
}

#[cfg(feature = "client")]
tokio::task_local! {
    static CURRENT: RequestScope;
}

/// Runs `future` within the request's scope: its trace context and the metrics its calls are counted in. A plain
/// function returning the task-local future, not an `async fn`: an `async fn` that awaits a future it was given
/// holds that future twice in its state (the argument, then the awaited value), and the request's future is moved
/// into a box whole (its size is copied on every request).
#[cfg(feature = "client")]
pub(crate) fn scope<F: Future>(trace: Option<TraceContext>, metrics: &Arc<Metrics>, future: F) -> Scoped<F> {
    CURRENT.scope(RequestScope { trace, metrics: Arc::clone(metrics) }, future)
}

/// Without the `client` feature nothing reads a request's scope (only the HTTP client does): the request runs as
/// it is, with no task-local to set.
#[cfg(not(feature = "client"))]
pub(crate) fn scope<F: Future>(_trace: Option<TraceContext>, _metrics: &Arc<Metrics>, future: F) -> Scoped<F> {
    future
}

/// `future`, in the scope of the request being handled on this task, if any: for a task the request spawns (the
/// memory's runs, which outlive a client that gives up).
#[cfg(feature = "client")]
pub(crate) fn carry<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let current =
        CURRENT.try_with(|scope| RequestScope { trace: scope.trace.clone(), metrics: Arc::clone(&scope.metrics) }).ok();
    async move {
        match current {
            Some(scope) => CURRENT.scope(scope, future).await,
            None => future.await,
        }
    }
}

/// The future of [`scope`].
#[cfg(feature = "client")]
pub(crate) type Scoped<F> = tokio::task::futures::TaskLocalFuture<RequestScope, F>;
/// The future of [`scope`]: the request's own.
#[cfg(not(feature = "client"))]
pub(crate) type Scoped<F> = F;

/// Adds the current request's trace context, if any, to an external call's headers.
#[cfg(feature = "client")]
pub(crate) fn propagate_trace(headers: &mut http::HeaderMap) {
    let _ = CURRENT.try_with(|scope| {
        if let Some(trace) = &scope.trace {
            trace.propagate(headers);
        }
    });
}

/// Counts a finished external call (see [`Metrics::upstream_call`]).
#[cfg(feature = "client")]
pub(crate) fn upstream_call(service: &Arc<str>, status: Option<u16>, took: std::time::Duration, retries: u32) {
    let _ = CURRENT.try_with(|scope| scope.metrics.upstream_call(service, status, took, retries));
}

/// Counts a wait between attempts of an external call.
#[cfg(feature = "client")]
pub(crate) fn upstream_wait(service: &Arc<str>, wait: std::time::Duration) {
    let _ = CURRENT.try_with(|scope| scope.metrics.upstream_wait(service, wait));
}
