//! The bridge's Prometheus metrics: one registry per bridge, its families, and the per-endpoint handles the gate
//! updates on every request.
//!
//! The request path pays a few atomic additions per request and nothing else: each endpoint's handles (its success
//! counter, latency histogram, in-flight gauge…) are registered when the bridge is built, an error code's counter
//! the first time it is used; no label is formatted and no map is searched per request. Labels are bounded by
//! construction: an endpoint's path as mounted (a request on any other path is `endpoint="other"`), a status
//! class, an error `code`, the external service's configured name — never an id, a raw path or an auth value.

use super::histogram::Histogram;
use crate::error::ErrorKind;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::fmt::Write as _;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The `endpoint` label of requests on a path no endpoint answers (the bridge's own routes included).
pub(crate) const OTHER: &str = "other";

/// Latency buckets, in microseconds: fine below a second (an interaction lookup while the phone rings), then
/// around the bridge's 25 s deadline and Talkdesk's 30 s limit.
const LATENCY_US: &[u64] = &[
    5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_000_000, 3_000_000, 5_000_000, 8_000_000,
    10_000_000, 15_000_000, 20_000_000, 25_000_000, 30_000_000,
];

/// Contacts per contact sync page.
const CONTACTS: &[u64] = &[0, 1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// Calls to the external service per request.
const CALLS: &[u64] = &[0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64];

/// Round trips to the external service on a request's critical path.
const ROUND_TRIPS: &[u64] = &[0, 1, 2, 3, 4, 5, 6, 8, 12, 16];

/// Every error kind, for the per-endpoint table of error counters.
const KINDS: &[ErrorKind] = ErrorKind::ALL;

/// How many error kinds there are: the size of that table.
const KIND_COUNT: usize = ErrorKind::ALL.len();

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    service: Arc<str>,
    status: CallStatus,
}

/// The external service's status, or `none` when it did not answer (a timeout, a failed connection).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
struct CallStatus(Option<u16>);

impl EncodeLabelValue for CallStatus {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        match self.0 {
            Some(status) => write!(encoder, "{status}"),
            None => encoder.write_str("none"),
        }
    }
}

type HistogramFamily<S> = Family<S, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    Histogram::new(LATENCY_US, 1e-6)
}

fn contacts() -> Histogram {
    Histogram::new(CONTACTS, 1.0)
}

fn calls() -> Histogram {
    Histogram::new(CALLS, 1.0)
}

fn round_trips() -> Histogram {
    Histogram::new(ROUND_TRIPS, 1.0)
}

/// A bridge's metrics, exposed at `GET /metrics`.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily<EndpointLabels>,
    in_flight: Family<EndpointLabels, Gauge>,
    shed: Family<EndpointLabels, Counter>,
    deadline_expired: Family<EndpointLabels, Counter>,
    contacts: HistogramFamily<EndpointLabels>,
    calls_per_request: HistogramFamily<EndpointLabels>,
    round_trips_per_request: HistogramFamily<EndpointLabels>,
    upstream_calls: Family<CallLabels, Counter>,
    upstream_retries: Family<ServiceLabels, Counter>,
    upstream_backoff: Family<ServiceLabels, Counter<f64, AtomicU64>>,
    upstream_duration: HistogramFamily<ServiceLabels>,
    store_answers: Family<StoreLabels, Counter>,
    store_failures: Counter,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    endpoint: &'static str,
    outcome: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Self {
            registry: Registry::default(),
            requests: Family::default(),
            duration: Family::new_with_constructor(latency),
            in_flight: Family::default(),
            shed: Family::default(),
            deadline_expired: Family::default(),
            contacts: Family::new_with_constructor(contacts),
            calls_per_request: Family::new_with_constructor(calls),
            round_trips_per_request: Family::new_with_constructor(round_trips),
            upstream_calls: Family::default(),
            upstream_retries: Family::default(),
            upstream_backoff: Family::default(),
            upstream_duration: Family::new_with_constructor(latency),
            store_answers: Family::default(),
            store_failures: Counter::default(),
        };
        let mut registry = Registry::default();
        let r = &mut registry;
        r.register(
            "bridge_requests",
            "Requests answered, by endpoint, status class and error code",
            metrics.requests.clone(),
        );
        r.register(
            "bridge_request_duration_seconds",
            "Time to answer a request, by endpoint",
            metrics.duration.clone(),
        );
        r.register("bridge_requests_in_flight", "Requests being answered, by endpoint", metrics.in_flight.clone());
        r.register("bridge_requests_shed", "Requests refused with 503 at the in-flight bound", metrics.shed.clone());
        r.register(
            "bridge_deadline_expired",
            "Requests answered 504 at the endpoint's deadline",
            metrics.deadline_expired.clone(),
        );
        r.register("bridge_contact_sync_page_contacts", "Contacts per contact sync page", metrics.contacts.clone());
        r.register(
            "bridge_request_upstream_calls",
            "Calls to the external service per request, by endpoint",
            metrics.calls_per_request.clone(),
        );
        r.register(
            "bridge_request_upstream_round_trips",
            "Round trips to the external service on a request's critical path (the longest chain of calls one \
             after another), by endpoint",
            metrics.round_trips_per_request.clone(),
        );
        r.register(
            "bridge_upstream_calls",
            "Calls to the external service, by service and final status",
            metrics.upstream_calls.clone(),
        );
        r.register(
            "bridge_upstream_retries",
            "Attempts repeated after a 429, a 503 or a failed connection",
            metrics.upstream_retries.clone(),
        );
        r.register(
            "bridge_upstream_backoff_seconds",
            "Time spent waiting between attempts, and for the service's next rate window",
            metrics.upstream_backoff.clone(),
        );
        r.register(
            "bridge_upstream_call_duration_seconds",
            "Time a call took, its retries included",
            metrics.upstream_duration.clone(),
        );
        r.register(
            "bridge_store_answers",
            "Requests of endpoints that remember (dedupe, cache), by endpoint and outcome: hit (answered from the \
             store), miss (run), unavailable (run without the store)",
            metrics.store_answers.clone(),
        );
        r.register(
            "bridge_store_failures",
            "Calls to the store that failed or timed out (the request was answered without it)",
            metrics.store_failures.clone(),
        );
        Self { registry, ..metrics }
    }
}

