//! The service the client's own tests call, for what only a real exchange shows: how many calls arrive and how
//! many at once, when they arrive, and how the client paces itself on the rate budget the service reports.
//!
//! It is the fakes' kit's one server ([`FakeServer`]: loopback, a call log, latency, the most calls in flight)
//! with a behaviour of its own: every call is answered after a delay with `{"path": …}`, the first calls can be
//! answered `503`, and a **rate budget** can be counted in fixed windows, as a service does for one account: past
//! the budget it answers `429`, and each answer reports what is left in the headers of one of the common
//! conventions. (The `testing` feature the kit needs is on in every test build: the runtime's dev-dependency on
//! the facade turns it on; the layers allow tests to use the test kit.)

#![cfg(test)]

use crate::testing::fake::{FakeResponse, FakeServer, RunningFake};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the fake reports its budget.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reports {
    /// `X-HubSpot-RateLimit-Max`, `-Remaining`, `-Interval-Milliseconds` (no reset: only the window's length).
    HubSpot,
    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the window resets, rounded up).
    XRateLimit,
}

/// A budget of `limit` calls in each window of `window`, counted from the fake's start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) limit: u32,
    pub(crate) window: Duration,
    pub(crate) reports: Reports,
}

/// What the fake does.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Behaviour {
    pub(crate) delay: Duration,
    /// The first calls answered `503` (no `Retry-After`).
    pub(crate) unavailable_first: u32,
    pub(crate) budget: Option<Budget>,
}

#[derive(Default)]
struct Counts {
    answered: AtomicU32,
    too_many: AtomicU32,
    /// Calls counted in the current window: (window number, calls).
    window: Mutex<(u128, u32)>,
}

/// A running fake; it stops when dropped.
pub(crate) struct FakeService {
    pub(crate) url: reqwest::Url,
    server: FakeServer,
    counts: Arc<Counts>,
    _running: RunningFake,
}

impl FakeService {
    pub(crate) async fn start(behaviour: Behaviour) -> Self {
        let counts = Arc::new(Counts::default());
        let shared = Arc::clone(&counts);
        let started = Instant::now();
        let server = FakeServer::new(move |request| answer(&shared, behaviour, started, request.path()));
        server.set_latency(behaviour.delay);
        let running = server.start().await.expect("a port on 127.0.0.1");
        let url = format!("{}/", running.url()).parse().expect("a URL");
        Self { url, server, counts, _running: running }
    }

    /// `path` on the fake.
    pub(crate) fn at(&self, path: &str) -> reqwest::Url {
        self.url.join(path).expect("a path")
    }

    pub(crate) fn calls(&self) -> u32 {
        self.server.calls().len() as u32
    }

    pub(crate) fn most_in_flight(&self) -> u32 {
        self.server.most_in_flight() as u32
    }

    /// The calls answered `429`.
    pub(crate) fn too_many(&self) -> u32 {
        self.counts.too_many.load(Ordering::SeqCst)
    }
}

/// The answer to one call, after the delay: the budget is counted as the answer is written.
fn answer(counts: &Counts, behaviour: Behaviour, started: Instant, path: &str) -> FakeResponse {
    let number = counts.answered.fetch_add(1, Ordering::SeqCst) + 1;
    let report = behaviour.budget.map(|budget| {
        let elapsed = started.elapsed();
        let window = elapsed.as_nanos() / budget.window.as_nanos();
        let mut counted = counts.window.lock().unwrap();
        if counted.0 != window {
            *counted = (window, 0);
        }
        counted.1 += 1;
        let ends = budget.window * (window as u32 + 1);
        (budget, counted.1, ends - elapsed)
    });
    let mut status = 200;
    if number <= behaviour.unavailable_first {
        status = 503;
    }
    if report.is_some_and(|(budget, used, _)| used > budget.limit) {
        status = 429;
        counts.too_many.fetch_add(1, Ordering::SeqCst);
    }
    let mut response = FakeResponse::json(status, &serde_json::json!({ "path": path }));
    if let Some((budget, used, resets_in)) = report {
        let remaining = budget.limit.saturating_sub(used);
        response = match budget.reports {
            Reports::HubSpot => response
                .header("x-hubspot-ratelimit-max", budget.limit)
                .header("x-hubspot-ratelimit-remaining", remaining)
                .header("x-hubspot-ratelimit-interval-milliseconds", budget.window.as_millis()),
            Reports::XRateLimit => response
                .header("x-ratelimit-limit", budget.limit)
                .header("x-ratelimit-remaining", remaining)
                .header("x-ratelimit-reset", resets_in.as_secs_f64().ceil()),
        };
    }
    response
}
