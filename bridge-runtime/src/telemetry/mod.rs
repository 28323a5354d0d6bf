//! What the people who run a bridge see of it: its Prometheus [metrics](metrics) (`GET /metrics`), and the W3C
//! [trace context](trace) of each request, carried on to every call the request makes to the external service.
//!
//! The gate opens a [`RequestScope`] around each request; the `http` client, which knows nothing of the gate,
//! reads it to send the trace context on and to count its calls. A call made outside a request (at start-up, in
//! a task the handler spawned) has no scope: it is neither traced nor counted.

mod histogram;
pub(crate) mod metrics;
pub(crate) mod trace;

pub(crate) use metrics::{EndpointMetrics, Metrics, OTHER};
pub(crate) use trace::TraceContext;

use http::HeaderMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::futures::TaskLocalFuture;

/// What a request shares with the code that answers it.
pub(crate) struct RequestScope {
    pub(crate) trace: Option<TraceContext>,
    pub(crate) metrics: Arc<Metrics>,
}

tokio::task_local! {
    static CURRENT: RequestScope;
}

/// Runs `future` within the request's scope. A plain function returning the task-local future, not an `async fn`:
/// an `async fn` that awaits a future it was given holds that future twice in its state (the argument, then the
/// awaited value), and the request's future is moved into a box whole (its size is copied on every request).
pub(crate) fn scope<F: Future>(scope: RequestScope, future: F) -> Scoped<F> {
    CURRENT.scope(scope, future)
}

/// The future of [`scope`].
pub(crate) type Scoped<F> = TaskLocalFuture<RequestScope, F>;

/// Adds the current request's trace context, if any, to an external call's headers.
pub(crate) fn propagate_trace(headers: &mut HeaderMap) {
    let _ = CURRENT.try_with(|scope| {
        if let Some(trace) = &scope.trace {
            trace.propagate(headers);
        }
    });
}

/// Counts a finished external call (see [`Metrics::upstream_call`]).
pub(crate) fn upstream_call(service: &Arc<str>, status: Option<u16>, took: Duration, retries: u32) {
    let _ = CURRENT.try_with(|scope| scope.metrics.upstream_call(service, status, took, retries));
}

/// Counts a wait between attempts of an external call.
pub(crate) fn upstream_wait(service: &Arc<str>, wait: Duration) {
    let _ = CURRENT.try_with(|scope| scope.metrics.upstream_wait(service, wait));
}