impl Metrics {
    /// The handles of the endpoint on `path`, registered now (its series show from the start, at zero).
    pub(crate) fn endpoint(&self, path: &'static str, contact_sync: bool) -> EndpointMetrics {
        let labels = EndpointLabels { endpoint: path };
        let ok = RequestLabels { endpoint: path, status: "2xx", code: "ok" };
        EndpointMetrics {
            endpoint: path,
            requests: self.requests.clone(),
            ok: self.requests.get_or_create_owned(&ok),
            errors: Default::default(),
            duration: self.duration.get_or_create_owned(&labels),
            in_flight: self.in_flight.get_or_create_owned(&labels),
            shed: self.shed.get_or_create_owned(&labels),
            deadline_expired: self.deadline_expired.get_or_create_owned(&labels),
            contacts: contact_sync.then(|| self.contacts.get_or_create_owned(&labels)),
            upstream: (path != OTHER).then(|| {
                (
                    self.calls_per_request.get_or_create_owned(&labels),
                    self.round_trips_per_request.get_or_create_owned(&labels),
                )
            }),
        }
    }

    /// The exposition: the OpenMetrics text format, which Prometheus reads.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// A request of the endpoint on `path` answered with `outcome` regarding the store (`hit`, `miss`…).
    pub(crate) fn store_answer(&self, path: &'static str, outcome: &'static str) {
        self.store_answers.get_or_create(&StoreLabels { endpoint: path, outcome }).inc();
    }

    /// A call to the store that failed.
    pub(crate) fn store_failure(&self) {
        self.store_failures.inc();
    }

    /// A finished call to the external service `service`: its final status (`None`: no answer), its duration,
    /// retries included, and how many attempts were repeats.
    #[cfg(feature = "client")]
    pub(crate) fn upstream_call(&self, service: &Arc<str>, status: Option<u16>, took: Duration, retries: u32) {
        let labels = ServiceLabels { service: Arc::clone(service) };
        self.upstream_calls
            .get_or_create(&CallLabels { service: Arc::clone(service), status: CallStatus(status) })
            .inc();
        self.upstream_duration.get_or_create(&labels).observe(micros(took));
        if retries > 0 {
            self.upstream_retries.get_or_create(&labels).inc_by(u64::from(retries));
        }
    }

