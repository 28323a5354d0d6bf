//! What the people who run a bridge see of it: its Prometheus [metrics](metrics) (`GET /metrics`), and the W3C
//! [trace context](crate::trace) of each request, carried on to every call the request makes to the external service.
//!
//! The gate puts both in the request's [scope](crate::scope); the `http` client, which knows nothing of the gate,
//! reads it to send the trace context on and to count its calls. A call made outside a request (at start-up, in
//! a task the handler spawned) has no scope: it is neither traced nor counted.

mod histogram;
pub(crate) mod metrics;

pub(crate) use crate::trace::TraceContext;
pub(crate) use metrics::{EndpointMetrics, Metrics, OTHER};

/// Runs `future` with the request's trace context and the metrics its calls are counted in (for tests: the gate
/// opens a request's [scope](crate::scope) with them).
#[cfg(all(test, feature = "client"))]
pub(crate) fn scope<F: std::future::Future>(
    trace: Option<TraceContext>,
    metrics: &std::sync::Arc<Metrics>,
    future: F,
) -> impl std::future::Future<Output = F::Output> {
    let metrics: std::sync::Arc<dyn crate::scope::CountsCalls> = std::sync::Arc::clone(metrics) as _;
    crate::scope::within(
        |scope| {
            scope.calls.trace = trace;
            scope.calls.metrics = Some(metrics);
        },
        future,
    )
}

/// Adds the current request's trace context, if any, to an external call's headers.
#[cfg(feature = "client")]
pub(crate) fn propagate_trace(headers: &mut http::HeaderMap) {
    crate::scope::with(|scope| {
        if let Some(trace) = &scope.calls.trace {
            trace.propagate(headers);
        }
    });
}

/// Counts a finished external call (see [`Metrics::upstream_call`]).
#[cfg(feature = "client")]
pub(crate) fn upstream_call(
    service: &std::sync::Arc<str>,
    status: Option<u16>,
    took: std::time::Duration,
    retries: u32,
) {
    crate::scope::with(|scope| {
        if let Some(metrics) = &scope.calls.metrics {
            metrics.upstream_call(service, status, took, retries);
        }
    });
}

/// Counts a wait between attempts of an external call.
#[cfg(feature = "client")]
pub(crate) fn upstream_wait(service: &std::sync::Arc<str>, wait: std::time::Duration) {
    crate::scope::with(|scope| {
        if let Some(metrics) = &scope.calls.metrics {
            metrics.upstream_wait(service, wait);
        }
    });
}

/// The request's scope holds the metrics as what its calls are counted in (it sits below this module).
#[cfg(feature = "client")]
impl crate::scope::CountsCalls for Metrics {
    fn upstream_call(
        &self,
        service: &std::sync::Arc<str>,
        status: Option<u16>,
        took: std::time::Duration,
        retries: u32,
    ) {
        Metrics::upstream_call(self, service, status, took, retries);
    }

    fn upstream_wait(&self, service: &std::sync::Arc<str>, wait: std::time::Duration) {
        Metrics::upstream_wait(self, service, wait);
    }
}