    /// A wait before another attempt at a call to `service`, or before a call for its next rate window (pacing).
    #[cfg(feature = "client")]
    pub(crate) fn upstream_wait(&self, service: &Arc<str>, wait: Duration) {
        self.upstream_backoff.get_or_create(&ServiceLabels { service: Arc::clone(service) }).inc_by(wait.as_secs_f64());
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// One endpoint's metrics, registered when the bridge is built.
pub(crate) struct EndpointMetrics {
    endpoint: &'static str,
    requests: Family<RequestLabels, Counter>,
    ok: Counter,
    errors: [OnceLock<Counter>; KIND_COUNT],
    duration: Histogram,
    in_flight: Gauge,
    shed: Counter,
    deadline_expired: Counter,
    contacts: Option<Histogram>,
    /// Calls and round trips per request (an endpoint's; none for the other paths).
    upstream: Option<(Histogram, Histogram)>,
}

/// A request in flight on an endpoint: counted in its gauge until dropped.
pub(crate) struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl EndpointMetrics {
    /// The request is being answered until the guard is dropped.
    pub(crate) fn start(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// A request answered with `status`, and the error `code` when it failed.
    pub(crate) fn answered(&self, status: u16, code: Option<&'static str>, took: Duration) {
        self.duration.observe(micros(took));
        match code {
            None => self.ok.inc(),
            Some(code) => self.error(status, code).inc(),
        };
    }

    fn error(&self, status: u16, code: &'static str) -> Counter {
        let labels = || RequestLabels { endpoint: self.endpoint, status: status_class(status), code };
        match KINDS.iter().position(|kind| kind.code() == code) {
            Some(i) => self.errors[i].get_or_init(|| self.requests.get_or_create_owned(&labels())).clone(),
            None => self.requests.get_or_create_owned(&labels()),
        }
    }

    /// A request refused at the in-flight bound (`503`).
    pub(crate) fn shed(&self, status: u16, code: &'static str) {
        self.shed.inc();
        self.error(status, code).inc();
    }

    /// A request answered `504` because its handler ran past the endpoint's deadline.
    pub(crate) fn deadline_expired(&self) {
        self.deadline_expired.inc();
    }

    /// What a request to the endpoint cost upstream.
    pub(crate) fn upstream(&self, calls: u32, round_trips: u32) {
        if let Some((per_request, critical_path)) = &self.upstream {
            per_request.observe(u64::from(calls));
            critical_path.observe(u64::from(round_trips));
        }
    }

    /// A contact sync page of `contacts` contacts.
    pub(crate) fn contacts(&self, contacts: usize) {
        if let Some(histogram) = &self.contacts {
            histogram.observe(contacts as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_counter_slot() {
        let metrics = Metrics::default();
        let endpoint = metrics.endpoint("/contact_sync", true);
        for kind in ErrorKind::ALL {
            endpoint.answered(kind.status(), Some(kind.code()), Duration::from_millis(1));
        }
        assert!(endpoint.errors.iter().all(|slot| slot.get().is_some()), "every kind has a counter of its own");
        let text = metrics.encode();
        for kind in ErrorKind::ALL {
            assert!(text.contains(&format!("code=\"{}\"", kind.code())), "{} is not counted:\n{text}", kind.code());
        }
    }

    #[test]
    fn counts_answers_by_status_class_and_code() {
        let metrics = Metrics::default();
        let endpoint = metrics.endpoint("/contact_sync", true);
        {
            let _guard = endpoint.start();
            assert!(metrics.encode().contains("bridge_requests_in_flight{endpoint=\"/contact_sync\"} 1\n"));
        }
        endpoint.answered(200, None, Duration::from_millis(3));
        endpoint.answered(400, Some("invalid_input"), Duration::from_millis(30));
        endpoint.answered(400, Some("invalid_input"), Duration::from_millis(30));
        endpoint.shed(503, "overloaded");
        endpoint.contacts(42);
        endpoint.upstream(7, 2);
        endpoint.upstream(0, 0);
        metrics.endpoint(OTHER, false).upstream(1, 1);
        let text = metrics.encode();
        assert!(!text.contains("upstream_calls_count{endpoint=\"other\"}"), "{text}");
        for line in [
            "bridge_requests_total{endpoint=\"/contact_sync\",status=\"2xx\",code=\"ok\"} 1\n",
            "bridge_requests_total{endpoint=\"/contact_sync\",status=\"4xx\",code=\"invalid_input\"} 2\n",
            "bridge_requests_total{endpoint=\"/contact_sync\",status=\"5xx\",code=\"overloaded\"} 1\n",
            "bridge_requests_shed_total{endpoint=\"/contact_sync\"} 1\n",
            "bridge_requests_in_flight{endpoint=\"/contact_sync\"} 0\n",
            "bridge_request_duration_seconds_count{endpoint=\"/contact_sync\"} 3\n",
            "bridge_request_duration_seconds_bucket{le=\"0.005\",endpoint=\"/contact_sync\"} 1\n",
            "bridge_contact_sync_page_contacts_sum{endpoint=\"/contact_sync\"} 42.0\n",
            "bridge_request_upstream_calls_count{endpoint=\"/contact_sync\"} 2\n",
            "bridge_request_upstream_calls_sum{endpoint=\"/contact_sync\"} 7.0\n",
            "bridge_request_upstream_calls_bucket{le=\"6.0\",endpoint=\"/contact_sync\"} 1\n",
            "bridge_request_upstream_calls_bucket{le=\"8.0\",endpoint=\"/contact_sync\"} 2\n",
            "bridge_request_upstream_round_trips_bucket{le=\"0.0\",endpoint=\"/contact_sync\"} 1\n",
            "bridge_request_upstream_round_trips_bucket{le=\"2.0\",endpoint=\"/contact_sync\"} 2\n",
            "bridge_request_upstream_round_trips_sum{endpoint=\"/contact_sync\"} 2.0\n",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
    }
}
